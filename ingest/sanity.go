package ingest

import (
	"fmt"
	"math"
)

// Margins of the sanity check, in degrees: data may stray this far outside
// its CRS's area of use, and this far (or the extent's own size, whichever
// is larger) outside the extent a collection already has.
const (
	areaMargin   = 1.0
	extentMargin = 2.0
)

// box is a WGS84 rectangle [minLon, minLat, maxLon, maxLat] with a name
// for messages. minLon > maxLon crosses the antimeridian.
type box struct {
	b    [4]float64
	what string
}

// areaBox is the CRS's area of use grown by areaMargin; ok is false when
// the area is the whole world (it then tells nothing).
func areaBox(area [4]float64, crs string) (box, bool) {
	if area[0] <= -179 && area[2] >= 179 && area[1] <= -89 && area[3] >= 89 {
		return box{}, false
	}
	g := [4]float64{area[0] - areaMargin, math.Max(-90, area[1]-areaMargin), area[2] + areaMargin, math.Min(90, area[3]+areaMargin)}
	return box{b: g, what: fmt.Sprintf("the area of use of %s (%s, grown by %g°)", crs, fmtBox(area), areaMargin)}, true
}

// extentBox is a collection's extent grown generously on every side.
func extentBox(ext [4]float64, coll string) box {
	dx := math.Max(extentMargin, ext[2]-ext[0])
	dy := math.Max(extentMargin, ext[3]-ext[1])
	g := [4]float64{ext[0] - dx, math.Max(-90, ext[1]-dy), ext[2] + dx, math.Min(90, ext[3]+dy)}
	return box{b: g, what: fmt.Sprintf("the current extent of collection %q (%s, grown to %s)", coll, fmtBox(ext), fmtBox(g))}
}

// contains reports whether the rectangle r lies inside the box.
func (x box) contains(r [4]float64) bool {
	if r[1] < x.b[1] || r[3] > x.b[3] {
		return false
	}
	if x.b[0] <= x.b[2] {
		return r[0] >= x.b[0] && r[2] <= x.b[2]
	}
	in := func(lon float64) bool { return lon >= x.b[0] || lon <= x.b[2] }
	return in(r[0]) && in(r[2])
}

func fmtBox(b [4]float64) string {
	return fmt.Sprintf("lon %.4g..%.4g, lat %.4g..%.4g", b[0], b[2], b[1], b[3])
}
