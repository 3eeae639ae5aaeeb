package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// EarthRadius is the mean Earth radius in metres (IUGG).
const EarthRadius = 6371008.8

// Distance returns the great-circle distance in metres between two lon/lat
// points (haversine).
func Distance(a, b orb.Point) float64 {
	φ1, φ2 := a[1]*math.Pi/180, b[1]*math.Pi/180
	dφ := φ2 - φ1
	dλ := (b[0] - a[0]) * math.Pi / 180
	h := math.Sin(dφ/2)*math.Sin(dφ/2) + math.Cos(φ1)*math.Cos(φ2)*math.Sin(dλ/2)*math.Sin(dλ/2)
	return 2 * EarthRadius * math.Asin(math.Min(1, math.Sqrt(h)))
}
