package proj

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Linear units, metres per unit.
const (
	m      = 1.0
	usFoot = 1200.0 / 3937 // US survey foot
	ft     = 0.3048        // international foot
	ftUS   = usFoot
)

// Projection methods of the built-in table.
const (
	tm  = 'T' // Transverse Mercator
	lcc = 'L' // Lambert Conformal Conic 2SP
	aea = 'A' // Albers Equal Area
	web = 'W' // Web Mercator (spherical)
	geo = 'G' // geographic
)

// dms converts sexagesimal degrees, minutes and seconds to degrees; the sign
// of d applies to the whole angle.
func dms(d, mins, s float64) float64 {
	v := math.Abs(d) + mins/60 + s/3600
	if d < 0 {
		return -v
	}
	return v
}

// spcsZone is one row of the built-in table (see spcsZones); the other
// built-in codes use the same shape.
type spcsZone struct {
	code   string
	name   string
	method byte
	unit   float64 // metres per unit
	lat0   float64 // degrees
	lon0   float64 // degrees
	p1, p2 float64 // standard parallels in degrees (LCC, Albers), or p1 = scale factor (TM)
	fe, fn float64 // in unit
	area   [4]float64
}

// builtinEntry is a built-in CRS with its definition.
type builtinEntry struct {
	def   spcsZone
	ell   ellipsoid
	datum datum
}

func (b builtinEntry) build() (*CRS, error) {
	d := b.def
	area := d.area
	c := &CRS{name: d.name, code: d.code, ell: b.ell, datum: b.datum, unit: d.unit, area: &area}
	var err error
	fe, fn := d.fe*d.unit, d.fn*d.unit
	switch d.method {
	case geo:
		c.unit = deg
	case tm:
		c.proj, err = newTmerc(b.ell, d.lat0, d.lon0, d.p1, fe, fn)
	case lcc:
		c.proj, err = newLCC2SP(b.ell, d.lat0, d.lon0, d.p1, d.p2, fe, fn)
	case aea:
		c.proj, err = newAlbers(b.ell, d.lat0, d.lon0, d.p1, d.p2, fe, fn)
	case web:
		c.ell = newEllipsoid(b.ell.name, b.ell.a, 0)
		c.proj = &merc{ak0: b.ell.a, lam0: d.lon0 * deg, fe: fe, fn: fn}
	default:
		err = fmt.Errorf("unknown method %q", d.method)
	}
	if err != nil {
		return nil, fmt.Errorf("built-in %s: %w", d.code, err)
	}
	return c, nil
}

// builtinEntries lists every built-in CRS definition.
func builtinEntries() []builtinEntry {
	world := [4]float64{-180, -90, 180, 90}
	northAmerica := [4]float64{167.65, 14.92, -40.73, 86.45}
	out := []builtinEntry{
		{spcsZone{code: "EPSG:4326", name: "WGS 84", method: geo, area: world}, wgs84Ell, datumWGS84},
		{spcsZone{code: "OGC:CRS84", name: "WGS 84 (CRS84)", method: geo, area: world}, wgs84Ell, datumWGS84},
		{spcsZone{code: "EPSG:4269", name: "NAD83", method: geo, area: northAmerica}, grs80, datumNAD83},
		{spcsZone{code: "EPSG:4152", name: "NAD83(HARN)", method: geo, area: [4]float64{-124.79, -14.59, 144.99, 49.38}}, grs80, datumNAD83},
		{spcsZone{code: "EPSG:4267", name: "NAD27", method: geo, area: [4]float64{167.65, 7.15, -47.74, 83.17}}, clarke1866, datumNAD27},
		{spcsZone{code: "EPSG:5070", name: "NAD83 / Conus Albers", method: aea, unit: m, lat0: 23, lon0: -96, p1: 29.5, p2: 45.5, area: [4]float64{-124.79, 24.41, -66.91, 49.38}}, grs80, datumNAD83},
		{spcsZone{code: "EPSG:3310", name: "NAD83 / California Albers", method: aea, unit: m, lat0: 0, lon0: -120, p1: 34, p2: 40.5, fn: -4000000, area: [4]float64{-124.45, 32.53, -114.12, 42.01}}, grs80, datumNAD83},
		{spcsZone{code: "EPSG:3338", name: "NAD83 / Alaska Albers", method: aea, unit: m, lat0: 50, lon0: -154, p1: 55, p2: 65, area: [4]float64{172.42, 51.3, -129.99, 71.4}}, grs80, datumNAD83},
	}
	webArea := [4]float64{-180, -85.06, 180, 85.06}
	for _, code := range []string{"EPSG:3857", "EPSG:900913", "EPSG:3785", "ESRI:102100", "ESRI:102113"} {
		out = append(out, builtinEntry{spcsZone{code: code, name: "WGS 84 / Pseudo-Mercator", method: web, unit: m, area: webArea}, wgs84Ell, datumWGS84})
	}
	for zone := 1; zone <= 60; zone++ {
		cm := float64(6*zone - 183)
		out = append(out,
			builtinEntry{spcsZone{code: "EPSG:" + strconv.Itoa(32600+zone), name: fmt.Sprintf("WGS 84 / UTM zone %dN", zone),
				method: tm, unit: m, lon0: cm, p1: 0.9996, fe: 500000, area: [4]float64{cm - 3, 0, cm + 3, 84}}, wgs84Ell, datumWGS84},
			builtinEntry{spcsZone{code: "EPSG:" + strconv.Itoa(32700+zone), name: fmt.Sprintf("WGS 84 / UTM zone %dS", zone),
				method: tm, unit: m, lon0: cm, p1: 0.9996, fe: 500000, fn: 10000000, area: [4]float64{cm - 3, -80, cm + 3, 0}}, wgs84Ell, datumWGS84},
		)
	}
	// NAD83 UTM zones 1-23 and NAD27 UTM zones 1-22; their areas are the
	// zone's longitude band over North America (approximate).
	for zone := 1; zone <= 23; zone++ {
		cm := float64(6*zone - 183)
		area := [4]float64{cm - 3, 15, cm + 3, 84}
		out = append(out, builtinEntry{spcsZone{code: "EPSG:" + strconv.Itoa(26900+zone), name: fmt.Sprintf("NAD83 / UTM zone %dN", zone),
			method: tm, unit: m, lon0: cm, p1: 0.9996, fe: 500000, area: area}, grs80, datumNAD83})
		if zone <= 22 {
			out = append(out, builtinEntry{spcsZone{code: "EPSG:" + strconv.Itoa(26700+zone), name: fmt.Sprintf("NAD27 / UTM zone %dN", zone),
				method: tm, unit: m, lon0: cm, p1: 0.9996, fe: 500000, area: area}, clarke1866, datumNAD27})
		}
	}
	for _, z := range spcsZones {
		out = append(out, builtinEntry{z, grs80, datumNAD83})
	}
	have := make(map[string]bool, len(out))
	for _, e := range out {
		have[e.def.code] = true
	}
	extra, _, err := extraEntries()
	if err != nil {
		panic(err) // the embedded table is fixed; TestExtraTable reads it
	}
	for _, e := range extra {
		if !have[e.def.code] {
			out = append(out, e)
		}
	}
	return out
}

// builtins holds every built-in CRS by code, built once.
var builtins = sync.OnceValue(func() map[string]*CRS {
	out := map[string]*CRS{}
	for _, e := range builtinEntries() {
		c, err := e.build()
		if err != nil {
			// The table is fixed; TestCodes checks every entry builds.
			panic(err)
		}
		out[e.def.code] = c
	}
	_, bases, _ := extraEntries()
	for code, base := range bases {
		out[code].base = base
	}
	return out
})

// Codes returns every code of the built-in table, sorted ("EPSG:2230",
// "ESRI:102629", "OGC:CRS84", ...).
func Codes() []string { return slices.Clone(sortedCodes()) }

var sortedCodes = sync.OnceValue(func() []string {
	out := make([]string, 0, len(builtins()))
	for k := range builtins() {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
})

// lookup finds a built-in CRS by authority and code.
func lookup(auth, code string) (*CRS, error) {
	switch auth {
	case "EPSG", "ESRI", "OGC":
	default:
		return nil, fmt.Errorf("authority %q in %s:%s is not supported (use EPSG, ESRI or OGC): %w", auth, auth, code, ErrUnknownCRS)
	}
	key := auth + ":" + code
	if c, ok := builtins()[key]; ok {
		return c, nil
	}
	// ArcGIS writes its own codes with EPSG as the authority.
	if auth == "EPSG" {
		if c, ok := builtins()["ESRI:"+code]; ok {
			return c, nil
		}
	}
	return nil, fmt.Errorf("%s is not in the built-in table (geographic WGS84/NAD83/NAD27; the EPSG dataset's Transverse Mercator, Lambert Conformal Conic 2SP and Albers systems on NAD83, its realisations, NAD27 and WGS 84: UTM, State Plane and more; Web Mercator); pass the CRS as WKT instead: %w", key, ErrUnknownCRS)
}

// builtinArea returns the area of use of a built-in code.
func builtinArea(code string) ([4]float64, bool) {
	if code == "" {
		return [4]float64{}, false
	}
	c, ok := builtins()[strings.ToUpper(code)]
	if !ok || c.area == nil {
		return [4]float64{}, false
	}
	return *c.area, true
}

// areaCentre returns the middle of an area of use, across the antimeridian
// when minLon > maxLon.
func areaCentre(a [4]float64) (lon, lat float64) {
	w, e := a[0], a[2]
	if w > e {
		e += 360
	}
	lon = (w + e) / 2
	if lon > 180 {
		lon -= 360
	}
	return lon, (a[1] + a[3]) / 2
}

// matchBuiltin finds the built-in projected CRS that c is a copy of (same
// ellipsoid, datum kind, unit and projection), as for an ESRI .prj that
// carries no code. Candidates are compared by what they compute at three
// points of their own area of use.
func matchBuiltin(c *CRS) (string, [4]float64, bool) {
	if c.proj == nil {
		return "", [4]float64{}, false
	}
	for _, code := range sortedCodes() {
		b := builtins()[code]
		if b.proj == nil || b.unit != c.unit || b.pm != c.pm || b.datum.identity != c.datum.identity ||
			b.ell.a != c.ell.a || math.Abs(b.ell.f-c.ell.f) > 1e-12 ||
			!sameKind(b.proj, c.proj) || math.Abs(lam0Of(b.proj)-lam0Of(c.proj)) > 1e-9 {
			continue
		}
		lon, lat := areaCentre(*b.area)
		same := true
		for _, d := range [][2]float64{{0, 0}, {1, 1}, {-1, -1}} {
			x1, y1, err1 := b.FromWGS84(lon+d[0], lat+d[1])
			x2, y2, err2 := c.FromWGS84(lon+d[0], lat+d[1])
			if err1 != nil || err2 != nil || math.Abs(x1-x2) > 1e-4 || math.Abs(y1-y2) > 1e-4 {
				same = false
				break
			}
		}
		if same {
			return code, *b.area, true
		}
	}
	return "", [4]float64{}, false
}

// sameKind reports whether two projections are of the same type.
func sameKind(a, b projection) bool {
	switch a.(type) {
	case *tmerc:
		_, ok := b.(*tmerc)
		return ok
	case *lambertConic:
		_, ok := b.(*lambertConic)
		return ok
	case *albers:
		_, ok := b.(*albers)
		return ok
	case *merc:
		_, ok := b.(*merc)
		return ok
	}
	return false
}

// lam0Of returns a projection's central meridian in radians.
func lam0Of(p projection) float64 {
	switch p := p.(type) {
	case *tmerc:
		return p.lam0
	case *lambertConic:
		return p.lam0
	case *albers:
		return p.lam0
	case *merc:
		return p.lam0
	}
	return math.NaN()
}
