// cityatlas web map: start-up. It reads the configuration, the layers and
// their queryables, fits the first view to the city limits (else the data
// shown), draws base layers, the limits and the assets, and wires the
// panel, filters, search, drawing, popups, share and print, and the
// sign-in and editing.
import { state, ca, $, readHash, writeHash } from './state.js';
import * as api from './api.js';
import { look } from './symbols.js';
import { bboxOf, union } from './geo.js';
import { addBase, addBoundary, addAssets, addLabels } from './maplayers.js';
import { buildPanel, refreshCounts, scheduleCounts, viewBBox } from './panel.js';
import * as draw from './draw.js';
import * as sketch from './sketch.js';
import * as popup from './popup.js';
import * as search from './search.js';
import * as share from './share.js';
import * as session from './session.js';
import * as edit from './edit.js';

async function loadLayer(c) {
  const q = await api.queryables(c.id);
  const props = q.properties || {};
  const fields = Object.keys(props).filter((k) => k !== 'geometry').map((k) => ({
    name: k, title: props[k].title || k, type: props[k].type, format: props[k].format, enum: props[k].enum,
  }));
  const timeField = Object.keys(props).find((k) => props[k]['x-ogc-role'] === 'primary-instant') || '';
  const enums = {};
  for (const f of fields) if (f.enum) enums[f.name] = f.enum;
  const l = {
    id: c.id, title: c.title, geometry: c.geometryType, count: c.numberOfFeatures, role: c.role || '',
    keywords: c.keywords || [], bbox: c.extent && c.extent.spatial && c.extent.spatial.bbox && c.extent.spatial.bbox[0],
    fields, enums, timeField,
  };
  l.look = look(l);
  return l;
}

function offlineStyle() {
  return { version: 8, sources: {}, layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#eef0ea' } }] };
}

async function baseStyle(conf) {
  const b = conf.basemap || {};
  let style = offlineStyle();
  if (b.kind === 'style') {
    try {
      const ctl = new AbortController();
      const timer = setTimeout(() => ctl.abort(), 4000);
      style = await api.getJSON(b.url, { signal: ctl.signal });
      clearTimeout(timer);
    } catch (e) {
      console.warn('basemap style unavailable, using the offline basemap:', e.message);
      style = offlineStyle();
    }
  }
  style.sources = style.sources || {};
  style.layers = style.layers || [];
  if (!style.glyphs) style.glyphs = api.url('map/fonts/{fontstack}/{range}.pbf');
  if (b.kind === 'raster') {
    style.sources.basemap = { type: 'raster', tiles: [b.url], tileSize: 256, attribution: b.attribution || '' };
    style.layers.push({ id: 'basemap', type: 'raster', source: 'basemap' });
  }
  return style;
}

async function main() {
  const [conf, colls, conformance] = await Promise.all([
    api.getJSON('map/config.json'), api.getJSON('collections'), api.getJSON('conformance').catch(() => ({ conformsTo: [] })),
  ]);
  state.config = conf;
  state.caps.cql2 = (conformance.conformsTo || []).some((c) => /ogcapi-features-3\/1\.0\/conf\/filter$/.test(c));
  const all = await Promise.all(colls.collections.map(loadLayer));
  state.layers = all.filter((l) => !l.role);
  state.base = all.filter((l) => l.role === 'base');
  state.boundary = all.filter((l) => l.role === 'boundary');
  const h = readHash();
  for (const l of all) {
    state.visible[l.id] = l.role ? !h.layers || h.layers.includes(l.id) || l.role === 'boundary' : !h.layers || h.layers.includes(l.id);
    const fs = h.filters[l.id];
    if (!fs) continue;
    for (const [name, f] of Object.entries(fs)) {
      if (!l.fields.some((x) => x.name === name)) continue;
      (state.filters[l.id] = state.filters[l.id] || {})[name] = f;
    }
  }
  const limits = await Promise.all(state.boundary.map((l) => api.items(l.id, { limit: '100' })));
  const style = await baseStyle(conf);
  const opts = {
    container: 'map', style, attributionControl: { compact: false }, hash: false, maxZoom: 20,
    canvasContextAttributes: { preserveDrawingBuffer: true }, // the print view takes a picture of the canvas
  };
  const fit = union(limits.map((fc) => (fc.features.length ? union(fc.features.map((f) => bboxOf(f.geometry))) : null)))
    || union(state.layers.filter((l) => state.visible[l.id]).map((l) => l.bbox));
  if (h.view) {
    opts.center = h.view.center;
    opts.zoom = h.view.zoom;
  } else if (fit) {
    opts.bounds = [fit[0], fit[1], fit[2], fit[3]];
    opts.fitBoundsOptions = { padding: 24 };
  } else {
    opts.center = [0, 20];
    opts.zoom = 1;
  }
  const map = new maplibregl.Map(opts);
  ca.map = map;
  ca.fit = fit;
  map.addControl(new maplibregl.NavigationControl(), 'top-left');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  map.on('error', (e) => console.error('map error:', e.error ? e.error.message : e));
  await new Promise((resolve) => map.once('load', resolve));
  addBoundary(map, limits);
  addBase(map);
  addAssets(map);
  addLabels(map);
  map.addSource('draw', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({ id: 'draw-fill', type: 'fill', source: 'draw', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': '#0b6bcb', 'fill-opacity': 0.12 } });
  map.addLayer({ id: 'draw-line', type: 'line', source: 'draw', filter: ['!=', ['geometry-type'], 'Point'], paint: { 'line-color': '#0b6bcb', 'line-width': 2.5, 'line-dasharray': [2, 1] } });
  buildPanel({ onFilterChange: async () => { draw.recount(); await refreshCounts(); } });
  map.on('click', popup.onClick);
  sketch.install(map);
  draw.install();
  search.install();
  share.install();
  edit.install();
  popup.onAsset(edit.onAsset);
  await session.install();
  map.on('mousemove', (e) => {
    if (draw.drawing()) return;
    const n = map.queryRenderedFeatures(e.point, { layers: popup.interactiveLayers() }).length;
    map.getCanvas().style.cursor = n ? 'pointer' : '';
  });
  map.on('moveend', () => { writeHash(); scheduleCounts(); });
  const toggle = $('#panel-toggle');
  toggle.addEventListener('click', () => {
    const collapsed = $('#panel').classList.toggle('collapsed');
    toggle.setAttribute('aria-expanded', String(!collapsed));
    map.resize();
  });
  if (window.matchMedia('(max-width: 700px)').matches) {
    $('#panel').classList.add('collapsed');
    toggle.setAttribute('aria-expanded', 'false');
  }
  window.addEventListener('hashchange', () => {
    const nh = readHash();
    if (nh.view) map.jumpTo({ center: nh.view.center, zoom: nh.view.zoom });
  });
  setInterval(() => { if (!document.hidden) scheduleCounts(); }, 30000);
  writeHash();
  await refreshCounts();
}

ca.ready = main().catch((e) => {
  console.error('cityatlas map failed to start:', e.message);
  const p = document.createElement('p');
  p.setAttribute('role', 'alert');
  p.textContent = 'The map could not start: ' + e.message;
  $('#panel').prepend(p);
  throw e;
});
ca.viewBBox = () => viewBBox().map((v) => v.toFixed(6)).join(',');
ca.openFeature = popup.openFeature;
ca.countArea = draw.countArea;
ca.search = search.search;
ca.preparePrint = share.preparePrint;
