// The small map of the API's HTML pages: a dataset page draws its whole
// layer from the vector tiles, an items page the features of the page and
// a feature page the feature, both from the page's own GeoJSON. The page
// says what to draw in data- attributes of #minimap (the CSP allows no
// inline script): data-base (the API's root URL), data-collection,
// data-geometry (the layer's geometry type), data-bbox ([w,s,e,n] to show
// first), data-geojson (a GeoJSON URL; none: the layer's tiles) and
// data-title. Clicking a feature opens its page.
import { look, drawIcon } from './symbols.js';
import { bboxOf, union } from './geo.js';

const el = document.getElementById('minimap');

function parseBBox(s) {
  try {
    const b = JSON.parse(s || 'null');
    return Array.isArray(b) && b.length === 4 && b.every(Number.isFinite) ? b : null;
  } catch (e) {
    return null;
  }
}

async function getJSON(u) {
  const r = await fetch(u, { headers: { Accept: 'application/geo+json, application/json' } });
  if (!r.ok) throw new Error(u + ': ' + r.status);
  return r.json();
}

// style is the map's basemap (the web map's configuration: a raster tile
// URL, else a plain background; a remote style is not fetched for a map
// this small) with the glyphs of the map.
async function style(base) {
  const s = {
    version: 8, glyphs: base + '/map/fonts/{fontstack}/{range}.pbf', sources: {},
    layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#e9ebe4' } }],
  };
  let conf = {};
  try {
    conf = await getJSON(base + '/map/config.json');
  } catch (e) { /* the map is optional: draw without a basemap */ }
  const b = conf.basemap || {};
  if (b.kind === 'raster') {
    s.sources.basemap = { type: 'raster', tiles: [b.url], tileSize: 256, attribution: b.attribution || '' };
    s.layers.push({ id: 'basemap', type: 'raster', source: 'basemap' });
  }
  return { style: s, conf };
}

// addContext draws the base layers (streets: collections with the base
// role, from their tiles) and the city limits (the boundary role) under
// the layer, so a small map still says where it is.
async function addContext(map, base, conf, id) {
  let colls;
  try {
    colls = await getJSON(base + '/collections');
  } catch (e) {
    return;
  }
  for (const c of colls.collections || []) {
    if (c.id === id || (c.role !== 'boundary' && c.role !== 'base')) continue;
    const src = 'ctx-' + c.id;
    const path = base + '/collections/' + encodeURIComponent(c.id);
    if (c.role === 'base') {
      map.addSource(src, { type: 'vector', tiles: [path + '/tiles/WebMercatorQuad/{z}/{y}/{x}'], minzoom: 0, maxzoom: 20, attribution: conf.attribution || '' });
      map.addLayer({ id: src + '-fill', type: 'fill', source: src, 'source-layer': c.id, filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': '#dfe6d8', 'fill-opacity': 0.6 } }, 'first-data');
      map.addLayer({ id: src + '-line', type: 'line', source: src, 'source-layer': c.id, filter: ['==', ['geometry-type'], 'LineString'],
        paint: { 'line-color': '#ffffff', 'line-width': ['interpolate', ['linear'], ['zoom'], 12, 0.8, 18, 14] } }, 'first-data');
      map.addLayer({ id: src + '-label', type: 'symbol', source: src, 'source-layer': c.id, filter: ['==', ['geometry-type'], 'LineString'], minzoom: 15,
        layout: { 'symbol-placement': 'line', 'text-field': ['coalesce', ['get', 'name'], ''], 'text-font': ['DejaVu Sans Book'], 'text-size': 11 },
        paint: { 'text-color': '#3d3a33', 'text-halo-color': '#fff', 'text-halo-width': 1.4 } });
    } else {
      map.addSource(src, { type: 'geojson', data: path + '/items?limit=100', attribution: conf.attribution || '' });
      map.addLayer({ id: src + '-line', type: 'line', source: src, paint: { 'line-color': '#7a5230', 'line-width': 1.5, 'line-dasharray': [3, 1.5] } }, 'first-data');
    }
  }
}

// addLayer draws the features of source src in the layer's colour:
// fills, lines, point symbols, and (tiles) point clusters with a count.
function addLayer(map, src, srcLayer, lk, id) {
  const add = (spec) => {
    spec.source = src;
    if (srcLayer) spec['source-layer'] = srcLayer;
    map.addLayer(spec);
  };
  const isPoint = ['==', ['geometry-type'], 'Point'];
  map.addLayer({ id: 'first-data', type: 'background', paint: { 'background-opacity': 0 } });
  add({ id: 'd-fill', type: 'fill', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': lk.color, 'fill-opacity': 0.4 } });
  add({ id: 'd-outline', type: 'line', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'line-color': lk.color, 'line-width': 1.5 } });
  add({ id: 'd-line', type: 'line', filter: ['==', ['geometry-type'], 'LineString'], paint: { 'line-color': lk.color, 'line-width': 3 } });
  add({
    id: 'd-cluster', type: 'circle', filter: ['all', isPoint, ['has', 'cluster']],
    paint: {
      'circle-color': lk.color, 'circle-opacity': 0.8, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1,
      'circle-radius': ['interpolate', ['linear'], ['sqrt', ['get', 'point_count']], 1, 4, 4, 9, 30, 22],
    },
  });
  add({
    id: 'd-count', type: 'symbol', filter: ['all', isPoint, ['has', 'cluster']],
    layout: { 'text-field': ['to-string', ['get', 'point_count']], 'text-font': ['DejaVu Sans Bold'], 'text-size': 10, 'text-allow-overlap': true },
    paint: { 'text-color': '#fff' },
  });
  const icon = 'icon-' + id;
  map.addImage(icon, drawIcon(lk.icon, lk.color, 48).getContext('2d').getImageData(0, 0, 48, 48), { pixelRatio: 2 });
  add({
    id: 'd-point', type: 'symbol', filter: ['all', isPoint, ['!', ['has', 'cluster']]],
    layout: { 'icon-image': icon, 'icon-allow-overlap': true, 'icon-size': ['interpolate', ['linear'], ['zoom'], 10, 0.5, 16, 0.9] },
  });
  return ['d-fill', 'd-line', 'd-cluster', 'd-point'];
}

// extentOf is the box of a FeatureCollection's (or a Feature's) geometries.
function extentOf(fc) {
  const feats = fc.type === 'FeatureCollection' ? fc.features : [fc];
  return union(feats.filter((f) => f.geometry).map((f) => bboxOf(f.geometry)));
}

async function main() {
  if (!el || !window.maplibregl) return;
  const d = el.dataset;
  const base = d.base.replace(/\/$/, '');
  const id = d.collection;
  const lk = look({ id, title: d.title || id, geometry: d.geometry || '', keywords: (d.keywords || '').split(',') });
  let data = null;
  if (d.geojson) data = await getJSON(d.geojson);
  let bbox = (data && extentOf(data)) || parseBBox(d.bbox);
  const { style: s, conf } = await style(base);
  const map = new maplibregl.Map({
    container: el, style: s, attributionControl: { compact: true }, cooperativeGestures: true,
    bounds: bbox ? [[bbox[0], bbox[1]], [bbox[2], bbox[3]]] : undefined, fitBoundsOptions: { padding: 30, maxZoom: 17 },
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  window.caMiniMap = map;
  map.on('load', async () => {
    let layers;
    if (data) {
      map.addSource('data', { type: 'geojson', data, attribution: conf.attribution || '' });
      layers = addLayer(map, 'data', '', lk, id);
    } else {
      map.addSource('data', {
        type: 'vector', tiles: [base + '/collections/' + encodeURIComponent(id) + '/tiles/WebMercatorQuad/{z}/{y}/{x}'],
        minzoom: 0, maxzoom: 20, attribution: conf.attribution || '',
      });
      layers = addLayer(map, 'data', id, lk, id);
    }
    await addContext(map, base, conf, id);
    for (const l of layers) {
      map.on('mouseenter', l, () => { map.getCanvas().style.cursor = 'pointer'; });
      map.on('mouseleave', l, () => { map.getCanvas().style.cursor = ''; });
    }
    map.on('click', (e) => {
      const hits = map.queryRenderedFeatures(e.point, { layers: layers.filter((l) => map.getLayer(l)) });
      if (!hits.length) return;
      const f = hits[0];
      if (f.properties && f.properties.cluster) {
        map.easeTo({ center: e.lngLat, zoom: map.getZoom() + 2 });
      } else if (f.id !== undefined && f.id !== null) {
        window.location.href = base + '/collections/' + encodeURIComponent(id) + '/items/' + encodeURIComponent(f.id) + '?f=html';
      }
    });
    map.once('idle', () => { el.dataset.ready = 'true'; });
  });
}

main().catch((e) => {
  console.warn('minimap:', e.message);
  if (el) el.dataset.ready = 'error';
});
