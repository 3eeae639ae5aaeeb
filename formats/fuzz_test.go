package formats_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/twpayne/go-geom"

	"github.com/cityatlas/cityatlas/formats"
	"github.com/cityatlas/cityatlas/importers"
	"github.com/cityatlas/cityatlas/store"
)

// fuzzFeatures turns fuzz input into point features with a text and a
// number property: the first bytes pick coordinates, the rest is text.
func fuzzFeatures(data []byte) []formats.Feature {
	var out []formats.Feature
	for i := 0; len(data) >= 10 && i < 20; i++ {
		x := float64(int32(binary.LittleEndian.Uint32(data[0:]))) / 1e7
		y := float64(int32(binary.LittleEndian.Uint32(data[4:]))) / 2e7
		n := int(data[8]) % 40
		data = data[9:]
		n = min(n, len(data))
		txt := string(data[:n])
		data = data[n:]
		if !utf8.ValidString(txt) {
			txt = string([]rune(txt))
		}
		q, _ := json.Marshal(txt)
		vals := []string{string(q), strconv.FormatFloat(x*y, 'g', -1, 64)}
		if n%3 == 0 {
			vals[0] = ""
		}
		out = append(out, formats.Feature{ID: int64(i + 1), Geometry: geom.NewPointFlat(geom.XY, []float64{x, y}), Values: vals})
	}
	return out
}

var fuzzFields = []store.Field{{Name: "label", Type: store.TypeString}, {Name: "value", Type: store.TypeNumber}}

// FuzzShapefile writes fuzzed features as a zipped shapefile and reads the
// zip back with the project's shapefile importer.
func FuzzShapefile(f *testing.F) {
	f.Add([]byte("0123456789abcdefghijklmnopqrstuvwxyz"))
	f.Add(bytes.Repeat([]byte{0xff, 0x7f, 0x01, 0x80, 3, 2, 1, 0, 39, 'a', ',', '"', 0xc3, 0xa9}, 5))
	f.Fuzz(func(t *testing.T, data []byte) {
		feats := fuzzFeatures(data)
		if len(feats) == 0 {
			return
		}
		dir := t.TempDir()
		var buf bytes.Buffer
		w, err := formats.NewShapefile(&buf, formats.Layer{Name: "fz", Geometry: store.GeometryPoint, Fields: fuzzFields, Count: len(feats), TempDir: dir})
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
		path := filepath.Join(dir, "fz.zip")
		os.WriteFile(path, buf.Bytes(), 0o644)
		rs, err := importers.Open(path, importers.Options{})
		if err != nil {
			t.Fatal(err)
		}
		r := rs[0]
		defer r.Close()
		for _, want := range feats {
			got, err := r.Next()
			if err != nil {
				t.Fatalf("feature %d: %v", want.ID, err)
			}
			c, wc := got.Geometry.FlatCoords(), want.Geometry.FlatCoords()
			if c[0] != wc[0] || c[1] != wc[1] {
				t.Errorf("feature %d at %v, want %v", want.ID, c, wc)
			}
			var label string
			if want.Values[0] != "" {
				json.Unmarshal([]byte(want.Values[0]), &label)
			}
			if len(label) > 254 {
				continue
			}
			gl, _ := got.Properties["label"].(string)
			if gl != strings.TrimSpace(strings.ReplaceAll(label, "\x00", "")) {
				t.Errorf("feature %d: label %q, want %q", want.ID, gl, label)
			}
			wv, _ := strconv.ParseFloat(want.Values[1], 64)
			if gv, ok := got.Properties["value"].(float64); !ok && got.Properties["value"] != nil {
				if n, ok := got.Properties["value"].(int64); !ok || float64(n) != wv {
					t.Errorf("feature %d: value %v (%T), want %g", want.ID, got.Properties["value"], got.Properties["value"], wv)
				}
			} else if ok && math.Abs(gv-wv) > 1e-12*math.Max(1, math.Abs(wv)) {
				t.Errorf("feature %d: value %v, want %g", want.ID, gv, wv)
			}
			if id := got.Properties["id"]; id != want.ID && id != float64(want.ID) {
				t.Errorf("id %v (%T), want %d", id, id, want.ID)
			}
		}
		if _, err := r.Next(); !errors.Is(err, io.EOF) {
			t.Errorf("after the last feature: %v", err)
		}
	})
}
