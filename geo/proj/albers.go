package proj

import (
	"fmt"
	"math"
)

// albers is the ellipsoidal Albers Equal Area conic projection (EPSG method
// 9822), following IOGP Guidance Note 7-2 and Snyder (1987) eq. 3-16 for the
// inverse latitude.
type albers struct {
	e, e2  float64
	a      float64
	n      float64
	c      float64
	rho0   float64
	lam0   float64
	fe, fn float64
	qp     float64 // q at the pole
}

func albersQ(phi, e, e2 float64) float64 {
	s := math.Sin(phi)
	if e == 0 {
		return 2 * s
	}
	return (1 - e2) * (s/(1-e2*s*s) - 1/(2*e)*math.Log((1-e*s)/(1+e*s)))
}

// newAlbers builds the projection; angles in degrees, fe and fn in metres.
func newAlbers(ell ellipsoid, lat0, lon0, sp1, sp2, fe, fn float64) (*albers, error) {
	p1, p2 := sp1*deg, sp2*deg
	if math.Abs(p1) >= math.Pi/2 || math.Abs(p2) >= math.Pi/2 || math.Abs(lat0) > 90 {
		return nil, fmt.Errorf("albers: latitudes %v, %v, %v out of range", lat0, sp1, sp2)
	}
	if math.Abs(p1+p2) < 1e-10 {
		return nil, fmt.Errorf("albers: standard parallels %v and %v are symmetric about the equator", sp1, sp2)
	}
	e, e2 := ell.e, ell.e2
	m1, m2 := lccM(p1, e), lccM(p2, e)
	q1, q2 := albersQ(p1, e, e2), albersQ(p2, e, e2)
	var n float64
	if math.Abs(p1-p2) < 1e-12 {
		n = math.Sin(p1)
	} else {
		n = (m1*m1 - m2*m2) / (q2 - q1)
	}
	al := &albers{e: e, e2: e2, a: ell.a, n: n, c: m1*m1 + n*q1, lam0: lon0 * deg, fe: fe, fn: fn}
	al.qp = albersQ(math.Pi/2, e, e2)
	al.rho0 = al.rho(albersQ(lat0*deg, e, e2))
	return al, nil
}

func (al *albers) rho(q float64) float64 {
	v := al.c - al.n*q
	if v < 0 {
		v = 0
	}
	return al.a * math.Sqrt(v) / al.n
}

func (al *albers) forward(lam, phi float64) (float64, float64, error) {
	r := al.rho(albersQ(phi, al.e, al.e2))
	theta := al.n * wrapPi(lam-al.lam0)
	s, c := math.Sincos(theta)
	return al.fe + r*s, al.fn + al.rho0 - r*c, nil
}

func (al *albers) inverse(x, y float64) (float64, float64, error) {
	dx := x - al.fe
	dy := al.rho0 - (y - al.fn)
	if al.n < 0 {
		dx, dy = -dx, -dy
	}
	r := math.Hypot(dx, dy)
	theta := math.Atan2(dx, dy)
	q := (al.c - r*r*al.n*al.n/(al.a*al.a)) / al.n
	if math.Abs(q) > math.Abs(al.qp)*(1+1e-12) || math.IsNaN(q) {
		return 0, 0, fmt.Errorf("albers: easting/northing outside the projected area: %w", ErrDomain)
	}
	var phi float64
	if math.Abs(math.Abs(q)-math.Abs(al.qp)) < 1e-12 {
		phi = math.Copysign(math.Pi/2, q)
	} else {
		phi = math.Asin(q / 2)
		for range 30 {
			s, c := math.Sincos(phi)
			es2 := 1 - al.e2*s*s
			var d float64
			if al.e == 0 {
				d = es2 * es2 / (2 * c) * (q - 2*s)
			} else {
				d = es2 * es2 / (2 * c) * (q/(1-al.e2) - s/es2 + 1/(2*al.e)*math.Log((1-al.e*s)/(1+al.e*s)))
			}
			phi += d
			if math.Abs(d) < 1e-15 {
				break
			}
		}
	}
	return wrapPi(theta/al.n + al.lam0), phi, nil
}
