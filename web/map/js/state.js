// Shared state of the map and the URL hash that holds the view, the layers
// shown and the filters: #map=zoom/lat/lon&layers=a,b&f.a.field=value.
export const state = {
  config: {},
  caps: { cql2: false }, // what the server supports
  layers: [], // asset layers: {id, title, geometry, count, bbox, keywords, fields, enums, timeField, look, mapLayers}
  base: [], // base layers (role base), drawn under the assets, not counted
  boundary: [], // city limits (role boundary)
  visible: {}, // id → bool
  filters: {}, // id → {field → {kind: 'eq'|'range'|'text', value, min, max}}
  counts: {}, // id → {total, inView}
  area: null, // the area counted (GeoJSON Polygon)
  areaLabel: '',
  areaCounts: null,
};

export const ca = (window.cityatlas = { state, map: null, ready: null, countsVersion: 0, areaVersion: 0 });

export const $ = (sel) => document.querySelector(sel);

export function announce(text) {
  $('#status').textContent = text;
}

export function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

export function fmt(n) {
  return typeof n === 'number' ? n.toLocaleString('en-US') : '…';
}

export const layerOf = (id) => state.layers.find((l) => l.id === id) || state.base.find((l) => l.id === id) || state.boundary.find((l) => l.id === id);

export function readHash() {
  const h = new URLSearchParams(location.hash.slice(1));
  const out = { filters: {} };
  const m = (h.get('map') || '').split('/').map(Number);
  if (m.length === 3 && m.every(Number.isFinite)) out.view = { zoom: m[0], center: [m[2], m[1]] };
  if (h.has('layers')) out.layers = h.get('layers').split(',').filter(Boolean);
  for (const [k, v] of h) {
    const p = k.split('.');
    if (p.length !== 3 || p[0] !== 'f') continue;
    const f = (out.filters[p[1]] = out.filters[p[1]] || {});
    if (v.startsWith('~')) f[p[2]] = { kind: 'text', value: v.slice(1) };
    else if (v.includes('..')) {
      const [a, b] = v.split('..');
      f[p[2]] = { kind: 'range', min: a, max: b };
    } else f[p[2]] = { kind: 'eq', value: v };
  }
  return out;
}

export function writeHash() {
  const map = ca.map;
  if (!map) return;
  const c = map.getCenter();
  const h = new URLSearchParams();
  h.set('map', map.getZoom().toFixed(2) + '/' + c.lat.toFixed(5) + '/' + c.lng.toFixed(5));
  h.set('layers', [...state.layers, ...state.base].filter((l) => state.visible[l.id]).map((l) => l.id).join(','));
  for (const [id, fs] of Object.entries(state.filters)) {
    for (const [field, f] of Object.entries(fs)) {
      const v = f.kind === 'text' ? '~' + f.value : f.kind === 'range' ? (f.min || '') + '..' + (f.max || '') : f.value;
      h.set('f.' + id + '.' + field, v);
    }
  }
  history.replaceState(null, '', '#' + h.toString().replace(/%2F/g, '/').replace(/%2C/g, ','));
}
