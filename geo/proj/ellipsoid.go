package proj

import "math"

// ellipsoid is a reference ellipsoid given by its semi-major axis a (metres)
// and flattening f (0 for a sphere).
type ellipsoid struct {
	name string
	a    float64 // semi-major axis, metres
	f    float64 // flattening
	e2   float64 // first eccentricity squared
	e    float64 // first eccentricity
}

func newEllipsoid(name string, a, invF float64) ellipsoid {
	f := 0.0
	if invF != 0 {
		f = 1 / invF
	}
	e2 := f * (2 - f)
	return ellipsoid{name: name, a: a, f: f, e2: e2, e: math.Sqrt(e2)}
}

// The ellipsoids of the built-in datums (EPSG 7019, 7030, 7008).
var (
	grs80      = newEllipsoid("GRS 1980", 6378137, 298.257222101)
	wgs84Ell   = newEllipsoid("WGS 84", 6378137, 298.257223563)
	clarke1866 = newEllipsoid("Clarke 1866", 6378206.4, 294.978698213898)
)

// isWGS84Like reports whether e is GRS80 or WGS84 (they differ by 0.1 mm in
// the semi-minor axis).
func (e ellipsoid) isWGS84Like() bool {
	return e.a == 6378137 && math.Abs(e.f-wgs84Ell.f) < 1e-10
}

// toECEF converts geodetic longitude and latitude (radians) and ellipsoidal
// height h (metres) to earth-centred earth-fixed coordinates (metres).
func (e ellipsoid) toECEF(lam, phi, h float64) (x, y, z float64) {
	sinPhi, cosPhi := math.Sincos(phi)
	n := e.a / math.Sqrt(1-e.e2*sinPhi*sinPhi)
	x = (n + h) * cosPhi * math.Cos(lam)
	y = (n + h) * cosPhi * math.Sin(lam)
	z = (n*(1-e.e2) + h) * sinPhi
	return x, y, z
}

// fromECEF converts earth-centred earth-fixed coordinates (metres) to
// geodetic longitude and latitude (radians) and height (metres), iterating
// on the latitude until it is stable to well below a nanometre.
func (e ellipsoid) fromECEF(x, y, z float64) (lam, phi, h float64) {
	lam = math.Atan2(y, x)
	p := math.Hypot(x, y)
	phi = math.Atan2(z, p*(1-e.e2))
	for range 10 {
		sinPhi := math.Sin(phi)
		n := e.a / math.Sqrt(1-e.e2*sinPhi*sinPhi)
		next := math.Atan2(z+e.e2*n*sinPhi, p)
		if math.Abs(next-phi) < 1e-14 {
			phi = next
			break
		}
		phi = next
	}
	sinPhi, cosPhi := math.Sincos(phi)
	n := e.a / math.Sqrt(1-e.e2*sinPhi*sinPhi)
	if math.Abs(cosPhi) > 1e-10 {
		h = p/cosPhi - n
	} else {
		h = math.Abs(z) - n*(1-e.e2)
	}
	return lam, phi, h
}
