// cityatlas web map: MapLibre GL JS drawing cityatlas's vector tiles, with
// a layer panel (toggles, live counts, counts in view, one attribute filter
// per layer), click popups, search, area counts with GeoJSON downloads and
// the view in the URL. Every URL is relative to the page's <base>, so the
// map works at / and /map/, and behind a path prefix.
(function () {
  'use strict';

  const root = new URL('.', document.baseURI).href;
  const api = (p) => root + p;
  const $ = (sel) => document.querySelector(sel);

  // Styles of the known layers; other collections get a colour from the
  // palette and a plain circle, line or fill.
  const KNOWN = {
    stop_signs: { color: '#c8102e', icon: 'stop' },
    traffic_signals: { color: '#2b2b2b', icon: 'signal' },
    parks: { color: '#2e8b3d' },
    wifi_towers: { color: '#1565c0', icon: 'wifi' },
  };
  const PALETTE = ['#8e24aa', '#ef6c00', '#00897b', '#6d4c41', '#3949ab', '#c0ca33'];

  const state = {
    layers: [], // {id, title, geometry, filterField, filterValues, fields, bbox}
    visible: {}, // id → bool
    filters: {}, // id → value ('' for all)
    counts: {}, // id → {total, inView}
    area: null, // drawn polygon (GeoJSON Polygon)
    areaCounts: null,
  };
  const ca = (window.cityatlas = { state, map: null, ready: null, countsVersion: 0 });

  function announce(text) {
    $('#status').textContent = text;
  }

  async function getJSON(url, opts) {
    const r = await fetch(url, opts);
    if (!r.ok) {
      let detail = r.statusText;
      try { detail = (await r.json()).detail || detail; } catch (e) { /* not JSON */ }
      throw new Error(url + ': ' + r.status + ' ' + detail);
    }
    return r.json();
  }

  function esc(s) {
    return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  }

  function fmt(n) {
    return typeof n === 'number' ? n.toLocaleString('en-US') : '…';
  }

  // ---- icons, drawn on a canvas so that nothing is fetched -------------

  function drawIcon(kind, color, px) {
    const c = document.createElement('canvas');
    c.width = c.height = px;
    const g = c.getContext('2d');
    const m = px / 2;
    if (kind === 'stop') {
      const r = m - 1;
      g.beginPath();
      for (let i = 0; i < 8; i++) {
        const a = Math.PI / 8 + (i * Math.PI) / 4;
        g.lineTo(m + r * Math.cos(a), m + r * Math.sin(a));
      }
      g.closePath();
      g.fillStyle = '#fff';
      g.fill();
      g.beginPath();
      for (let i = 0; i < 8; i++) {
        const a = Math.PI / 8 + (i * Math.PI) / 4;
        g.lineTo(m + (r - px * 0.08) * Math.cos(a), m + (r - px * 0.08) * Math.sin(a));
      }
      g.closePath();
      g.fillStyle = color;
      g.fill();
      g.fillStyle = '#fff';
      g.fillRect(px * 0.25, m - px * 0.06, px * 0.5, px * 0.12);
    } else if (kind === 'signal') {
      const w = px * 0.46;
      g.fillStyle = color;
      g.strokeStyle = '#fff';
      g.lineWidth = px * 0.06;
      g.beginPath();
      if (g.roundRect) g.roundRect(m - w / 2, 1, w, px - 2, px * 0.12); else g.rect(m - w / 2, 1, w, px - 2);
      g.fill();
      g.stroke();
      ['#e53935', '#fdd835', '#43a047'].forEach((col, i) => {
        g.beginPath();
        g.arc(m, px * (0.22 + 0.28 * i), px * 0.1, 0, 2 * Math.PI);
        g.fillStyle = col;
        g.fill();
      });
    } else if (kind === 'wifi') {
      g.beginPath();
      g.arc(m, m, m - 1, 0, 2 * Math.PI);
      g.fillStyle = color;
      g.fill();
      g.strokeStyle = '#fff';
      g.lineWidth = px * 0.08;
      g.lineCap = 'round';
      for (const r of [0.18, 0.32]) {
        g.beginPath();
        g.arc(m, m + px * 0.16, px * r, Math.PI * 1.25, Math.PI * 1.75);
        g.stroke();
      }
      g.beginPath();
      g.arc(m, m + px * 0.16, px * 0.05, 0, 2 * Math.PI);
      g.fillStyle = '#fff';
      g.fill();
    } else if (kind === 'fill') {
      g.fillStyle = color;
      g.globalAlpha = 0.55;
      g.fillRect(1, 1, px - 2, px - 2);
      g.globalAlpha = 1;
      g.strokeStyle = color;
      g.lineWidth = px * 0.1;
      g.strokeRect(1, 1, px - 2, px - 2);
    } else if (kind === 'line') {
      g.strokeStyle = color;
      g.lineWidth = px * 0.15;
      g.beginPath();
      g.moveTo(1, px - 1);
      g.lineTo(px - 1, 1);
      g.stroke();
    } else {
      g.beginPath();
      g.arc(m, m, m * 0.7, 0, 2 * Math.PI);
      g.fillStyle = color;
      g.fill();
      g.strokeStyle = '#fff';
      g.lineWidth = px * 0.1;
      g.stroke();
    }
    return c;
  }

  function layerLook(l, i) {
    const k = KNOWN[l.id] || {};
    const color = k.color || PALETTE[i % PALETTE.length];
    const poly = /Polygon/.test(l.geometry);
    const line = /LineString/.test(l.geometry);
    return { color, icon: k.icon || (poly ? 'fill' : line ? 'line' : 'dot'), poly, line, point: !poly && !line };
  }

  // ---- URL hash: #map=zoom/lat/lon&layers=a,b&filter=a:v;b:w ----------

  function readHash() {
    const h = new URLSearchParams(location.hash.slice(1));
    const out = {};
    const m = (h.get('map') || '').split('/').map(Number);
    if (m.length === 3 && m.every(Number.isFinite)) out.view = { zoom: m[0], center: [m[2], m[1]] };
    if (h.has('layers')) out.layers = h.get('layers').split(',').filter(Boolean);
    out.filters = {};
    for (const part of (h.get('filter') || '').split(';')) {
      const i = part.indexOf(':');
      if (i > 0) out.filters[part.slice(0, i)] = part.slice(i + 1);
    }
    return out;
  }

  function writeHash() {
    const map = ca.map;
    if (!map) return;
    const c = map.getCenter();
    const parts = ['map=' + map.getZoom().toFixed(2) + '/' + c.lat.toFixed(5) + '/' + c.lng.toFixed(5)];
    parts.push('layers=' + state.layers.filter((l) => state.visible[l.id]).map((l) => l.id).join(','));
    const f = state.layers.filter((l) => state.filters[l.id]).map((l) => l.id + ':' + encodeURIComponent(state.filters[l.id]));
    if (f.length) parts.push('filter=' + f.join(';'));
    history.replaceState(null, '', '#' + parts.join('&'));
  }

  // ---- style -----------------------------------------------------------

  function tileURL(l) {
    const v = state.filters[l.id];
    const q = v ? '?' + encodeURIComponent(l.filterField) + '=' + encodeURIComponent(v) : '';
    return api('collections/' + encodeURIComponent(l.id) + '/tiles/WebMercatorQuad/{z}/{y}/{x}') + q;
  }

  function offlineStyle() {
    return {
      version: 8,
      sources: {},
      layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#e9ece4' } }],
    };
  }

  async function baseStyle(conf) {
    const b = conf.basemap || {};
    let style = offlineStyle();
    let online = false;
    if (b.kind === 'style') {
      try {
        const ctl = new AbortController();
        const timer = setTimeout(() => ctl.abort(), 4000);
        style = await getJSON(b.url, { signal: ctl.signal });
        clearTimeout(timer);
        online = true;
      } catch (e) {
        console.warn('basemap style unavailable, using the offline basemap:', e.message);
        style = offlineStyle();
      }
    }
    style.sources = style.sources || {};
    style.layers = style.layers || [];
    if (b.kind === 'raster') {
      style.sources.basemap = { type: 'raster', tiles: [b.url], tileSize: 256, attribution: b.attribution || '' };
      style.layers.push({ id: 'basemap', type: 'raster', source: 'basemap' });
      online = true;
    }
    style.sources.boundary = {
      type: 'geojson', data: api('map/boundary.geojson'),
      attribution: 'Boundaries: us-atlas (ISC); data: cityatlas',
    };
    const under = online ? 0.25 : 1;
    style.layers.push(
      { id: 'county-fill', type: 'fill', source: 'boundary', filter: ['==', ['get', 'kind'], 'county'], paint: { 'fill-color': '#f3efe3', 'fill-opacity': under } },
      { id: 'city-fill', type: 'fill', source: 'boundary', filter: ['==', ['get', 'kind'], 'city'], paint: { 'fill-color': '#fffdf6', 'fill-opacity': under } },
      { id: 'county-line', type: 'line', source: 'boundary', filter: ['==', ['get', 'kind'], 'county'], paint: { 'line-color': '#8d8069', 'line-width': 1.5, 'line-dasharray': [4, 2] } },
      { id: 'city-line', type: 'line', source: 'boundary', filter: ['==', ['get', 'kind'], 'city'], paint: { 'line-color': '#7a5230', 'line-width': 2.5 } },
    );
    return style;
  }

  function addDataLayers(map) {
    state.layers.forEach((l, i) => {
      const look = layerLook(l, i);
      const src = 'c-' + l.id;
      map.addSource(src, { type: 'vector', tiles: [tileURL(l)], minzoom: 0, maxzoom: 20 });
      const vis = state.visible[l.id] ? 'visible' : 'none';
      const ids = [];
      const add = (spec) => {
        spec.source = src;
        spec['source-layer'] = l.id;
        spec.layout = Object.assign({}, spec.layout, { visibility: vis });
        map.addLayer(spec);
        ids.push(spec.id);
      };
      if (look.poly || l.geometry === 'Geometry') {
        add({ id: 'L-' + l.id + '-fill', type: 'fill', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': look.color, 'fill-opacity': 0.45 } });
        add({ id: 'L-' + l.id + '-outline', type: 'line', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'line-color': look.color, 'line-width': 1.5 } });
      }
      if (look.line || l.geometry === 'Geometry') {
        add({ id: 'L-' + l.id + '-line', type: 'line', filter: ['==', ['geometry-type'], 'LineString'], paint: { 'line-color': look.color, 'line-width': 3 } });
      }
      if (look.point || l.geometry === 'Geometry') {
        add({
          id: 'L-' + l.id + '-cluster', type: 'circle', filter: ['all', ['==', ['geometry-type'], 'Point'], ['has', 'cluster']],
          paint: {
            'circle-color': look.color, 'circle-opacity': 0.75, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5,
            'circle-radius': ['interpolate', ['linear'], ['sqrt', ['get', 'point_count']], 1, 6, 10, 16, 40, 30],
          },
        });
        const name = 'icon-' + l.id;
        const canvas = drawIcon(look.icon, look.color, 48);
        map.addImage(name, canvas.getContext('2d').getImageData(0, 0, 48, 48), { pixelRatio: 2 });
        add({
          id: 'L-' + l.id + '-point', type: 'symbol', filter: ['all', ['==', ['geometry-type'], 'Point'], ['!', ['has', 'cluster']]],
          layout: {
            'icon-image': name, 'icon-allow-overlap': true, 'icon-ignore-placement': true,
            'icon-size': ['interpolate', ['linear'], ['zoom'], 10, 0.45, 15, 0.75, 18, 1.1],
          },
        });
      }
      l.mapLayers = ids;
      l.look = look;
    });
  }

  // ---- layer panel and counts ------------------------------------------

  function buildPanel() {
    const ul = $('#layers');
    const legend = $('#legend');
    ul.innerHTML = '';
    legend.innerHTML = '';
    state.layers.forEach((l) => {
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
      cb.addEventListener('change', () => setVisible(l, cb.checked));
      const total = document.createElement('span');
      total.className = 'total';
      label.append(cb, sw, total);
      const counts = document.createElement('div');
      counts.className = 'counts';
      counts.innerHTML = '<span class="inview"></span>';
      li.append(label, counts);
      if (l.filterField) {
        const div = document.createElement('div');
        div.className = 'filter';
        const sel = document.createElement('select');
        sel.id = 'filter-' + l.id;
        const lab = document.createElement('label');
        lab.htmlFor = sel.id;
        lab.textContent = l.filterTitle + ':';
        sel.innerHTML = '<option value="">all</option>' + l.filterValues.map((v) => '<option value="' + esc(v) + '">' + esc(v.replace(/_/g, ' ')) + '</option>').join('');
        sel.value = state.filters[l.id] || '';
        sel.addEventListener('change', () => setFilter(l, sel.value));
        div.append(lab, sel);
        li.append(div);
      }
      ul.append(li);
      const lg = document.createElement('li');
      const sw2 = drawIcon(l.look.icon, l.look.color, 36);
      sw2.className = 'swatch';
      sw2.setAttribute('aria-hidden', 'true');
      lg.append(sw2, document.createTextNode(l.title));
      legend.append(lg);
    });
    renderCounts();
  }

  function renderCounts() {
    state.layers.forEach((l) => {
      const li = document.querySelector('#layers li[data-layer="' + l.id + '"]');
      if (!li) return;
      const c = state.counts[l.id] || {};
      const f = state.filters[l.id];
      const total = li.querySelector('.total');
      total.textContent = l.title + (f ? ' (' + f.replace(/_/g, ' ') + ')' : '') + ': ' + fmt(c.total);
      total.dataset.count = c.total === undefined ? '' : c.total;
      const iv = li.querySelector('.inview');
      iv.textContent = 'In view: ' + fmt(c.inView);
      iv.dataset.count = c.inView === undefined ? '' : c.inView;
    });
  }

  function viewBBox() {
    const b = ca.map.getBounds();
    const cl = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
    return [cl(b.getWest(), -180, 180), cl(b.getSouth(), -90, 90), cl(b.getEast(), -180, 180), cl(b.getNorth(), -90, 90)];
  }

  let countSeq = 0;
  async function refreshCounts() {
    const seq = ++countSeq;
    const bbox = viewBBox().map((v) => v.toFixed(6)).join(',');
    const results = await Promise.all(state.layers.map(async (l) => {
      const f = state.filters[l.id];
      const q = f ? '&' + encodeURIComponent(l.filterField) + '=' + encodeURIComponent(f) : '';
      const base = 'collections/' + encodeURIComponent(l.id) + '/stats?';
      const [t, v] = await Promise.all([getJSON(api(base + q.slice(1))), getJSON(api(base + 'bbox=' + bbox + q))]);
      return [l.id, { total: t.count, inView: v.count }];
    }));
    if (seq !== countSeq) return; // a newer refresh is under way
    for (const [id, c] of results) state.counts[id] = c;
    renderCounts();
    ca.countsVersion++;
    ca.lastCountsBBox = bbox;
  }

  let countTimer = null;
  function scheduleCounts() {
    clearTimeout(countTimer);
    countTimer = setTimeout(() => refreshCounts().catch((e) => console.error('counts:', e.message)), 200);
  }

  function setVisible(l, on) {
    state.visible[l.id] = on;
    for (const id of l.mapLayers) ca.map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
    writeHash();
    announce(l.title + (on ? ' shown' : ' hidden'));
  }

  function setFilter(l, value) {
    state.filters[l.id] = value;
    ca.map.getSource('c-' + l.id).setTiles([tileURL(l)]);
    writeHash();
    if (state.area) finishArea(state.area); // the drawn area's counts follow the filter
    refreshCounts().then(() => {
      const c = state.counts[l.id];
      announce(l.title + (value ? ' with ' + l.filterTitle.toLowerCase() + ' ' + value.replace(/_/g, ' ') : '') + ': ' + c.total + ' in all, ' + c.inView + ' in view');
    }).catch((e) => console.error('counts:', e.message));
  }

  // ---- popups ----------------------------------------------------------

  let popup = null;
  function showPopup(lngLat, html, attrs) {
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

  function layerOf(id) {
    return state.layers.find((l) => l.id === id);
  }

  async function featurePopup(collection, feature, lngLat) {
    const l = layerOf(collection);
    const p = feature.properties || {};
    const title = p.name || (l ? l.title : collection) + ' ' + feature.id;
    // The properties come in schema order; the queryables give the titles.
    const titles = {};
    for (const f of (l && l.fields) || []) titles[f.name] = f.title;
    const rows = Object.keys(p).filter((k) => p[k] !== undefined && p[k] !== null)
      .map((k) => '<tr><th scope="row">' + esc(titles[k] || k) + '</th><td>' + esc(p[k]) + '</td></tr>').join('');
    const html = '<h3>' + esc(title) + '</h3><p>' + esc(l ? l.title : collection) + ' · id ' + feature.id + '</p><table>' + rows + '</table>' +
      '<p><a href="' + api('collections/' + collection + '/items/' + feature.id + '?f=html') + '" target="_blank" rel="noopener">Open the record</a></p>';
    showPopup(lngLat, html, { collection, featureId: String(feature.id), title });
  }

  async function openFeature(collection, id, lngLat) {
    try {
      const f = await getJSON(api('collections/' + encodeURIComponent(collection) + '/items/' + id));
      await featurePopup(collection, f, lngLat || centroid(f.geometry));
    } catch (e) {
      console.error('popup:', e.message);
    }
  }

  function interactiveLayers() {
    return state.layers.flatMap((l) => (state.visible[l.id] ? l.mapLayers : []));
  }

  function onClick(e) {
    if (draw.mode) return;
    const hits = ca.map.queryRenderedFeatures(e.point, { layers: interactiveLayers() });
    if (!hits.length) return;
    // Points over polygons.
    hits.sort((a, b) => (a.geometry.type === 'Point' ? 0 : 1) - (b.geometry.type === 'Point' ? 0 : 1));
    const f = hits[0];
    const coll = f.layer['source-layer'];
    const l = layerOf(coll);
    if (f.properties.cluster) {
      const n = f.properties.point_count;
      const z = Math.min(ca.map.getZoom() + 2.5, 18);
      showPopup(e.lngLat, '<h3>' + n + ' ' + esc(l.title.toLowerCase()) + ' here</h3><p>They are grouped at this zoom.</p><button type="button" class="zoom-in">Zoom in</button>', { collection: coll, cluster: String(n), title: n + ' ' + l.title });
      popup.getElement().querySelector('.zoom-in').addEventListener('click', () => { popup.remove(); ca.map.easeTo({ center: f.geometry.coordinates, zoom: z }); });
      return;
    }
    openFeature(coll, f.id, f.geometry.type === 'Point' ? f.geometry.coordinates : e.lngLat);
  }

  // ---- geometry helpers (planar, WGS84) --------------------------------

  function coordsOf(g) {
    if (!g) return [];
    switch (g.type) {
      case 'Point': return [g.coordinates];
      case 'MultiPoint': case 'LineString': return g.coordinates;
      case 'MultiLineString': case 'Polygon': return g.coordinates.flat();
      case 'MultiPolygon': return g.coordinates.flat(2);
      case 'GeometryCollection': return g.geometries.flatMap(coordsOf);
    }
    return [];
  }

  function bboxOf(g) {
    const b = [Infinity, Infinity, -Infinity, -Infinity];
    for (const [x, y] of coordsOf(g)) {
      b[0] = Math.min(b[0], x); b[1] = Math.min(b[1], y); b[2] = Math.max(b[2], x); b[3] = Math.max(b[3], y);
    }
    return b;
  }

  function centroid(g) {
    const b = bboxOf(g);
    return [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2];
  }

  function inRing(pt, ring) {
    let inside = false;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i];
      const [xj, yj] = ring[j];
      if ((yi > pt[1]) !== (yj > pt[1]) && pt[0] < ((xj - xi) * (pt[1] - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }

  function inPolygon(pt, rings) {
    if (!inRing(pt, rings[0])) return false;
    for (let i = 1; i < rings.length; i++) if (inRing(pt, rings[i])) return false;
    return true;
  }

  function segs(g) {
    const out = [];
    const walk = (line) => { for (let i = 1; i < line.length; i++) out.push([line[i - 1], line[i]]); };
    switch (g.type) {
      case 'LineString': walk(g.coordinates); break;
      case 'MultiLineString': case 'Polygon': g.coordinates.forEach(walk); break;
      case 'MultiPolygon': g.coordinates.forEach((p) => p.forEach(walk)); break;
    }
    return out;
  }

  function cross(a, b, c, d) {
    const o = (p, q, r) => Math.sign((q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]));
    return o(a, b, c) !== o(a, b, d) && o(c, d, a) !== o(c, d, b);
  }

  // intersects reports whether geometry g touches the drawn polygon area
  // (a GeoJSON Polygon): the same question /count answers on the server.
  function intersects(g, area) {
    if (!g) return false;
    const rings = area.coordinates;
    if (coordsOf(g).some((p) => inPolygon(p, rings))) return true;
    const polys = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : [];
    if (polys.some((p) => rings[0].some((q) => inPolygon(q, p)))) return true;
    const as = segs(area);
    return segs(g).some(([a, b]) => as.some(([c, d]) => cross(a, b, c, d)));
  }

  // ---- drawing an area ---------------------------------------------------

  const draw = { mode: null, points: [], start: null };

  function drawData(poly, extra) {
    const feats = [];
    if (poly) feats.push({ type: 'Feature', properties: {}, geometry: poly });
    for (const p of extra || []) feats.push({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: p } });
    ca.map.getSource('draw').setData({ type: 'FeatureCollection', features: feats });
  }

  function setMode(mode) {
    draw.mode = mode;
    draw.points = [];
    draw.start = null;
    $('#draw-rect').setAttribute('aria-pressed', String(mode === 'rect'));
    $('#draw-poly').setAttribute('aria-pressed', String(mode === 'poly'));
    const map = ca.map;
    if (mode) {
      map.dragPan.disable();
      map.doubleClickZoom.disable();
      map.getCanvas().style.cursor = 'crosshair';
      announce(mode === 'rect' ? 'Drag on the map to draw a rectangle.' : 'Click the corners of the polygon; double-click or press Enter to finish.');
    } else {
      map.dragPan.enable();
      map.doubleClickZoom.enable();
      map.getCanvas().style.cursor = '';
    }
  }

  function rectPoly(a, b) {
    const [w, e] = [Math.min(a.lng, b.lng), Math.max(a.lng, b.lng)];
    const [s, n] = [Math.min(a.lat, b.lat), Math.max(a.lat, b.lat)];
    return { type: 'Polygon', coordinates: [[[w, s], [e, s], [e, n], [w, n], [w, s]]] };
  }

  function polyOf(points) {
    return { type: 'Polygon', coordinates: [points.concat([points[0]])] };
  }

  function onDown(e) {
    if (draw.mode !== 'rect') return;
    e.preventDefault();
    draw.start = e.lngLat;
  }

  function onMove(e) {
    if (draw.mode === 'rect' && draw.start) drawData(rectPoly(draw.start, e.lngLat));
    if (draw.mode === 'poly' && draw.points.length) {
      const pts = draw.points.concat([[e.lngLat.lng, e.lngLat.lat]]);
      drawData(pts.length > 2 ? polyOf(pts) : { type: 'LineString', coordinates: pts }, draw.points);
    }
  }

  function onUp(e) {
    if (draw.mode !== 'rect' || !draw.start) return;
    const a = draw.start;
    const pa = ca.map.project(a);
    if (Math.abs(pa.x - e.point.x) < 3 && Math.abs(pa.y - e.point.y) < 3) { draw.start = null; return; }
    const poly = rectPoly(a, e.lngLat);
    setMode(null);
    finishArea(poly);
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
    finishArea(polyOf(pts));
  }

  async function finishArea(poly) {
    state.area = poly;
    drawData(poly);
    const out = $('#area-result');
    out.innerHTML = '<p>Counting…</p>';
    try {
      // The layers' attribute filters apply to the area counts too.
      const fq = state.layers.filter((l) => state.filters[l.id])
        .map((l) => encodeURIComponent(l.id + '.' + l.filterField) + '=' + encodeURIComponent(state.filters[l.id])).join('&');
      const res = await getJSON(api('count' + (fq ? '?' + fq : '')), {
        method: 'POST', headers: { 'Content-Type': 'application/geo+json' },
        body: JSON.stringify({ type: 'Feature', properties: {}, geometry: poly }),
      });
      state.areaCounts = res;
      const rows = res.collections.map((c) => '<tr data-layer="' + esc(c.id) + '"><th scope="row">' + esc(c.title) + '</th><td class="n" data-count="' + c.count + '">' + fmt(c.count) + '</td><td class="dl"></td></tr>').join('');
      out.innerHTML = '<table aria-label="Assets in the drawn area"><thead><tr><th>Layer</th><th class="n">Count</th><th>GeoJSON</th></tr></thead><tbody>' + rows +
        '</tbody><tfoot><tr><th scope="row">All</th><td class="n total" data-count="' + res.total + '">' + fmt(res.total) + '</td><td></td></tr></tfoot></table>' +
        '<p class="hint">Area counts follow the layer filters above.</p>';
      announce('In the drawn area: ' + res.collections.map((c) => c.count + ' ' + c.title.toLowerCase()).join(', ') + '.');
      ca.areaVersion = (ca.areaVersion || 0) + 1;
      res.collections.forEach((c) => prepareDownload(c, poly));
    } catch (e) {
      out.innerHTML = '<p role="alert">Could not count: ' + esc(e.message) + '</p>';
      console.error('area count:', e.message);
    }
  }

  async function prepareDownload(c, poly) {
    const cell = document.querySelector('#area-result tr[data-layer="' + c.id + '"] td.dl');
    if (!cell || c.count === 0) { if (cell) cell.textContent = '—'; return; }
    const b = bboxOf(poly);
    const l = state.layers.find((x) => x.id === c.id);
    const f = l && state.filters[l.id] ? '&' + encodeURIComponent(l.filterField) + '=' + encodeURIComponent(state.filters[l.id]) : '';
    const fc = await getJSON(api('collections/' + encodeURIComponent(c.id) + '/download?f=geojson&bbox=' + b.map((v) => v.toFixed(7)).join(',') + f));
    const feats = fc.features.filter((f) => intersects(f.geometry, poly));
    const blob = new Blob([JSON.stringify({ type: 'FeatureCollection', features: feats })], { type: 'application/geo+json' });
    if (state.area !== poly) return;
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = c.id + '-area.geojson';
    a.textContent = 'Download';
    a.setAttribute('aria-label', 'Download the ' + feats.length + ' ' + c.title.toLowerCase() + ' in the area as GeoJSON');
    a.dataset.features = String(feats.length);
    cell.innerHTML = '';
    cell.append(a);
  }

  function clearArea() {
    setMode(null);
    state.area = null;
    state.areaCounts = null;
    drawData(null);
    $('#area-result').innerHTML = '';
  }

  // ---- search ------------------------------------------------------------

  let nameIndex = null;
  async function loadNames() {
    if (nameIndex) return nameIndex;
    const parts = await Promise.all(state.layers.filter((l) => l.hasName && l.count <= 10000).map(async (l) => {
      const fc = await getJSON(api('collections/' + encodeURIComponent(l.id) + '/items?limit=10000'));
      return fc.features.map((f) => ({ collection: l.id, id: f.id, name: String(f.properties.name || ''), f }));
    }));
    nameIndex = parts.flat();
    return nameIndex;
  }

  function hideHits() {
    const old = document.querySelector('.search-hits');
    if (old) old.remove();
  }

  async function goTo(collection, f) {
    hideHits();
    const g = f.geometry;
    if (!g) return;
    if (g.type === 'Point') ca.map.jumpTo({ center: g.coordinates, zoom: Math.max(ca.map.getZoom(), 17) });
    else ca.map.fitBounds(bboxOf(g), { padding: 60, maxZoom: 18, duration: 0 });
    const l = layerOf(collection);
    if (l && !state.visible[collection]) {
      document.querySelector('#layers li[data-layer="' + collection + '"] input[type=checkbox]').checked = true;
      setVisible(l, true);
    }
    await featurePopup(collection, f, g.type === 'Point' ? g.coordinates : centroid(g));
  }

  async function search(q) {
    q = q.trim();
    hideHits();
    if (!q) return;
    let hits = [];
    if (/^\d+$/.test(q)) {
      const found = await Promise.all(state.layers.map((l) => getJSON(api('collections/' + encodeURIComponent(l.id) + '/items/' + q)).then((f) => ({ collection: l.id, id: f.id, name: f.properties.name || l.title + ' ' + f.id, f })).catch(() => null)));
      hits = found.filter(Boolean);
    } else {
      const exact = await Promise.all(state.layers.filter((l) => l.hasName).map((l) => getJSON(api('collections/' + encodeURIComponent(l.id) + '/items?limit=10&name=' + encodeURIComponent(q))).then((fc) => fc.features.map((f) => ({ collection: l.id, id: f.id, name: f.properties.name, f }))).catch(() => [])));
      hits = exact.flat();
      if (!hits.length) {
        const lq = q.toLowerCase();
        hits = (await loadNames()).filter((h) => h.name.toLowerCase().includes(lq)).slice(0, 8);
      }
    }
    if (!hits.length) { announce('Nothing found for “' + q + '”.'); showNoHits(q); return; }
    if (hits.length === 1) { announce('Found ' + hits[0].name); await goTo(hits[0].collection, hits[0].f); return; }
    const ul = document.createElement('ul');
    ul.className = 'search-hits';
    ul.setAttribute('aria-label', 'Search results');
    for (const h of hits.slice(0, 8)) {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = h.name + ' — ' + layerOf(h.collection).title;
      b.addEventListener('click', () => goTo(h.collection, h.f));
      li.append(b);
      ul.append(li);
    }
    $('main').append(ul);
    announce(hits.length + ' matches; choose one from the list.');
    ul.querySelector('button').focus();
  }

  function showNoHits(q) {
    const ul = document.createElement('ul');
    ul.className = 'search-hits';
    ul.innerHTML = '<li><button type="button">Nothing found for “' + esc(q) + '”</button></li>';
    ul.querySelector('button').addEventListener('click', hideHits);
    $('main').append(ul);
  }

  // ---- start -------------------------------------------------------------

  function pickFilter(q) {
    const props = (q && q.properties) || {};
    for (const name of ['status', 'condition']) {
      if (props[name] && Array.isArray(props[name].enum)) return { field: name, title: props[name].title || name, values: props[name].enum };
    }
    for (const name in props) {
      if (Array.isArray(props[name].enum)) return { field: name, title: props[name].title || name, values: props[name].enum };
    }
    return null;
  }

  async function main() {
    const [conf, colls] = await Promise.all([getJSON(api('map/config.json')), getJSON(api('collections'))]);
    state.layers = await Promise.all(colls.collections.map(async (c) => {
      const q = await getJSON(api('collections/' + encodeURIComponent(c.id) + '/queryables'));
      const f = pickFilter(q);
      const fields = Object.keys(q.properties || {}).filter((k) => k !== 'geometry').map((k) => ({ name: k, title: q.properties[k].title || k }));
      return {
        id: c.id, title: c.title, geometry: c.geometryType, count: c.numberOfFeatures,
        bbox: c.extent && c.extent.spatial && c.extent.spatial.bbox && c.extent.spatial.bbox[0],
        filterField: f && f.field, filterTitle: f && f.title, filterValues: f ? f.values : [],
        fields, hasName: !!(q.properties || {}).name,
      };
    }));
    const h = readHash();
    for (const l of state.layers) {
      state.visible[l.id] = h.layers ? h.layers.includes(l.id) : true;
      const v = h.filters[l.id];
      state.filters[l.id] = v && l.filterValues.includes(decodeURIComponent(v)) ? decodeURIComponent(v) : '';
    }
    const style = await baseStyle(conf);
    const opts = { container: 'map', style, attributionControl: { compact: false }, hash: false, maxZoom: 20 };
    if (h.view) {
      opts.center = h.view.center;
      opts.zoom = h.view.zoom;
    } else {
      const bs = state.layers.map((l) => l.bbox).filter(Boolean);
      if (bs.length) {
        opts.bounds = [Math.min(...bs.map((b) => b[0])), Math.min(...bs.map((b) => b[1])), Math.max(...bs.map((b) => b[2])), Math.max(...bs.map((b) => b[3]))];
        opts.fitBoundsOptions = { padding: 20 };
      } else {
        opts.center = [-115.56944, 32.84755];
        opts.zoom = 13;
      }
    }
    const map = new maplibregl.Map(opts);
    ca.map = map;
    map.addControl(new maplibregl.NavigationControl(), 'top-left');
    map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
    map.on('error', (e) => console.error('map error:', e.error ? e.error.message : e));
    await new Promise((resolve) => map.once('load', resolve));
    addDataLayers(map);
    map.addSource('draw', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
    map.addLayer({ id: 'draw-fill', type: 'fill', source: 'draw', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': '#0b6bcb', 'fill-opacity': 0.12 } });
    map.addLayer({ id: 'draw-line', type: 'line', source: 'draw', filter: ['!=', ['geometry-type'], 'Point'], paint: { 'line-color': '#0b6bcb', 'line-width': 2, 'line-dasharray': [2, 1] } });
    map.addLayer({ id: 'draw-vertex', type: 'circle', source: 'draw', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 4, 'circle-color': '#fff', 'circle-stroke-color': '#0b6bcb', 'circle-stroke-width': 2 } });
    buildPanel();

    map.on('click', onClick);
    map.on('click', onPolyClick);
    map.on('dblclick', (e) => { if (draw.mode === 'poly') { e.preventDefault(); draw.points.pop(); finishPoly(); } });
    map.on('mousedown', onDown);
    map.on('touchstart', onDown);
    map.on('mousemove', onMove);
    map.on('touchmove', onMove);
    map.on('mouseup', onUp);
    map.on('touchend', onUp);
    map.on('mousemove', (e) => {
      if (draw.mode) return;
      const n = map.queryRenderedFeatures(e.point, { layers: interactiveLayers() }).length;
      map.getCanvas().style.cursor = n ? 'pointer' : '';
    });
    map.on('moveend', () => { writeHash(); scheduleCounts(); });
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') { hideHits(); if (draw.mode) { setMode(null); drawData(state.area); announce('Drawing cancelled.'); } }
      if (e.key === 'Enter' && draw.mode === 'poly' && draw.points.length) { e.preventDefault(); finishPoly(); }
    });
    $('#draw-rect').addEventListener('click', () => setMode(draw.mode === 'rect' ? null : 'rect'));
    $('#draw-poly').addEventListener('click', () => setMode(draw.mode === 'poly' ? null : 'poly'));
    $('#draw-view').addEventListener('click', () => { const b = viewBBox(); finishArea({ type: 'Polygon', coordinates: [[[b[0], b[1]], [b[2], b[1]], [b[2], b[3]], [b[0], b[3]], [b[0], b[1]]]] }); });
    $('#draw-clear').addEventListener('click', clearArea);
    $('#search').addEventListener('submit', (e) => { e.preventDefault(); search($('#search-input').value).catch((err) => console.error('search:', err.message)); });
    const toggle = $('#panel-toggle');
    toggle.addEventListener('click', () => {
      const collapsed = $('#panel').classList.toggle('collapsed');
      toggle.setAttribute('aria-expanded', String(!collapsed));
      map.resize();
    });
    if (window.matchMedia('(max-width: 700px)').matches) {
      $('#panel').classList.add('collapsed');
      toggle.setAttribute('aria-expanded', 'false');
    }
    window.addEventListener('hashchange', () => {
      const nh = readHash();
      if (nh.view) map.jumpTo({ center: nh.view.center, zoom: nh.view.zoom });
    });
    setInterval(() => { if (!document.hidden) scheduleCounts(); }, 30000);
    writeHash();
    await refreshCounts();
  }

  ca.ready = main().catch((e) => {
    console.error('cityatlas map failed to start:', e.message);
    const p = document.createElement('p');
    p.setAttribute('role', 'alert');
    p.textContent = 'The map could not start: ' + e.message;
    $('#panel').prepend(p);
    throw e;
  });
  ca.viewBBox = () => viewBBox().map((v) => v.toFixed(6)).join(',');
  ca.openFeature = openFeature;
  ca.finishArea = finishArea;
  ca.search = search;
})();
