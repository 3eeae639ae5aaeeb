// Editing on the map, for a signed-in editor (session.js): a click on an
// asset of a layer the key may write opens its attribute form (form.js) in
// the editor pane; Save sends a JSON Merge Patch with If-Match. A point is
// moved by dragging it (Terra Draw's select mode, sketch.js), a line or a
// polygon reshaped; a new asset is drawn by its layer's geometry type,
// then described in the form and POSTed; Delete asks first. A 412 (someone
// else changed the asset meanwhile) shows both versions and lets the user
// choose: nothing is overwritten without being asked. History lists the
// asset's versions (history.js).
import { state, ca, $, esc, announce, layerOf } from './state.js';
import * as api from './api.js';
import * as form from './form.js';
import * as history from './history.js';
import * as session from './session.js';
import * as sketch from './sketch.js';
import { refilter } from './maplayers.js';
import { refreshCounts } from './panel.js';
import { titleOf, closePopup } from './popup.js';

// cur is the asset in the editor: its layer, id (null for a new one), the
// feature as last read and its ETag, the geometry to save, and the Terra
// Draw id of its geometry while it is being moved.
let cur = null;
let adding = null; // the layer of the asset being drawn

const body = () => $('#editor-body');
const msg = (text, kind) => {
  const m = $('#editor-msg');
  m.textContent = text || '';
  m.className = kind || '';
};

const versionOf = (etag) => (/^"\d+-(\d+)-/.exec(etag || '') || [])[1] || '?';

// single is a multi-geometry of one part as that part (Terra Draw edits
// simple geometries); asLayer wraps a simple one for a multi layer.
function single(g) {
  if (g && /^Multi/.test(g.type) && g.coordinates.length === 1) return { type: g.type.slice(5), coordinates: g.coordinates[0] };
  return g;
}
function asLayer(g, l) {
  if (g && /^Multi/.test(l.geometry) && !/^Multi/.test(g.type)) return { type: 'Multi' + g.type, coordinates: [g.coordinates] };
  return g;
}

// The asset being moved is hidden from the layer's tiles, so that only its
// draggable copy shows.
let hidden = null; // {l, filters: {mapLayer: filter}}
function hide(l, id) {
  unhide();
  hidden = { l, filters: {} };
  for (const ml of l.mapLayers) {
    const f = ca.map.getFilter(ml);
    hidden.filters[ml] = f;
    ca.map.setFilter(ml, f ? ['all', f, ['!=', ['id'], id]] : ['!=', ['id'], id]);
  }
}
function unhide() {
  if (!hidden) return;
  for (const [ml, f] of Object.entries(hidden.filters)) ca.map.setFilter(ml, f || null);
  hidden = null;
}

function stopSketch() {
  if (cur && cur.tdId) {
    const g = sketch.geometry(cur.tdId);
    if (g) cur.geometry = asLayer(g, cur.l);
  }
  if (cur) cur.tdId = null;
  if (sketch.mode()) sketch.stop();
  unhide();
}

function pane(title, sub) {
  const p = $('#editor');
  p.hidden = false;
  $('#editor-title').textContent = title;
  $('#editor-sub').textContent = sub || '';
  msg('');
}

// close ends the editing of the asset (unsaved changes are dropped).
export function close() {
  stopSketch();
  cur = null;
  $('#editor').hidden = true;
  body().innerHTML = '';
  ca.editVersion++;
}

// open reads an asset and shows its form.
export async function open(collection, id) {
  const l = layerOf(collection);
  closePopup();
  stopSketch();
  cur = null;
  pane('Reading…');
  body().innerHTML = '';
  const r = await api.readFeature(collection, id);
  if (!r.ok) { msg('Could not read the asset: ' + ((r.body && r.body.detail) || r.status), 'error'); return; }
  cur = { l, id: r.body.id, feature: r.body, etag: r.etag, geometry: r.body.geometry, tdId: null };
  showForm(r.body.properties || {});
  reveal(single(r.body.geometry));
}

// reveal pans the map, at once, so that a point is in the middle of the
// part of the map the pane leaves free (and can be dragged there).
function reveal(g) {
  if (!g || g.type !== 'Point') return;
  const p = $('#editor').getBoundingClientRect();
  const m = ca.map.getContainer().getBoundingClientRect();
  const free = p.left - m.left; // the map's width left of the pane
  const at = ca.map.project(g.coordinates);
  if (free < 200 || (at.x > free * 0.2 && at.x < free * 0.8 && at.y > 40 && at.y < m.height - 40)) return;
  ca.map.panBy([at.x - free / 2, at.y - m.height / 2], { duration: 0 });
}

// showForm shows the attribute form of cur with the values given.
function showForm(values) {
  const { l } = cur;
  const isNew = cur.id === null;
  const title = isNew ? 'New: ' + l.title : titleOf(l, cur.feature.properties || {}, cur.id);
  pane(title, isNew ? 'Drag it into place if need be, fill in what you know, then Add.' : l.title + ' · id ' + cur.id + ' · version ' + versionOf(cur.etag));
  const geomBtn = isNew ? '' : '<button type="button" id="edit-move" aria-pressed="false">' + (/Point/.test(l.geometry) ? 'Move' : 'Reshape') + '</button>';
  body().innerHTML = '<form id="edit-form" novalidate>' + form.html(l, values) +
    '<div class="edit-actions"><button type="submit" id="edit-save" class="primary">' + (isNew ? 'Add' : 'Save') + '</button>' + geomBtn +
    (isNew ? '<button type="button" id="edit-cancel">Cancel</button>' : '<button type="button" id="edit-history">History</button><button type="button" id="edit-delete" class="danger">Delete</button>') +
    '</div></form>';
  const f = $('#edit-form');
  f.addEventListener('submit', (e) => { e.preventDefault(); save(); });
  if (isNew) $('#edit-cancel').addEventListener('click', () => { close(); announce('The new asset was discarded.'); });
  else {
    $('#edit-move').addEventListener('click', toggleMove);
    $('#edit-history').addEventListener('click', showHistory);
    $('#edit-delete').addEventListener('click', confirmDelete);
  }
  ca.editVersion++;
}

function toggleMove() {
  const btn = $('#edit-move');
  if (cur.tdId) {
    stopSketch();
    btn.setAttribute('aria-pressed', 'false');
    msg(JSON.stringify(cur.geometry) !== JSON.stringify(cur.feature.geometry) ? 'Moved: Save to keep the new place.' : '');
    return;
  }
  startMove();
  if (cur.tdId) {
    btn.setAttribute('aria-pressed', 'true');
    msg(/Point/.test(cur.l.geometry) ? 'Drag the point to its new place, then Save.' : 'Drag the shape or its corners, then Save.');
  }
}

// startMove puts cur's geometry in Terra Draw, selected and draggable.
function startMove() {
  const id = sketch.edit(single(cur.geometry), () => {
    msg('Moved: Save to keep the new place.');
    ca.editVersion++;
  });
  if (!id) { msg('This geometry cannot be changed on the map (several parts).', 'error'); return; }
  cur.tdId = id;
  if (cur.id !== null) hide(cur.l, cur.id);
}

// afterWrite shows a write on the map at once: the layer's tiles are read
// again (their ETag changed) and the counts follow.
function afterWrite(l) {
  refilter(l);
  refreshCounts().catch((e) => console.error('counts:', e.message));
}

async function save() {
  const f = $('#edit-form');
  const vals = form.values(f, cur.l);
  form.clearProblems(f);
  stopSketch();
  const moveBtn = $('#edit-move');
  if (moveBtn) moveBtn.setAttribute('aria-pressed', 'false');
  if (cur.id === null) return create(f, vals);
  const patch = {};
  const props = form.changes(cur.feature.properties || {}, vals);
  if (Object.keys(props).length) patch.properties = props;
  if (JSON.stringify(cur.geometry) !== JSON.stringify(cur.feature.geometry)) patch.geometry = cur.geometry;
  if (!Object.keys(patch).length) { msg('Nothing to save: no change.'); return; }
  msg('Saving…');
  const r = await api.patchFeature(cur.l.id, cur.id, patch, cur.etag);
  if (r.status === 412) return conflict({ properties: Object.assign({}, cur.feature.properties, vals), geometry: cur.geometry });
  if (!r.ok) return refused(f, r);
  saved(r, 'Saved: version ' + versionOf(r.etag) + '.');
}

async function create(f, vals) {
  const props = {};
  for (const [k, v] of Object.entries(vals)) if (v !== null) props[k] = v;
  msg('Adding…');
  const r = await api.createFeature(cur.l.id, { type: 'Feature', geometry: cur.geometry, properties: props });
  if (!r.ok) {
    startMove(); // the new asset stays on the map, draggable
    return refused(f, r);
  }
  saved(r, 'Added as id ' + r.body.id + '.');
}

function saved(r, text) {
  cur.id = r.body.id;
  cur.feature = r.body;
  cur.etag = r.etag;
  cur.geometry = r.body.geometry;
  showForm(r.body.properties || {});
  msg(text, 'ok');
  announce(text);
  afterWrite(cur.l);
}

// refused shows why the API refused a write: next to the field it names,
// else in the pane's message.
function refused(f, r) {
  const p = r.body || {};
  if (r.status === 401) { session.signOut('Your key is no longer valid: signed out.'); return; }
  if (r.status === 403) { msg('Your key may not change this layer: ' + (p.detail || ''), 'error'); return; }
  if (r.status === 404) { msg('This asset is gone: someone deleted it.', 'error'); return; }
  const onField = form.showProblem(f, p, $('#editor-msg'));
  $('#editor-msg').className = 'error';
  if (onField) msg('Not saved: see ' + (p.field || 'the form') + '.', 'error');
}

// conflict: the asset changed since it was read. It shows theirs (as
// stored now) beside yours (what the form holds) and lets the user keep
// theirs or save theirs over with yours.
async function conflict(mine) {
  const r = await api.readFeature(cur.l.id, cur.id);
  if (r.status === 404) { msg('Someone else deleted this asset meanwhile; your changes were not saved.', 'error'); return; }
  if (!r.ok) { msg('Could not read the asset again: ' + r.status, 'error'); return; }
  const theirs = r.body;
  const base = cur.feature;
  const rows = compare(base, theirs, mine);
  pane('Someone else changed this asset', cur.l.title + ' · id ' + cur.id + ': you edited version ' + versionOf(cur.etag) + ', it is now at version ' + versionOf(r.etag) + '.');
  body().innerHTML = '<div id="conflict" class="conflict" role="alert"><p>Your changes are not saved. Here are both versions; choose which one to keep.</p>' +
    '<table><thead><tr><th>Field</th><th>Theirs (saved)</th><th>Yours</th></tr></thead><tbody>' + rows + '</tbody></table>' +
    '<div class="edit-actions"><button type="button" id="conflict-theirs">Keep theirs</button><button type="button" id="conflict-mine" class="primary">Save mine over theirs</button></div></div>';
  $('#conflict-theirs').addEventListener('click', () => {
    cur.feature = theirs;
    cur.etag = r.etag;
    cur.geometry = theirs.geometry;
    showForm(theirs.properties || {});
    msg('Kept their version; your changes were dropped.', 'ok');
    afterWrite(cur.l);
  });
  $('#conflict-mine').addEventListener('click', async () => {
    const patch = {};
    const props = form.changes(theirs.properties || {}, mine.properties);
    if (Object.keys(props).length) patch.properties = props;
    if (JSON.stringify(mine.geometry) !== JSON.stringify(theirs.geometry)) patch.geometry = mine.geometry;
    cur.feature = theirs;
    cur.etag = r.etag;
    if (!Object.keys(patch).length) { showForm(theirs.properties || {}); msg('Theirs is the same as yours.', 'ok'); return; }
    const w = await api.patchFeature(cur.l.id, cur.id, patch, r.etag);
    if (w.status === 412) return conflict(mine);
    if (!w.ok) { showForm(mine.properties); return refused($('#edit-form'), w); }
    saved(w, 'Saved yours over theirs: version ' + versionOf(w.etag) + '.');
  });
  $('#conflict-mine').focus();
  announce('Someone else changed this asset. Both versions are shown.');
  ca.editVersion++;
}

// compare lists the fields (and the geometry) where theirs and mine
// differ, marking who changed each from the version read (base).
function compare(base, theirs, mine) {
  const bp = base.properties || {};
  const tp = theirs.properties || {};
  const show = (v) => (v === undefined || v === null ? '—' : esc(v));
  let rows = '';
  for (const f of form.ordered(cur.l)) {
    const t = tp[f.name];
    const m = mine.properties[f.name];
    if (form.sameValue(t, m)) continue;
    const cls = [!form.sameValue(bp[f.name], t) ? 'theirs-changed' : '', !form.sameValue(bp[f.name], m) ? 'mine-changed' : ''].join(' ').trim();
    rows += '<tr data-field="' + esc(f.name) + '" class="' + cls + '"><th scope="row">' + esc(f.title || f.name) + '</th><td class="theirs">' + show(t) + '</td><td class="mine">' + show(m) + '</td></tr>';
  }
  if (JSON.stringify(theirs.geometry) !== JSON.stringify(mine.geometry)) {
    const where = (g) => (g && g.type === 'Point' ? g.coordinates.map((v) => v.toFixed(6)).join(', ') : g ? g.type : '—');
    rows += '<tr data-field="geometry"><th scope="row">Place</th><td class="theirs">' + esc(where(theirs.geometry)) + '</td><td class="mine">' + esc(where(mine.geometry)) + '</td></tr>';
  }
  return rows || '<tr><td colspan="3">Their changes and yours are the same.</td></tr>';
}

function confirmDelete() {
  stopSketch();
  const name = titleOf(cur.l, cur.feature.properties || {}, cur.id);
  body().innerHTML = '<div id="delete-confirm" class="confirm" role="alertdialog" aria-labelledby="delete-q"><p id="delete-q">Delete “' + esc(name) + '” from ' + esc(cur.l.title) +
    '? Its history is kept.</p><div class="edit-actions"><button type="button" id="delete-yes" class="danger">Delete</button><button type="button" id="delete-no">Keep it</button></div></div>';
  $('#delete-no').addEventListener('click', () => showForm(cur.feature.properties || {}));
  $('#delete-yes').addEventListener('click', () => remove(cur.etag));
  $('#delete-no').focus();
  ca.editVersion++;
}

async function remove(etag) {
  const r = await api.deleteFeature(cur.l.id, cur.id, etag);
  if (r.status === 412) return deleteConflict();
  if (!r.ok) { showForm(cur.feature.properties || {}); return refused($('#edit-form'), r); }
  const l = cur.l;
  const text = l.title + ' id ' + cur.id + ' deleted.';
  close();
  announce(text);
  afterWrite(l);
}

// deleteConflict: the asset changed since it was read; show what changed
// and ask again.
async function deleteConflict() {
  const r = await api.readFeature(cur.l.id, cur.id);
  if (!r.ok) { close(); announce('The asset was deleted meanwhile.'); return; }
  const rows = compare(cur.feature, r.body, { properties: cur.feature.properties || {}, geometry: cur.feature.geometry });
  pane('Someone else changed this asset', 'You read version ' + versionOf(cur.etag) + '; it is now at version ' + versionOf(r.etag) + '.');
  body().innerHTML = '<div id="conflict" class="conflict" role="alert"><p>It was not deleted. Their version, and the one you saw:</p><table><thead><tr><th>Field</th><th>Theirs (saved)</th><th>You saw</th></tr></thead><tbody>' + rows +
    '</tbody></table><div class="edit-actions"><button type="button" id="conflict-delete" class="danger">Delete it anyway</button><button type="button" id="conflict-theirs">Keep theirs</button></div></div>';
  cur.feature = r.body;
  cur.etag = r.etag;
  $('#conflict-delete').addEventListener('click', () => remove(r.etag));
  $('#conflict-theirs').addEventListener('click', () => { showForm(r.body.properties || {}); afterWrite(cur.l); });
  ca.editVersion++;
}

async function showHistory() {
  stopSketch();
  body().innerHTML = '<div id="edit-history-list"></div><div class="edit-actions"><button type="button" id="history-back">Back to the form</button></div>';
  $('#history-back').addEventListener('click', () => showForm(cur.feature.properties || {}));
  try {
    await history.render($('#edit-history-list'), cur.l, cur.id);
  } catch (e) {
    msg('Could not read the history: ' + e.message, 'error');
  }
  ca.editVersion++;
}

// startAdd draws a new asset of layer l by its geometry type; when it is
// drawn, the form opens for it.
function startAdd(l) {
  close();
  adding = l;
  $('#add-draw').setAttribute('aria-pressed', 'true');
  const kind = /Polygon/.test(l.geometry) ? 'polygon' : /LineString/.test(l.geometry) ? 'line' : 'point';
  $('#add-help').textContent = { point: 'Click where it is.', line: 'Click each vertex; click the last one again to finish.', polygon: 'Click the corners; click the first one again to finish.' }[kind] + ' Escape cancels.';
  sketch.start('new-' + kind, (f) => {
    stopAdd();
    cur = { l, id: null, feature: { properties: {}, geometry: null }, etag: null, geometry: asLayer(f.geometry, l), tdId: null };
    startMove();
    showForm({});
    const first = $('#edit-form input, #edit-form select');
    if (first) first.focus();
  });
  announce('Adding to ' + l.title + ': ' + $('#add-help').textContent);
}

function stopAdd() {
  adding = null;
  $('#add-draw').setAttribute('aria-pressed', 'false');
  $('#add-help').textContent = '';
}

// writable lists the asset layers the signed-in key may write.
const writable = () => state.layers.filter((l) => session.canWrite(l.id));

function sessionChanged() {
  if (adding) { stopAdd(); sketch.stop(); }
  if (cur && !session.canWrite(cur.l.id)) close();
  const ls = writable();
  $('#edit-section').hidden = !ls.length;
  $('#add-layer').innerHTML = ls.map((l) => '<option value="' + esc(l.id) + '">' + esc(l.title) + ' (' + esc(l.geometry) + ')</option>').join('');
  ca.editVersion++;
}

// onAsset is popup.js's hook for a click on an asset: it opens the editor
// when the key may write the layer, and answers whether it did.
export function onAsset(collection, id) {
  if (!session.canWrite(collection)) return false;
  open(collection, id);
  return true;
}

export function install() {
  $('#edit-close').addEventListener('click', close);
  $('#add-draw').addEventListener('click', () => {
    if (adding) { stopAdd(); sketch.stop(); return; }
    const l = layerOf($('#add-layer').value);
    if (l) startAdd(l);
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && adding) { stopAdd(); sketch.stop(); announce('Adding cancelled.'); }
  });
  ca.editVersion = 0;
  session.onChange(sessionChanged);
  sessionChanged();
  ca.editing = () => (cur ? { collection: cur.l.id, id: cur.id, etag: cur.etag, moving: !!cur.tdId } : null);
}
