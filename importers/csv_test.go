package importers

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// writeTemp writes data to a file called name in a temporary folder.
func writeTemp(tb testing.TB, name string, data []byte) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

func TestCSV(t *testing.T) {
	date := func(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name      string
		file      string // name, for the extension
		data      string
		opts      Options
		fields    []Field
		srs       string
		gtype     string
		n         int            // features
		first     map[string]any // properties of the first feature
		firstXY   []float64      // its coordinates; nil for no geometry
		errLines  []int          // lines of the record errors
		errFields []string
	}{
		{
			name: "comma, LF, lon/lat", file: "a.csv",
			data:   "name,lon,lat\nA,1.5,2.5\nB,-3,4\n",
			fields: []Field{{"name", TypeString}}, srs: "EPSG:4326", gtype: "Point", n: 2,
			first: map[string]any{"name": "A"}, firstXY: []float64{1.5, 2.5},
		},
		{
			name: "semicolon, CRLF, BOM, any-case names", file: "a.csv",
			data:   "\xef\xbb\xbfid;Longitude;LATITUDE\r\n1;10;20\r\n2;11;21\r\n",
			fields: []Field{{"id", TypeInteger}}, srs: "EPSG:4326", gtype: "Point", n: 2,
			first: map[string]any{"id": int64(1)}, firstXY: []float64{10, 20},
		},
		{
			name: "CR-only line ends, projected x/y", file: "a.csv",
			data:   "asset,X,Y\rA1,1000000.5,2000000\rA2,1000001,2000001\r",
			fields: []Field{{"asset", TypeString}}, srs: "", gtype: "Point", n: 2,
			first: map[string]any{"asset": "A1"}, firstXY: []float64{1000000.5, 2000000},
		},
		{
			name: "tab-separated", file: "a.tsv",
			data:   "name\tlng\tlat\tnote\nA\t1\t2\tsays \"hi\"\n",
			fields: []Field{{"name", TypeString}, {"note", TypeString}}, srs: "EPSG:4326", gtype: "Point", n: 1,
			first: map[string]any{"name": "A", "note": `says "hi"`}, firstXY: []float64{1, 2},
		},
		{
			name: "pipe-separated", file: "a.txt",
			data:   "kind|lat|lon\nstop|37.5|-122.1\nsignal|37.6|-122.2\n",
			fields: []Field{{"kind", TypeString}}, srs: "EPSG:4326", gtype: "Point", n: 2,
			first: map[string]any{"kind": "stop"}, firstXY: []float64{-122.1, 37.5},
		},
		{
			name: "quoted commas and newlines, bad row after them", file: "a.csv",
			data:   "name,lat,lon\n\"Smith, John\",\"40.1\",\"-75.2\"\n\"two\nlines\",1,2\n\"three\r\nmore\nlines\",3,4\nbad,north,5\n",
			fields: []Field{{"name", TypeString}}, srs: "EPSG:4326", gtype: "Point", n: 3,
			first: map[string]any{"name": "Smith, John"}, firstXY: []float64{-75.2, 40.1},
			errLines: []int{8}, errFields: []string{"lat"},
		},
		{
			name: "windows-1252 detected", file: "a.csv",
			data:   "name,lat,lon\nCaf\xe9 \x93Rex\x94,1,2\n",
			fields: []Field{{"name", TypeString}}, srs: "EPSG:4326", gtype: "Point", n: 1,
			first: map[string]any{"name": "Café “Rex”"}, firstXY: []float64{2, 1},
		},
		{
			name: "latin1 given", file: "a.csv", opts: Options{Encoding: "latin1"},
			data:   "nom,lat,lon\nM\xe9xico,1,2\n",
			fields: []Field{{"nom", TypeString}}, srs: "EPSG:4326", gtype: "Point", n: 1,
			first: map[string]any{"nom": "México"}, firstXY: []float64{2, 1},
		},
		{
			name: "UTF-16LE with BOM", file: "a.csv",
			data:   utf16le("name,lat,lon\r\nZoë,1,2\r\n"),
			fields: []Field{{"name", TypeString}}, srs: "EPSG:4326", gtype: "Point", n: 1,
			first: map[string]any{"name": "Zoë"}, firstXY: []float64{2, 1},
		},
		{
			name: "WKT column, polygons", file: "a.csv",
			data:   "id,WKT\n1,\"POLYGON ((0 0, 1 0, 1 1, 0 0))\"\n2,\"MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)))\"\n3,\n",
			fields: []Field{{"id", TypeInteger}}, srs: "EPSG:4326", gtype: "MultiPolygon", n: 3,
			first: map[string]any{"id": int64(1)}, firstXY: []float64{0, 0, 1, 0, 1, 1, 0, 0},
		},
		{
			name: "WKT found by content, EWKT prefix", file: "a.csv",
			data:   "id,shape_text\n1,SRID=4326;POINT (3 4)\n2,POINT Z (5 6 7)\n",
			fields: []Field{{"id", TypeInteger}}, srs: "EPSG:4326", gtype: "Point", n: 2,
			first: map[string]any{"id": int64(1)}, firstXY: []float64{3, 4},
		},
		{
			name: "Socrata location column", file: "a.csv",
			data:   "name,Location 1\nA,\"(41.5, -87.5)\"\nB,\n",
			fields: []Field{{"name", TypeString}}, srs: "EPSG:4326", gtype: "Point", n: 2,
			first: map[string]any{"name": "A"}, firstXY: []float64{-87.5, 41.5},
		},
		{
			name: "no header", file: "a.csv",
			data:   "1.5,2.5\n3.5,4.5\n",
			fields: []Field{{"field_1", TypeNumber}, {"field_2", TypeNumber}}, n: 2,
			first: map[string]any{"field_1": 1.5, "field_2": 2.5},
		},
		{
			name: "types inferred", file: "a.csv",
			data: "i,n,b,d,iso,dt,zip,mixed,empty\n" +
				"1,1.5,yes,4/24/2012,2012-04-24,2012-04-24T10:00:00Z,02134,1,\n" +
				"-2,3,No,12/31/1999,1999-12-31,04/24/2012 12:00:00 AM,10001,x,\n" +
				",,,,,,,,\n",
			fields: []Field{{"i", TypeInteger}, {"n", TypeNumber}, {"b", TypeBoolean}, {"d", TypeDate}, {"iso", TypeDate},
				{"dt", TypeDateTime}, {"zip", TypeString}, {"mixed", TypeString}, {"empty", TypeString}},
			n: 3,
			first: map[string]any{"i": int64(1), "n": 1.5, "b": true, "d": date(2012, 4, 24), "iso": date(2012, 4, 24),
				"dt": time.Date(2012, 4, 24, 10, 0, 0, 0, time.UTC), "zip": "02134", "mixed": "1", "empty": nil},
		},
		{
			name: "explicit types, a value that does not fit", file: "a.csv",
			opts:   Options{Types: map[string]string{"code": TypeInteger}, Header: HeaderPresent},
			data:   "code,lat,lon\n7,1,2\nx7,1,2\n",
			fields: []Field{{"code", TypeInteger}}, srs: "EPSG:4326", gtype: "Point", n: 1,
			first: map[string]any{"code": int64(7)}, firstXY: []float64{2, 1},
			errLines: []int{3}, errFields: []string{"code"},
		},
		{
			name: "short rows padded, long rows refused", file: "a.csv",
			data:   "a,b,lat,lon\n1,2,3,4\n1\n1,2,3,4,5\n",
			fields: []Field{{"a", TypeInteger}, {"b", TypeInteger}}, srs: "EPSG:4326", gtype: "Point", n: 2,
			first: map[string]any{"a": int64(1), "b": int64(2)}, firstXY: []float64{4, 3},
			errLines: []int{4}, errFields: []string{""},
		},
		{
			name: "named columns, kept", file: "a.csv",
			opts:   Options{LonColumn: "E", LatColumn: "N", KeepGeometryColumns: true},
			data:   "E,N\n5,6\n",
			fields: []Field{{"E", TypeInteger}, {"N", TypeInteger}}, srs: "EPSG:4326", gtype: "Point", n: 1,
			first: map[string]any{"E": int64(5), "N": int64(6)}, firstXY: []float64{5, 6},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := openOne(t, writeTemp(t, tc.file, []byte(tc.data)), tc.opts)
			if !reflect.DeepEqual(r.Fields(), tc.fields) {
				t.Errorf("Fields() = %v, want %v", r.Fields(), tc.fields)
			}
			if r.SRS() != tc.srs {
				t.Errorf("SRS() = %q, want %q", r.SRS(), tc.srs)
			}
			if r.GeometryType() != tc.gtype {
				t.Errorf("GeometryType() = %q, want %q", r.GeometryType(), tc.gtype)
			}
			fs, errs := readAll(t, r)
			if len(fs) != tc.n {
				t.Fatalf("%d features, want %d (errors %v)", len(fs), tc.n, errs)
			}
			if len(errs) != len(tc.errLines) {
				t.Fatalf("errors %v, want lines %v", errs, tc.errLines)
			}
			for i, e := range errs {
				if e.Line != tc.errLines[i] || e.Field != tc.errFields[i] || e.Err == nil || e.Error() == "" {
					t.Errorf("error %d: line %d field %q (%v), want line %d field %q", i, e.Line, e.Field, e, tc.errLines[i], tc.errFields[i])
				}
			}
			if !reflect.DeepEqual(fs[0].Properties, tc.first) {
				t.Errorf("first properties %#v\nwant %#v", fs[0].Properties, tc.first)
			}
			if fs[0].Record != 1 {
				t.Errorf("first Record = %d", fs[0].Record)
			}
			switch {
			case tc.firstXY == nil && fs[0].Geometry != nil:
				t.Errorf("geometry %v, want none", fs[0].Geometry)
			case tc.firstXY != nil:
				if fs[0].Geometry == nil {
					t.Fatal("no geometry")
				}
				flat := fs[0].Geometry.FlatCoords()
				var xy []float64
				for i := 0; i < len(flat); i += fs[0].Geometry.Stride() {
					xy = append(xy, flat[i], flat[i+1])
				}
				if !reflect.DeepEqual(xy, tc.firstXY) {
					t.Errorf("coordinates %v, want %v", xy, tc.firstXY)
				}
			}
		})
	}
}

func utf16le(s string) string {
	b := []byte{0xff, 0xfe}
	for _, r := range s {
		b = append(b, byte(r), byte(r>>8)) // BMP only
	}
	return string(b)
}

// TestChicagoLandmarks reads the Socrata export by its lat/lon columns and
// by its LOCATION column; both give the same points inside Chicago.
func TestChicagoLandmarks(t *testing.T) {
	const path = "testdata/chicago/Individual_Landmarks.csv"
	byLatLon := openOne(t, path, Options{})
	byLocation := openOne(t, path, Options{LocationColumn: "location"})
	a, errsA := readAll(t, byLatLon)
	b, errsB := readAll(t, byLocation)
	if len(errsA)+len(errsB) > 0 {
		t.Fatalf("record errors: %v %v", errsA, errsB)
	}
	if len(a) != 317 || len(b) != 317 {
		t.Fatalf("%d and %d landmarks, want 317", len(a), len(b))
	}
	if byLatLon.SRS() != "EPSG:4326" || byLocation.SRS() != "EPSG:4326" {
		t.Errorf("SRS %q, %q", byLatLon.SRS(), byLocation.SRS())
	}
	fields := map[string]string{}
	for _, f := range byLocation.Fields() {
		fields[f.Name] = f.Type
	}
	if fields["LANDMARK DESIGNATION DATE"] != TypeDate || fields["ID"] != TypeString || fields["LATITUDE"] != TypeNumber {
		t.Errorf("fields %v", fields)
	}
	if _, ok := fields["LOCATION"]; ok {
		t.Error("the location column is still a property")
	}
	for i := range a {
		pa, pb := a[i].Geometry.FlatCoords(), b[i].Geometry.FlatCoords()
		if math.Abs(pa[0]-pb[0]) > 1e-9 || math.Abs(pa[1]-pb[1]) > 1e-9 {
			t.Errorf("record %d: %v by lat/lon, %v by location", a[i].Record, pa, pb)
		}
		if pa[0] < -87.95 || pa[0] > -87.5 || pa[1] < 41.6 || pa[1] > 42.05 {
			t.Errorf("record %d: %v is not in Chicago", a[i].Record, pa)
		}
	}
	if got := b[0].Properties["LANDMARK NAME"]; got != "(Former) Mid-City Trust and Savings Bank Buildings" {
		t.Errorf("first name %q", got)
	}
	if got, ok := b[0].Properties["LANDMARK DESIGNATION DATE"].(time.Time); !ok || !got.Equal(time.Date(2012, 4, 24, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("first designation date %v", b[0].Properties["LANDMARK DESIGNATION DATE"])
	}
}

func TestCSVOptionErrors(t *testing.T) {
	p := writeTemp(t, "a.csv", []byte("a,b\n1,2\n"))
	tests := []struct {
		name string
		opts Options
		want error
	}{
		{"unknown encoding", Options{Encoding: "klingon"}, ErrUnsupported},
		{"unknown type", Options{Types: map[string]string{"a": "color"}}, ErrUnsupported},
		{"missing column", Options{WKTColumn: "geom"}, nil},
		{"lon without lat", Options{LonColumn: "a"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(p, tc.opts)
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}
