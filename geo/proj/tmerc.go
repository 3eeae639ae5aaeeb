package proj

import (
	"fmt"
	"math"
)

// tmerc is the ellipsoidal Transverse Mercator projection (EPSG method 9807)
// computed with Krüger's series to sixth order in the third flattening n, as
// given by Karney (2011), "Transverse Mercator with an accuracy of a few
// nanometers", J. Geodesy 85(8). Within 4000 km of the central meridian it
// agrees with the exact mapping to about 5 nm, far better than the millimetre
// needed for UTM and State Plane.
type tmerc struct {
	e      float64 // eccentricity
	e2     float64
	lam0   float64 // central meridian, radians
	k0a    float64 // k0 times the rectifying radius A, metres
	y0     float64 // northing of the latitude of origin on the central meridian, metres
	fe, fn float64 // false easting and northing, metres
	alpha  [6]float64
	beta   [6]float64
}

func newTmerc(ell ellipsoid, lat0, lon0, k0, fe, fn float64) (*tmerc, error) {
	if !(k0 > 0) || math.IsInf(k0, 0) {
		return nil, fmt.Errorf("transverse mercator: scale factor %v must be positive", k0)
	}
	n := ell.f / (2 - ell.f)
	n2 := n * n
	n3 := n2 * n
	n4 := n3 * n
	n5 := n4 * n
	n6 := n5 * n
	a := ell.a / (1 + n) * (1 + n2/4 + n4/64 + n6/256)
	t := &tmerc{
		e: ell.e, e2: ell.e2,
		lam0: lon0 * deg, k0a: k0 * a, fe: fe, fn: fn,
		alpha: [6]float64{
			n/2 - 2*n2/3 + 5*n3/16 + 41*n4/180 - 127*n5/288 + 7891*n6/37800,
			13*n2/48 - 3*n3/5 + 557*n4/1440 + 281*n5/630 - 1983433*n6/1935360,
			61*n3/240 - 103*n4/140 + 15061*n5/26880 + 167603*n6/181440,
			49561*n4/161280 - 179*n5/168 + 6601661*n6/7257600,
			34729*n5/80640 - 3418889*n6/1995840,
			212378941 * n6 / 319334400,
		},
		beta: [6]float64{
			n/2 - 2*n2/3 + 37*n3/96 - n4/360 - 81*n5/512 + 96199*n6/604800,
			n2/48 + n3/15 - 437*n4/1440 + 46*n5/105 - 1118711*n6/3870720,
			17*n3/480 - 37*n4/840 - 209*n5/4480 + 5569*n6/90720,
			4397*n4/161280 - 11*n5/504 - 830251*n6/7257600,
			4583*n5/161280 - 108847*n6/3991680,
			20648693 * n6 / 638668800,
		},
	}
	xi0, _ := t.xiEta(0, lat0*deg)
	t.y0 = t.k0a * xi0
	return t, nil
}

// conformalTau returns tan of the conformal latitude for tau = tan(phi).
func conformalTau(tau, e float64) float64 {
	sigma := math.Sinh(e * math.Atanh(e*tau/math.Hypot(1, tau)))
	return tau*math.Hypot(1, sigma) - sigma*math.Hypot(1, tau)
}

// geodeticTau inverts conformalTau by Newton's method (Karney 2011, eqs 19-21).
func geodeticTau(taup, e, e2 float64) float64 {
	tau := taup
	for range 10 {
		tp := conformalTau(tau, e)
		dtau := (taup - tp) * (1 + (1-e2)*tau*tau) /
			((1 - e2) * math.Hypot(1, tp) * math.Hypot(1, tau))
		tau += dtau
		if math.Abs(dtau) < 1e-15*math.Max(1, math.Abs(tau)) {
			break
		}
	}
	return tau
}

// xiEta maps longitude from the central meridian and latitude (radians) to
// the scaled Gauss-Krüger coordinates (xi northward, eta eastward).
func (t *tmerc) xiEta(dlam, phi float64) (xi, eta float64) {
	taup := conformalTau(math.Tan(phi), t.e)
	if math.Abs(phi) == math.Pi/2 {
		taup = math.Copysign(math.Inf(1), phi)
	}
	sinL, cosL := math.Sincos(dlam)
	xip := math.Atan2(taup, cosL)
	etap := math.Asinh(sinL / math.Hypot(taup, cosL))
	xi, eta = xip, etap
	for j, a := range t.alpha {
		k := 2 * float64(j+1)
		s, c := math.Sincos(k * xip)
		xi += a * s * math.Cosh(k*etap)
		eta += a * c * math.Sinh(k*etap)
	}
	return xi, eta
}

func (t *tmerc) forward(lam, phi float64) (float64, float64, error) {
	dlam := wrapPi(lam - t.lam0)
	if math.Abs(dlam) > math.Pi/2 {
		return 0, 0, fmt.Errorf("transverse mercator: longitude %.6f° is more than 90° from the central meridian: %w", lam/deg, ErrDomain)
	}
	xi, eta := t.xiEta(dlam, phi)
	return t.fe + t.k0a*eta, t.fn + t.k0a*xi - t.y0, nil
}

func (t *tmerc) inverse(x, y float64) (float64, float64, error) {
	xi := (y - t.fn + t.y0) / t.k0a
	eta := (x - t.fe) / t.k0a
	if math.Abs(eta) > 4 || math.Abs(xi) > math.Pi {
		return 0, 0, fmt.Errorf("transverse mercator: easting/northing too far from the origin: %w", ErrDomain)
	}
	xip, etap := xi, eta
	for j, b := range t.beta {
		k := 2 * float64(j+1)
		s, c := math.Sincos(k * xi)
		xip -= b * s * math.Cosh(k*eta)
		etap -= b * c * math.Sinh(k*eta)
	}
	sinXi, cosXi := math.Sincos(xip)
	sinhEta := math.Sinh(etap)
	taup := sinXi / math.Hypot(sinhEta, cosXi)
	lam := math.Atan2(sinhEta, cosXi)
	phi := math.Atan(geodeticTau(taup, t.e, t.e2))
	return wrapPi(lam + t.lam0), phi, nil
}
