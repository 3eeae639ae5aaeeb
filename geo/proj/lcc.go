package proj

import (
	"fmt"
	"math"
)

// lambertConic is the ellipsoidal Lambert Conformal Conic projection, in its one
// standard parallel (EPSG method 9801, with a scale factor at the natural
// origin) and two standard parallel (EPSG method 9802) forms, following the
// formulas of IOGP Guidance Note 7-2.
type lambertConic struct {
	e      float64
	n      float64 // cone constant
	aF     float64 // a·F (·k0 for 1SP), metres
	rF     float64 // radius at the latitude of origin, metres
	lam0   float64 // longitude of origin, radians
	fe, fn float64 // false easting and northing, metres
}

// lccM is m = cos φ / sqrt(1 - e² sin² φ).
func lccM(phi, e float64) float64 {
	s := math.Sin(phi)
	return math.Cos(phi) / math.Sqrt(1-e*e*s*s)
}

// lccT is t = tan(π/4 - φ/2) / ((1 - e sin φ)/(1 + e sin φ))^(e/2).
func lccT(phi, e float64) float64 {
	s := e * math.Sin(phi)
	return math.Tan(math.Pi/4-phi/2) / math.Pow((1-s)/(1+s), e/2)
}

// newLCC2SP builds the two standard parallel form; all angles in degrees,
// fe and fn in metres. Equal standard parallels give the tangent cone.
func newLCC2SP(ell ellipsoid, lat0, lon0, sp1, sp2, fe, fn float64) (*lambertConic, error) {
	p1, p2 := sp1*deg, sp2*deg
	if math.Abs(p1) >= math.Pi/2 || math.Abs(p2) >= math.Pi/2 || math.Abs(lat0) > 90 {
		return nil, fmt.Errorf("lambert conformal conic: latitudes %v, %v, %v out of range", lat0, sp1, sp2)
	}
	if math.Abs(p1+p2) < 1e-10 {
		return nil, fmt.Errorf("lambert conformal conic: standard parallels %v and %v are symmetric about the equator", sp1, sp2)
	}
	e := ell.e
	m1, m2 := lccM(p1, e), lccM(p2, e)
	t1, t2 := lccT(p1, e), lccT(p2, e)
	var n float64
	if math.Abs(p1-p2) < 1e-12 {
		n = math.Sin(p1)
	} else {
		n = (math.Log(m1) - math.Log(m2)) / (math.Log(t1) - math.Log(t2))
	}
	f := m1 / (n * math.Pow(t1, n))
	l := &lambertConic{e: e, n: n, aF: ell.a * f, lam0: lon0 * deg, fe: fe, fn: fn}
	l.rF = l.radius(lat0 * deg)
	return l, nil
}

// newLCC1SP builds the one standard parallel form (the standard parallel is
// the latitude of natural origin lat0, with scale factor k0 there).
func newLCC1SP(ell ellipsoid, lat0, lon0, k0, fe, fn float64) (*lambertConic, error) {
	p0 := lat0 * deg
	if math.Abs(p0) >= math.Pi/2 || math.Abs(p0) < 1e-10 {
		return nil, fmt.Errorf("lambert conformal conic 1SP: latitude of origin %v must be between 0 and ±90", lat0)
	}
	if !(k0 > 0) || math.IsInf(k0, 0) {
		return nil, fmt.Errorf("lambert conformal conic 1SP: scale factor %v must be positive", k0)
	}
	e := ell.e
	n := math.Sin(p0)
	f := lccM(p0, e) / (n * math.Pow(lccT(p0, e), n))
	l := &lambertConic{e: e, n: n, aF: ell.a * f * k0, lam0: lon0 * deg, fe: fe, fn: fn}
	l.rF = l.radius(p0)
	return l, nil
}

func (l *lambertConic) radius(phi float64) float64 {
	if math.Abs(phi-math.Copysign(math.Pi/2, l.n)) < 1e-12 {
		return 0
	}
	return l.aF * math.Pow(lccT(phi, l.e), l.n)
}

func (l *lambertConic) forward(lam, phi float64) (float64, float64, error) {
	if math.Abs(phi+math.Copysign(math.Pi/2, l.n)) < 1e-10 {
		return 0, 0, fmt.Errorf("lambert conformal conic: latitude %.6f° is the pole opposite the cone's apex: %w", phi/deg, ErrDomain)
	}
	r := l.radius(phi)
	theta := l.n * wrapPi(lam-l.lam0)
	s, c := math.Sincos(theta)
	return l.fe + r*s, l.fn + l.rF - r*c, nil
}

func (l *lambertConic) inverse(x, y float64) (float64, float64, error) {
	dx := x - l.fe
	dy := l.rF - (y - l.fn)
	if l.n < 0 {
		dx, dy = -dx, -dy
	}
	r := math.Hypot(dx, dy)
	if r == 0 {
		return l.lam0, math.Copysign(math.Pi/2, l.n), nil
	}
	theta := math.Atan2(dx, dy)
	t := math.Pow(r/l.aF, 1/l.n)
	lam := theta/l.n + l.lam0
	phi, err := phiFromT(t, l.e)
	if err != nil {
		return 0, 0, fmt.Errorf("lambert conformal conic: %w", err)
	}
	return wrapPi(lam), phi, nil
}

// phiFromT solves t = lccT(φ) for φ by fixed-point iteration.
func phiFromT(t, e float64) (float64, error) {
	if math.IsNaN(t) || math.IsInf(t, 0) {
		return 0, fmt.Errorf("coordinate gives no latitude: %w", ErrDomain)
	}
	phi := math.Pi/2 - 2*math.Atan(t)
	for range 30 {
		s := e * math.Sin(phi)
		next := math.Pi/2 - 2*math.Atan(t*math.Pow((1-s)/(1+s), e/2))
		if math.Abs(next-phi) < 1e-15 {
			return next, nil
		}
		phi = next
	}
	return phi, nil
}
