package proj

import (
	"fmt"
	"math"
	"strings"
)

// norm lower-cases s and keeps only letters and digits, so that
// "Latitude_Of_Origin", "latitude of origin" and "LATITUDE_OF_ORIGIN" match.
func norm(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// fromWKT builds a CRS from a WKT1 text.
func fromWKT(s string) (*CRS, error) {
	root, err := parseWKT(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", err, ErrUnknownCRS)
	}
	switch root.keyword {
	case "PROJCS":
		return projcsFromWKT(root)
	case "GEOGCS":
		return geogcsFromWKT(root)
	case "COMPD_CS":
		// A compound CRS: the horizontal part decides x and y.
		if p := root.child("PROJCS"); p != nil {
			return projcsFromWKT(p)
		}
		if g := root.child("GEOGCS"); g != nil {
			return geogcsFromWKT(g)
		}
		return nil, fmt.Errorf("COMPD_CS %q has no PROJCS or GEOGCS: %w", root.name(), ErrUnknownCRS)
	case "PROJCRS", "GEOGCRS", "GEODCRS", "PROJECTEDCRS", "GEOGRAPHICCRS", "GEODETICCRS", "COMPOUNDCRS", "BOUNDCRS":
		return nil, fmt.Errorf("%s is WKT2, which is not supported; give the CRS as WKT1 (a .prj) or as EPSG:NNNN: %w", root.keyword, ErrUnknownCRS)
	default:
		return nil, fmt.Errorf("unsupported WKT CRS type %s (want PROJCS or GEOGCS): %w", root.keyword, ErrUnknownCRS)
	}
}

// geogcsFromWKT builds a geographic CRS; the PROJCS builder reuses it for
// its base.
func geogcsFromWKT(n *wktNode) (*CRS, error) {
	c := &CRS{name: n.name(), code: n.authority()}
	d := n.child("DATUM")
	if d == nil {
		return nil, fmt.Errorf("GEOGCS %q has no DATUM: %w", c.name, ErrUnknownCRS)
	}
	sph := d.child("SPHEROID")
	if sph == nil {
		sph = d.child("ELLIPSOID")
	}
	if sph == nil {
		return nil, fmt.Errorf("DATUM %q has no SPHEROID: %w", d.name(), ErrUnknownCRS)
	}
	a, err := sph.number(1)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", err, ErrUnknownCRS)
	}
	rf, err := sph.number(2)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", err, ErrUnknownCRS)
	}
	if !(a > 6e6 && a < 7e6) || !(rf == 0 || rf > 1 && rf < 1e6) {
		return nil, fmt.Errorf("SPHEROID %q with a=%v, 1/f=%v is not an earth ellipsoid: %w", sph.name(), a, rf, ErrUnknownCRS)
	}
	c.ell = newEllipsoid(sph.name(), a, rf)
	c.datum, err = datumFromWKT(d, c.ell)
	if err != nil {
		return nil, err
	}
	c.unit = deg
	if u := n.child("UNIT"); u != nil {
		v, err := u.number(1)
		if err != nil || !(v > 0) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("angular UNIT %q has no usable radians-per-unit value: %w", u.name(), ErrUnknownCRS)
		}
		c.unit = snapUnit(v, deg)
	}
	if pm := n.child("PRIMEM"); pm != nil {
		v, err := pm.number(1)
		if err != nil || math.Abs(v) > 400 {
			return nil, fmt.Errorf("PRIMEM %q has no usable longitude: %w", pm.name(), ErrUnknownCRS)
		}
		// GDAL and ESRI write the prime meridian in degrees whatever the
		// GEOGCS's angular unit (PRIMEM["Paris",2.33722917] with grads).
		c.pm = v * deg
	}
	if c.area == nil {
		if b, ok := builtinArea(c.code); ok {
			c.area = &b
		}
	}
	if c.name == "" {
		c.name = "unnamed geographic CRS"
	}
	return c, nil
}

// snapUnit returns want when v is within 1e-12 relative of it, so that a
// WKT's rounded 0.304800609601219 becomes exactly 1200/3937.
func snapUnit(v, want float64) float64 {
	if math.Abs(v-want) <= 1e-12*want {
		return want
	}
	return v
}

// datumFromWKT recognises the datum by its TOWGS84, its name, or its
// ellipsoid, in that order.
func datumFromWKT(d *wktNode, ell ellipsoid) (datum, error) {
	name := d.name()
	if t := d.child("TOWGS84"); t != nil {
		var p [7]float64
		for i := range t.args {
			if i >= 7 || !t.args[i].isNum || !finite(t.args[i].num) {
				return datum{}, fmt.Errorf("TOWGS84 of DATUM %q wants 3 or 7 numbers: %w", name, ErrUnknownCRS)
			}
			p[i] = t.args[i].num
		}
		if len(t.args) != 3 && len(t.args) != 7 {
			return datum{}, fmt.Errorf("TOWGS84 of DATUM %q has %d values, want 3 or 7: %w", name, len(t.args), ErrUnknownCRS)
		}
		if p == [7]float64{} && ell.isWGS84Like() {
			return datum{name: name, identity: true}, nil
		}
		return datum{name: name, tx: p[0], ty: p[1], tz: p[2],
			rx: p[3] * arcSecond, ry: p[4] * arcSecond, rz: p[5] * arcSecond, ds: p[6] * 1e-6}, nil
	}
	nn := strings.TrimPrefix(norm(name), "d")
	switch {
	case strings.Contains(nn, "1927") && (strings.Contains(nn, "northamerica") || strings.Contains(nn, "nad")):
		if ell.a != clarke1866.a {
			return datum{}, fmt.Errorf("DATUM %q is NAD27 but its ellipsoid is not Clarke 1866: %w", name, ErrUnknownCRS)
		}
		dd := datumNAD27
		dd.name = name
		return dd, nil
	case ell.isWGS84Like():
		// WGS84, NAD83 and its realisations, and (as PROJ's ballpark)
		// any other datum on GRS80/WGS84 without TOWGS84.
		return datum{name: name, identity: true}, nil
	}
	return datum{}, fmt.Errorf("DATUM %q (ellipsoid a=%v) has no known transformation to WGS84; add TOWGS84[...] to the WKT: %w", name, ell.a, ErrUnknownCRS)
}

// supportedMethods lists the normalised PROJECTION names this package maps.
var supportedMethods = map[string]bool{
	"transversemercator": true, "gausskruger": true, "transversemercatornaturalorigin": true,
	"lambertconformalconic2sp": true, "lambertconformalconic": true, "lambertconformalconic1sp": true,
	"albersconicequalarea": true, "albers": true, "albersequalarea": true,
	"mercator1sp": true, "mercator2sp": true, "mercator": true, "mercatorvarianta": true, "mercatorvariantb": true,
}

// wktParams holds a PROJCS's parameters by normalised role.
type wktParams map[string]float64

// paramRoles maps normalised OGC and ESRI parameter names to roles.
var paramRoles = map[string]string{
	"latitudeoforigin":              "lat0",
	"latitudeofcenter":              "lat0",
	"latitudeofcentre":              "lat0",
	"latitudeofnaturalorigin":       "lat0",
	"latitudeoffalseorigin":         "lat0",
	"centrallatitude":               "lat0",
	"centralmeridian":               "lon0",
	"longitudeofcenter":             "lon0",
	"longitudeofcentre":             "lon0",
	"longitudeoforigin":             "lon0",
	"longitudeofnaturalorigin":      "lon0",
	"longitudeoffalseorigin":        "lon0",
	"standardparallel1":             "sp1",
	"latitudeof1ststandardparallel": "sp1",
	"standardparallel2":             "sp2",
	"latitudeof2ndstandardparallel": "sp2",
	"scalefactor":                   "k0",
	"scalefactoratnaturalorigin":    "k0",
	"falseeasting":                  "fe",
	"eastingatfalseorigin":          "fe",
	"falsenorthing":                 "fn",
	"northingatfalseorigin":         "fn",
	"auxiliaryspheretype":           "aux",
}

func projcsFromWKT(n *wktNode) (*CRS, error) {
	g := n.child("GEOGCS")
	if g == nil {
		return nil, fmt.Errorf("PROJCS %q has no GEOGCS: %w", n.name(), ErrUnknownCRS)
	}
	c, err := geogcsFromWKT(g)
	if err != nil {
		return nil, err
	}
	angUnit := c.unit
	c.name, c.code, c.area = n.name(), n.authority(), nil
	if c.name == "" {
		c.name = "unnamed projected CRS"
	}

	c.unit = 1
	if u := n.child("UNIT"); u != nil {
		v, err := u.number(1)
		if err != nil || !(v > 0) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("linear UNIT %q has no usable metres-per-unit value: %w", u.name(), ErrUnknownCRS)
		}
		c.unit = snapUnit(snapUnit(snapUnit(v, usFoot), 0.3048), 1)
	}

	pn := n.child("PROJECTION")
	if pn == nil || pn.name() == "" {
		return nil, fmt.Errorf("PROJCS %q has no PROJECTION: %w", c.name, ErrUnknownCRS)
	}
	method := norm(pn.name())
	if !supportedMethods[method] && !isWebMercator(n, method) {
		return nil, fmt.Errorf("PROJECTION %q is not supported (supported: Transverse_Mercator, Lambert_Conformal_Conic 1SP/2SP, Albers_Conic_Equal_Area, Mercator, Web Mercator): %w", pn.name(), ErrUnknownCRS)
	}
	params := wktParams{}
	for _, p := range n.children("PARAMETER") {
		v, err := p.number(1)
		if err != nil || !finite(v) {
			return nil, fmt.Errorf("PARAMETER %q has no usable value: %w", p.name(), ErrUnknownCRS)
		}
		role, ok := paramRoles[norm(p.name())]
		if !ok {
			return nil, fmt.Errorf("PARAMETER %q is not supported for PROJECTION %q: %w", p.name(), pn.name(), ErrUnknownCRS)
		}
		params[role] = v
	}
	// Angles are in the base GEOGCS's angular unit, lengths in the
	// PROJCS's linear unit.
	ang := func(role string) float64 { return params[role] * angUnit / deg }
	fe, fn := params["fe"]*c.unit, params["fn"]*c.unit
	k0 := 1.0
	if v, ok := params["k0"]; ok {
		k0 = v
	}

	if isWebMercator(n, method) {
		if params["aux"] != 0 {
			return nil, fmt.Errorf("PROJCS %q: Auxiliary_Sphere_Type %v is not supported (only 0, the WGS84 semi-major axis): %w", c.name, params["aux"], ErrUnknownCRS)
		}
		c.ell = newEllipsoid(c.ell.name, c.ell.a, 0)
		c.datum = datumWGS84
		c.proj = &merc{ak0: c.ell.a, lam0: ang("lon0") * deg, fe: fe, fn: fn}
		if c.code == "" {
			c.code = "EPSG:3857"
		}
		return finishProjected(c)
	}

	switch method {
	case "transversemercator", "gausskruger", "transversemercatornaturalorigin":
		c.proj, err = newTmerc(c.ell, ang("lat0"), ang("lon0"), k0, fe, fn)
	case "lambertconformalconic2sp", "lambertconformalconic":
		_, has2 := params["sp2"]
		_, has1 := params["sp1"]
		switch {
		case has2 || method == "lambertconformalconic2sp":
			var l *lambertConic
			l, err = newLCC2SP(c.ell, ang("lat0"), ang("lon0"), ang("sp1"), ang("sp2"), fe, fn)
			if err == nil {
				// ESRI allows a scale factor on the 2SP form.
				l.aF *= k0
				l.rF *= k0
				c.proj = l
			}
		case has1:
			c.proj, err = newLCC1SP(c.ell, ang("sp1"), ang("lon0"), k0, fe, fn)
		default:
			c.proj, err = newLCC1SP(c.ell, ang("lat0"), ang("lon0"), k0, fe, fn)
		}
	case "lambertconformalconic1sp":
		c.proj, err = newLCC1SP(c.ell, ang("lat0"), ang("lon0"), k0, fe, fn)
	case "albersconicequalarea", "albers", "albersequalarea":
		c.proj, err = newAlbers(c.ell, ang("lat0"), ang("lon0"), ang("sp1"), ang("sp2"), fe, fn)
	case "mercator1sp", "mercator2sp", "mercator", "mercatorvarianta", "mercatorvariantb":
		if sp1, ok := params["sp1"]; ok {
			k0 = lccM(sp1*angUnit, c.ell.e)
		}
		c.proj = &merc{e: c.ell.e, ak0: c.ell.a * k0, lam0: ang("lon0") * deg, fe: fe, fn: fn}
	default:
		return nil, fmt.Errorf("PROJECTION %q is not supported (supported: Transverse_Mercator, Lambert_Conformal_Conic 1SP/2SP, Albers_Conic_Equal_Area, Mercator, Web Mercator): %w", pn.name(), ErrUnknownCRS)
	}
	if err != nil {
		return nil, fmt.Errorf("PROJCS %q: %w: %w", c.name, err, ErrUnknownCRS)
	}
	return finishProjected(c)
}

// finishProjected fills the area of use from the built-in table, by the
// WKT's code or, for an ESRI .prj without one, by a built-in CRS with the
// same definition.
func finishProjected(c *CRS) (*CRS, error) {
	if b, ok := builtinArea(c.code); ok {
		c.area = &b
		return c, nil
	}
	if code, b, ok := matchBuiltin(c); ok {
		if c.code == "" {
			c.code = code
		}
		c.area = &b
	}
	return c, nil
}

// isWebMercator recognises the spherical Web Mercator in its WKT1 guises:
// ESRI's Mercator_Auxiliary_Sphere, OGC's Popular_Visualisation_Pseudo_
// Mercator, and GDAL's Mercator_1SP with an EXTENSION["PROJ4", "+proj=merc
// +a=6378137 +b=6378137 ..."].
func isWebMercator(n *wktNode, method string) bool {
	switch method {
	case "mercatorauxiliarysphere", "popularvisualisationpseudomercator", "pseudomercator":
		return true
	}
	switch n.authority() {
	case "EPSG:3857", "EPSG:900913", "EPSG:3785", "ESRI:102100", "ESRI:102113", "EPSG:102100", "EPSG:102113":
		return true
	}
	if e := n.child("EXTENSION"); e != nil && len(e.args) > 1 {
		p := e.args[1].str
		return strings.Contains(p, "+proj=merc") && strings.Contains(p, "+a=6378137") && strings.Contains(p, "+b=6378137")
	}
	nn := norm(n.name())
	return strings.Contains(nn, "pseudomercator") || strings.Contains(nn, "webmercator")
}
