// API client: every URL the map asks for, relative to the page's <base>,
// so the map works at / and /map/ and behind a path prefix.
export const root = new URL('.', document.baseURI).href;
export const url = (p) => root + p;
export const collPath = (id) => 'collections/' + encodeURIComponent(id);

export async function getJSON(p, opts) {
  const r = await fetch(p.startsWith('http') ? p : url(p), opts);
  if (!r.ok) {
    let detail = r.statusText;
    try { detail = (await r.json()).detail || detail; } catch (e) { /* not JSON */ }
    throw new Error(p + ': ' + r.status + ' ' + detail);
  }
  return r.json();
}

const qs = (params) => {
  const s = new URLSearchParams(params).toString();
  return s ? '?' + s : '';
};

export const stats = (id, params) => getJSON(collPath(id) + '/stats' + qs(params));
export const items = (id, params) => getJSON(collPath(id) + '/items' + qs(params));
export const feature = (id, fid) => getJSON(collPath(id) + '/items/' + encodeURIComponent(fid));
export const queryables = (id) => getJSON(collPath(id) + '/queryables');
export const search = (q) => getJSON('search' + qs({ q, limit: '12' }));

// count POSTs an area (a GeoJSON Polygon) to /count, or GETs a circle
// (params lon, lat, radius), for the asset layers named, with their filters.
export function count(area, params) {
  if (area) {
    return getJSON('count' + qs(params), {
      method: 'POST', headers: { 'Content-Type': 'application/geo+json' },
      body: JSON.stringify({ type: 'Feature', properties: {}, geometry: area }),
    });
  }
  return getJSON('count' + qs(params));
}

export function tileURL(id, params) {
  return url(collPath(id) + '/tiles/WebMercatorQuad/{z}/{y}/{x}') + qs(params);
}

// download reads a layer's whole-layer download (no page limit) for a query.
export const download = (id, params) => getJSON(collPath(id) + '/download' + qs(params));
