package proj

import (
	"fmt"
	"math"
)

// merc is the Mercator projection: ellipsoidal (EPSG methods 9804 and 9805,
// with the scale factor k0 = cos of the standard parallel scaled to the
// ellipsoid for the 2SP form) or spherical. The spherical form on the WGS84
// semi-major axis, applied to WGS84 longitude and latitude as if they were
// spherical, is Web Mercator (EPSG:3857, method 1024).
type merc struct {
	e      float64 // 0 for the spherical (Web Mercator) form
	ak0    float64 // a·k0, metres
	lam0   float64
	fe, fn float64
}

// maxMercLat is the latitude past which Mercator northings are refused
// (Web Mercator tiles stop at 85.0511°; the projection itself is infinite at
// the poles).
const maxMercLat = 89.5 * deg

func (m *merc) forward(lam, phi float64) (float64, float64, error) {
	if math.Abs(phi) > maxMercLat {
		return 0, 0, fmt.Errorf("mercator: latitude %.6f° too close to a pole: %w", phi/deg, ErrDomain)
	}
	x := m.fe + m.ak0*wrapPi(lam-m.lam0)
	y := m.fn + m.ak0*math.Asinh(conformalTau(math.Tan(phi), m.e))
	return x, y, nil
}

func (m *merc) inverse(x, y float64) (float64, float64, error) {
	lam := (x-m.fe)/m.ak0 + m.lam0
	psi := (y - m.fn) / m.ak0
	taup := math.Sinh(psi)
	if math.IsInf(taup, 0) || math.IsNaN(taup) {
		return 0, 0, fmt.Errorf("mercator: northing %v too large: %w", y, ErrDomain)
	}
	phi := math.Atan(geodeticTau(taup, m.e, m.e*m.e))
	return wrapPi(lam), phi, nil
}
