// Counting where people point: a drawn rectangle or polygon, a circle
// (press at the centre, drag the radius; counted with /count's radius), the
// view, or a polygon feature clicked on the map. The shapes are drawn with
// Terra Draw (sketch.js); the area counted stays on the map in the draw
// source. Counts follow the layers' filters, can be grouped by a property,
// and each layer's features in the area download as GeoJSON.
import { state, ca, $, esc, fmt, announce } from './state.js';
import * as api from './api.js';
import { bboxOf, circleCenter } from './geo.js';
import { countParams, params } from './filters.js';
import { viewBBox } from './panel.js';
import { intersects } from './intersects.js';
import * as sketch from './sketch.js';

const TOOLS = { rect: 'rectangle', poly: 'polygon', circle: 'circle' };
let tool = null; // the area tool in use: rect, poly or circle
let current = null; // {poly, circle: {center, radius}, label}

export function drawData(poly) {
  const feats = poly ? [{ type: 'Feature', properties: {}, geometry: poly }] : [];
  ca.map.getSource('draw').setData({ type: 'FeatureCollection', features: feats });
}

// drawing says whether a Terra Draw mode takes the map's clicks.
export const drawing = () => sketch.mode();

export function setMode(mode) {
  for (const m of Object.keys(TOOLS)) $('#draw-' + m).setAttribute('aria-pressed', String(mode === m));
  if (!mode) {
    if (tool) sketch.stop();
    tool = null;
    return;
  }
  tool = mode;
  sketch.start(TOOLS[mode], finished, (ids, type) => { if (mode === 'circle' && type === 'update') showRadius(ids[0]); });
  announce({ rect: 'Drag on the map to draw a rectangle.', poly: 'Click the corners of the polygon; click the first corner again or press Enter to finish.', circle: 'Press at the centre and drag out the radius.' }[mode]);
}

function showRadius(id) {
  const f = ca.sketch.getSnapshotFeature(id);
  if (f && f.properties.radiusKilometers) $('#draw-help').textContent = 'Radius ' + Math.round(f.properties.radiusKilometers * 1000).toLocaleString('en-US') + ' m';
}

function finished(f) {
  const mode = tool;
  setMode(null);
  if (mode === 'rect') countArea({ poly: f.geometry, label: 'the drawn rectangle' });
  else if (mode === 'poly') countArea({ poly: f.geometry, label: 'the drawn polygon' });
  else if (mode === 'circle') {
    const c = circleCenter(f.geometry.coordinates[0]);
    const r = Math.round(f.properties.radiusKilometers * 1000);
    countArea({ circle: { center: c, radius: r }, poly: f.geometry, label: 'a circle of ' + r.toLocaleString('en-US') + ' m' });
  }
}

// countArea counts the asset layers in an area and shows the table.
export async function countArea(a) {
  current = a;
  state.area = a.poly;
  state.areaLabel = a.label;
  drawData(a.poly);
  const out = $('#area-result');
  if (!out.querySelector('table')) out.innerHTML = '<p>Counting…</p>';
  const groupBy = $('#groupby').value;
  const p = Object.assign({ collections: state.layers.map((l) => l.id).join(',') }, countParams(state.layers));
  if (groupBy) p.groupby = groupBy;
  try {
    let res;
    if (a.circle) res = await api.count(null, Object.assign(p, { lon: a.circle.center[0].toFixed(7), lat: a.circle.center[1].toFixed(7), radius: String(a.circle.radius) }));
    else res = await api.count(a.poly, p);
    if (current !== a) return;
    state.areaCounts = res;
    renderArea(res, a, groupBy);
    announce('In ' + a.label + ': ' + res.collections.map((c) => c.count + ' ' + c.title.toLowerCase()).join(', ') + '.');
    ca.areaVersion++;
    res.collections.forEach((c) => prepareDownload(c, a));
  } catch (e) {
    out.innerHTML = '<p role="alert">Could not count: ' + esc(e.message) + '</p>';
    console.error('area count:', e.message);
  }
}

function renderArea(res, a, groupBy) {
  const rows = res.collections.map((c) => {
    const groups = (c.groups || []).filter((g) => g.count > 0).map((g) => esc((g.value || 'none').replace(/_/g, ' ')) + ' ' + fmt(g.count)).join(', ');
    return '<tr data-layer="' + esc(c.id) + '"><th scope="row">' + esc(c.title) + (groups ? '<div class="groups">' + groups + '</div>' : '') + '</th><td class="n" data-count="' + c.count + '">' + fmt(c.count) + '</td><td class="dl"></td></tr>';
  }).join('');
  $('#area-result').innerHTML = '<p class="area-label">In ' + esc(a.label) + (groupBy ? ', by ' + esc(groupBy.replace(/_/g, ' ')) : '') + ':</p>' +
    '<table aria-label="Assets in the area"><thead><tr><th>Layer</th><th class="n">Count</th><th>GeoJSON</th></tr></thead><tbody>' + rows +
    '</tbody><tfoot><tr><th scope="row">All</th><td class="n total" data-count="' + res.total + '">' + fmt(res.total) + '</td><td></td></tr></tfoot></table>' +
    '<p class="hint">Area counts follow the layer filters.</p>';
}

async function prepareDownload(c, a) {
  const cell = document.querySelector('#area-result tr[data-layer="' + c.id + '"] td.dl');
  if (!cell || c.count === 0) { if (cell) cell.textContent = '—'; return; }
  const l = state.layers.find((x) => x.id === c.id);
  const b = bboxOf(a.poly);
  const fc = await api.download(c.id, Object.assign({ f: 'geojson', bbox: b.map((v) => v.toFixed(7)).join(',') }, l ? params(l) : {}));
  const polys = a.poly.type === 'MultiPolygon' ? a.poly.coordinates.map((c) => ({ type: 'Polygon', coordinates: c })) : [a.poly];
  const feats = fc.features.filter((f) => polys.some((p) => intersects(f.geometry, p)));
  if (current !== a) return;
  const blob = new Blob([JSON.stringify({ type: 'FeatureCollection', features: feats })], { type: 'application/geo+json' });
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = c.id + '-area.geojson';
  link.textContent = 'Download';
  link.setAttribute('aria-label', 'Download the ' + feats.length + ' ' + c.title.toLowerCase() + ' in the area as GeoJSON');
  link.dataset.features = String(feats.length);
  cell.innerHTML = '';
  cell.append(link);
}

export function recount() {
  if (current) countArea(current);
}

export function clearArea() {
  setMode(null);
  current = null;
  state.area = null;
  state.areaCounts = null;
  drawData(null);
  $('#area-result').innerHTML = '';
}

export function groupByChoices() {
  const sel = $('#groupby');
  const seen = new Map();
  for (const l of state.layers) for (const f of l.fields) if (f.enum && !seen.has(f.name)) seen.set(f.name, f.title || f.name);
  sel.innerHTML = '<option value="">no grouping</option>' + [...seen].map(([n, t]) => '<option value="' + esc(n) + '">' + esc(t) + '</option>').join('');
  sel.addEventListener('change', recount);
}

export function install() {
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && tool) { setMode(null); drawData(state.area); announce('Drawing cancelled.'); }
  });
  for (const m of Object.keys(TOOLS)) $('#draw-' + m).addEventListener('click', () => setMode(tool === m ? null : m));
  $('#draw-view').addEventListener('click', () => {
    const b = viewBBox();
    countArea({ poly: { type: 'Polygon', coordinates: [[[b[0], b[1]], [b[2], b[1]], [b[2], b[3]], [b[0], b[3]], [b[0], b[1]]]] }, label: 'the view' });
  });
  $('#draw-clear').addEventListener('click', clearArea);
  groupByChoices();
}
