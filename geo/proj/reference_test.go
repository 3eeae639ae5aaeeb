package proj

import (
	"bufio"
	"encoding/csv"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var (
	update      = flag.Bool("update", false, "regenerate testdata/builtin_reference.csv and testdata/wkt_reference.csv with PROJ's cs2cs (must be installed)")
	updateCodes = flag.String("update-codes", "", "with -update, regenerate only the rows of these comma-separated codes in builtin_reference.csv")
)

// mmPerDegLat is a safe upper bound on metres per degree of latitude, used to
// turn angle differences into ground distances.
const mPerDeg = 111700.0

// groundDist returns an upper bound in metres of the distance between two
// lon/lat points a few millimetres apart.
func groundDist(lon1, lat1, lon2, lat2 float64) float64 {
	dlon := math.Remainder(lon1-lon2, 360) * math.Cos(lat1*deg)
	return math.Hypot(dlon, lat1-lat2) * mPerDeg
}

// refPoints returns the points of a built-in CRS's area of use that the
// reference file holds: the centre and two points 30% of the way to opposite
// corners.
func refPoints(a [4]float64) [][2]float64 {
	lon, lat := areaCentre(a)
	w := a[2] - a[0]
	if w < 0 {
		w += 360
	}
	h := a[3] - a[1]
	wrap := func(l float64) float64 { return math.Remainder(l, 360) }
	return [][2]float64{
		{lon, lat},
		{wrap(lon + 0.15*w), lat + 0.15*h},
		{wrap(lon - 0.15*w), lat - 0.15*h},
	}
}

// baseGeographic names the geographic CRS in which PROJ takes the built-in
// CRS's own longitude and latitude, so the reference tests the projection
// alone.
func baseGeographic(c *CRS) string {
	switch {
	case c.base != "":
		return c.base
	case c.ell.a == clarke1866.a:
		return "EPSG:4267"
	case c.ell.a == wgs84Ell.a && math.Abs(c.ell.f-wgs84Ell.f) < 1e-15, c.ell.f == 0:
		return "EPSG:4326"
	default:
		return "EPSG:4269"
	}
}

// cs2cs runs PROJ's cs2cs from src to dst on lines of input.
func cs2cs(t *testing.T, src, dst string, in []string) [][2]float64 {
	t.Helper()
	args := append(strings.Fields(src), "+to")
	args = append(args, strings.Fields(dst)...)
	if !strings.HasPrefix(src, "+") {
		args = []string{src, dst}
	}
	cmd := exec.Command("cs2cs", append([]string{"-f", "%.10f"}, args...)...)
	cmd.Stdin = strings.NewReader(strings.Join(in, "\n") + "\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cs2cs %v: %v", args, err)
	}
	var res [][2]float64
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			t.Fatalf("cs2cs %v: bad line %q", args, sc.Text())
		}
		x, err1 := strconv.ParseFloat(f[0], 64)
		y, err2 := strconv.ParseFloat(f[1], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("cs2cs %v: bad line %q", args, sc.Text())
		}
		res = append(res, [2]float64{x, y})
	}
	if len(res) != len(in) {
		t.Fatalf("cs2cs %v: %d lines out for %d in", args, len(res), len(in))
	}
	return res
}

// projKnows reports whether PROJ's database has the code.
func projKnows(code string) bool {
	return exec.Command("projinfo", "-q", "-o", "PROJ", code).Run() == nil
}

func writeCSV(t *testing.T, path string, header []string, rows [][]string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	_ = w.Write(header)
	_ = w.WriteAll(rows)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(rows) < 2 {
		t.Fatalf("%s: no data rows", path)
	}
	return rows[1:]
}

func parseFloats(t *testing.T, row []string) []float64 {
	t.Helper()
	out := make([]float64, len(row))
	for i, s := range row {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("row %v: %v", row, err)
		}
		out[i] = v
	}
	return out
}

func ff(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// updateBuiltinReference writes, for every built-in code PROJ knows, the
// reference points projected by cs2cs from the CRS's base geographic CRS.
func updateBuiltinReference(t *testing.T) {
	var rows [][]string
	only := map[string]bool{}
	for _, c := range strings.Split(*updateCodes, ",") {
		if c != "" {
			only[c] = true
		}
	}
	var kept map[string][][]string
	if len(only) > 0 {
		kept = map[string][][]string{}
		for _, r := range readCSV(t, "testdata/builtin_reference.csv") {
			kept[r[0]] = append(kept[r[0]], r)
		}
	}
	for _, code := range Codes() {
		c := builtins()[code]
		if len(only) > 0 && !only[code] {
			rows = append(rows, kept[code]...)
			continue
		}
		if c.proj == nil || !projKnows(code) {
			continue
		}
		pts := refPoints(*c.area)
		in := make([]string, len(pts))
		for i, p := range pts {
			in[i] = fmt.Sprintf("%.10f %.10f", p[1], p[0]) // EPSG geographic CRSs are lat, lon
		}
		for i, xy := range cs2cs(t, baseGeographic(c), code, in) {
			rows = append(rows, []string{code, ff(pts[i][0]), ff(pts[i][1]), ff(xy[0]), ff(xy[1])})
		}
	}
	writeCSV(t, "testdata/builtin_reference.csv", []string{"code", "lon", "lat", "x", "y"}, rows)
}

// wktCases gives, for each file of testdata/wkt, the WGS84 lon/lat points of
// the reference, and the CRS PROJ should read them in when the file is
// geographic (cs2cs wants a PROJ string to keep lon, lat order).
var wktCases = map[string]struct {
	points [][2]float64
	asPROJ string
}{
	"2154_lambert93.gdal.prj":             {points: [][2]float64{{2.35, 48.85}, {-4.5, 48.4}, {7.7, 43.7}}},
	"27572_ntf_lambert2_towgs84.gdal.prj": {points: [][2]float64{{2.35, 48.85}, {-1.5, 47.2}, {5.4, 43.3}}},
	"27700_osgb_towgs84.gdal.prj":         {points: [][2]float64{{-0.1276, 51.5072}, {-3.19, 55.95}, {-5.7, 50.07}}},
	"32633_utm33n.gdal.prj":               {points: [][2]float64{{15, 0.5}, {13.4, 52.5}, {17.9, -33.9}}},
	"3395_world_mercator.gdal.prj":        {points: [][2]float64{{0, 0}, {-73.98, 40.75}, {151.2, -33.87}}},
	"3857_pseudo_mercator.gdal.prj":       {points: [][2]float64{{0, 0}, {-87.63, 41.88}, {151.2, -33.87}}},
	"3857_web_mercator.esri.prj":          {points: [][2]float64{{0, 0}, {-87.63, 41.88}, {151.2, -33.87}}},
	"3994_mercator_2sp.gdal.prj":          {points: [][2]float64{{100, -41}, {147.3, -42.9}, {172.6, -43.5}}},
	"5070_conus_albers.esri.prj":          {points: [][2]float64{{-96, 23}, {-122.4, 37.8}, {-70.3, 43.7}}},
	"5070_conus_albers.gdal.prj":          {points: [][2]float64{{-96, 23}, {-122.4, 37.8}, {-70.3, 43.7}}},
	"4267_nad27_towgs84.gdal.prj": {
		points: [][2]float64{{-87.63, 41.88}, {-115.56944, 32.84755}, {-68.77, 44.8}},
		asPROJ: "+proj=longlat +ellps=clrk66 +towgs84=-8,160,176,0,0,0,0 +no_defs +type=crs",
	},
}

func updateWKTReference(t *testing.T) {
	var rows [][]string
	files, _ := filepath.Glob("testdata/wkt/*.prj")
	for _, path := range files {
		name := filepath.Base(path)
		wc, ok := wktCases[name]
		if !ok {
			continue
		}
		wkt, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		dst := strings.TrimSpace(string(wkt))
		if wc.asPROJ != "" {
			dst = wc.asPROJ
		}
		var out [][2]float64
		if strings.HasPrefix(dst, "+") {
			in := make([]string, len(wc.points))
			for i, p := range wc.points {
				in[i] = fmt.Sprintf("%.10f %.10f", p[0], p[1])
			}
			out = cs2cs(t, "+proj=longlat +datum=WGS84 +no_defs +type=crs", dst, in)
		} else {
			// EPSG:4326 takes latitude first.
			in := make([]string, len(wc.points))
			for i, p := range wc.points {
				in[i] = fmt.Sprintf("%.10f %.10f", p[1], p[0])
			}
			out = cs2cs(t, "EPSG:4326", dst, in)
		}
		// And back with PROJ's CRS → WGS84, which for a 7-parameter
		// TOWGS84 is not the exact inverse of the way there (PROJ inverts
		// the Helmert transformation approximately, about 1 mm here).
		back := make([]string, len(out))
		for i, xy := range out {
			back[i] = fmt.Sprintf("%.10f %.10f", xy[0], xy[1])
		}
		var lonlat [][2]float64
		if strings.HasPrefix(dst, "+") {
			lonlat = cs2cs(t, dst, "+proj=longlat +datum=WGS84 +no_defs +type=crs", back)
		} else {
			latlon := cs2cs(t, dst, "EPSG:4326", back)
			for _, p := range latlon {
				lonlat = append(lonlat, [2]float64{p[1], p[0]})
			}
		}
		for i, xy := range out {
			rows = append(rows, []string{name, ff(wc.points[i][0]), ff(wc.points[i][1]), ff(xy[0]), ff(xy[1]), ff(lonlat[i][0]), ff(lonlat[i][1])})
		}
	}
	writeCSV(t, "testdata/wkt_reference.csv", []string{"file", "lon", "lat", "x", "y", "back_lon", "back_lat"}, rows)
}

func TestUpdateReference(t *testing.T) {
	if !*update {
		t.Skip("run with -update to regenerate the PROJ reference files (needs cs2cs)")
	}
	t.Run("builtin", updateBuiltinReference)
	t.Run("wkt", updateWKTReference)
}

// TestBuiltinAgainstPROJ checks every built-in projected CRS against PROJ
// 9.1.1 at three points of its area of use, to 1 mm both ways. The
// reference holds longitude/latitude on the CRS's own datum, so the
// projection is tested alone (NAD27 included).
func TestBuiltinAgainstPROJ(t *testing.T) {
	rows := readCSV(t, "testdata/builtin_reference.csv")
	seen := map[string]bool{}
	for _, row := range rows {
		code := row[0]
		v := parseFloats(t, row[1:])
		lon, lat, wantX, wantY := v[0], v[1], v[2], v[3]
		c, err := Parse(code)
		if err != nil {
			t.Errorf("%s: %v", code, err)
			continue
		}
		seen[code] = true
		x, y, err := c.proj.forward(wrapPi(lon*deg-c.pm), lat*deg)
		if err != nil {
			t.Errorf("%s forward (%v, %v): %v", code, lon, lat, err)
			continue
		}
		x, y = x/c.unit, y/c.unit
		if d := math.Hypot(x-wantX, y-wantY) * c.unit; d > 0.001 {
			t.Errorf("%s forward (%v, %v) = (%.4f, %.4f), PROJ (%.4f, %.4f): %.4f m apart", code, lon, lat, x, y, wantX, wantY, d)
		}
		gl, gp, err := c.proj.inverse(wantX*c.unit, wantY*c.unit)
		if err != nil {
			t.Errorf("%s inverse (%v, %v): %v", code, wantX, wantY, err)
			continue
		}
		if d := groundDist(gl/deg, gp/deg, lon, lat); d > 0.001 {
			t.Errorf("%s inverse (%v, %v) = (%.10f, %.10f), want (%v, %v): %.4f m apart", code, wantX, wantY, gl/deg, gp/deg, lon, lat, d)
		}
	}
	// Every built-in projected code that PROJ knows must be in the file.
	for _, code := range Codes() {
		if builtins()[code].proj != nil && !seen[code] {
			switch code {
			case "EPSG:900913": // not in PROJ's database; an alias of EPSG:3857
			default:
				t.Errorf("%s has no PROJ reference; run go test -run TestUpdateReference -update", code)
			}
		}
	}
	t.Logf("%d reference points over %d codes", len(rows), len(seen))
}

// TestWKTAgainstPROJ reads each WKT of testdata/wkt and checks WGS84 →
// CRS → WGS84 against PROJ to 1 mm, datum shifts (TOWGS84) included.
func TestWKTAgainstPROJ(t *testing.T) {
	rows := readCSV(t, "testdata/wkt_reference.csv")
	files := map[string]bool{}
	for _, row := range rows {
		name := row[0]
		files[name] = true
		t.Run(name+"@"+row[1]+","+row[2], func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata/wkt", name))
			if err != nil {
				t.Fatal(err)
			}
			c, err := Parse(string(b))
			if err != nil {
				t.Fatal(err)
			}
			v := parseFloats(t, row[1:])
			lon, lat, wantX, wantY, backLon, backLat := v[0], v[1], v[2], v[3], v[4], v[5]
			// PROJ's own round trip is off by up to tol for 7-parameter
			// datum shifts (see updateWKTReference); ours is exact.
			tol := 0.001
			if groundDist(lon, lat, backLon, backLat) > 0.0001 {
				tol = 0.001 + groundDist(lon, lat, backLon, backLat)
			}
			x, y, err := c.FromWGS84(lon, lat)
			if err != nil {
				t.Fatal(err)
			}
			if c.IsGeographic() {
				if d := groundDist(x, y, wantX, wantY); d > tol {
					t.Errorf("FromWGS84(%v, %v) = (%.10f, %.10f), PROJ (%.10f, %.10f): %.4f m apart", lon, lat, x, y, wantX, wantY, d)
				}
			} else if d := math.Hypot(x-wantX, y-wantY) * c.unit; d > tol {
				t.Errorf("FromWGS84(%v, %v) = (%.4f, %.4f), PROJ (%.4f, %.4f): %.4f m apart", lon, lat, x, y, wantX, wantY, d)
			}
			gl, gp, err := c.ToWGS84(wantX, wantY)
			if err != nil {
				t.Fatal(err)
			}
			if d := groundDist(gl, gp, backLon, backLat); d > 0.001 {
				t.Errorf("ToWGS84(%v, %v) = (%.10f, %.10f), PROJ (%v, %v): %.4f m apart", wantX, wantY, gl, gp, backLon, backLat, d)
			}
		})
	}
	for name := range wktCases {
		if !files[name] {
			t.Errorf("%s has no PROJ reference; run go test -run TestUpdateReference -update", name)
		}
	}
}
