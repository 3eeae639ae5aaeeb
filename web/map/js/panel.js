// The layers panel: a toggle, the count and the count in view of every
// asset layer, its filters, the base layers' toggles, and the legend.
import { state, ca, $, esc, fmt, announce, writeHash } from './state.js';
import * as api from './api.js';
import { drawIcon, STATE_COLORS } from './symbols.js';
import * as filters from './filters.js';
import { refilter, setVisible } from './maplayers.js';

let onFilterChange = () => {};

export function buildPanel(opts) {
  onFilterChange = opts.onFilterChange || onFilterChange;
  const ul = $('#layers');
  ul.innerHTML = '';
  if (!state.layers.length) ul.innerHTML = '<li class="empty">No layers yet: import some data (see the README).</li>';
  for (const l of state.layers) {
    const li = document.createElement('li');
    li.dataset.layer = l.id;
    const sw = drawIcon(l.look.icon, l.look.color, 36);
    sw.className = 'swatch';
    sw.setAttribute('aria-hidden', 'true');
    const label = document.createElement('label');
    label.className = 'toggle';
    const cb = document.createElement('input');
    cb.type = 'checkbox';
    cb.checked = !!state.visible[l.id];
    cb.addEventListener('change', () => { setVisible(l, cb.checked); writeHash(); renderLegend(); announce(l.title + (cb.checked ? ' shown' : ' hidden')); });
    const total = document.createElement('span');
    total.className = 'total';
    label.append(cb, sw, total);
    const counts = document.createElement('div');
    counts.className = 'counts';
    counts.innerHTML = '<span class="inview"></span> <span class="fdesc"></span>';
    const fb = document.createElement('button');
    fb.type = 'button';
    fb.className = 'filter-toggle';
    fb.setAttribute('aria-expanded', 'false');
    fb.textContent = 'Filter';
    fb.setAttribute('aria-label', 'Filter ' + l.title);
    const fp = document.createElement('div');
    fp.className = 'filters';
    fp.id = 'filters-' + l.id;
    fp.hidden = true;
    fb.setAttribute('aria-controls', fp.id);
    fb.addEventListener('click', async () => {
      const open = fp.hidden;
      fp.hidden = !open;
      fb.setAttribute('aria-expanded', String(open));
      if (open) await filters.buildPanel(fp, l, changed);
    });
    li.append(label, counts, fb, fp);
    ul.append(li);
  }
  const bl = $('#base-layers');
  bl.innerHTML = '';
  for (const l of [...state.base, ...state.boundary]) {
    const li = document.createElement('li');
    li.dataset.layer = l.id;
    li.innerHTML = '<label class="toggle"><input type="checkbox"> ' + esc(l.title) + '</label>';
    const cb = li.querySelector('input');
    cb.checked = state.visible[l.id] !== false;
    cb.addEventListener('change', () => { setVisible(l, cb.checked); writeHash(); });
    bl.append(li);
  }
  $('#base-section').hidden = !(state.base.length + state.boundary.length);
  renderCounts();
  renderLegend();
}

async function changed(l) {
  refilter(l);
  writeHash();
  const fp = document.getElementById('filters-' + l.id);
  const q = fp && fp.querySelector('.cql2');
  if (q) q.textContent = filters.cql2(l) ? 'CQL2: ' + filters.cql2(l) : '';
  await onFilterChange(l);
  const c = state.counts[l.id] || {};
  const d = filters.describe(l);
  announce(l.title + (d ? ' with ' + d : '') + ': ' + c.total + ' in all, ' + c.inView + ' in view');
}

export function renderCounts() {
  for (const l of state.layers) {
    const li = document.querySelector('#layers li[data-layer="' + l.id + '"]');
    if (!li) continue;
    const c = state.counts[l.id] || {};
    const d = filters.describe(l);
    const total = li.querySelector('.total');
    total.textContent = l.title + ': ' + fmt(c.total);
    total.dataset.count = c.total === undefined ? '' : c.total;
    const iv = li.querySelector('.inview');
    iv.textContent = 'In view: ' + fmt(c.inView);
    iv.dataset.count = c.inView === undefined ? '' : c.inView;
    li.querySelector('.fdesc').textContent = d ? '· ' + d : '';
    li.classList.toggle('filtered', !!d);
  }
}

export function viewBBox() {
  const b = ca.map.getBounds();
  const cl = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
  return [cl(b.getWest(), -180, 180), cl(b.getSouth(), -90, 90), cl(b.getEast(), -180, 180), cl(b.getNorth(), -90, 90)];
}

let countSeq = 0;
export async function refreshCounts() {
  const seq = ++countSeq;
  const bbox = viewBBox().map((v) => v.toFixed(6)).join(',');
  const results = await Promise.all(state.layers.map(async (l) => {
    const p = filters.params(l);
    const [t, v] = await Promise.all([api.stats(l.id, p), api.stats(l.id, Object.assign({ bbox }, p))]);
    return [l.id, { total: t.count, inView: v.count }];
  }));
  if (seq !== countSeq) return; // a newer refresh is under way
  for (const [id, c] of results) state.counts[id] = c;
  renderCounts();
  ca.countsVersion++;
  ca.lastCountsBBox = bbox;
}

let countTimer = null;
export function scheduleCounts() {
  clearTimeout(countTimer);
  countTimer = setTimeout(() => refreshCounts().catch((e) => console.error('counts:', e.message)), 200);
}

// renderLegend explains every symbol shown: the layers, the rings of
// condition and status, clusters, the city limits and the streets.
export function renderLegend() {
  const legend = $('#legend');
  legend.innerHTML = '';
  const item = (canvas, text, cls) => {
    const li = document.createElement('li');
    if (cls) li.className = cls;
    canvas.className = 'swatch';
    canvas.setAttribute('aria-hidden', 'true');
    li.append(canvas, document.createTextNode(text));
    legend.append(li);
    return li;
  };
  const states = new Map();
  for (const l of state.layers) {
    if (!state.visible[l.id]) continue;
    item(drawIcon(l.look.icon, l.look.color, 36), l.title);
    if (l.look.stateField) {
      const fd = l.fields.find((f) => f.name === l.look.stateField);
      const key = fd.title || fd.name;
      const vals = states.get(key) || [];
      for (const v of l.enums[fd.name]) if (STATE_COLORS[v] && !vals.includes(v)) vals.push(v);
      states.set(key, vals);
    }
  }
  for (const [title, vals] of states) {
    const h = document.createElement('li');
    h.className = 'legend-head';
    h.textContent = title + ' (ring around a symbol):';
    legend.append(h);
    for (const v of vals) item(drawIcon('ring', STATE_COLORS[v], 36), v.replace(/_/g, ' '), 'state').dataset.value = v;
  }
  for (const l of state.boundary) {
    const c = document.createElement('canvas');
    c.width = c.height = 36;
    const g = c.getContext('2d');
    g.strokeStyle = '#7a5230'; g.lineWidth = 4; g.setLineDash([8, 4]); g.strokeRect(3, 3, 30, 30);
    item(c, l.title);
  }
  if (state.base.some((l) => /LineString/.test(l.geometry))) {
    const c = document.createElement('canvas');
    c.width = c.height = 36;
    const g = c.getContext('2d');
    g.strokeStyle = '#b9b3a6'; g.lineWidth = 12; g.beginPath(); g.moveTo(0, 18); g.lineTo(36, 18); g.stroke();
    g.strokeStyle = '#fde7a6'; g.lineWidth = 8; g.stroke();
    item(c, 'Streets (arterials yellow)');
  }
}
