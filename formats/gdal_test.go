package formats_test

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twpayne/go-geom"

	"github.com/cityatlas/cityatlas/formats"
	"github.com/cityatlas/cityatlas/internal/tooltest"
	"github.com/cityatlas/cityatlas/store"
)

// needTool returns the path of a GDAL command-line tool (see tooltest).
func needTool(t *testing.T, name string) string { return tooltest.Need(t, name, "gdal-bin") }

var fields = []store.Field{
	{Name: "name", Type: store.TypeString},
	{Name: "lanes", Type: store.TypeInteger},
	{Name: "ratio", Type: store.TypeNumber},
	{Name: "lit", Type: store.TypeBoolean},
	{Name: "installed", Type: store.TypeDate},
	{Name: "a_rather_long_name_1", Type: store.TypeString},
	{Name: "a_rather_long_name_2", Type: store.TypeString},
}

func point(x, y float64) geom.T { return geom.NewPointFlat(geom.XY, []float64{x, y}) }

// fixture returns point features with awkward values: text with quotes,
// commas, newlines and non-ASCII letters, missing values, negative and
// fractional numbers.
func fixture() []formats.Feature {
	return []formats.Feature{
		{ID: 1, Geometry: point(-115.5, 32.8), Values: []string{`"Main & 1st, \"north\""`, `2`, `0.25`, `true`, `"2019-04-01"`, `"a"`, `"b"`}},
		{ID: 7, Geometry: point(-115.25, 32.75), Values: []string{`"Añejo <café>\nline"`, `-3`, `12.5`, `false`, `"2020-12-31"`, `"c"`, `""`}},
		{ID: 9, Geometry: point(-115, 33), Values: []string{"", "", "", "", "", "", ""}},
		{ID: 12, Geometry: point(-114.123456789, 32.987654321), Values: []string{`"日本語"`, `1000000`, `-0.000125`, `true`, `"1999-01-01"`, `"x"`, `"y"`}},
	}
}

func write(t *testing.T, name string, l formats.Layer, feats []formats.Feature) string {
	t.Helper()
	f, ok := formats.Lookup(name)
	if !ok {
		t.Fatalf("no format %s", name)
	}
	path := filepath.Join(t.TempDir(), l.Name+"."+f.Ext)
	var buf bytes.Buffer
	l.TempDir = t.TempDir()
	w, err := f.New(&buf, l)
	if err != nil {
		t.Fatal(err)
	}
	for i := range feats {
		if err := w.Write(&feats[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(l.TempDir); len(entries) != 0 {
		t.Errorf("%s left %d files in its temporary directory", name, len(entries))
	}
	return path
}

type gdalFeature struct {
	ID         any             `json:"id"`
	Properties map[string]any  `json:"properties"`
	Geometry   json.RawMessage `json:"geometry"`
}

// readGDAL converts path to GeoJSON with ogr2ogr and returns its features.
func readGDAL(t *testing.T, path string, args ...string) []gdalFeature {
	t.Helper()
	bin := needTool(t, "ogr2ogr")
	cmd := exec.Command(bin, append(append([]string{"-f", "GeoJSON", "-preserve_fid", "/vsistdout/"}, args...), path)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ogr2ogr %s: %v\n%s", path, err, stderr.String())
	}
	var fc struct {
		Features []gdalFeature `json:"features"`
	}
	if err := json.Unmarshal(out, &fc); err != nil {
		t.Fatalf("ogr2ogr output: %v\n%s", err, out)
	}
	return fc.Features
}

// want returns the value GDAL should give for property i of f, as JSON
// would decode it.
func want(f formats.Feature, i int) any {
	raw := f.Values[i]
	if raw == "" {
		return nil
	}
	var v any
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		panic(err)
	}
	return v
}

func same(got, want any) bool {
	switch w := want.(type) {
	case float64:
		switch g := got.(type) {
		case float64:
			return math.Abs(g-w) <= 1e-9*math.Max(1, math.Abs(w))
		case string:
			return false
		}
	case bool:
		switch g := got.(type) {
		case bool:
			return g == w
		case float64: // shapefile and GeoPackage booleans read as integers
			return (g != 0) == w
		case string:
			return (g == "T" || g == "true" || g == "1") == w
		}
	case nil:
		return got == nil || got == ""
	}
	return got == want
}

func coords(t *testing.T, raw json.RawMessage) []float64 {
	t.Helper()
	var g struct {
		Coordinates []float64 `json:"coordinates"`
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatalf("geometry %s: %v", raw, err)
	}
	return g.Coordinates
}

func TestGDALReadsPoints(t *testing.T) {
	l := formats.Layer{Name: "signs", Title: "Signs", Geometry: store.GeometryPoint, Fields: fields, Count: 4}
	feats := fixture()
	cases := []struct {
		format string
		open   func(path string) (string, []string)
		// name maps a property to GDAL's field name
		names map[string]string
		// dates says how GDAL gives dates: "" as written
		datesAs string
		noID    bool
	}{
		{format: "geojson"},
		{format: "geojsonseq"},
		{format: "ndjson", open: func(p string) (string, []string) { return "GeoJSONSeq:" + p, nil }},
		{format: "csv", open: func(p string) (string, []string) {
			return p, []string{"-oo", "X_POSSIBLE_NAMES=longitude", "-oo", "Y_POSSIBLE_NAMES=latitude", "-oo", "AUTODETECT_TYPE=YES", "-oo", "KEEP_GEOM_COLUMNS=NO"}
		}},
		{format: "gpkg"},
		{format: "shp", open: func(p string) (string, []string) { return "/vsizip/" + p, nil },
			names: map[string]string{"a_rather_long_name_1": "a_rather_l", "a_rather_long_name_2": "a_rather_1", "installed": "installed"}, datesAs: "/"},
		{format: "fgb"},
		{format: "kml", names: map[string]string{"name": "Name"}},
	}
	for _, tc := range cases {
		t.Run(tc.format, func(t *testing.T) {
			path := write(t, tc.format, l, feats)
			src, args := path, []string(nil)
			if tc.open != nil {
				src, args = tc.open(path)
			}
			got := readGDAL(t, src, args...)
			if len(got) != len(feats) {
				t.Fatalf("GDAL reads %d features, want %d", len(got), len(feats))
			}
			for k, f := range feats {
				g := got[k]
				id, ok := g.Properties["id"]
				if !ok {
					id = g.ID
				}
				if !same(id, float64(f.ID)) {
					t.Errorf("feature %d: id %v", f.ID, id)
				}
				c := coords(t, g.Geometry)
				p := f.Geometry.FlatCoords()
				if len(c) < 2 || math.Abs(c[0]-p[0]) > 1e-9 || math.Abs(c[1]-p[1]) > 1e-9 {
					t.Errorf("feature %d: coordinates %v, want %v", f.ID, c, p)
				}
				for i, fd := range fields {
					name := fd.Name
					if n, ok := tc.names[name]; ok {
						name = n
					}
					w := want(f, i)
					v := g.Properties[name]
					if fd.Type == store.TypeDate && tc.datesAs == "/" && v != nil {
						v = strings.ReplaceAll(v.(string), "/", "-")
					}
					if tc.format == "shp" && w == "" && v == nil {
						continue // a .dbf cannot tell empty text from none
					}
					if !same(v, w) {
						t.Errorf("feature %d: %s = %#v (%T), want %#v", f.ID, name, v, v, w)
					}
				}
			}
		})
	}
}
