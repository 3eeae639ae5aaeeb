package importers

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/twpayne/go-geom"

	"github.com/cityatlas/cityatlas/geo/proj"
)

// The GeoPackage and FlatGeobuf tests convert files with the real ogr2ogr
// at run time and read the results back: they must equal what the source's
// own reader gives.

// ogr2ogr converts src to dst (format by name), skipping the test when
// ogr2ogr is missing (failing it when CI=true).
func ogr2ogr(t testing.TB, format, dst, src string, extra ...string) {
	t.Helper()
	p, err := exec.LookPath("ogr2ogr")
	if err != nil {
		msg := "ogr2ogr not found: install the Debian/Ubuntu package gdal-bin"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	args := append([]string{"-f", format, dst, src}, extra...)
	if out, err := exec.Command(p, args...).CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// gdalCopies converts src to a GeoPackage and a FlatGeobuf in a temporary
// folder and returns their paths.
func gdalCopies(t testing.TB, src string, extra ...string) (gpkgPath, fgbPath string) {
	t.Helper()
	dir := t.TempDir()
	base := strings.TrimSuffix(filepath.Base(src), filepath.Ext(src))
	gpkgPath = filepath.Join(dir, base+".gpkg")
	fgbPath = filepath.Join(dir, base+".fgb")
	ogr2ogr(t, "GPKG", gpkgPath, src, extra...)
	// Without the spatial index GDAL keeps the features' order and those
	// without geometry (TestGDALIndexed reads an indexed file).
	ogr2ogr(t, "FlatGeobuf", fgbPath, src, append([]string{"-lco", "SPATIAL_INDEX=NO"}, extra...)...)
	return gpkgPath, fgbPath
}

func TestGDALTypes(t *testing.T) {
	src := filepath.Join("testdata", "gdal", "types.geojson")
	gpkgPath, fgbPath := gdalCopies(t, src)
	want, errs := readAll(t, openOne(t, src, Options{}))
	if len(errs) > 0 || len(want) != 8 {
		t.Fatalf("source: %d features, errors %v", len(want), errs)
	}
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	instant := func(s string) time.Time { d, _ := time.Parse("2006-01-02T15:04:05", s); return d }
	for _, tc := range []struct{ name, path string }{{"gpkg", gpkgPath}, {"fgb", fgbPath}} {
		t.Run(tc.name, func(t *testing.T) {
			r := openOne(t, tc.path, Options{})
			if r.SRS() != "EPSG:4326" {
				t.Errorf("SRS %q, want EPSG:4326", r.SRS())
			}
			if r.GeometryType() != "Geometry" {
				t.Errorf("GeometryType %q, want Geometry (every kind is in the layer)", r.GeometryType())
			}
			types := map[string]string{}
			for _, f := range r.Fields() {
				types[f.Name] = f.Type
			}
			wantTypes := map[string]string{"name": TypeString, "count": TypeInteger, "height": TypeNumber, "working": TypeBoolean, "installed": TypeDate, "inspected": TypeDateTime}
			if tc.name == "fgb" {
				wantTypes["installed"] = TypeDateTime // FlatGeobuf has no date type
			}
			if !reflect.DeepEqual(types, wantTypes) {
				t.Errorf("field types %v, want %v", types, wantTypes)
			}
			got, errs := readAll(t, r)
			want := want
			if tc.name == "fgb" {
				want = want[:7] // GDAL's FlatGeobuf writer leaves out the feature without geometry
			}
			if len(errs) > 0 || len(got) != len(want) {
				t.Fatalf("%d features, errors %v; want %d", len(got), errs, len(want))
			}
			for i := range got {
				sameGeometry(t, fmt.Sprintf("feature %d", i+1), got[i].Geometry, want[i].Geometry)
				wp := want[i].Properties
				for k, v := range wp {
					switch k {
					case "count":
						if x, ok := v.(float64); ok {
							v = int64(x)
						}
					case "height":
						if n, ok := v.(int64); ok {
							v = float64(n)
						}
					case "installed":
						if v != nil {
							v = day(v.(string))
						}
					case "inspected":
						if v != nil {
							v = instant(v.(string))
						}
					}
					if g := got[i].Properties[k]; !reflect.DeepEqual(g, v) {
						t.Errorf("feature %d %s: %#v, want %#v", i+1, k, g, v)
					}
				}
			}
			if n := r.(NaiveCounter).NaiveDateTimes(); n < 6 {
				t.Errorf("NaiveDateTimes %d, want at least the 6 inspected values", n)
			}
		})
	}
}

// TestGDALNaiveDateTimesInZone: a date-time without an offset is a
// wall-clock time in Options.Location.
func TestGDALNaiveDateTimesInZone(t *testing.T) {
	gpkgPath, fgbPath := gdalCopies(t, filepath.Join("testdata", "gdal", "types.geojson"))
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Skipf("no time zone database: %v", err)
	}
	for _, p := range []string{gpkgPath, fgbPath} {
		fs, _ := readAll(t, openOne(t, p, Options{Location: la}))
		got := fs[0].Properties["inspected"].(time.Time)
		if want := time.Date(2022, 4, 16, 17, 15, 10, 0, time.UTC); !got.Equal(want) {
			t.Errorf("%s: inspected %v, want %v (10:15:10 in Los Angeles, PDT)", filepath.Ext(p), got.UTC(), want)
		}
	}
}

// TestGDALShapefileSuite converts every shapefile of the suite and
// compares with the shapefile reader. GDAL's own choices are allowed for:
// its FlatGeobuf writer leaves out the records without geometry (and writes
// an empty layer as a 0-byte file), a .dbf column named FID becomes the
// GeoPackage's feature id, and .dbf logicals become text.
func TestGDALShapefileSuite(t *testing.T) {
	shps, _ := filepath.Glob(filepath.Join("testdata", "shapefile-suite", "*.shp"))
	if len(shps) < 10 {
		t.Fatalf("%d shapefiles", len(shps))
	}
	for _, shp := range shps {
		name := strings.TrimSuffix(filepath.Base(shp), ".shp")
		if _, err := os.Stat(strings.TrimSuffix(shp, ".shp") + ".shx"); err != nil {
			continue // GDAL needs the .shx, this reader does not
		}
		t.Run(name, func(t *testing.T) {
			want, werrs := readAll(t, openOne(t, shp, Options{}))
			gpkgPath, fgbPath := gdalCopies(t, shp, "-nlt", "PROMOTE_TO_MULTI")
			for _, p := range []string{gpkgPath, fgbPath} {
				ext := filepath.Ext(p)
				wantHere := want
				if ext == ".fgb" {
					if len(want) == 0 {
						continue
					}
					wantHere = nil
					for _, f := range want {
						if f.Geometry != nil {
							wantHere = append(wantHere, f)
						}
					}
				}
				got, gerrs := readAll(t, openOne(t, p, Options{}))
				if len(gerrs) != len(werrs) {
					t.Errorf("%s: errors %v, the shapefile's %v", ext, gerrs, werrs)
				}
				if len(got) != len(wantHere) {
					t.Fatalf("%s: %d features, want %d", ext, len(got), len(wantHere))
				}
				for i := range got {
					what := fmt.Sprintf("%s feature %d", ext, i+1)
					sameGeometry(t, what, got[i].Geometry, wantHere[i].Geometry)
					for k, v := range wantHere[i].Properties {
						g, ok := got[i].Properties[k]
						switch {
						case k == "FID" && ext == ".gpkg":
							g, ok = got[i].ID, true
							v = fmt.Sprint(v)
						case name == "boolean-property":
							continue // GDAL reads .dbf logicals as text
						}
						if !ok || !sameGDALValue(g, v) {
							t.Errorf("%s %s: %#v, want %#v", what, k, g, v)
						}
					}
				}
			}
		})
	}
}

// TestGDALProjected: a shapefile in Maine State Plane East (US feet)
// keeps its coordinates and CRS.
func TestGDALProjected(t *testing.T) {
	shp := filepath.Join("testdata", "bangor-me", "HistoricSites", "HistoricSites.shp")
	sr := openOne(t, shp, Options{})
	want, _ := readAll(t, sr)
	prj, err := proj.Parse(sr.SRS())
	if err != nil {
		t.Fatal(err)
	}
	gpkgPath, fgbPath := gdalCopies(t, shp)
	for _, p := range []string{gpkgPath, fgbPath} {
		r := openOne(t, p, Options{})
		c, err := proj.Parse(r.SRS())
		if err != nil {
			t.Fatalf("%s: CRS %.60q: %v", filepath.Ext(p), r.SRS(), err)
		}
		got, errs := readAll(t, r)
		if len(errs) > 0 || len(got) != len(want) || len(got) == 0 {
			t.Fatalf("%s: %d features, errors %v; want %d", filepath.Ext(p), len(got), errs, len(want))
		}
		for i := range got {
			sameGeometry(t, fmt.Sprintf("%s feature %d", filepath.Ext(p), i+1), got[i].Geometry, want[i].Geometry)
		}
		// The CRS read from the file puts the first site where the .prj does.
		a, b := geom.Coord(append([]float64(nil), want[0].Geometry.FlatCoords()[:2]...)), geom.Coord(append([]float64(nil), want[0].Geometry.FlatCoords()[:2]...))
		ga, gb := geom.NewPointFlat(geom.XY, a), geom.NewPointFlat(geom.XY, b)
		if err := prj.TransformGeom(ga); err != nil {
			t.Fatal(err)
		}
		if err := c.TransformGeom(gb); err != nil {
			t.Fatal(err)
		}
		if d := math.Hypot(ga.X()-gb.X(), ga.Y()-gb.Y()); d > 1e-9 {
			t.Errorf("%s: %s puts the first site at %v, the .prj at %v", filepath.Ext(p), c, gb.Coords(), ga.Coords())
		}
	}
}

// sameGeometry compares two geometries' coordinates, taking a single
// geometry and its Multi form of one part as the same (a shapefile reader
// always gives the Multi form, GDAL keeps what each record holds).
func sameGeometry(t *testing.T, what string, got, want geom.T) {
	t.Helper()
	if (got == nil) != (want == nil) {
		t.Errorf("%s: geometry %v, want %v", what, got, want)
		return
	}
	if got == nil {
		return
	}
	if !reflect.DeepEqual(multi(got), multi(want)) {
		t.Errorf("%s: geometry %T %v, want %T %v", what, got, got.FlatCoords(), want, want.FlatCoords())
	}
}

func multi(g geom.T) any {
	switch g := g.(type) {
	case *geom.Point:
		mp := geom.NewMultiPoint(g.Layout())
		_ = mp.Push(g)
		return multi(mp)
	case *geom.Polygon:
		mp := geom.NewMultiPolygon(g.Layout())
		_ = mp.Push(g)
		return multi(mp)
	case *geom.LineString:
		ml := geom.NewMultiLineString(g.Layout())
		_ = ml.Push(g)
		return multi(ml)
	case *geom.GeometryCollection:
		var parts []any
		for _, p := range g.Geoms() {
			parts = append(parts, multi(p))
		}
		return parts
	}
	return fmt.Sprintf("%T %v %v %v", g, g.Layout(), g.FlatCoords(), g.Ends())
}

// sameValue compares property values, numbers as float64.
func sameGDALValue(a, b any) bool {
	num := func(v any) (float64, bool) {
		switch v := v.(type) {
		case int64:
			return float64(v), true
		case float64:
			return v, true
		}
		return 0, false
	}
	if x, ok := num(a); ok {
		y, ok := num(b)
		return ok && x == y
	}
	if ta, ok := a.(time.Time); ok {
		tb, ok := b.(time.Time)
		return ok && ta.Equal(tb)
	}
	return reflect.DeepEqual(a, b)
}

// TestGDALIndexed reads a FlatGeobuf with its spatial index (GDAL's
// default, features in Hilbert order) and one GeoPackage layer by name.
func TestGDALIndexed(t *testing.T) {
	src := filepath.Join("testdata", "gdal", "types.geojson")
	fgb := filepath.Join(t.TempDir(), "indexed.fgb")
	ogr2ogr(t, "FlatGeobuf", fgb, src)
	want, _ := readAll(t, openOne(t, src, Options{}))
	got, errs := readAll(t, openOne(t, fgb, Options{}))
	if len(errs) > 0 || len(got) != 7 {
		t.Fatalf("%d features, errors %v; want 7", len(got), errs)
	}
	byName := map[string]Feature{}
	for _, f := range want {
		byName[f.Properties["name"].(string)] = f
	}
	for _, f := range got {
		w, ok := byName[f.Properties["name"].(string)]
		if !ok {
			t.Fatalf("feature %v not in the source", f.Properties["name"])
		}
		sameGeometry(t, w.Properties["name"].(string), f.Geometry, w.Geometry)
	}

	// Two layers in one GeoPackage: both by default, one with Layer.
	gp := filepath.Join(t.TempDir(), "two.gpkg")
	ogr2ogr(t, "GPKG", gp, src, "-nln", "first")
	ogr2ogr(t, "GPKG", gp, filepath.Join("testdata", "bangor-me", "antenna.geojson"), "-update", "-nln", "antennas")
	rs, err := Open(gp, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rs {
		names = append(names, r.Name())
		r.Close()
	}
	if !reflect.DeepEqual(names, []string{"two.gpkg!first", "two.gpkg!antennas"}) {
		t.Errorf("layers %v", names)
	}
	r := openOne(t, gp, Options{Layer: "antennas"})
	fs, errs := readAll(t, r)
	if len(fs) != 34 || len(errs) > 0 {
		t.Errorf("antennas: %d features, errors %v; want 34", len(fs), errs)
	}
	if _, err := Open(gp, Options{Layer: "nope"}); err == nil || !strings.Contains(err.Error(), `"antennas"`) {
		t.Errorf("unknown layer: %v, want the layers named", err)
	}
}

// TestCSVNaiveDateTimes: a CSV date-time without offset is UTC, or in
// Options.Location; one with an offset keeps it.
func TestCSVNaiveDateTimes(t *testing.T) {
	p := filepath.Join(t.TempDir(), "times.csv")
	if err := os.WriteFile(p, []byte("name,at\na,2022-04-16T10:15:10\nb,2022-04-16T10:15:10Z\nc,4/16/2022 10:15\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Skipf("no time zone database: %v", err)
	}
	for _, tc := range []struct {
		loc  *time.Location
		want []time.Time
	}{
		{nil, []time.Time{time.Date(2022, 4, 16, 10, 15, 10, 0, time.UTC), time.Date(2022, 4, 16, 10, 15, 10, 0, time.UTC), time.Date(2022, 4, 16, 10, 15, 0, 0, time.UTC)}},
		{la, []time.Time{time.Date(2022, 4, 16, 17, 15, 10, 0, time.UTC), time.Date(2022, 4, 16, 10, 15, 10, 0, time.UTC), time.Date(2022, 4, 16, 17, 15, 0, 0, time.UTC)}},
	} {
		r := openOne(t, p, Options{Location: tc.loc})
		fs, errs := readAll(t, r)
		if len(errs) > 0 || len(fs) != 3 {
			t.Fatalf("%d rows, %v", len(fs), errs)
		}
		for i, f := range fs {
			if got := f.Properties["at"].(time.Time); !got.Equal(tc.want[i]) {
				t.Errorf("zone %v row %d: %v, want %v", tc.loc, i+1, got.UTC(), tc.want[i])
			}
		}
		if n := r.(NaiveCounter).NaiveDateTimes(); n != 2 {
			t.Errorf("NaiveDateTimes %d, want 2", n)
		}
	}
}
