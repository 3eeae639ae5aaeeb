// Counting where people point: a drawn rectangle or polygon, a circle
// (click the centre, drag the radius; counted with /count's radius), the
// view, or a polygon feature clicked on the map. Counts follow the layers'
// filters, can be grouped by a property, and each layer's features in the
// area download as GeoJSON.
import { state, ca, $, esc, fmt, announce } from './state.js';
import * as api from './api.js';
import { rectPoly, circlePoly, distance, bboxOf } from './geo.js';
import { countParams, params } from './filters.js';
import { viewBBox } from './panel.js';
import { intersects } from './intersects.js';

const draw = { mode: null, points: [], start: null };
let current = null; // {poly, circle: {center, radius}, label}

export function drawData(poly, extra) {
  const feats = [];
  if (poly) feats.push({ type: 'Feature', properties: {}, geometry: poly });
  for (const p of extra || []) feats.push({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: p } });
  ca.map.getSource('draw').setData({ type: 'FeatureCollection', features: feats });
}

export const drawing = () => draw.mode;

export function setMode(mode) {
  draw.mode = mode;
  draw.points = [];
  draw.start = null;
  for (const m of ['rect', 'poly', 'circle']) $('#draw-' + m).setAttribute('aria-pressed', String(mode === m));
  const map = ca.map;
  if (mode) {
    map.dragPan.disable();
    map.doubleClickZoom.disable();
    map.getCanvas().style.cursor = 'crosshair';
    announce({ rect: 'Drag on the map to draw a rectangle.', poly: 'Click the corners of the polygon; double-click or press Enter to finish.', circle: 'Press at the centre and drag out the radius.' }[mode]);
  } else {
    map.dragPan.enable();
    map.doubleClickZoom.enable();
    map.getCanvas().style.cursor = '';
  }
}

const polyOf = (points) => ({ type: 'Polygon', coordinates: [points.concat([points[0]])] });

function onDown(e) {
  if (draw.mode !== 'rect' && draw.mode !== 'circle') return;
  e.preventDefault();
  draw.start = e.lngLat;
}

function onMove(e) {
  if (draw.mode === 'rect' && draw.start) drawData(rectPoly(draw.start, e.lngLat));
  if (draw.mode === 'circle' && draw.start) {
    const c = [draw.start.lng, draw.start.lat];
    const r = distance(c, [e.lngLat.lng, e.lngLat.lat]);
    drawData(circlePoly(c, r), [c]);
    $('#draw-help').textContent = 'Radius ' + Math.round(r).toLocaleString('en-US') + ' m';
  }
  if (draw.mode === 'poly' && draw.points.length) {
    const pts = draw.points.concat([[e.lngLat.lng, e.lngLat.lat]]);
    drawData(pts.length > 2 ? polyOf(pts) : { type: 'LineString', coordinates: pts }, draw.points);
  }
}

function onUp(e) {
  if ((draw.mode !== 'rect' && draw.mode !== 'circle') || !draw.start) return;
  const a = draw.start;
  const pa = ca.map.project(a);
  if (Math.abs(pa.x - e.point.x) < 3 && Math.abs(pa.y - e.point.y) < 3) { draw.start = null; return; }
  const mode = draw.mode;
  setMode(null);
  if (mode === 'rect') countArea({ poly: rectPoly(a, e.lngLat), label: 'the drawn rectangle' });
  else {
    const c = [a.lng, a.lat];
    const r = Math.round(distance(c, [e.lngLat.lng, e.lngLat.lat]));
    countArea({ circle: { center: c, radius: r }, poly: circlePoly(c, r), label: 'a circle of ' + r.toLocaleString('en-US') + ' m' });
  }
}

function onPolyClick(e) {
  if (draw.mode !== 'poly') return;
  const p = [e.lngLat.lng, e.lngLat.lat];
  if (draw.points.length >= 3) {
    const first = ca.map.project(draw.points[0]);
    if (Math.hypot(first.x - e.point.x, first.y - e.point.y) < 10) { finishPoly(); return; }
  }
  draw.points.push(p);
  drawData(draw.points.length > 2 ? polyOf(draw.points) : null, draw.points);
}

function finishPoly() {
  const pts = draw.points.slice();
  setMode(null);
  if (pts.length < 3) { drawData(null); announce('A polygon needs three corners.'); return; }
  countArea({ poly: polyOf(pts), label: 'the drawn polygon' });
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

export function install(map) {
  map.on('click', onPolyClick);
  map.on('dblclick', (e) => { if (draw.mode === 'poly') { e.preventDefault(); draw.points.pop(); finishPoly(); } });
  map.on('mousedown', onDown);
  map.on('touchstart', onDown);
  map.on('mousemove', onMove);
  map.on('touchmove', onMove);
  map.on('mouseup', onUp);
  map.on('touchend', onUp);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && draw.mode) { setMode(null); drawData(state.area); announce('Drawing cancelled.'); }
    if (e.key === 'Enter' && draw.mode === 'poly' && draw.points.length) { e.preventDefault(); finishPoly(); }
  });
  for (const m of ['rect', 'poly', 'circle']) $('#draw-' + m).addEventListener('click', () => setMode(draw.mode === m ? null : m));
  $('#draw-view').addEventListener('click', () => {
    const b = viewBBox();
    countArea({ poly: { type: 'Polygon', coordinates: [[[b[0], b[1]], [b[2], b[1]], [b[2], b[3]], [b[0], b[3]], [b[0], b[1]]]] }, label: 'the view' });
  });
  $('#draw-clear').addEventListener('click', clearArea);
  groupByChoices();
}
