package geo

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

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

// TestAppendFloatIsShortest: AppendFloat writes what strconv's shortest
// form ('f', -1) writes, for coordinates of every precision (the fast path
// of 7 decimals and fewer, and the rest), sign and magnitude.
func TestAppendFloatIsShortest(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 3))
	check := func(f float64) {
		t.Helper()
		if f == math.Trunc(f) {
			return // whole numbers are written as integers ("0" for -0)
		}
		if got, want := string(AppendFloat(nil, f)), strconv.FormatFloat(f, 'f', -1, 64); got != want {
			t.Fatalf("AppendFloat(%v) = %s, want %s", f, got, want)
		}
	}
	for _, f := range []float64{0.5, -0.25, 1e-7, -1e-7, 1e-8, 5e-8, 999999.9999999, -999999.9999999, 1e6 + 0.5, 0.1 + 0.2,
		-115.7659177, 32.2126636, math.Nextafter(32.2126636, 33), math.Pi, 1.00000005} {
		check(f)
	}
	for range 200000 {
		mag := math.Pow(10, float64(rng.IntN(9)-2)) // 0.01 to 1e6
		x := (rng.Float64()*2 - 1) * mag
		if d := rng.IntN(10); d < 9 { // d decimals, the way data is rounded
			p := math.Pow(10, float64(d))
			x = math.Round(x*p) / p
		}
		check(x)
	}
}

// BenchmarkAppendFloat: a coordinate of 7 decimals (the fast path) and
// one of full precision (strconv's shortest form).
func BenchmarkAppendFloat(b *testing.B) {
	for _, c := range []struct {
		name string
		f    float64
	}{{"7 decimals", -115.7659177}, {"full", -115.76591772345678}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]byte, 0, 64)
			for range b.N {
				buf = AppendFloat(buf[:0], c.f)
			}
		})
	}
}
