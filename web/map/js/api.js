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

// The API key of the signed-in user (session.js sets it): sent as
// Authorization: Bearer on the requests below, never put in a URL.
let key = null;
export const setKey = (k) => { key = k || null; };

export const featurePath = (id, fid) => collPath(id) + '/items/' + encodeURIComponent(fid);

// send makes a request with the key, if any, and a JSON body, if given.
// It answers {ok, status, etag, body} (body: the parsed JSON answer or
// null) whatever the status; only a network failure throws.
export async function send(method, p, body, headers) {
  const h = Object.assign({ Accept: 'application/geo+json, application/json;q=0.9, application/problem+json;q=0.8' }, headers);
  if (key) h.Authorization = 'Bearer ' + key;
  const r = await fetch(url(p), { method, headers: h, cache: 'no-store', body: body === undefined ? undefined : JSON.stringify(body) });
  let data = null;
  const text = await r.text();
  if (text) {
    try { data = JSON.parse(text); } catch (e) { data = { detail: text.slice(0, 200) }; }
  }
  return { ok: r.ok, status: r.status, etag: r.headers.get('ETag'), body: data };
}

export const whoami = () => send('GET', 'whoami');
export const readFeature = (id, fid) => send('GET', featurePath(id, fid));
export const history = (id, fid) => send('GET', featurePath(id, fid) + '/history');
export const createFeature = (id, f) => send('POST', collPath(id) + '/items', f, { 'Content-Type': 'application/geo+json' });
// patchFeature sends a JSON Merge Patch (null removes) for the version etag.
export const patchFeature = (id, fid, patch, etag) => send('PATCH', featurePath(id, fid), patch, { 'Content-Type': 'application/merge-patch+json', 'If-Match': etag });
export const deleteFeature = (id, fid, etag) => send('DELETE', featurePath(id, fid), undefined, { 'If-Match': etag });
