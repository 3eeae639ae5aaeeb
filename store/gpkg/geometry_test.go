package gpkg

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkb"
	"github.com/twpayne/go-geom/encoding/wkt"
)

func mustWKT(tb testing.TB, s string) geom.T {
	tb.Helper()
	g, err := wkt.Unmarshal(s)
	if err != nil {
		tb.Fatalf("wkt %q: %v", s, err)
	}
	return g
}

// sameGeom reports whether a and b have the same type, layout and
// coordinates, recursing into collections.
func sameGeom(a, b geom.T) bool {
	if reflect.TypeOf(a) != reflect.TypeOf(b) || a.Layout() != b.Layout() {
		return false
	}
	if ga, ok := a.(*geom.GeometryCollection); ok {
		gb := b.(*geom.GeometryCollection)
		if ga.NumGeoms() != gb.NumGeoms() {
			return false
		}
		for i := range ga.NumGeoms() {
			if !sameGeom(ga.Geom(i), gb.Geom(i)) {
				return false
			}
		}
		return true
	}
	fa, fb := a.FlatCoords(), b.FlatCoords()
	if len(fa) != len(fb) {
		return false
	}
	for i := range fa {
		if fa[i] != fb[i] && !(math.IsNaN(fa[i]) && math.IsNaN(fb[i])) {
			return false
		}
	}
	return reflect.DeepEqual(a.Ends(), b.Ends()) && reflect.DeepEqual(a.Endss(), b.Endss())
}

func TestGeometryRoundTrip(t *testing.T) {
	cases := []struct {
		name     string
		wkt      string
		envelope []float64 // nil: none expected
	}{
		{"point", "POINT (-115.5694 32.8476)", []float64{-115.5694, -115.5694, 32.8476, 32.8476}},
		{"point z", "POINT Z (-115.5694 32.8476 12.5)", []float64{-115.5694, -115.5694, 32.8476, 32.8476, 12.5, 12.5}},
		{"point m", "POINT M (1 2 3)", []float64{1, 1, 2, 2, 3, 3}},
		{"point zm", "POINT ZM (1 2 3 4)", []float64{1, 1, 2, 2, 3, 3, 4, 4}},
		{"linestring", "LINESTRING (0 0, 1 1, 2 0)", []float64{0, 2, 0, 1}},
		{"linestring z", "LINESTRING Z (0 0 1, 1 1 2, 2 0 3)", []float64{0, 2, 0, 1, 1, 3}},
		{"polygon with hole", "POLYGON ((0 0, 4 0, 4 4, 0 4, 0 0), (1 1, 1 2, 2 2, 2 1, 1 1))", []float64{0, 4, 0, 4}},
		{"polygon z with hole", "POLYGON Z ((0 0 1, 4 0 1, 4 4 2, 0 4 2, 0 0 1), (1 1 7, 1 2 7, 2 2 7, 2 1 7, 1 1 7))", []float64{0, 4, 0, 4, 1, 7}},
		{"multipoint", "MULTIPOINT ((0 0), (1 -1))", []float64{0, 1, -1, 0}},
		{"multipoint z", "MULTIPOINT Z ((0 0 0), (1 -1 9))", []float64{0, 1, -1, 0, 0, 9}},
		{"multilinestring", "MULTILINESTRING ((0 0, 1 1), (5 5, 6 6))", []float64{0, 6, 0, 6}},
		{"multilinestring z", "MULTILINESTRING Z ((0 0 1, 1 1 1), (5 5 2, 6 6 3))", []float64{0, 6, 0, 6, 1, 3}},
		{"multipolygon", "MULTIPOLYGON (((0 0, 4 0, 4 4, 0 4, 0 0), (1 1, 1 2, 2 2, 2 1, 1 1)), ((10 10, 11 10, 11 11, 10 10)))", []float64{0, 11, 0, 11}},
		{"multipolygon z", "MULTIPOLYGON Z (((0 0 5, 4 0 5, 4 4 5, 0 4 5, 0 0 5)))", []float64{0, 4, 0, 4, 5, 5}},
		{"geometrycollection", "GEOMETRYCOLLECTION (POINT (1 2), LINESTRING (0 0, 3 3))", []float64{0, 3, 0, 3}},
		{"geometrycollection z", "GEOMETRYCOLLECTION Z (POINT Z (1 2 3), POLYGON Z ((0 0 1, 4 0 1, 4 4 2, 0 0 1)))", []float64{0, 4, 0, 4, 1, 3}},
		{"empty point", "POINT EMPTY", nil},
		{"empty linestring", "LINESTRING EMPTY", nil},
		{"empty geometrycollection", "GEOMETRYCOLLECTION EMPTY", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := mustWKT(t, tc.wkt)
			if tc.name == "empty point" {
				g = geom.NewPointEmpty(geom.XY)
			}
			b, err := encodeGeometry(g)
			if err != nil {
				t.Fatal(err)
			}
			if string(b[:2]) != "GP" || b[2] != 0 || b[3]&flagLittleEndian == 0 {
				t.Fatalf("header % x", b[:8])
			}
			if srs := binary.LittleEndian.Uint32(b[4:8]); srs != srsWGS84 {
				t.Errorf("srs_id %d, want 4326", srs)
			}
			h, err := parseHeader(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(h.envelope, tc.envelope) {
				t.Errorf("envelope %v, want %v", h.envelope, tc.envelope)
			}
			if h.empty != (tc.envelope == nil) {
				t.Errorf("empty flag %v", h.empty)
			}
			// The WKB after the header is ISO WKB that an independent reader
			// takes.
			if _, err := wkb.Unmarshal(h.wkb, emptyPointNaN); err != nil {
				t.Errorf("WKB part: %v", err)
			}
			got, err := decodeGeometry(b)
			if err != nil {
				t.Fatal(err)
			}
			if !sameGeom(got, g) {
				t.Errorf("round trip: got %v %v, want %v %v", got.Layout(), got.FlatCoords(), g.Layout(), g.FlatCoords())
			}
		})
	}
}

// TestDecodeGDAL decodes geometries that GDAL wrote (points without an
// envelope, the rest with one) and compares them with their WKT.
func TestDecodeGDAL(t *testing.T) {
	files, err := filepath.Glob("testdata/gdal/*.gpb")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/gdal/*.gpb (%v)", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".gpb")
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			w, err := os.ReadFile(strings.TrimSuffix(file, ".gpb") + ".wkt")
			if err != nil {
				t.Fatal(err)
			}
			want := mustWKT(t, strings.TrimSpace(string(w)))
			got, err := decodeGeometry(b)
			if err != nil {
				t.Fatal(err)
			}
			if !sameGeom(got, want) {
				t.Errorf("got %v %v, want %v %v", got.Layout(), got.FlatCoords(), want.Layout(), want.FlatCoords())
			}
			env, ok, err := envelope2D(b)
			if err != nil || !ok {
				t.Fatalf("envelope2D: %v %v", ok, err)
			}
			bd := want.Bounds()
			if env != [4]float64{bd.Min(0), bd.Max(0), bd.Min(1), bd.Max(1)} {
				t.Errorf("envelope %v, want bounds %v", env, bd)
			}
		})
	}
}

func TestDecodeBigEndian(t *testing.T) {
	// A big-endian header and envelope around big-endian WKB.
	g := mustWKT(t, "LINESTRING (1 2, 3 -4)")
	w, err := wkb.Marshal(g, wkb.XDR)
	if err != nil {
		t.Fatal(err)
	}
	b := []byte{'G', 'P', 0, 1 << 1, 0, 0, 0x10, 0xe6}
	for _, v := range []float64{1, 3, -4, 2} {
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(v))
	}
	b = append(b, w...)
	got, err := decodeGeometry(b)
	if err != nil {
		t.Fatal(err)
	}
	if !sameGeom(got, g) {
		t.Errorf("got %v", got.FlatCoords())
	}
	env, _, _ := envelope2D(b)
	if env != [4]float64{1, 3, -4, 2} {
		t.Errorf("envelope %v", env)
	}
}

func TestDecodeBad(t *testing.T) {
	good, err := encodeGeometry(mustWKT(t, "POINT (1 2)"))
	if err != nil {
		t.Fatal(err)
	}
	mod := func(f func(b []byte) []byte) []byte {
		return f(append([]byte(nil), good...))
	}
	cases := []struct {
		name string
		blob []byte
	}{
		{"empty", nil},
		{"short", []byte("GP")},
		{"no magic", mod(func(b []byte) []byte { b[0] = 'X'; return b })},
		{"version 1", mod(func(b []byte) []byte { b[2] = 1; return b })},
		{"extended", mod(func(b []byte) []byte { b[3] |= flagExtended; return b })},
		{"envelope indicator 5", mod(func(b []byte) []byte { b[3] = b[3]&^flagEnvelopeMask | 5<<1; return b })},
		{"truncated envelope", good[:20]},
		{"truncated wkb", good[:len(good)-3]},
		{"bad wkb byte order", mod(func(b []byte) []byte { b[40] = 7; return b })},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := decodeGeometry(tc.blob); !errors.Is(err, errGeometry) {
				t.Errorf("err = %v, want errGeometry", err)
			}
		})
	}
}

func FuzzDecodeGeometry(f *testing.F) {
	files, _ := filepath.Glob("testdata/gdal/*.gpb")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := decodeGeometry(b)
		if err != nil {
			return
		}
		if _, _, err := envelope2D(b); err != nil {
			t.Fatalf("decoded but envelope2D fails: %v", err)
		}
		// Whatever decodes must encode, and decode again to the same.
		b2, err := encodeGeometry(g)
		if err != nil {
			return // e.g. a layout we refuse to write
		}
		g2, err := decodeGeometry(b2)
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if !sameGeom(g, g2) {
			t.Fatalf("re-encode changed %v into %v", g.FlatCoords(), g2.FlatCoords())
		}
	})
}
