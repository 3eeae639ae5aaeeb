package geo

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twpayne/go-geom"
)

func TestDecodeGeoJSON(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		wantErr string
	}{
		{"point", `{"type":"Point","coordinates":[-115.5,32.8]}`, ""},
		{"point 3d", `{"type":"Point","coordinates":[-115.5,32.8,12]}`, ""},
		{"polygon", `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}`, ""},
		{"collection", `{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]}]}`, ""},
		{"null", `null`, ""},
		{"projected", `{"type":"Point","coordinates":[6500000,1900000]}`, "looks projected"},
		{"open ring", `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}`, "not closed"},
		{"short ring", `{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}`, "at least 4"},
		{"1d position", `{"type":"Point","coordinates":[1]}`, "2 or 3 numbers"},
		{"4d position", `{"type":"Point","coordinates":[1,2,3,4]}`, "2 or 3 numbers"},
		{"string coordinate", `{"type":"Point","coordinates":["1",2]}`, "non-number"},
		{"unknown type", `{"type":"Circle","coordinates":[1,2]}`, "unknown geometry type"},
		{"no type", `{"coordinates":[1,2]}`, `no "type"`},
		{"no coordinates", `{"type":"LineString"}`, "no coordinates"},
		{"one-point line", `{"type":"LineString","coordinates":[[1,2]]}`, "at least 2"},
		{"not json", `{"type":`, "not a GeoJSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeGeoJSON([]byte(tc.in))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrGeometry) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.wantErr)
			}
		})
	}
}

func TestRewindAndRoundTrip(t *testing.T) {
	// Clockwise exterior with a counter-clockwise hole: both get reversed.
	in := `{"type":"Polygon","coordinates":[[[0,0],[0,10],[10,10],[10,0],[0,0]],[[2,2],[4,2],[4,4],[2,4],[2,2]]]}`
	g, err := DecodeGeoJSON([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[2,2],[2,4],[4,4],[4,2],[2,2]]]}`
	if got := string(AppendGeoJSON(nil, g)); got != want {
		t.Errorf("rewound\n got %s\nwant %s", got, want)
	}
	for _, s := range []string{
		`{"type":"Point","coordinates":[-115.5694,32.8476,12.5]}`,
		`{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[5,5],[6,5],[6,6],[5,5]]]]}`,
		`{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1.25,2]},{"type":"LineString","coordinates":[[0,0],[1,1]]}]}`,
	} {
		g, err := DecodeGeoJSON([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		if got := string(AppendGeoJSON(nil, g)); got != s {
			t.Errorf("round trip\n got %s\nwant %s", got, s)
		}
	}
}

func TestToOrbFromOrb(t *testing.T) {
	g := geom.NewMultiPolygonFlat(geom.XYZ, []float64{0, 0, 1, 1, 0, 1, 1, 1, 1, 0, 0, 1}, [][]int{{12}})
	o, err := ToOrb(g)
	if err != nil {
		t.Fatal(err)
	}
	back, err := FromOrb(o)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(AppendGeoJSON(nil, back)); got != `{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}` {
		t.Errorf("round trip through orb: %s", got)
	}
}

// FuzzDecodeGeoJSON: no input panics, and whatever decodes re-encodes to
// something that decodes to the same encoding.
func FuzzDecodeGeoJSON(f *testing.F) {
	files, _ := filepath.Glob("testdata/fuzz-seeds/*.json")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"type":"Point","coordinates":[1,2]}`))
	f.Add([]byte(`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]],[[0.2,0.2],[0.3,0.2],[0.3,0.3],[0.2,0.2]]]}`))
	f.Add([]byte(`{"type":"GeometryCollection","geometries":[{"type":"MultiLineString","coordinates":[[[0,0],[1,1]]]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := DecodeGeoJSON(data)
		if err != nil || g == nil {
			return
		}
		enc := AppendGeoJSON(nil, g)
		g2, err := DecodeGeoJSON(enc)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", enc, err)
		}
		if enc2 := AppendGeoJSON(nil, g2); string(enc2) != string(enc) {
			t.Fatalf("unstable encoding %s vs %s", enc, enc2)
		}
		_, _ = ToOrb(g)
	})
}
