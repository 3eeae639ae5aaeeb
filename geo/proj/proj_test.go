package proj

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twpayne/go-geom"
)

func readDef(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustParse(t testing.TB, def string) *CRS {
	t.Helper()
	c, err := Parse(def)
	if err != nil {
		t.Fatalf("Parse(%.60q): %v", def, err)
	}
	return c
}

// TestImperialControlPoints checks the 12 Imperial County places against
// PROJ 9.1.1's cs2cs in EPSG:2230 (California zone 6, US feet) and UTM 11N,
// to 1 mm both ways, for every way of naming those CRSs.
func TestImperialControlPoints(t *testing.T) {
	rows := readCSV(t, "testdata/imperial_places_wgs84_to_epsg2230_and_26911.csv")
	if len(rows) != 12 {
		t.Fatalf("%d places, want 12", len(rows))
	}
	spcs := []string{"x_epsg2230_ftUS", "y_epsg2230_ftUS"}
	utm := []string{"x_epsg26911_m", "y_epsg26911_m"}
	cases := []struct {
		name string
		def  string
		cols []string
	}{
		{"2230 ESRI prj", readDef(t, "testdata/EPSG_2230_NAD83_California_zone6_ftUS.esri.prj"), spcs},
		{"2230 GDAL WKT1", readDef(t, "testdata/EPSG_2230.wkt1_gdal.txt"), spcs},
		{"2875 HARN ESRI prj", readDef(t, "testdata/EPSG_2875_NAD83HARN_California_zone6_ftUS.esri.prj"), spcs},
		{"EPSG:2230", "EPSG:2230", spcs},
		{"URN 2230", "urn:ogc:def:crs:EPSG::2230", spcs},
		{"26911 ESRI prj", readDef(t, "testdata/EPSG_26911_NAD83_UTM11N.esri.prj"), utm},
		{"EPSG:26911", "EPSG:26911", utm},
		{"OGC URI 26911", "http://www.opengis.net/def/crs/EPSG/0/26911", utm},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := mustParse(t, tc.def)
			if c.IsGeographic() {
				t.Fatal("IsGeographic() = true for a projected CRS")
			}
			col := 3
			if tc.cols[0] == utm[0] {
				col = 5
			}
			for _, row := range rows {
				v := parseFloats(t, row[1:])
				lat, lon, wantX, wantY := v[0], v[1], v[col-1], v[col]
				x, y, err := c.FromWGS84(lon, lat)
				if err != nil {
					t.Fatalf("%s: %v", row[0], err)
				}
				if d := math.Hypot(x-wantX, y-wantY) * c.unit; d > 0.001 {
					t.Errorf("%s: FromWGS84 = (%.4f, %.4f), PROJ (%.4f, %.4f): %.2f mm apart", row[0], x, y, wantX, wantY, d*1000)
				}
				gl, gp, err := c.ToWGS84(wantX, wantY)
				if err != nil {
					t.Fatalf("%s: %v", row[0], err)
				}
				if d := groundDist(gl, gp, lon, lat); d > 0.001 {
					t.Errorf("%s: ToWGS84 = (%.9f, %.9f), want (%v, %v): %.2f mm apart", row[0], gl, gp, lon, lat, d*1000)
				}
			}
		})
	}
}

// TestRoundTripEveryCode converts the centre of every built-in CRS's area of
// use to the CRS and back.
func TestRoundTripEveryCode(t *testing.T) {
	codes := Codes()
	if len(codes) < 400 {
		t.Fatalf("only %d built-in codes", len(codes))
	}
	for _, code := range codes {
		c := mustParse(t, code)
		a, ok := c.AreaOfUse()
		if !ok {
			t.Errorf("%s: no area of use", code)
			continue
		}
		lon, lat := areaCentre(a)
		x, y, err := c.FromWGS84(lon, lat)
		if err != nil {
			t.Errorf("%s: FromWGS84(%v, %v): %v", code, lon, lat, err)
			continue
		}
		gl, gp, err := c.ToWGS84(x, y)
		if err != nil {
			t.Errorf("%s: ToWGS84(%v, %v): %v", code, x, y, err)
			continue
		}
		if math.Abs(math.Remainder(gl-lon, 360)) > 1e-9 || math.Abs(gp-lat) > 1e-9 {
			t.Errorf("%s: (%v, %v) → (%v, %v) → (%.12f, %.12f)", code, lon, lat, x, y, gl, gp)
		}
	}
}

// TestStatePlaneCoverage checks the table has every State Plane zone in
// metres and in US or international feet.
func TestStatePlaneCoverage(t *testing.T) {
	metres, feet := map[string]bool{}, map[string]bool{}
	for _, z := range spcsZones {
		// Zones are told apart by their area of use.
		key := fmt.Sprint(z.area)
		if z.unit == m {
			metres[key] = true
		} else {
			feet[key] = true
		}
	}
	if len(metres) < 120 {
		t.Errorf("%d metre zones, want the ~123 SPCS83 LCC/TM zones", len(metres))
	}
	for k := range metres {
		if !feet[k] {
			t.Errorf("zone with area %s has no feet code", k)
		}
	}
	for _, code := range []string{"EPSG:2230", "EPSG:3435", "EPSG:26847", "EPSG:26983", "EPSG:2263", "EPSG:32118", "ESRI:102629"} {
		if _, ok := builtins()[code]; !ok {
			t.Errorf("%s missing", code)
		}
	}
}

func TestParseForms(t *testing.T) {
	cases := []struct {
		name, def, code, crsName string
		geographic               bool
	}{
		{"EPSG 4326", "EPSG:4326", "EPSG:4326", "WGS 84", true},
		{"lower case", "epsg:4269", "EPSG:4269", "NAD83", true},
		{"double colon", "EPSG::4267", "EPSG:4267", "NAD27", true},
		{"URN", "urn:ogc:def:crs:EPSG::3857", "EPSG:3857", "WGS 84 / Pseudo-Mercator", false},
		{"URN with version", "urn:ogc:def:crs:EPSG:9.1:32611", "EPSG:32611", "WGS 84 / UTM zone 11N", false},
		{"CRS84 URN", "urn:ogc:def:crs:OGC:1.3:CRS84", "OGC:CRS84", "WGS 84 (CRS84)", true},
		{"CRS84 OGC URI", "http://www.opengis.net/def/crs/OGC/1.3/CRS84", "OGC:CRS84", "WGS 84 (CRS84)", true},
		{"900913", "EPSG:900913", "EPSG:900913", "WGS 84 / Pseudo-Mercator", false},
		{"ESRI web mercator as EPSG", "EPSG:102100", "ESRI:102100", "WGS 84 / Pseudo-Mercator", false},
		{"UTM south", "EPSG:32760", "EPSG:32760", "WGS 84 / UTM zone 60S", false},
		{"NAD27 UTM", "EPSG:26711", "EPSG:26711", "NAD27 / UTM zone 11N", false},
		{"Conus Albers", "EPSG:5070", "EPSG:5070", "NAD83 / Conus Albers", false},
		{"space and BOM", "\ufeff  EPSG:2230\n", "EPSG:2230", "NAD83 / California zone 6 (ftUS)", false},
		{"ESRI prj gets code", readDef(t, "testdata/chicago/Neighborhoods_2012b.prj"), "EPSG:3435", "NAD_1983_StatePlane_Illinois_East_FIPS_1201_Feet", false},
		{"GDAL geographic", readDef(t, "testdata/wkt/4326_wgs84.gdal.prj"), "EPSG:4326", "WGS 84", true},
		{"ESRI geographic", readDef(t, "testdata/wkt/4269_nad83.esri.prj"), "", "GCS_North_American_1983", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := mustParse(t, tc.def)
			if c.Code() != tc.code || c.Name() != tc.crsName || c.IsGeographic() != tc.geographic {
				t.Errorf("got code %q name %q geographic %v, want %q %q %v", c.Code(), c.Name(), c.IsGeographic(), tc.code, tc.crsName, tc.geographic)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, def, mention string
	}{
		{"empty", "  ", "empty"},
		{"garbage", "hello world", "hello world"},
		{"unknown code", "EPSG:9999999", "EPSG:9999999"},
		{"unknown authority", "IGNF:LAMB93", "IGNF"},
		{"bad URN", "urn:ogc:def:crs:EPSG", "urn:ogc:def:crs:EPSG"},
		{"unclosed WKT", `PROJCS["x",GEOGCS["y"`, "not closed"},
		{"trailing text", `GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]]] junk`, "junk"},
		{"datum without shift", readDef(t, "testdata/wkt-unsupported/27572_ntf_lambert2.esri.prj"), "D_NTF"},
		{"oblique mercator", readDef(t, "testdata/wkt-unsupported/3078_michigan_oblique.gdal.prj"), "Hotine_Oblique_Mercator"},
		{"polar stereographic", readDef(t, "testdata/wkt-unsupported/3031_polar_stereographic.gdal.prj"), "Polar_Stereographic"},
		{"WKT2", readDef(t, "testdata/wkt-unsupported/2230.wkt2.txt"), "WKT2"},
		{"unknown parameter", strings.Replace(readDef(t, "testdata/EPSG_26911_NAD83_UTM11N.esri.prj"), "Scale_Factor", "Azimuth", 1), "Azimuth"},
		{"missing GEOGCS", `PROJCS["x",PROJECTION["Transverse_Mercator"]]`, "GEOGCS"},
		{"not an ellipsoid", `GEOGCS["x",DATUM["d",SPHEROID["s",1,0]]]`, "not an earth ellipsoid"},
		{"geocentric", `GEOCCS["x",DATUM["d",SPHEROID["s",6378137,298.257223563]]]`, "GEOCCS"},
		{"deep nesting", strings.Repeat("A[", 100) + strings.Repeat("]", 100), "nested"},
		{"aux sphere 1", strings.Replace(readDef(t, "testdata/wkt/3857_web_mercator.esri.prj"), `"Auxiliary_Sphere_Type",0.0`, `"Auxiliary_Sphere_Type",1.0`, 1), "Auxiliary_Sphere_Type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(tc.def)
			if err == nil {
				t.Fatalf("Parse gave %v, want an error", c)
			}
			if c != nil {
				t.Errorf("Parse returned a CRS with its error")
			}
			if !errors.Is(err, ErrUnknownCRS) {
				t.Errorf("error %v does not wrap ErrUnknownCRS", err)
			}
			if !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("error %q does not mention %q", err, tc.mention)
			}
		})
	}
}

func TestDomainErrors(t *testing.T) {
	utm := mustParse(t, "EPSG:32611")
	web := mustParse(t, "EPSG:3857")
	wgs := mustParse(t, "EPSG:4326")
	albers := mustParse(t, "EPSG:5070")
	cases := []struct {
		name string
		f    func() error
	}{
		{"NaN to", func() error { _, _, err := utm.ToWGS84(math.NaN(), 0); return err }},
		{"Inf from", func() error { _, _, err := utm.FromWGS84(math.Inf(1), 0); return err }},
		{"latitude past pole", func() error { _, _, err := utm.FromWGS84(0, 91); return err }},
		{"TM far side", func() error { _, _, err := utm.FromWGS84(63, 10); return err }},
		{"TM absurd easting", func() error { _, _, err := utm.ToWGS84(1e12, 0); return err }},
		{"mercator pole", func() error { _, _, err := web.FromWGS84(0, 90); return err }},
		{"mercator huge northing", func() error { _, _, err := web.ToWGS84(0, 1e300); return err }},
		{"geographic latitude", func() error { _, _, err := wgs.ToWGS84(10, 95); return err }},
		{"albers outside", func() error { _, _, err := albers.ToWGS84(0, 1e9); return err }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.f(); !errors.Is(err, ErrDomain) {
				t.Errorf("error %v, want ErrDomain", err)
			}
		})
	}
}

// shpHeader reads the bounding box (bytes 36..68) of a .shp file header and
// the first point of its first record (a point, or the first vertex of a
// polyline or polygon).
func shpHeader(t *testing.T, path string) (bbox [4]float64, first [2]float64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	f64 := func(off int) float64 { return math.Float64frombits(le.Uint64(b[off:])) }
	for i := range 4 {
		bbox[i] = f64(36 + 8*i)
	}
	switch typ := le.Uint32(b[108:]); typ {
	case 1:
		first = [2]float64{f64(112), f64(120)}
	case 3, 5:
		numParts := int(le.Uint32(b[144:]))
		off := 100 + 8 + 4 + 32 + 4 + 4 + 4*numParts
		first = [2]float64{f64(off), f64(off + 8)}
	default:
		t.Fatalf("%s: shape type %d", path, typ)
	}
	return bbox, first
}

func inBox(lon, lat float64, b [4]float64) bool {
	return lon >= b[0] && lon <= b[2] && lat >= b[1] && lat <= b[3]
}

func TestRealFiles(t *testing.T) {
	chicago := [4]float64{-87.95, 41.6, -87.5, 42.05}
	bangor := [4]float64{-68.9, 44.7, -68.6, 44.9}
	cases := []struct {
		name, prj, shp string
		want           [4]float64
		inArea         bool // lands inside the CRS's area of use
	}{
		{"Chicago neighbourhoods", "testdata/chicago/Neighborhoods_2012b.prj", "testdata/chicago/Neighborhoods_2012b.head.shp", chicago, true},
		{"Bangor historic sites", "testdata/bangor/HistoricSites.prj", "testdata/bangor/HistoricSites.shp", bangor, true},
		// OnStreetParking.prj says metres but the data is in US feet:
		// read as the .prj says, it lands far outside Maine East, which
		// AreaOfUse lets an importer notice.
		{"Bangor parking, wrong prj", "testdata/bangor/OnStreetParking.prj", "testdata/bangor/OnStreetParking.head.shp", [4]float64{}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := mustParse(t, readDef(t, tc.prj))
			area, ok := c.AreaOfUse()
			if !ok {
				t.Fatalf("%s: no area of use (code %q)", c, c.Code())
			}
			bbox, first := shpHeader(t, tc.shp)
			pts := [][2]float64{first, {bbox[0], bbox[1]}, {bbox[2], bbox[3]}}
			for _, p := range pts {
				lon, lat, err := c.ToWGS84(p[0], p[1])
				if err != nil {
					t.Fatal(err)
				}
				if got := inBox(lon, lat, area); got != tc.inArea {
					t.Errorf("(%v, %v) → (%.6f, %.6f): inside area of use %v = %v, want %v", p[0], p[1], lon, lat, area, got, tc.inArea)
				}
				if tc.inArea && !inBox(lon, lat, tc.want) {
					t.Errorf("(%v, %v) → (%.6f, %.6f), outside %v", p[0], p[1], lon, lat, tc.want)
				}
			}
			if tc.inArea {
				return
			}
			// Read as US feet (the same zone's feet definition), the
			// parking data lands in Bangor.
			feet := mustParse(t, "EPSG:26847")
			lon, lat, err := feet.ToWGS84(first[0], first[1])
			if err != nil || !inBox(lon, lat, bangor) {
				t.Errorf("as EPSG:26847: (%.6f, %.6f) %v, want inside Bangor", lon, lat, err)
			}
		})
	}
}

// TestNAD27 checks the built-in EPSG:4267 against PROJ's numbers for the
// same three-parameter shift (testdata/wkt/4267_nad27_towgs84.gdal.prj).
func TestNAD27(t *testing.T) {
	c := mustParse(t, "EPSG:4267")
	n := 0
	for _, row := range readCSV(t, "testdata/wkt_reference.csv") {
		if row[0] != "4267_nad27_towgs84.gdal.prj" {
			continue
		}
		n++
		v := parseFloats(t, row[1:])
		x, y, err := c.FromWGS84(v[0], v[1])
		if err != nil {
			t.Fatal(err)
		}
		if d := groundDist(x, y, v[2], v[3]); d > 0.001 {
			t.Errorf("FromWGS84(%v, %v) = (%.10f, %.10f), PROJ (%v, %v)", v[0], v[1], x, y, v[2], v[3])
		}
		// The shift itself is metres to tens of metres.
		if d := groundDist(x, y, v[0], v[1]); d < 1 || d > 200 {
			t.Errorf("NAD27 shift at (%v, %v) is %.1f m", v[0], v[1], d)
		}
	}
	if n == 0 {
		t.Fatal("no NAD27 reference rows")
	}
}

func TestTransformGeom(t *testing.T) {
	c := mustParse(t, "EPSG:2230")
	// Imperial and Brawley in EPSG:2230 (PROJ's numbers).
	ix, iy := 6770683.8948, 1888840.5404
	bx, by := 6782384.5179, 1936624.1816
	wantI := [2]float64{-115.56944, 32.84755}
	wantB := [2]float64{-115.53027, 32.97866}

	t.Run("linestring ZM keeps Z and M", func(t *testing.T) {
		g := geom.NewLineStringFlat(geom.XYZM, []float64{ix, iy, 12.5, 7, bx, by, -3, 8})
		if err := c.TransformGeom(g); err != nil {
			t.Fatal(err)
		}
		f := g.FlatCoords()
		for i, want := range [][2]float64{wantI, wantB} {
			if d := groundDist(f[4*i], f[4*i+1], want[0], want[1]); d > 0.001 {
				t.Errorf("vertex %d = (%v, %v), want %v", i, f[4*i], f[4*i+1], want)
			}
		}
		if f[2] != 12.5 || f[3] != 7 || f[6] != -3 || f[7] != 8 {
			t.Errorf("Z/M changed: %v", f)
		}
		b := g.Bounds()
		if !inBox(b.Min(0), b.Min(1), [4]float64{-116, 32, -115, 34}) {
			t.Errorf("bounds %v not updated", b)
		}
	})
	t.Run("collection", func(t *testing.T) {
		gc := geom.NewGeometryCollection()
		if err := gc.Push(geom.NewPointFlat(geom.XY, []float64{ix, iy}),
			geom.NewPolygonFlat(geom.XY, []float64{ix, iy, bx, by, bx, iy, ix, iy}, []int{8})); err != nil {
			t.Fatal(err)
		}
		if err := c.TransformGeom(gc); err != nil {
			t.Fatal(err)
		}
		p := gc.Geom(0).FlatCoords()
		q := gc.Geom(1).FlatCoords()
		if groundDist(p[0], p[1], wantI[0], wantI[1]) > 0.001 || groundDist(q[2], q[3], wantB[0], wantB[1]) > 0.001 {
			t.Errorf("collection not transformed: %v %v", p, q)
		}
	})
	t.Run("failure leaves geometry unchanged", func(t *testing.T) {
		in := []float64{ix, iy, math.NaN(), by}
		g := geom.NewMultiPointFlat(geom.XY, append([]float64(nil), in...))
		err := c.TransformGeom(g)
		if !errors.Is(err, ErrDomain) || !strings.Contains(err.Error(), "coordinate 1") {
			t.Errorf("error %v, want ErrDomain at coordinate 1", err)
		}
		if f := g.FlatCoords(); f[0] != in[0] || f[1] != in[1] {
			t.Errorf("geometry changed on failure: %v", f)
		}
	})
	t.Run("empty and nil", func(t *testing.T) {
		if err := c.TransformGeom(geom.NewPolygon(geom.XY)); err != nil {
			t.Errorf("empty polygon: %v", err)
		}
		if err := c.TransformGeom(nil); err == nil {
			t.Error("nil geometry: no error")
		}
	})
}

// FuzzParse feeds Parse the testdata definitions and their mutations; it
// must never panic, and whatever it accepts must transform without panic.
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"testdata/*.prj", "testdata/*.txt", "testdata/*/*.prj", "testdata/*/*.txt"} {
		files, _ := filepath.Glob(pattern)
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(string(b))
		}
	}
	for _, code := range []string{"EPSG:4326", "urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:2230", "ESRI:102629"} {
		f.Add(code)
	}
	f.Fuzz(func(t *testing.T, def string) {
		c, err := Parse(def)
		if err != nil {
			if c != nil {
				t.Fatal("CRS and error together")
			}
			return
		}
		x, y, err := c.FromWGS84(-100, 40)
		if err == nil {
			_, _, _ = c.ToWGS84(x, y)
		}
		_, _, _ = c.ToWGS84(0, 0)
	})
}
