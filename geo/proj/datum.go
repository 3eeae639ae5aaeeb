package proj

import "math"

// datum says how geodetic coordinates on a CRS's ellipsoid relate to WGS84.
//
// Identity datums (WGS84, and NAD83 with its realisations HARN, NSRS2007,
// 2011, CORS96) are taken as equal to WGS84: they differ by one to two
// metres at most, and PROJ does the same when it has no transformation grids
// (its "ballpark" operation). Other datums move through earth-centred
// coordinates with a Helmert transformation: three translations, and with
// TOWGS84[...] in a WKT also three rotations (position vector convention,
// arc-seconds) and a scale difference (parts per million).
type datum struct {
	name     string
	identity bool
	// Helmert parameters to WGS84: translations in metres, rotations in
	// radians (position vector convention), scale difference unitless.
	tx, ty, tz, rx, ry, rz, ds float64
}

var (
	datumWGS84 = datum{name: "WGS 84", identity: true}
	datumNAD83 = datum{name: "North American Datum 1983", identity: true}
	// datumNAD27 uses EPSG:1173 "NAD27 to WGS 84 (4)" (conterminous US,
	// tx=-8 ty=160 tz=176 m), whose stated accuracy is 10 m; in practice it
	// is within about 5 m across the lower 48 states and worse in Alaska and
	// Canada, where NADCON grids would be needed for better.
	datumNAD27 = datum{name: "North American Datum 1927", tx: -8, ty: 160, tz: 176}
)

const arcSecond = math.Pi / (180 * 3600)

// helmert applies the datum's transformation to WGS84 (forward) to
// earth-centred coordinates.
func (d datum) helmert(x, y, z float64) (float64, float64, float64) {
	s := 1 + d.ds
	return d.tx + s*(x-d.rz*y+d.ry*z),
		d.ty + s*(d.rz*x+y-d.rx*z),
		d.tz + s*(-d.ry*x+d.rx*y+z)
}

// toWGS84 moves longitude and latitude (radians) on ellipsoid ell in datum d
// to WGS84. The ellipsoidal height is taken as zero on the way in and
// dropped on the way out, as PROJ does for 2D coordinates.
func (d datum) toWGS84(ell ellipsoid, lam, phi float64) (float64, float64) {
	if d.identity {
		return lam, phi
	}
	x, y, z := ell.toECEF(lam, phi, 0)
	x, y, z = d.helmert(x, y, z)
	lam2, phi2, _ := wgs84Ell.fromECEF(x, y, z)
	return lam2, phi2
}

// fromWGS84 is the inverse of toWGS84: it starts from the reversed Helmert
// transformation and corrects the result until toWGS84 gives back the
// input to better than 1e-12 radians (6 micrometres).
func (d datum) fromWGS84(ell ellipsoid, lam, phi float64) (float64, float64) {
	if d.identity {
		return lam, phi
	}
	l, p := lam, phi
	for range 5 {
		l2, p2 := d.toWGS84(ell, l, p)
		dl, dp := lam-l2, phi-p2
		l += dl
		p += dp
		if math.Abs(dl) < 1e-14 && math.Abs(dp) < 1e-14 {
			break
		}
	}
	return l, p
}
