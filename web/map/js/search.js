// Search: the server's /search answers (layers, assets, streets and
// intersections, one result per place) in a list under the box; choosing
// one goes there.
import { state, ca, $, esc, announce, layerOf, writeHash } from './state.js';
import * as api from './api.js';
import { openFeature, showPopup } from './popup.js';
import { setVisible } from './maplayers.js';

function hideHits() {
  const old = document.querySelector('.search-hits');
  if (old) old.remove();
}

function show(l) {
  if (!l || state.visible[l.id]) return;
  const cb = document.querySelector('li[data-layer="' + l.id + '"] input[type=checkbox]');
  if (cb) cb.checked = true;
  setVisible(l, true);
  writeHash();
}

export async function goTo(r) {
  hideHits();
  const map = ca.map;
  const l = layerOf(r.collection);
  show(l);
  const b = r.bbox;
  if (r.kind === 'layer' || (b[2] - b[0] > 1e-5 || b[3] - b[1] > 1e-5)) map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 60, maxZoom: 18, duration: 0 });
  else map.jumpTo({ center: r.point, zoom: Math.max(map.getZoom(), 17) });
  if (r.kind === 'feature' && r.count === 1) await openFeature(r.collection, r.id, r.point);
  else if (r.kind === 'feature') {
    showPopup(r.point, '<h3>' + esc(r.title) + '</h3><p>' + esc(r.description) + '</p><ul class="group">' +
      r.ids.map((id) => '<li><button type="button" data-id="' + id + '">' + esc(r.layer) + ' ' + id + '</button></li>').join('') + '</ul>',
    { collection: r.collection, group: String(r.count), title: r.title });
    for (const btn of document.querySelectorAll('.maplibregl-popup .group button')) btn.addEventListener('click', () => openFeature(r.collection, btn.dataset.id, r.point));
  } else if (r.kind === 'intersection' || r.kind === 'street') {
    showPopup(r.point, '<h3>' + esc(r.title) + '</h3><p>' + esc(r.description) + '</p>', { kind: r.kind, title: r.title });
  }
  announce('Showing ' + r.title);
}

export async function search(q) {
  q = q.trim();
  hideHits();
  if (!q) return [];
  const res = await api.search(q);
  ca.lastSearch = res;
  const hits = res.results;
  const ul = document.createElement('ul');
  ul.className = 'search-hits';
  ul.setAttribute('aria-label', 'Search results');
  if (!hits.length) {
    ul.innerHTML = '<li><button type="button">Nothing found for “' + esc(q) + '”</button></li>';
    ul.querySelector('button').addEventListener('click', hideHits);
    $('main').append(ul);
    announce('Nothing found for “' + q + '”.');
    return hits;
  }
  for (const h of hits) {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    b.dataset.kind = h.kind;
    b.dataset.collection = h.collection || '';
    b.innerHTML = '<span class="hit-title">' + esc(h.title) + '</span> <span class="hit-layer">' + esc(h.kind === 'layer' ? 'layer' : h.layer) + '</span><br><span class="hit-desc">' + esc(h.description) + '</span>';
    b.addEventListener('click', () => goTo(h));
    li.append(b);
    ul.append(li);
  }
  $('main').append(ul);
  announce(hits.length + ' results; choose one from the list.');
  ul.querySelector('button').focus();
  return hits;
}

export function install() {
  $('#search').addEventListener('submit', (e) => { e.preventDefault(); search($('#search-input').value).catch((err) => console.error('search:', err.message)); });
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape') hideHits(); });
}
