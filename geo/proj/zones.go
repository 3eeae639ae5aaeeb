package proj

import (
	"math"
	"strconv"
	"strings"
)

// UTMZone returns the EPSG code of the WGS 84 UTM zone that holds the
// WGS84 point lon, lat (degrees): "EPSG:326NN" north of the equator,
// "EPSG:327NN" south of it, zone NN = 1 + floor((lon+180)/6), longitude
// 180 in zone 60. The Norway and Svalbard exceptions are not applied.
func UTMZone(lon, lat float64) string {
	zone := int(math.Floor((math.Remainder(lon, 360)+180)/6)) + 1
	zone = min(max(zone, 1), 60)
	if lat < 0 {
		return "EPSG:" + strconv.Itoa(32700+zone)
	}
	return "EPSG:" + strconv.Itoa(32600+zone)
}

// StatePlane returns the EPSG code of the NAD83 State Plane zone whose area
// of use holds the WGS84 point lon, lat (degrees), and false outside the
// United States. Where areas overlap (their boxes do along state and zone
// lines) the zone with the smallest area wins; of a zone's units, US survey
// feet come first, then international feet, then metres, as the states'
// laws mostly say (EPSG:2230 rather than EPSG:26946 in Imperial, CA).
// Only the EPSG codes of the hand-kept table are candidates, not the ESRI
// ones nor the HARN, NSRS2007 and 2011 realisations.
func StatePlane(lon, lat float64) (string, bool) {
	best, bestArea, bestRank := "", math.Inf(1), 0
	for _, z := range spcsZones {
		a := z.area
		if !strings.HasPrefix(z.code, "EPSG:") || a[0] > a[2] || lon < a[0] || lon > a[2] || lat < a[1] || lat > a[3] {
			continue
		}
		area := (a[2] - a[0]) * (a[3] - a[1])
		rank := unitRank(z.unit)
		if area < bestArea-1e-9 || (math.Abs(area-bestArea) <= 1e-9 && rank < bestRank) {
			best, bestArea, bestRank = z.code, area, rank
		}
	}
	return best, best != ""
}

// unitRank orders the units of a State Plane zone: US survey feet first.
func unitRank(u float64) int {
	switch u {
	case ftUS:
		return 0
	case ft:
		return 1
	}
	return 2
}
