// Clicks on the map: an asset's attributes, a cluster zooms in, and any
// polygon (a park, a neighbourhood, the city limits, a district) offers
// to count the assets inside it.
import { state, ca, esc, layerOf } from './state.js';
import * as api from './api.js';
import { centroid } from './geo.js';
import { drawing, countArea } from './draw.js';

let popup = null;
let assetHandler = null; // edit.js's: opens the editor instead of the popup

// onAsset sets fn(collection, id), asked first on a click on an asset; it
// answers true when it took the click.
export function onAsset(fn) { assetHandler = fn; }

export function showPopup(lngLat, html, attrs) {
  if (popup) popup.remove();
  popup = new maplibregl.Popup({ maxWidth: '340px', focusAfterOpen: false }).setLngLat(lngLat).setHTML('<div class="popup">' + html + '</div>').addTo(ca.map);
  const el = popup.getElement();
  const close = el.querySelector('.maplibregl-popup-close-button');
  if (close) close.focus({ preventScroll: true });
  for (const k in attrs || {}) el.dataset[k] = attrs[k];
  el.setAttribute('role', 'dialog');
  el.setAttribute('aria-label', attrs && attrs.title ? attrs.title : 'Asset details');
  return popup;
}

export const closePopup = () => { if (popup) popup.remove(); };

// titleOf is a feature's name: the first property that looks like one.
export function titleOf(l, p, id) {
  const k = Object.keys(p).find((k) => /name|title|label/.test(k) && typeof p[k] === 'string' && p[k]);
  return k ? p[k] : (l ? l.title : '') + ' ' + id;
}

export async function featurePopup(collection, feature, lngLat) {
  const l = layerOf(collection);
  const p = feature.properties || {};
  const title = titleOf(l, p, feature.id);
  const titles = {};
  for (const f of (l && l.fields) || []) titles[f.name] = f.title;
  const rows = Object.keys(p).filter((k) => p[k] !== undefined && p[k] !== null)
    .map((k) => '<tr><th scope="row">' + esc(titles[k] || k) + '</th><td>' + esc(p[k]) + '</td></tr>').join('');
  const poly = feature.geometry && /Polygon/.test(feature.geometry.type);
  const html = '<h3>' + esc(title) + '</h3><p>' + esc(l ? l.title : collection) + ' · id ' + feature.id + '</p>' +
    (poly ? '<p><button type="button" class="count-inside">Count assets inside</button></p>' : '') + '<table>' + rows + '</table>' +
    '<p><a href="' + api.url(api.collPath(collection) + '/items/' + feature.id + '?f=html') + '" target="_blank" rel="noopener">Open the record</a></p>';
  const pop = showPopup(lngLat, html, { collection, featureId: String(feature.id), title });
  const btn = pop.getElement().querySelector('.count-inside');
  if (btn) {
    btn.addEventListener('click', () => {
      pop.remove();
      countArea({ poly: feature.geometry, label: title, feature: { collection, id: feature.id } });
    });
  }
}

export async function openFeature(collection, id, lngLat) {
  try {
    const f = await api.feature(collection, id);
    await featurePopup(collection, f, lngLat || centroid(f.geometry));
  } catch (e) {
    console.error('popup:', e.message);
  }
}

export function interactiveLayers() {
  const out = [];
  for (const l of state.layers) if (state.visible[l.id]) out.push(...l.mapLayers.filter((id) => !id.endsWith('-count') && !id.endsWith('-state')));
  for (const l of [...state.base, ...state.boundary]) {
    if (state.visible[l.id] === false) continue;
    out.push(...(l.mapLayers || []).filter((id) => id.endsWith('-fill')));
  }
  return out;
}

const rank = (f) => (f.geometry.type === 'Point' ? 0 : /Line/.test(f.geometry.type) ? 1 : f.layer.id.startsWith('L-') ? 2 : 3);

export function onClick(e) {
  if (drawing()) return;
  const hits = ca.map.queryRenderedFeatures(e.point, { layers: interactiveLayers() });
  if (!hits.length) return;
  // Points over lines over asset polygons over base polygons and the limits.
  hits.sort((a, b) => rank(a) - rank(b));
  const f = hits[0];
  if (f.layer.id.startsWith('boundary-')) {
    const id = f.layer.id.slice('boundary-'.length, -'-fill'.length);
    featurePopup(id, { id: f.id, properties: f.properties, geometry: f.geometry }, e.lngLat);
    return;
  }
  const coll = f.layer['source-layer'];
  const l = layerOf(coll);
  if (f.properties.cluster) {
    const n = f.properties.point_count;
    ca.map.easeTo({ center: f.geometry.coordinates, zoom: Math.min(ca.map.getZoom() + 2, 18) });
    ca.lastClusterClick = { collection: coll, count: n };
    return;
  }
  if (assetHandler && assetHandler(coll, f.id)) return;
  openFeature(coll, f.id, f.geometry.type === 'Point' ? f.geometry.coordinates : e.lngLat);
  void l;
}
