package importers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cityatlas/cityatlas/geo"

	"github.com/twpayne/go-geom"
)

// drain reads r to the end, collecting record errors and the final error.
func drain(r Reader) (fs []Feature, errs []error) {
	for i := 0; i < 1_000_000; i++ {
		f, err := r.Next()
		if errors.Is(err, io.EOF) {
			return fs, errs
		}
		if err != nil {
			errs = append(errs, err)
			var re *RecordError
			if !errors.As(err, &re) {
				return fs, errs
			}
			continue
		}
		fs = append(fs, f)
	}
	return fs, append(errs, errors.New("reader does not stop"))
}

// TestGeoJSONSchemaFixtures: every valid fixture is accepted, every
// invalid one refused with a message.
func TestGeoJSONSchemaFixtures(t *testing.T) {
	for _, kind := range []string{"valid", "invalid"} {
		paths, err := filepath.Glob(filepath.Join("testdata", "geojson-schema", kind, "*", "*.json"))
		if err != nil || len(paths) < 20 {
			t.Fatalf("%s fixtures: %d, %v", kind, len(paths), err)
		}
		for _, p := range paths {
			name := kind + "/" + filepath.Base(filepath.Dir(p)) + "/" + filepath.Base(p)
			t.Run(name, func(t *testing.T) {
				rs, err := Open(p, Options{})
				var fs []Feature
				var errs []error
				if err != nil {
					errs = []error{err}
				} else {
					defer rs[0].Close()
					fs, errs = drain(rs[0])
				}
				if kind == "valid" {
					if len(errs) > 0 {
						t.Errorf("refused: %v", errs)
					}
					return
				}
				if len(errs) == 0 {
					t.Fatalf("accepted %d features", len(fs))
				}
				for _, e := range errs {
					if !errors.Is(e, ErrFormat) && !errors.Is(e, ErrGeometry) {
						t.Errorf("error %v wraps neither ErrFormat nor ErrGeometry", e)
					}
				}
				t.Logf("refused: %v", errs[0])
			})
		}
	}
}

func TestBangorParks(t *testing.T) {
	r := openOne(t, "testdata/bangor-me/parks.geojson", Options{})
	if r.SRS() != "EPSG:4326" {
		t.Errorf("SRS() = %q (legacy crs is CRS84)", r.SRS())
	}
	if r.GeometryType() != "MultiPolygon" {
		t.Errorf("GeometryType() = %q, want MultiPolygon (Polygon and MultiPolygon mixed)", r.GeometryType())
	}
	wantFields := []Field{{"Owner", TypeString}, {"Type", TypeString}, {"Name", TypeString}, {"Shape_area", TypeNumber}, {"Shape_len", TypeNumber}}
	if !reflect.DeepEqual(r.Fields(), wantFields) {
		t.Errorf("Fields() = %v", r.Fields())
	}
	fs, errs := readAll(t, r)
	if len(errs) > 0 || len(fs) != 60 {
		t.Fatalf("%d parks, errors %v", len(fs), errs)
	}
	types := map[string]int{}
	for _, f := range fs {
		types[geo.TypeName(f.Geometry)]++
		if f.Geometry.Layout() != geom.XYZ {
			t.Errorf("record %d: layout %v, want XYZ", f.Record, f.Geometry.Layout())
		}
		checkRightHand(t, f)
		b := f.Geometry.Bounds()
		if b.Min(0) < -68.9 || b.Max(0) > -68.6 || b.Min(1) < 44.7 || b.Max(1) > 44.9 {
			t.Errorf("record %d: %v is not in Bangor", f.Record, b)
		}
	}
	if types["Polygon"] == 0 || types["MultiPolygon"] == 0 {
		t.Errorf("types %v, want both", types)
	}
}

// checkRightHand checks that exterior rings wind counter-clockwise and
// holes clockwise.
func checkRightHand(t *testing.T, f Feature) {
	t.Helper()
	var polys []*geom.Polygon
	switch g := f.Geometry.(type) {
	case *geom.Polygon:
		polys = append(polys, g)
	case *geom.MultiPolygon:
		for i := 0; i < g.NumPolygons(); i++ {
			polys = append(polys, g.Polygon(i))
		}
	}
	for _, p := range polys {
		for i := 0; i < p.NumLinearRings(); i++ {
			a := ringArea2(p.LinearRing(i).FlatCoords(), p.Stride())
			if (i == 0) != (a > 0) {
				t.Errorf("record %d: ring %d has signed area %g", f.Record, i, a)
			}
		}
	}
}

func TestBangorAntennas(t *testing.T) {
	r := openOne(t, "testdata/bangor-me/antenna.geojson", Options{})
	fs, errs := readAll(t, r)
	if len(errs) > 0 || len(fs) != 34 {
		t.Fatalf("%d antennas, errors %v", len(fs), errs)
	}
	if r.GeometryType() != "Point" || !reflect.DeepEqual(r.Fields(), []Field{{"Id", TypeInteger}}) {
		t.Errorf("GeometryType %q, Fields %v", r.GeometryType(), r.Fields())
	}
	heights := 0
	for _, f := range fs {
		c := f.Geometry.FlatCoords()
		if f.Geometry.Layout() != geom.XYZ {
			t.Errorf("record %d: %v, want x, y, z", f.Record, c)
		}
		if c[2] > 0 {
			heights++
		}
		if f.Properties["Id"] != int64(0) {
			t.Errorf("record %d: Id %#v", f.Record, f.Properties["Id"])
		}
	}
	if heights < 30 {
		t.Errorf("%d antennas have a height above 0", heights)
	}
}

func TestOSMPoints(t *testing.T) {
	r := openOne(t, "../testdata/osm-sfbay/osm_sfbay_traffic_signals_and_stops.geojson", Options{})
	fs, errs := readAll(t, r)
	if len(errs) > 0 || len(fs) != 11354 {
		t.Fatalf("%d points, errors %v", len(fs), errs)
	}
	kinds := map[any]int{}
	for i, f := range fs {
		kinds[f.Properties["highway"]]++
		if f.Record != i+1 {
			t.Fatalf("feature %d has Record %d", i, f.Record)
		}
		if id, _ := f.Properties["@id"].(string); !strings.HasPrefix(id, "node/") {
			t.Fatalf("record %d: @id %v", f.Record, f.Properties["@id"])
		}
		c := f.Geometry.FlatCoords()
		if c[0] < -123.1 || c[0] > -121.2 || c[1] < 36.8 || c[1] > 38.9 {
			t.Errorf("record %d: %v is not in the Bay Area", f.Record, c)
		}
	}
	if kinds["traffic_signals"] != 5808 || kinds["stop"] != 5546 {
		t.Errorf("kinds %v", kinds)
	}
}

func TestGeoJSONForms(t *testing.T) {
	feature := func(id int, x, y float64) string {
		return fmt.Sprintf(`{"type":"Feature","id":%d,"properties":{"n":%d},"geometry":{"type":"Point","coordinates":[%g,%g]}}`, id, id, x, y)
	}
	tests := []struct {
		name    string
		file    string
		data    string
		opts    Options
		ids     []string
		errRecs []int // records of record errors
		notLL   bool  // a record error wraps ErrNotLonLat
		srs     string
	}{
		{name: "feature collection", file: "a.geojson", data: `{"type":"FeatureCollection","features":[` + feature(1, 1, 2) + "," + feature(2, 3, 4) + `]}`, ids: []string{"1", "2"}, srs: "EPSG:4326"},
		{name: "features before type", file: "a.json", data: `{"features":[` + feature(1, 1, 2) + `],"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:3857"}}}`, ids: []string{"1"}, srs: "EPSG:4326"},
		{name: "single feature", file: "a.geojson", data: feature(7, 1, 2), ids: []string{"7"}, srs: "EPSG:4326"},
		{name: "bare geometry", file: "a.geojson", data: `{"type":"Point","coordinates":[1,2]}`, ids: []string{""}, srs: "EPSG:4326"},
		{name: "newline-delimited, bad line", file: "a.geojsonl", data: feature(1, 1, 2) + "\n" + `{"type":"Feature","properties":{}}` + "\n" + feature(3, 5, 6) + "\n", ids: []string{"1", "3"}, errRecs: []int{2}, srs: "EPSG:4326"},
		{name: "RFC 8142 sequence", file: "a.geojsons", data: "\x1e" + feature(1, 1, 2) + "\n\x1e" + feature(2, 3, 4) + "\n", ids: []string{"1", "2"}, srs: "EPSG:4326"},
		{name: "top-level array", file: "a.json", data: "[" + feature(1, 1, 2) + "]", ids: []string{"1"}, srs: "EPSG:4326"},
		{name: "projected without crs refused", file: "a.geojson", data: `{"type":"FeatureCollection","features":[` + feature(1, 984250, 300000) + "," + feature(2, -68.7, 44.8) + `]}`, ids: []string{"2"}, errRecs: []int{1}, notLL: true, srs: "EPSG:4326"},
		{name: "projected with legacy crs", file: "a.geojson", data: `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::2230"}},"features":[` + feature(1, 6.5e6, 1.9e6) + `]}`, ids: []string{"1"}, srs: "EPSG:2230"},
		{name: "projected with Options.SRS", file: "a.geojson", opts: Options{SRS: "EPSG:26919"}, data: `{"type":"FeatureCollection","features":[` + feature(1, 500000, 4960000) + `]}`, ids: []string{"1"}, srs: "EPSG:26919"},
		{name: "old EPSG crs", file: "a.geojson", data: `{"type":"FeatureCollection","crs":{"type":"EPSG","properties":{"code":2230}},"features":[]}`, srs: "EPSG:2230"},
		{name: "unclosed ring, 3D and 4D positions", file: "a.geojsonl", data: `{"type":"Feature","properties":null,"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}}` + "\n" +
			`{"type":"Feature","properties":null,"geometry":{"type":"Point","coordinates":[1,2,3]}}` + "\n" +
			`{"type":"Feature","properties":null,"geometry":{"type":"Point","coordinates":[1,2,3,4]}}` + "\n" +
			`{"type":"Feature","properties":null,"geometry":{"type":"Point","coordinates":["1",2]}}`, ids: []string{""}, errRecs: []int{1, 3, 4}, srs: "EPSG:4326"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := openOne(t, writeTemp(t, tc.file, []byte(tc.data)), tc.opts)
			if r.SRS() != tc.srs {
				t.Errorf("SRS() = %q, want %q", r.SRS(), tc.srs)
			}
			var ids []string
			var recs []int
			notLL := false
			fs, errs := drain(r)
			for _, f := range fs {
				ids = append(ids, f.ID)
			}
			for _, e := range errs {
				var re *RecordError
				if !errors.As(e, &re) {
					t.Fatalf("final error: %v", e)
				}
				recs = append(recs, re.Record)
				if errors.Is(e, ErrNotLonLat) {
					notLL = true
					if !strings.Contains(e.Error(), "--srs EPSG:") {
						t.Errorf("no hint in %v", e)
					}
				}
			}
			if !reflect.DeepEqual(ids, tc.ids) || !reflect.DeepEqual(recs, tc.errRecs) || notLL != tc.notLL {
				t.Errorf("ids %q errors %v (%v), want ids %q errors at %v, not-lon/lat %v", ids, recs, errs, tc.ids, tc.errRecs, tc.notLL)
			}
		})
	}
}

func TestGeoJSONRewindAndProperties(t *testing.T) {
	data := `{"type":"Feature","id":"a","properties":{"i":3,"f":2.5,"big":1e3,"s":"x","b":false,"n":null,"o":{"k":[1,2]},"d":"2020-01-02"},
	"geometry":{"type":"Polygon","coordinates":[[[0,0],[0,4],[4,4],[4,0],[0,0]],[[1,1],[2,1],[2,2],[1,2],[1,1]]]}}`
	r := openOne(t, writeTemp(t, "a.geojson", []byte(data)), Options{})
	fs, errs := readAll(t, r)
	if len(fs) != 1 || len(errs) > 0 {
		t.Fatalf("%v %v", fs, errs)
	}
	want := map[string]any{"i": int64(3), "f": 2.5, "big": 1000.0, "s": "x", "b": false, "n": nil, "o": `{"k":[1,2]}`, "d": "2020-01-02"}
	if !reflect.DeepEqual(fs[0].Properties, want) {
		t.Errorf("properties %#v", fs[0].Properties)
	}
	wantCoords := []any{
		[]any{[]any{0.0, 0.0}, []any{4.0, 0.0}, []any{4.0, 4.0}, []any{0.0, 4.0}, []any{0.0, 0.0}},
		[]any{[]any{1.0, 1.0}, []any{1.0, 2.0}, []any{2.0, 2.0}, []any{2.0, 1.0}, []any{1.0, 1.0}},
	}
	if got := nestedCoords(fs[0].Geometry, 2); !reflect.DeepEqual(got, wantCoords) {
		t.Errorf("rewound %v", got)
	}
	wantFields := []Field{{"i", TypeInteger}, {"f", TypeNumber}, {"big", TypeNumber}, {"s", TypeString}, {"b", TypeBoolean}, {"n", TypeString}, {"o", TypeString}, {"d", TypeDate}}
	if !reflect.DeepEqual(r.Fields(), wantFields) {
		t.Errorf("Fields() = %v", r.Fields())
	}
}

// TestGeoJSONArrays: a property whose values are lists of strings,
// numbers and booleans is an array field (its values the lists' JSON);
// lists of objects, or lists mixed with text, are text.
func TestGeoJSONArrays(t *testing.T) {
	data := `{"type":"FeatureCollection","features":[
	{"type":"Feature","properties":{"tags":["a","b"],"mixed":["x"],"deep":[{"k":1}]},"geometry":null},
	{"type":"Feature","properties":{"tags":[1,true],"mixed":"y","deep":[]},"geometry":null},
	{"type":"Feature","properties":{"tags":null},"geometry":null}]}`
	r := openOne(t, writeTemp(t, "a.geojson", []byte(data)), Options{})
	fs, errs := readAll(t, r)
	if len(fs) != 3 || len(errs) > 0 {
		t.Fatalf("%v %v", fs, errs)
	}
	if got := fs[0].Properties["tags"]; !reflect.DeepEqual(got, json.RawMessage(`["a","b"]`)) {
		t.Errorf("tags %#v", got)
	}
	if got := fs[0].Properties["deep"]; got != `[{"k":1}]` {
		t.Errorf("deep %#v", got)
	}
	wantFields := []Field{{"tags", TypeArray}, {"mixed", TypeString}, {"deep", TypeString}}
	if !reflect.DeepEqual(r.Fields(), wantFields) {
		t.Errorf("Fields() = %v", r.Fields())
	}
}

// blockingReader yields its head, then waits for release before the tail.
type blockingReader struct {
	head, tail *bytes.Reader
	release    chan struct{}
}

func (b *blockingReader) Read(p []byte) (int, error) {
	if b.head.Len() > 0 {
		return b.head.Read(p)
	}
	<-b.release
	return b.tail.Read(p)
}

func (b *blockingReader) Close() error { return nil }

// TestGeoJSONStreams checks that the first feature of a collection comes
// out before the rest of the file has been read.
func TestGeoJSONStreams(t *testing.T) {
	head := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"n":1},"geometry":{"type":"Point","coordinates":[1,2]}},`
	tail := `{"type":"Feature","properties":{"n":2},"geometry":null}]}`
	src := &blockingReader{head: bytes.NewReader([]byte(head)), tail: bytes.NewReader([]byte(tail)), release: make(chan struct{})}
	done := make(chan Feature)
	go func() {
		r, err := newGeoJSONReader("stream", func() (io.ReadCloser, error) { return src, nil }, Options{})
		if err != nil {
			t.Error(err)
			close(done)
			return
		}
		f, err := r.Next()
		if err != nil {
			t.Error(err)
		}
		done <- f
		close(src.release)
		f, err = r.Next()
		if err != nil || f.Properties["n"] != int64(2) {
			t.Errorf("second feature %v, %v", f, err)
		}
		close(done)
	}()
	select {
	case f := <-done:
		if f.Properties["n"] != int64(1) {
			t.Errorf("first feature %v", f)
		}
	case <-time.After(5 * time.Second):
		close(src.release)
		t.Fatal("the first feature waited for the whole file")
	}
	<-done
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name, path string
		want       error
	}{
		{"unknown extension", "testdata/bangor-me/README.md", ErrUnsupported},
		{"missing file", "testdata/nothing.shp", os.ErrNotExist},
		{"zip without shapefiles", writeTemp(t, "empty.zip", []byte("PK\x05\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")), ErrFormat},
		{"not a shapefile", writeTemp(t, "x.shp", bytes.Repeat([]byte{1}, 120)), ErrFormat},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Open(tc.path, Options{}); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}
