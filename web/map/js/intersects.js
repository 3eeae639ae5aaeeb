// intersects reports whether a GeoJSON geometry touches a polygon area:
// the question /count answers on the server, for the area's download.
import { coordsOf } from './geo.js';

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
export function intersects(g, area) {
  if (!g) return false;
  const rings = area.coordinates;
  if (coordsOf(g).some((p) => inPolygon(p, rings))) return true;
  const polys = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : [];
  if (polys.some((p) => rings[0].some((q) => inPolygon(q, p)))) return true;
  const as = segs(area);
  return segs(g).some(([a, b]) => as.some(([c, d]) => cross(a, b, c, d)));
}

