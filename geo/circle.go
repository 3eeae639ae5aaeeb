package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// EarthRadius is the mean Earth radius in metres (IUGG).
const EarthRadius = 6371008.8

// Circle returns a polygon of n vertices approximating the circle of radius
// metres around (lon, lat), computed on the sphere (destination point
// formula), so it is accurate at any latitude for city-sized radii.
func Circle(lon, lat, radius float64, n int) orb.Polygon {
	if n < 8 {
		n = 8
	}
	φ1 := lat * math.Pi / 180
	λ1 := lon * math.Pi / 180
	δ := radius / EarthRadius
	ring := make(orb.Ring, 0, n+1)
	for i := range n {
		θ := 2 * math.Pi * float64(i) / float64(n)
		φ2 := math.Asin(math.Sin(φ1)*math.Cos(δ) + math.Cos(φ1)*math.Sin(δ)*math.Cos(θ))
		λ2 := λ1 + math.Atan2(math.Sin(θ)*math.Sin(δ)*math.Cos(φ1), math.Cos(δ)-math.Sin(φ1)*math.Sin(φ2))
		ring = append(ring, orb.Point{λ2 * 180 / math.Pi, φ2 * 180 / math.Pi})
	}
	// Counter-clockwise (RFC 7946 exterior): θ runs clockwise from north,
	// so reverse.
	for i, j := 0, len(ring)-1; i < j; i, j = i+1, j-1 {
		ring[i], ring[j] = ring[j], ring[i]
	}
	ring = append(ring, ring[0])
	return orb.Polygon{ring}
}

// Distance returns the great-circle distance in metres between two lon/lat
// points (haversine).
func Distance(a, b orb.Point) float64 {
	φ1, φ2 := a[1]*math.Pi/180, b[1]*math.Pi/180
	dφ := φ2 - φ1
	dλ := (b[0] - a[0]) * math.Pi / 180
	h := math.Sin(dφ/2)*math.Sin(dφ/2) + math.Cos(φ1)*math.Cos(φ2)*math.Sin(dλ/2)*math.Sin(dλ/2)
	return 2 * EarthRadius * math.Asin(math.Min(1, math.Sqrt(h)))
}
