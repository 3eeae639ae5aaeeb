// Planar geometry helpers (WGS84 degrees).
export function coordsOf(g) {
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

export function bboxOf(g) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of coordsOf(g)) {
    b[0] = Math.min(b[0], x); b[1] = Math.min(b[1], y); b[2] = Math.max(b[2], x); b[3] = Math.max(b[3], y);
  }
  return b;
}

export const centroid = (g) => { const b = bboxOf(g); return [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2]; };

export function union(bs) {
  bs = bs.filter(Boolean);
  if (!bs.length) return null;
  return [Math.min(...bs.map((b) => b[0])), Math.min(...bs.map((b) => b[1])), Math.max(...bs.map((b) => b[2])), Math.max(...bs.map((b) => b[3]))];
}

export function rectPoly(a, b) {
  const [w, e] = [Math.min(a.lng, b.lng), Math.max(a.lng, b.lng)];
  const [s, n] = [Math.min(a.lat, b.lat), Math.max(a.lat, b.lat)];
  return { type: 'Polygon', coordinates: [[[w, s], [e, s], [e, n], [w, n], [w, s]]] };
}

// circlePoly approximates a circle of r metres around [lon, lat].
export function circlePoly(c, r, n = 64) {
  const ring = [];
  const mLat = 111320;
  const mLon = 111320 * Math.cos((c[1] * Math.PI) / 180);
  for (let i = 0; i <= n; i++) {
    const a = (i / n) * 2 * Math.PI;
    ring.push([c[0] + (r * Math.cos(a)) / mLon, c[1] + (r * Math.sin(a)) / mLat]);
  }
  return { type: 'Polygon', coordinates: [ring] };
}

// metres between two lon/lat points (haversine).
export function distance(a, b) {
  const R = 6371008.8;
  const toR = Math.PI / 180;
  const dLat = (b[1] - a[1]) * toR;
  const dLon = (b[0] - a[0]) * toR;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * toR) * Math.cos(b[1] * toR) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.sqrt(h));
}
