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

// circleCenter is the centre of a ring of points on a circle of the
// sphere (a geodesic circle, as Terra Draw's circle mode draws with the
// globe projection): the mean of the points as unit vectors lies on the
// circle's axis. The closing point, if any, is left out.
export function circleCenter(ring) {
  const pts = ring.length > 1 && ring[0][0] === ring[ring.length - 1][0] && ring[0][1] === ring[ring.length - 1][1] ? ring.slice(0, -1) : ring;
  const toR = Math.PI / 180;
  let x = 0, y = 0, z = 0;
  for (const [lon, lat] of pts) {
    x += Math.cos(lat * toR) * Math.cos(lon * toR);
    y += Math.cos(lat * toR) * Math.sin(lon * toR);
    z += Math.sin(lat * toR);
  }
  return [Math.atan2(y, x) / toR, Math.atan2(z, Math.hypot(x, y)) / toR];
}
