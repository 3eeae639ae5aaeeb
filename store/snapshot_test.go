package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twpayne/go-geom"
)

// mixedStore is a Store of points, lines, polygons, a 3D point, an empty
// geometry and none, with external ids, updates (dead items) and deletes.
func mixedStore(t *testing.T) (*Store, *layer) {
	c := Collection{ID: "mixed", Geometry: GeometryAny, TimeField: "installed", Fields: []Field{
		{Name: "condition", Type: TypeString}, {Name: "installed", Type: TypeDate},
	}}
	rng := rand.New(rand.NewPCG(5, 6))
	now := time.Now().UTC().Truncate(time.Microsecond)
	geoms := []geom.T{
		nil,
		geom.NewPointEmpty(geom.XY).SetSRID(4326),
		geom.NewPointFlat(geom.XYZ, []float64{1, 2, 3}).SetSRID(4326),
		geom.NewLineStringFlat(geom.XY, []float64{0, 0, 1, 1, 2, 0}).SetSRID(4326),
		geom.NewPolygonFlat(geom.XY, []float64{0, 0, 4, 0, 4, 4, 0, 4, 0, 0}, []int{10}).SetSRID(4326),
	}
	s := storeOf(t, c, 2000, func(i int) Feature {
		g := geom.T(geom.NewPointFlat(geom.XY, []float64{rng.Float64() * 10, rng.Float64() * 10}).SetSRID(4326))
		if i < len(geoms) {
			g = geoms[i]
		}
		props, err := EncodeProperties(&c, map[string]any{"condition": []string{"good", "fair", "poor"}[rng.IntN(3)],
			"installed": time.Date(2000+rng.IntN(20), 1, 1+rng.IntN(28), 0, 0, 0, 0, time.UTC).Format(time.DateOnly)})
		if err != nil {
			t.Fatal(err)
		}
		if i%7 == 0 {
			props = emptyObject
		}
		ext := ""
		if i%3 == 0 {
			ext = "E-" + strings.Repeat("x", i%40)
		}
		return Feature{ID: int64(i + 1), ExternalID: ext, Geometry: g, Properties: props, Version: 1, Updated: now}
	})
	l := s.master["mixed"]
	for id := int64(100); id < 200; id++ { // replaced: dead items stay in the arenas
		f := l.feature(must(l.get(id)))
		f.Version++
		f.Geometry = geom.NewPointFlat(geom.XY, []float64{5, 5}).SetSRID(4326)
		r, err := l.newItem(&f)
		if err != nil {
			t.Fatal(err)
		}
		l.put(r)
	}
	for id := int64(300); id < 320; id++ {
		l.remove(id)
	}
	s.quarantine.add("mixed", 300)
	s.quarantine.add("mixed", 301)
	s.publish("mixed")
	return s, s.current.Load().layers["mixed"]
}

func must(it *item, ok bool) *item {
	if !ok {
		panic("no such item")
	}
	return it
}

func writeTestSnapshot(t *testing.T, s *Store) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "index")
	s.snap.path, s.snap.identity, s.log = path, "test", slog.New(slog.DiscardHandler)
	if err := s.WriteSnapshot(t.Context()); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSnapshotLayerRoundTrip: a layer read back from its section is the
// layer written, item for item, with its quarantine, extent and time span,
// and the same bbox answers.
func TestSnapshotLayerRoundTrip(t *testing.T) {
	s, want := mixedStore(t)
	path := writeTestSnapshot(t, s)
	f, h, err := readSnapshotHeader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if len(h.Layers) != 1 || h.Identity != "test" {
		t.Fatalf("header %+v", h)
	}
	got, bad, err := readLayer(f, h.Layers[0])
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(bad, []int64{300, 301}) {
		t.Errorf("quarantine %v, want [300 301]", bad)
	}
	if got.ids.Len() != want.ids.Len() || got.tree.Len() != want.tree.Len() {
		t.Fatalf("%d features, %d in the R-tree; want %d, %d", got.ids.Len(), got.tree.Len(), want.ids.Len(), want.tree.Len())
	}
	want.ids.Scan(func(e entry) bool {
		id := int64(e.hi)<<32 | int64(e.lo)
		g, ok := got.get(id)
		if !ok {
			t.Fatalf("feature %d is missing", id)
		}
		gf, wf := got.feature(g), want.feature(want.item(e.ref))
		if gf.ExternalID != wf.ExternalID || string(gf.Properties) != string(wf.Properties) || gf.Version != wf.Version ||
			!gf.Updated.Equal(wf.Updated) || (gf.Geometry == nil) != (wf.Geometry == nil) {
			t.Fatalf("feature %d: %+v, want %+v", id, gf, wf)
		}
		if wf.Geometry != nil && (gf.Geometry.Layout() != wf.Geometry.Layout() || !slices.Equal(gf.Geometry.FlatCoords(), wf.Geometry.FlatCoords()) ||
			(got.exact(g) == nil) != (want.exact(want.item(e.ref)) == nil)) {
			t.Fatalf("feature %d: geometry %v, want %v", id, gf.Geometry, wf.Geometry)
		}
		return true
	})
	if ge, _ := got.extent(); ge != must2(want.extent()) {
		t.Errorf("extent %v, want %v", ge, must2(want.extent()))
	}
	ws := want.timeSpan()
	if !ws.ok {
		t.Fatal("the test layer has no time span")
	}
	if gs := got.snapshot().times(); !gs.span[0].Equal(ws.span[0]) || !gs.span[1].Equal(ws.span[1]) || !gs.updated.Equal(ws.updated) || !gs.ok {
		t.Errorf("saved time span %+v, want %+v", gs, ws)
	}
	if gs := got.snapshot().times(); gs != ws {
		t.Errorf("time span %+v, want %+v", gs, ws)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for range 50 {
		x, y := rng.Float64()*10, rng.Float64()*10
		mn, mx := outward([4]float64{x, y, x + 1, y + 1})
		var a, b []ref
		got.tree.Search(mn, mx, func(_, _ [2]float32, r ref) bool { a = append(a, r); return true })
		want.tree.Search(mn, mx, func(_, _ [2]float32, r ref) bool { b = append(b, r); return true })
		slices.Sort(a)
		slices.Sort(b)
		if !slices.Equal(a, b) {
			t.Fatalf("search %v %v: %v, want %v", mn, mx, a, b)
		}
	}
	// The layer takes writes after it was read, as one loaded whole.
	f2 := Feature{ID: 99999, Geometry: geom.NewPointFlat(geom.XY, []float64{1, 1}), Properties: emptyObject, Version: 1}
	r, err := got.newItem(&f2)
	if err != nil {
		t.Fatal(err)
	}
	got.put(r)
	if _, ok := got.get(99999); !ok || got.ids.Len() != want.ids.Len()+1 {
		t.Error("a feature added after the read is not there")
	}
}

func must2(b [4]float64, _ bool) [4]float64 { return b }

// rewriteHeader changes the header of the snapshot at path, keeping its
// checksum right, so that only what change does is wrong.
func rewriteHeader(t *testing.T, path string, change func(*snapHeader)) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tail := data[len(data)-8-len(snapEnd):]
	n := int(binary.LittleEndian.Uint32(tail))
	start := len(data) - len(tail) - n
	var h snapHeader
	if err := json.Unmarshal(data[start:start+n], &h); err != nil {
		t.Fatal(err)
	}
	change(&h)
	js, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	out := append(slices.Clone(data[:start]), js...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(js)))
	out = binary.LittleEndian.AppendUint32(out, crc32.Checksum(js, castagnoli))
	out = append(out, snapEnd...)
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestSnapshotUntrusted: a snapshot of another format or layout, or one
// whose sections or header are damaged, is refused.
func TestSnapshotUntrusted(t *testing.T) {
	s, _ := mixedStore(t)
	cases := map[string]func(t *testing.T, path string){
		"format": func(t *testing.T, path string) { rewriteHeader(t, path, func(h *snapHeader) { h.Format++ }) },
		"layout": func(t *testing.T, path string) {
			rewriteHeader(t, path, func(h *snapHeader) { h.Layout = "0123456789abcdef" })
		},
		"section checksum": func(t *testing.T, path string) {
			rewriteHeader(t, path, func(h *snapHeader) { h.Layers[0].CRC++ })
		},
		"section past the end": func(t *testing.T, path string) {
			rewriteHeader(t, path, func(h *snapHeader) { h.Layers[0].Size += 1 << 20 })
		},
		"a byte of a section": func(t *testing.T, path string) {
			data, _ := os.ReadFile(path)
			data[len(snapMagic)+100] ^= 1
			os.WriteFile(path, data, 0o600)
		},
		"a byte of the header": func(t *testing.T, path string) {
			data, _ := os.ReadFile(path)
			data[len(data)-8-len(snapEnd)-10] ^= 1
			os.WriteFile(path, data, 0o600)
		},
		"truncated": func(t *testing.T, path string) {
			st, _ := os.Stat(path)
			os.Truncate(path, st.Size()-3)
		},
	}
	for name, damage := range cases {
		t.Run(name, func(t *testing.T) {
			s.snap.written = [2]int64{}
			path := writeTestSnapshot(t, s)
			damage(t, path)
			f, h, err := readSnapshotHeader(path)
			if err == nil {
				defer f.Close()
				_, _, err = readLayer(f, h.Layers[0])
			}
			if err == nil {
				t.Fatal("the damaged snapshot was read")
			}
			t.Log(err)
		})
	}
}

// BenchmarkSnapshotRead1M: reading a layer of 1 M points from its
// snapshot (the file in the page cache).
func BenchmarkSnapshotRead1M(b *testing.B) {
	s := benchStore(b, 1_000_000)
	path := filepath.Join(b.TempDir(), "index")
	s.snap.path, s.snap.identity, s.log = path, "bench", slog.New(slog.DiscardHandler)
	if err := s.WriteSnapshot(b.Context()); err != nil {
		b.Fatal(err)
	}
	f, h, err := readSnapshotHeader(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := readLayer(f, h.Layers[0]); err != nil {
			b.Fatal(err)
		}
	}
}

// TestKeepSnapshot: a change to the index gets written once it settles,
// and an unchanged index is not written again.
func TestKeepSnapshot(t *testing.T) {
	s, _ := mixedStore(t)
	path := writeTestSnapshot(t, s)
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { s.KeepSnapshot(ctx, time.Millisecond); close(done) }()
	s.mu.Lock()
	s.publish("mixed")
	key := s.snapKey()
	s.mu.Unlock()
	for {
		s.snap.mu.Lock()
		w := s.snap.written
		s.snap.mu.Unlock()
		if w == key {
			break
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	after, err := os.Stat(path)
	if err != nil || after.ModTime().Equal(before.ModTime()) && os.SameFile(before, after) {
		t.Errorf("the snapshot was not written again (%v)", err)
	}
	if err := s.WriteSnapshot(t.Context()); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.Stat(path); !os.SameFile(after, again) {
		t.Error("an unchanged index was written again")
	}
}

// TestSnapshotStaleTemps: a write removes the temporary file a crashed
// write left an hour ago, not one that another write may be making.
func TestSnapshotStaleTemps(t *testing.T) {
	s, _ := mixedStore(t)
	path := writeTestSnapshot(t, s)
	dir := filepath.Dir(path)
	stale, fresh := filepath.Join(dir, ".cityatlas-snapshot-1"), filepath.Join(dir, ".cityatlas-snapshot-2")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	s.snap.written = [2]int64{}
	if err := s.WriteSnapshot(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Error("the stale temporary file is still there")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("the recent temporary file was removed: %v", err)
	}
}
