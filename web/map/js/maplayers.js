// The map's layers: base layers (streets with their names along the lines,
// place labels) under everything, the city limits, then every asset layer
// with clusters that show their count and grow with it.
import { state, ca } from './state.js';
import * as api from './api.js';
import { drawIcon, stateColor } from './symbols.js';
import { params } from './filters.js';

const font = () => [state.config.font || 'DejaVu Sans Book'];
const bold = () => [state.config.fontBold || 'DejaVu Sans Bold'];

function vis(id) {
  return state.visible[id] ? 'visible' : 'none';
}

function source(map, l) {
  const src = 'c-' + l.id;
  map.addSource(src, { type: 'vector', tiles: [api.tileURL(l.id, params(l))], minzoom: 0, maxzoom: 20, attribution: state.config.attribution || '' });
  return src;
}

function adder(map, l, src, ids) {
  return (spec) => {
    spec.source = src;
    spec['source-layer'] = l.id;
    spec.layout = Object.assign({}, spec.layout, { visibility: vis(l.id) });
    map.addLayer(spec);
    ids.push(spec.id);
  };
}

// addBase draws the base layers: lines as streets (width by class) with
// their names, points as place labels, polygons as a light fill.
export function addBase(map) {
  for (const l of state.base) {
    const src = source(map, l);
    const ids = [];
    const add = adder(map, l, src, ids);
    const cls = ['coalesce', ['get', 'street_class'], ['get', 'class'], 'local'];
    const widthOf = (extra) => ['interpolate', ['exponential', 1.6], ['zoom'], 12, ['match', cls, 'arterial', 2 + extra, 'collector', 1.4 + extra, 0.8 + extra], 18, ['match', cls, 'arterial', 30 + extra, 'collector', 22 + extra, 16 + extra]];
    const width = widthOf(0);
    add({ id: 'B-' + l.id + '-fill', type: 'fill', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': '#dfe6d8', 'fill-opacity': 0.6 } });
    add({ id: 'B-' + l.id + '-casing', type: 'line', filter: ['==', ['geometry-type'], 'LineString'], layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: { 'line-color': '#aaa294', 'line-width': widthOf(1.5) } });
    add({ id: 'B-' + l.id + '-line', type: 'line', filter: ['==', ['geometry-type'], 'LineString'], layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: { 'line-color': ['match', cls, 'arterial', '#fde7a6', '#ffffff'], 'line-width': width } });
    l.mapLayers = ids;
  }
}

// addLabels draws the base layers' text above the assets' fills.
export function addLabels(map) {
  for (const l of state.base) {
    const src = 'c-' + l.id;
    const add = adder(map, l, src, l.mapLayers);
    const label = ['coalesce', ['get', 'name'], ['get', 'label'], ''];
    add({ id: 'B-' + l.id + '-linelabel', type: 'symbol', filter: ['==', ['geometry-type'], 'LineString'], minzoom: 14,
      layout: { 'symbol-placement': 'line', 'text-field': label, 'text-font': font(), 'text-size': ['interpolate', ['linear'], ['zoom'], 14, 10, 18, 14], 'symbol-spacing': 300, 'text-max-angle': 30 },
      paint: { 'text-color': '#3d3a33', 'text-halo-color': '#ffffff', 'text-halo-width': 1.6 } });
    add({ id: 'B-' + l.id + '-place', type: 'symbol', filter: ['==', ['geometry-type'], 'Point'],
      layout: { 'text-field': label, 'text-font': bold(), 'text-size': ['interpolate', ['linear'], ['zoom'], 8, 11, 14, 17], 'text-transform': 'uppercase', 'text-letter-spacing': 0.08 },
      paint: { 'text-color': '#4a4035', 'text-halo-color': 'rgba(255,255,255,0.9)', 'text-halo-width': 2 } });
  }
}

// addBoundary draws the city limits from their collection (GeoJSON, so
// the first view can fit them exactly).
export function addBoundary(map, fcs) {
  state.boundary.forEach((l, i) => {
    map.addSource('boundary-' + l.id, { type: 'geojson', data: fcs[i], attribution: state.config.attribution || '' });
    map.addLayer({ id: 'boundary-' + l.id + '-fill', type: 'fill', source: 'boundary-' + l.id, paint: { 'fill-color': '#fffdf6', 'fill-opacity': 0.7 } });
    map.addLayer({ id: 'boundary-' + l.id + '-line', type: 'line', source: 'boundary-' + l.id, paint: { 'line-color': '#7a5230', 'line-width': 2.5, 'line-dasharray': [3, 1.5] } });
    l.mapLayers = ['boundary-' + l.id + '-fill', 'boundary-' + l.id + '-line'];
  });
}

// addAssets draws every asset layer: fills, lines, clusters with their
// count, a ring for the condition or status, and the layer's symbol.
export function addAssets(map) {
  for (const l of state.layers) {
    const look = l.look;
    const src = source(map, l);
    const ids = [];
    const add = adder(map, l, src, ids);
    const any = l.geometry === 'Geometry' || l.geometry === 'GeometryCollection';
    if (look.poly || any) {
      add({ id: 'L-' + l.id + '-fill', type: 'fill', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': look.color, 'fill-opacity': 0.35 } });
      add({ id: 'L-' + l.id + '-outline', type: 'line', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'line-color': look.color, 'line-width': 1.5 } });
    }
    if (look.line || any) {
      add({ id: 'L-' + l.id + '-line', type: 'line', filter: ['==', ['geometry-type'], 'LineString'], paint: { 'line-color': look.color, 'line-width': 3 } });
    }
    if (look.point || any) {
      const isPoint = ['==', ['geometry-type'], 'Point'];
      add({
        id: 'L-' + l.id + '-cluster', type: 'circle', filter: ['all', isPoint, ['has', 'cluster']],
        paint: {
          'circle-color': look.color, 'circle-opacity': 0.8, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5,
          'circle-radius': ['interpolate', ['linear'], ['sqrt', ['get', 'point_count']], 1, 6, 1.5, 7.5, 2, 9.5, 4, 13, 10, 20, 30, 32],
        },
      });
      add({
        id: 'L-' + l.id + '-count', type: 'symbol', filter: ['all', isPoint, ['has', 'cluster']],
        layout: { 'text-field': ['to-string', ['get', 'point_count']], 'text-font': bold(), 'text-size': ['interpolate', ['linear'], ['sqrt', ['get', 'point_count']], 1, 9, 2, 11, 10, 14, 30, 17], 'text-allow-overlap': true, 'text-ignore-placement': true },
        paint: { 'text-color': '#ffffff', 'text-halo-color': 'rgba(0,0,0,0.35)', 'text-halo-width': 1 },
      });
      if (look.stateField) {
        add({
          id: 'L-' + l.id + '-state', type: 'circle', filter: ['all', isPoint, ['!', ['has', 'cluster']]], minzoom: 14,
          paint: { 'circle-radius': ['interpolate', ['linear'], ['zoom'], 14, 7, 18, 15], 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-width': ['interpolate', ['linear'], ['zoom'], 14, 2, 18, 3.5], 'circle-stroke-color': stateColor(look.stateField) },
        });
      }
      const name = 'icon-' + l.id;
      const canvas = drawIcon(look.icon, look.color, 48);
      if (!map.hasImage(name)) map.addImage(name, canvas.getContext('2d').getImageData(0, 0, 48, 48), { pixelRatio: 2 });
      add({
        id: 'L-' + l.id + '-point', type: 'symbol', filter: ['all', isPoint, ['!', ['has', 'cluster']]],
        layout: { 'icon-image': name, 'icon-allow-overlap': true, 'icon-ignore-placement': true, 'icon-size': ['interpolate', ['linear'], ['zoom'], 10, 0.45, 15, 0.75, 18, 1.1] },
      });
    }
    l.mapLayers = ids;
  }
}

// refilter points a layer's tiles at its current filters.
export function refilter(l) {
  ca.map.getSource('c-' + l.id).setTiles([api.tileURL(l.id, params(l))]);
}

export function setVisible(l, on) {
  state.visible[l.id] = on;
  for (const id of l.mapLayers || []) ca.map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
}
