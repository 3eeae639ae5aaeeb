// An asset's history (GET …/items/{id}/history): every version, oldest
// first, with its operation, time and actor, and what it changed from the
// version before it (properties, and whether the geometry moved).
import { esc } from './state.js';
import * as api from './api.js';
import { sameValue } from './form.js';

const show = (v) => (v === undefined || v === null ? '—' : String(v));

function diff(prev, cur, titles) {
  if (!cur) return '<p class="hint">Content not kept for this version.</p>';
  const a = (prev && prev.properties) || {};
  const b = cur.properties || {};
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !sameValue(a[k], b[k]));
  const rows = keys.map((k) => '<tr data-field="' + esc(k) + '"><th scope="row">' + esc(titles[k] || k) + '</th><td>' +
    (prev ? '<del>' + esc(show(a[k])) + '</del> → ' : '') + '<ins>' + esc(show(b[k])) + '</ins></td></tr>').join('');
  const moved = prev && JSON.stringify(prev.geometry) !== JSON.stringify(cur.geometry);
  return (rows ? '<table>' + rows + '</table>' : '') + (moved ? '<p class="moved">Geometry changed.</p>' : '') +
    (!rows && !moved && prev ? '<p class="hint">No change of content.</p>' : '');
}

// render fills el with the history of feature fid of layer l; it answers
// the versions (the API's), or throws with the API's message.
export async function render(el, l, fid) {
  el.innerHTML = '<p>Reading the history…</p>';
  const r = await api.history(l.id, fid);
  if (!r.ok) throw new Error((r.body && r.body.detail) || 'status ' + r.status);
  const titles = {};
  for (const f of l.fields) titles[f.name] = f.title || f.name;
  const vs = r.body.versions || [];
  let prev = null;
  const items = vs.map((v) => {
    const when = new Date(v.time);
    const li = '<li class="version" data-version="' + v.version + '" data-op="' + esc(v.op) + '"><div class="vhead"><b>Version ' + v.version + '</b> · ' + esc(v.op) +
      ' · <time datetime="' + esc(v.time) + '">' + esc(when.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' })) + '</time> · ' + esc(v.actor || 'unknown') + '</div>' +
      (v.op === 'delete' ? '' : diff(prev, v.feature, titles)) + '</li>';
    prev = v.feature;
    return li;
  });
  const more = (r.body.links || []).some((x) => x.rel === 'next') ? '<p class="hint">Later versions follow: see the API’s next link.</p>' : '';
  el.innerHTML = '<h4>History</h4>' + (items.length ? '<ol class="history">' + items.join('') + '</ol>' : '<p>No recorded versions.</p>') + more;
  return vs;
}
