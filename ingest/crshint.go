package ingest

import (
	"fmt"
	"math"
	"strings"

	"github.com/twpayne/go-geom"

	"github.com/cityatlas/cityatlas/geo/proj"
)

// firstXY is the first position of g in its source coordinates, kept
// before reprojection for suggestCRS.
func firstXY(g geom.T) (x, y float64, ok bool) {
	if gc, isGC := g.(*geom.GeometryCollection); isGC {
		for _, p := range gc.Geoms() {
			if x, y, ok = firstXY(p); ok {
				return x, y, ok
			}
		}
		return 0, 0, false
	}
	fc := g.FlatCoords()
	if len(fc) < 2 {
		return 0, 0, false
	}
	return fc[0], fc[1], true
}

// suggestCRS looks, once a source, for the built-in CRS that is the
// source's projection in another linear unit (a .prj that says metres on
// data in US feet, or the reverse) and puts the position (x, y) of a row
// refused as far outside the expected area inside its own area of use. An
// EPSG code is preferred to an ESRI one. It sets Report.SuggestedSRS and
// returns a phrase for the note, or "".
func (p *pipeline) suggestCRS(s *source, x, y float64) string {
	if s.suggested || s.crs == nil || s.crs.IsGeographic() {
		return ""
	}
	s.suggested = true
	var best *proj.CRS
	for _, code := range proj.Codes() {
		c, err := proj.Parse(code)
		if err != nil || c.IsGeographic() || c.Code() == s.crs.Code() {
			continue
		}
		a, ok := c.AreaOfUse()
		if !ok {
			continue
		}
		lon, lat, err := c.ToWGS84(x, y)
		if err != nil || !inArea(a, lon, lat) || !sameZoneOtherUnit(c, s.crs, a) {
			continue
		}
		if best == nil || strings.HasPrefix(c.Code(), "EPSG:") && !strings.HasPrefix(best.Code(), "EPSG:") {
			best = c
		}
	}
	if best == nil {
		return ""
	}
	if p.rep.SuggestedSRS == "" {
		p.rep.SuggestedSRS = best.Code()
	}
	return fmt.Sprintf("; the first such row lands inside the area of %s, the same projection in other units, so --srs %s is likely right", best, best.Code())
}

// sameZoneOtherUnit reports whether a and b project alike up to a
// constant factor (their units), at three points of area a.
func sameZoneOtherUnit(a, b *proj.CRS, area [4]float64) bool {
	w, e := area[0], area[2]
	if w > e {
		e += 360
	}
	lon0, lat0 := (w+e)/2, (area[1]+area[3])/2
	ratio := math.NaN()
	for _, d := range [][2]float64{{0, 0}, {0.5, 0.5}, {-0.5, -0.3}} {
		x1, y1, err1 := a.FromWGS84(lon0+d[0], lat0+d[1])
		x2, y2, err2 := b.FromWGS84(lon0+d[0], lat0+d[1])
		if err1 != nil || err2 != nil || x2 == 0 || y2 == 0 {
			return false
		}
		rx, ry := x1/x2, y1/y2
		if math.IsNaN(ratio) {
			ratio = rx
		}
		if math.Abs(rx-ratio) > 1e-6*math.Abs(ratio) || math.Abs(ry-ratio) > 1e-6*math.Abs(ratio) || math.Abs(ratio-1) < 1e-3 {
			return false
		}
	}
	return true
}

func inArea(a [4]float64, lon, lat float64) bool {
	if lat < a[1] || lat > a[3] {
		return false
	}
	if a[0] <= a[2] {
		return lon >= a[0] && lon <= a[2]
	}
	return lon >= a[0] || lon <= a[2]
}
