package importers

import (
	"archive/zip"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cityatlas/cityatlas/geo"

	"github.com/twpayne/go-geom"
)

type twin struct {
	Features []struct {
		Properties map[string]any `json:"properties"`
		Geometry   *struct {
			Type        string `json:"type"`
			Coordinates any    `json:"coordinates"`
		} `json:"geometry"`
	} `json:"features"`
}

// TestShapefileSuite reads every shapefile of the suite to exactly the
// geometry and properties of its .json twin. The comparison follows the
// suite's own test (mbostock/shapefile test/index-test.js): null properties
// and the "FID" column (an ogr2ogr artefact) are left out of the actual
// properties, and dates are compared as dates.
func TestShapefileSuite(t *testing.T) {
	tests := []struct {
		name       string
		layout     geom.Layout // of every non-null geometry
		fields     []Field
		wantSRS    bool
		properties bool // has a .dbf
	}{
		{name: "boolean-property", layout: geom.XY, fields: []Field{{"foo", TypeBoolean}}, wantSRS: true, properties: true},
		{name: "date-property", layout: geom.XY, fields: []Field{{"date", TypeDate}}, wantSRS: true, properties: true},
		{name: "empty", layout: geom.XY, fields: []Field{}, wantSRS: true, properties: true},
		{name: "ignore-properties", layout: geom.XY, fields: []Field{}},
		{name: "latin1-property", layout: geom.XY, fields: []Field{{"name", TypeString}}, wantSRS: true, properties: true},
		{name: "mixed-properties", layout: geom.XY, fields: []Field{{"foo", TypeInteger}, {"bar", TypeString}}, wantSRS: true, properties: true},
		{name: "multipointm", layout: geom.XYM, fields: []Field{}},
		{name: "multipoints", layout: geom.XY, fields: []Field{{"FID", TypeInteger}}, wantSRS: true, properties: true},
		{name: "null", layout: geom.XY, fields: []Field{{"FID", TypeInteger}}, wantSRS: true, properties: true},
		{name: "number-null-property", layout: geom.XY, fields: []Field{{"name", TypeString}, {"fid", TypeString}, {"avg_temp", TypeNumber}}, properties: true},
		{name: "number-property", layout: geom.XY, fields: []Field{{"foo", TypeInteger}}, wantSRS: true, properties: true},
		{name: "pointm", layout: geom.XYM, fields: []Field{}},
		{name: "points", layout: geom.XY, fields: []Field{{"FID", TypeInteger}}, wantSRS: true, properties: true},
		{name: "polygonm", layout: geom.XYM, fields: []Field{}},
		{name: "polygons", layout: geom.XY, fields: []Field{{"FID", TypeInteger}}, wantSRS: true, properties: true},
		{name: "polylinem", layout: geom.XYM, fields: []Field{}},
		{name: "polylines", layout: geom.XY, fields: []Field{{"FID", TypeInteger}}, wantSRS: true, properties: true},
		{name: "singleton", layout: geom.XY, fields: []Field{{"FID", TypeInteger}}, properties: true},
		{name: "string-property", layout: geom.XY, fields: []Field{{"foo", TypeString}}, wantSRS: true, properties: true},
		{name: "utf8-property", layout: geom.XY, fields: []Field{{"☃", TypeString}}, wantSRS: true, properties: true},
	}
	// Every .shp of the suite is in the table.
	shps, _ := filepath.Glob("testdata/shapefile-suite/*.shp")
	if len(shps) != len(tests) {
		t.Fatalf("%d shapefiles in testdata, %d cases", len(shps), len(tests))
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := filepath.Join("testdata", "shapefile-suite", tc.name)
			var want twin
			b, err := os.ReadFile(base + ".json")
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			r := openOne(t, base+".shp", Options{})
			got, errs := readAll(t, r)
			for _, e := range errs {
				t.Errorf("record error: %v", e)
			}
			if !reflect.DeepEqual(r.Fields(), tc.fields) {
				t.Errorf("Fields() = %v, want %v", r.Fields(), tc.fields)
			}
			if (r.SRS() != "") != tc.wantSRS {
				t.Errorf("SRS() = %q, want a .prj: %v", r.SRS(), tc.wantSRS)
			}
			if tc.wantSRS && !strings.HasPrefix(r.SRS(), "GEOGCS[") {
				t.Errorf("SRS() = %q, want the raw .prj", r.SRS())
			}
			if len(got) != len(want.Features) {
				t.Fatalf("%d features, want %d", len(got), len(want.Features))
			}
			for i, f := range got {
				w := want.Features[i]
				if f.Record != i+1 {
					t.Errorf("feature %d: Record = %d", i, f.Record)
				}
				if w.Geometry == nil {
					if f.Geometry != nil {
						t.Errorf("feature %d: geometry %v, want null", i, f.Geometry)
					}
				} else {
					if typ := geo.TypeName(f.Geometry); typ != w.Geometry.Type {
						t.Fatalf("feature %d: type %s, want %s", i, typ, w.Geometry.Type)
					}
					if f.Geometry.Layout() != tc.layout {
						t.Errorf("feature %d: layout %v, want %v", i, f.Geometry.Layout(), tc.layout)
					}
					if gc := nestedCoords(f.Geometry, 2); !reflect.DeepEqual(gc, w.Geometry.Coordinates) {
						t.Errorf("feature %d: coordinates\n got %v\nwant %v", i, gc, w.Geometry.Coordinates)
					}
				}
				if tc.properties && len(f.Properties) != len(tc.fields) {
					t.Errorf("feature %d: %d properties, want every field: %v", i, len(f.Properties), f.Properties)
				}
				gotProps := map[string]any{}
				for k, v := range f.Properties {
					if v != nil && k != "FID" {
						gotProps[k] = v
					}
				}
				wantProps := w.Properties
				if len(gotProps) != len(wantProps) {
					t.Errorf("feature %d: properties %v, want %v", i, gotProps, wantProps)
				}
				for k, wv := range wantProps {
					if !sameValue(gotProps[k], wv) {
						t.Errorf("feature %d: property %q = %#v, want %#v", i, k, gotProps[k], wv)
					}
				}
			}
		})
	}
}

// sameValue compares a reader value with a JSON-decoded one: numbers by
// value, dates against the suite's "YYYYMMDD" strings.
func sameValue(got, want any) bool {
	switch g := got.(type) {
	case int64:
		w, ok := want.(float64)
		return ok && float64(g) == w
	case float64:
		w, ok := want.(float64)
		return ok && g == w
	case time.Time:
		w, ok := want.(string)
		return ok && g.Format("20060102") == w
	}
	return reflect.DeepEqual(got, want)
}

// TestShapefileM checks that M values are kept.
func TestShapefileM(t *testing.T) {
	r := openOne(t, "testdata/shapefile-suite/pointm.shp", Options{})
	fs, _ := readAll(t, r)
	want := [][]float64{{10, 10, 100}, {5, 5, 50}, {0, 10, 75}}
	for i, f := range fs {
		if c := f.Geometry.FlatCoords(); !reflect.DeepEqual(c, want[i]) {
			t.Errorf("point %d: %v, want %v", i, c, want[i])
		}
	}
}

// TestChicagoNeighborhoods reads 98 projected polygons with holes.
func TestChicagoNeighborhoods(t *testing.T) {
	r := openOne(t, "testdata/chicago/chicago_neighborhoods_shp/Neighborhoods_2012b.shp", Options{})
	prj, err := os.ReadFile("testdata/chicago/chicago_neighborhoods_shp/Neighborhoods_2012b.prj")
	if err != nil {
		t.Fatal(err)
	}
	if r.SRS() != strings.TrimSpace(string(prj)) {
		t.Errorf("SRS() = %q, want the .prj", r.SRS())
	}
	if r.GeometryType() != "MultiPolygon" {
		t.Errorf("GeometryType() = %q", r.GeometryType())
	}
	fs, errs := readAll(t, r)
	for _, e := range errs {
		t.Errorf("record error: %v", e)
	}
	if len(fs) != 98 {
		t.Fatalf("%d features, want 98", len(fs))
	}
	holes, multi := 0, 0
	for _, f := range fs {
		var polys []*geom.Polygon
		switch g := f.Geometry.(type) {
		case *geom.Polygon:
			polys = []*geom.Polygon{g}
		case *geom.MultiPolygon:
			multi++
			for i := 0; i < g.NumPolygons(); i++ {
				polys = append(polys, g.Polygon(i))
			}
		default:
			t.Fatalf("record %d: %T", f.Record, f.Geometry)
		}
		for _, p := range polys {
			outer := p.LinearRing(0)
			for k := 1; k < p.NumLinearRings(); k++ {
				holes++
				h := p.LinearRing(k)
				// Every hole lies inside its polygon's outer ring and
				// winds the other way.
				if outerRing(outer).contains(outerRing(h), 2) == false {
					t.Errorf("record %d: hole %d is outside its outer ring", f.Record, k)
				}
				if ringArea2(outer.FlatCoords(), 2)*ringArea2(h.FlatCoords(), 2) >= 0 {
					t.Errorf("record %d: hole %d winds like its outer ring", f.Record, k)
				}
			}
			// Illinois East State Plane, US feet: Chicago is around
			// x 1.09e6..1.21e6, y 1.81e6..1.96e6.
			b := outer.Bounds()
			if b.Min(0) < 1.0e6 || b.Max(0) > 1.3e6 || b.Min(1) < 1.7e6 || b.Max(1) > 2.0e6 {
				t.Errorf("record %d: bounds %v are not Chicago's in State Plane feet", f.Record, b)
			}
		}
		if _, ok := f.Properties["PRI_NEIGH"]; !ok {
			t.Errorf("record %d: properties %v lack PRI_NEIGH", f.Record, f.Properties)
		}
	}
	if holes == 0 || multi == 0 {
		t.Errorf("%d holes and %d multipolygons; the data has both", holes, multi)
	}
}

func outerRing(r *geom.LinearRing) ring {
	f := r.FlatCoords()
	out := ring{flat: f, minX: math.Inf(1), minY: math.Inf(1), maxX: math.Inf(-1), maxY: math.Inf(-1)}
	for k := 0; k < len(f); k += r.Stride() {
		out.minX, out.maxX = math.Min(out.minX, f[k]), math.Max(out.maxX, f[k])
		out.minY, out.maxY = math.Min(out.minY, f[k+1]), math.Max(out.maxY, f[k+1])
	}
	return out
}

// TestBangorShapefiles reads the Bangor shapefiles (Maine State Plane).
func TestBangorShapefiles(t *testing.T) {
	tests := []struct {
		name, path string
		unit       string // in the .prj
	}{
		{"historic sites", "testdata/bangor-me/HistoricSites/HistoricSites.shp", "Foot_US"},
		{"on-street parking (prj says metres)", "testdata/bangor-me/OnStreetParking/OnStreetParking.shp", "Meter"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := openOne(t, tc.path, Options{})
			if !strings.Contains(r.SRS(), tc.unit) {
				t.Errorf("SRS() = %q, want unit %s", r.SRS(), tc.unit)
			}
			fs, errs := readAll(t, r)
			for _, e := range errs {
				t.Errorf("record error: %v", e)
			}
			if len(fs) == 0 {
				t.Fatal("no features")
			}
			for _, f := range fs {
				if f.Geometry == nil {
					continue
				}
				b := f.Geometry.Bounds()
				// Coordinates are in US feet around Bangor (x ~ 0.9e6..1.1e6).
				if b.Min(0) < 5e5 || b.Max(0) > 1.5e6 {
					t.Errorf("record %d: x range %v..%v is not Maine East feet", f.Record, b.Min(0), b.Max(0))
				}
			}
		})
	}
}

// TestShapefileZip reads shapefiles from a zip, in a sub-folder and with
// upper-case names.
func TestShapefileZip(t *testing.T) {
	zipPath := filepath.Join(t.TempDir(), "layers.zip")
	zf, err := os.Create(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(zf)
	add := func(src, dst string) {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create(dst)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	for _, ext := range []string{"shp", "shx", "dbf", "prj", "cpg"} {
		add("testdata/shapefile-suite/utf8-property."+ext, "data/sub/UTF8."+strings.ToUpper(ext))
	}
	for _, ext := range []string{"shp", "dbf"} {
		add("testdata/shapefile-suite/polygons."+ext, "polygons."+ext)
	}
	add("testdata/shapefile-suite/points.shp", "__MACOSX/._points.shp")
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	zf.Close()

	rs, err := Open(zipPath, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, r := range rs {
			r.Close()
		}
	}()
	if len(rs) != 2 {
		t.Fatalf("%d readers, want 2", len(rs))
	}
	if !strings.HasSuffix(rs[0].Name(), "!data/sub/UTF8.SHP") || !strings.HasSuffix(rs[1].Name(), "!polygons.shp") {
		t.Errorf("names %q, %q", rs[0].Name(), rs[1].Name())
	}
	fs, _ := readAll(t, rs[0])
	if len(fs) != 1 || fs[0].Properties["☃"] != "ηελλο ςορλδ" {
		t.Errorf("utf8 in zip: %v", fs)
	}
	if rs[0].SRS() == "" {
		t.Error("no SRS from the zipped .PRJ")
	}
	fs, _ = readAll(t, rs[1])
	if len(fs) != 3 {
		t.Errorf("polygons in zip: %d features", len(fs))
	}
}

// TestShapefileEncoding checks the .cpg and its override.
func TestShapefileEncoding(t *testing.T) {
	tests := []struct {
		name, file, encoding, want string
	}{
		{"latin1 without cpg falls back to windows-1252", "latin1-property", "", "México"},
		{"latin1 given", "latin1-property", "latin1", "México"},
		{"utf-8 by cpg", "utf8-property", "", "ηελλο ςορλδ"},
		{"cpg overridden", "utf8-property", "latin1", latin1Of("ηελλο ςορλδ")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := openOne(t, "testdata/shapefile-suite/"+tc.file+".shp", Options{Encoding: tc.encoding})
			fs, _ := readAll(t, r)
			var got any
			for _, v := range fs[0].Properties {
				got = v
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// latin1Of reads the UTF-8 bytes of s as if they were ISO-8859-1.
func latin1Of(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteRune(rune(s[i]))
	}
	return b.String()
}

// TestShapefileBadRecords checks that bad shapes and values are record
// errors and that reading goes on.
func TestShapefileBadRecords(t *testing.T) {
	dir := t.TempDir()
	shp, err := os.ReadFile("testdata/shapefile-suite/points.shp")
	if err != nil {
		t.Fatal(err)
	}
	dbf, err := os.ReadFile("testdata/shapefile-suite/points.dbf")
	if err != nil {
		t.Fatal(err)
	}
	// Record 2 becomes a MultiPatch (type 31), record 3's FID a word.
	binary.LittleEndian.PutUint32(shp[100+28+8:], 31)
	copy(dbf[65+2*12:], []byte("        abc "))
	os.WriteFile(filepath.Join(dir, "bad.shp"), shp, 0o644)
	os.WriteFile(filepath.Join(dir, "bad.dbf"), dbf, 0o644)
	r := openOne(t, filepath.Join(dir, "bad.shp"), Options{})
	fs, errs := readAll(t, r)
	if len(fs) != 7 || len(errs) != 2 {
		t.Fatalf("%d features, %d errors: %v", len(fs), len(errs), errs)
	}
	if errs[0].Record != 2 || !errors.Is(errs[0], ErrUnsupported) || !strings.Contains(errs[0].Error(), "MultiPatch") {
		t.Errorf("error 0: %v", errs[0])
	}
	if errs[1].Record != 3 || errs[1].Field != "FID" || !errors.Is(errs[1], ErrValue) {
		t.Errorf("error 1: %v", errs[1])
	}

	// A MultiPatch file is refused at Open.
	binary.LittleEndian.PutUint32(shp[32:], 31)
	os.WriteFile(filepath.Join(dir, "patch.shp"), shp, 0o644)
	if _, err := Open(filepath.Join(dir, "patch.shp"), Options{}); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "MultiPatch") {
		t.Errorf("MultiPatch file: %v", err)
	}
}

// TestAssembleRings checks hole assignment when rings are out of order.
func TestAssembleRings(t *testing.T) {
	sq := func(x0, y0, x1, y1 float64, cw bool) []float64 {
		if cw {
			return []float64{x0, y0, x0, y1, x1, y1, x1, y0, x0, y0}
		}
		return []float64{x0, y0, x1, y0, x1, y1, x0, y1, x0, y0}
	}
	tests := []struct {
		name   string
		rings  [][]float64
		typ    string
		counts []int // rings per polygon
	}{
		{"one outer", [][]float64{sq(0, 0, 1, 1, true)}, "Polygon", []int{1}},
		{"outer then hole", [][]float64{sq(0, 0, 4, 4, true), sq(1, 1, 2, 2, false)}, "Polygon", []int{2}},
		{"holes before their outers", [][]float64{sq(11, 11, 12, 12, false), sq(1, 1, 2, 2, false), sq(0, 0, 4, 4, true), sq(10, 10, 14, 14, true)}, "MultiPolygon", []int{2, 2}},
		{"island in a lake goes to the island", [][]float64{sq(0, 0, 10, 10, true), sq(1, 1, 9, 9, false), sq(3, 3, 7, 7, true), sq(4, 4, 5, 5, false)}, "MultiPolygon", []int{2, 2}},
		{"orphan hole is a polygon", [][]float64{sq(0, 0, 1, 1, true), sq(5, 5, 6, 6, false)}, "MultiPolygon", []int{1, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var flat []float64
			var ends []int
			for _, r := range tc.rings {
				flat = append(flat, r...)
				ends = append(ends, len(flat))
			}
			g, err := assembleRings(geom.XY, flat, ends)
			if err != nil {
				t.Fatal(err)
			}
			if geo.TypeName(g) != tc.typ {
				t.Fatalf("type %s, want %s", geo.TypeName(g), tc.typ)
			}
			var counts []int
			switch g := g.(type) {
			case *geom.Polygon:
				counts = []int{g.NumLinearRings()}
			case *geom.MultiPolygon:
				for i := 0; i < g.NumPolygons(); i++ {
					counts = append(counts, g.Polygon(i).NumLinearRings())
				}
			}
			if !reflect.DeepEqual(counts, tc.counts) {
				t.Errorf("rings per polygon %v, want %v", counts, tc.counts)
			}
		})
	}
}
