package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// WGS84 ellipsoid.
const (
	wgs84A = 6378137.0
	wgs84F = 1 / 298.257223563
	wgs84B = wgs84A * (1 - wgs84F)
)

// GeodesicDistance returns the distance in metres between two lon/lat
// points along the WGS84 ellipsoid (Vincenty's inverse formula, good to
// well under a millimetre), the distance PostGIS's geography functions
// measure. For nearly antipodal points, where the iteration does not
// settle, it returns the great-circle distance.
func GeodesicDistance(p, q orb.Point) float64 {
	if p == q {
		return 0
	}
	L := (q[0] - p[0]) * math.Pi / 180
	U1 := math.Atan((1 - wgs84F) * math.Tan(p[1]*math.Pi/180))
	U2 := math.Atan((1 - wgs84F) * math.Tan(q[1]*math.Pi/180))
	sinU1, cosU1 := math.Sincos(U1)
	sinU2, cosU2 := math.Sincos(U2)
	λ := L
	var sinσ, cosσ, σ, cos2α, cos2σm float64
	for range 200 {
		sinλ, cosλ := math.Sincos(λ)
		a, b := cosU2*sinλ, cosU1*sinU2-sinU1*cosU2*cosλ
		sinσ = math.Sqrt(a*a + b*b)
		if sinσ == 0 {
			return 0
		}
		cosσ = sinU1*sinU2 + cosU1*cosU2*cosλ
		σ = math.Atan2(sinσ, cosσ)
		sinα := cosU1 * cosU2 * sinλ / sinσ
		cos2α = 1 - sinα*sinα
		cos2σm = 0 // on the equator
		if cos2α != 0 {
			cos2σm = cosσ - 2*sinU1*sinU2/cos2α
		}
		C := wgs84F / 16 * cos2α * (4 + wgs84F*(4-3*cos2α))
		prev := λ
		λ = L + (1-C)*wgs84F*sinα*(σ+C*sinσ*(cos2σm+C*cosσ*(-1+2*cos2σm*cos2σm)))
		if math.Abs(λ-prev) < 1e-12 {
			u2 := cos2α * (wgs84A*wgs84A - wgs84B*wgs84B) / (wgs84B * wgs84B)
			A := 1 + u2/16384*(4096+u2*(-768+u2*(320-175*u2)))
			B := u2 / 1024 * (256 + u2*(-128+u2*(74-47*u2)))
			Δσ := B * sinσ * (cos2σm + B/4*(cosσ*(-1+2*cos2σm*cos2σm)-B/6*cos2σm*(-3+4*sinσ*sinσ)*(-3+4*cos2σm*cos2σm)))
			return wgs84B * A * (σ - Δσ)
		}
	}
	return Distance(p, q)
}

// Disc is the set of points within Radius metres of Center on the WGS84
// ellipsoid, the area PostGIS's ST_DWithin on geography selects.
type Disc struct {
	Center orb.Point
	Radius float64
	bound  orb.Bound
	// Local scale at the centre: metres per degree of longitude and of
	// latitude, for finding nearest points on edges.
	mx, my float64
	// eps bounds the relative error of distances measured in that plane
	// within the disc's bound; 1 or more when the plane is no guide.
	eps float64
	// The squares of the planar distances within which a point is surely
	// in (-1 when none is), and beyond which surely out.
	inSq, outSq float64
}

// NewDisc prepares a disc of radius metres around center.
func NewDisc(center orb.Point, radius float64) *Disc {
	φ := center[1] * math.Pi / 180
	e2 := wgs84F * (2 - wgs84F)
	w := math.Sqrt(1 - e2*math.Sin(φ)*math.Sin(φ))
	n := wgs84A / w                      // prime vertical radius
	m := wgs84A * (1 - e2) / (w * w * w) // meridional radius
	c := &Disc{Center: center, Radius: radius, mx: n * math.Cos(φ) * math.Pi / 180, my: m * math.Pi / 180}
	// The bound: a degree of latitude is at least 110.5 km anywhere, and
	// a degree of longitude shrinks towards the poles; widened by 1% and
	// to the pole when the circle reaches within its radius of one.
	dlat := radius / 110_500 * 1.01
	lat0, lat1 := center[1]-dlat, center[1]+dlat
	dlon := 180.0
	if lat0 > -89 && lat1 < 89 {
		far := math.Max(math.Abs(lat0), math.Abs(lat1)) * math.Pi / 180
		dlon = math.Min(180, radius/(111_320*math.Cos(far))*1.01)
	}
	c.bound = orb.Bound{Min: orb.Point{center[0] - dlon, math.Max(lat0, -90)}, Max: orb.Point{center[0] + dlon, math.Min(lat1, 90)}}
	// Within distance d of the centre, the plane's scale is off by about
	// (d/R)·tan φ across and less along the meridian; twice that, plus the
	// ellipsoid's own variation, is a safe bound.
	c.eps = 1
	if math.Abs(center[1]) < 80 {
		c.eps = 2*(1+math.Abs(math.Tan(φ)))*(radius+1)/EarthRadius + 1e-6
	}
	c.inSq, c.outSq = -1, radius*(1+c.eps)+0.01
	c.outSq *= c.outSq
	if in := radius*(1-c.eps) - 0.01; in > 0 {
		c.inSq = in * in
	}
	return c
}

// planarSq is the square of the distance from the centre to pt in the
// tangent plane.
func (c *Disc) planarSq(pt orb.Point) float64 {
	dx, dy := (pt[0]-c.Center[0])*c.mx, (pt[1]-c.Center[1])*c.my
	return dx*dx + dy*dy
}

// Classify tells whether the closed rectangle b lies within the disc,
// outside it, or across its edge (when the tangent plane cannot decide).
func (c *Disc) Classify(b orb.Bound) Relation {
	if !b.Intersects(c.bound) {
		return Outside
	}
	if c.eps >= 0.05 {
		return Crosses
	}
	// In the plane the nearest point of a rectangle is the centre clamped
	// to it, and the farthest one of its corners.
	near := orb.Point{min(max(c.Center[0], b.Min[0]), b.Max[0]), min(max(c.Center[1], b.Min[1]), b.Max[1])}
	if c.planarSq(near) > c.outSq {
		return Outside
	}
	for _, q := range [4]orb.Point{b.Min, b.Max, {b.Min[0], b.Max[1]}, {b.Max[0], b.Min[1]}} {
		if c.planarSq(q) >= c.inSq {
			return Crosses
		}
	}
	return Inside
}

// Bound is a rectangle the circle lies in.
func (c *Disc) Bound() orb.Bound { return c.bound }

// ContainsPoint reports whether pt is within the radius.
func (c *Disc) ContainsPoint(pt orb.Point) bool {
	if !c.bound.Contains(pt) {
		return false
	}
	if c.eps < 0.05 {
		// The plane decides all but a thin ring around the edge.
		switch d := c.planarSq(pt); {
		case d < c.inSq:
			return true
		case d > c.outSq:
			return false
		}
	}
	return GeodesicDistance(c.Center, pt) <= c.Radius
}

// Intersects reports whether some point of g is within the radius: a
// vertex, the nearest point of an edge (found in the plane tangent at the
// centre, then measured on the ellipsoid), or the centre itself inside a
// polygon.
func (c *Disc) Intersects(g orb.Geometry) bool {
	if pt, ok := g.(orb.Point); ok {
		return c.ContainsPoint(pt)
	}
	if !g.Bound().Intersects(c.bound) {
		return false
	}
	switch g := g.(type) {
	case orb.MultiPoint:
		for _, p := range g {
			if c.ContainsPoint(p) {
				return true
			}
		}
	case orb.LineString:
		return c.nearPath(g, false)
	case orb.MultiLineString:
		for _, l := range g {
			if c.nearPath(l, false) {
				return true
			}
		}
	case orb.Polygon:
		return c.nearPolygon(g)
	case orb.MultiPolygon:
		for _, p := range g {
			if c.nearPolygon(p) {
				return true
			}
		}
	case orb.Collection:
		for _, x := range g {
			if c.Intersects(x) {
				return true
			}
		}
	case orb.Bound:
		return c.nearPolygon(g.ToPolygon())
	case orb.Ring:
		return c.nearPolygon(orb.Polygon{g})
	}
	return false
}

func (c *Disc) nearPolygon(p orb.Polygon) bool {
	if len(p) == 0 {
		return false
	}
	if polygonCovers(p, c.Center) {
		return true
	}
	for _, r := range p {
		if c.nearPath(orb.LineString(r), true) {
			return true
		}
	}
	return false
}

// nearPath reports whether a vertex or an edge of l comes within the
// radius; closed also takes the edge from the last vertex to the first.
func (c *Disc) nearPath(l orb.LineString, closed bool) bool {
	n := len(l)
	if n == 0 {
		return false
	}
	if n == 1 {
		return c.ContainsPoint(l[0])
	}
	for i := range n {
		if c.ContainsPoint(l[i]) {
			return true
		}
	}
	edges := n - 1
	if closed {
		edges = n
	}
	for i := range edges {
		a, b := l[i], l[(i+1)%n]
		if !(orb.Bound{Min: a, Max: a}).Extend(b).Intersects(c.bound) {
			continue
		}
		if q, ok := c.nearest(a, b); ok && GeodesicDistance(c.Center, q) <= c.Radius {
			return true
		}
	}
	return false
}

// nearest returns the point of edge ab nearest the centre, strictly
// between a and b (the ends are tested as vertices), in the tangent plane.
func (c *Disc) nearest(a, b orb.Point) (orb.Point, bool) {
	ax, ay := (a[0]-c.Center[0])*c.mx, (a[1]-c.Center[1])*c.my
	bx, by := (b[0]-c.Center[0])*c.mx, (b[1]-c.Center[1])*c.my
	dx, dy := bx-ax, by-ay
	d2 := dx*dx + dy*dy
	if d2 == 0 {
		return orb.Point{}, false
	}
	t := -(ax*dx + ay*dy) / d2
	if t <= 0 || t >= 1 {
		return orb.Point{}, false
	}
	return orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}, true
}
