package storetest

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/cityatlas/cityatlas/store"
)

// testSnapshot: an index read from its snapshot and caught up from the
// change log is the index a full load builds (features, counts, extents,
// query answers), and a snapshot that cannot be trusted is ignored.
func testSnapshot(t *testing.T, open Opener) {
	ctx := context.Background()
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 11))
	b := open(t)
	pts, shapes, rs := snapshotFixture(t, b, rng)

	path := filepath.Join(t.TempDir(), "index.snap")
	o := store.Options{Snapshot: path}
	if _, ok := b.(store.Identifier); !ok {
		o.Identity = "storetest"
	}
	first := mustOpen(t, b, o)
	if first.Start().FromSnapshot {
		t.Fatal("the first start has no snapshot to read, yet says it read one")
	}
	// Made through the index: its definition as the index has it must be
	// the one the backend lists, or every start would read it whole.
	made := Assets("made_here", store.GeometryLineString)
	made.Description, made.Keywords = "", nil
	if _, err := first.CreateCollection(ctx, made); err != nil {
		t.Fatal(err)
	}
	if err := first.WriteSnapshot(ctx); err != nil {
		t.Fatal(err)
	}
	second := mustOpen(t, b, o)
	if st := second.Start(); !st.FromSnapshot || len(st.Reloaded) != 0 {
		t.Fatalf("second start: %+v; want it read from the snapshot, nothing reloaded", st)
	}
	sameIndex(t, second, b, rng)

	t.Run("CatchUp", func(t *testing.T) {
		// Writes after the snapshot, made elsewhere (not through this index).
		MustApply(t, b, pts.ID, insert(store.Feature{ExternalID: "later", Geometry: randPoint(rng), Properties: randProps(t, rng, pts)}),
			store.Mutation{Op: store.OpUpdate, Feature: store.Feature{ID: rs[2].Feature.ID, Geometry: randPoint(rng), Properties: randProps(t, rng, pts)}},
			store.Mutation{Op: store.OpDelete, Feature: store.Feature{ID: rs[3].Feature.ID}})
		up := shapes
		up.Title = "Retitled"
		if _, _, err := b.UpdateCollection(ctx, up, "storetest"); err != nil {
			t.Fatal(err)
		}
		later := MustCreate(t, b, Assets("later", store.GeometryPoint))
		MustApply(t, b, later.ID, insert(store.Feature{Geometry: randPoint(rng), Properties: randProps(t, rng, later)}))
		// Made again: the same id, but not the collection the snapshot holds.
		if err := b.DeleteCollection(ctx, "empty", "storetest"); err != nil {
			t.Fatal(err)
		}
		again := MustCreate(t, b, Assets("empty", store.GeometryPoint))
		MustApply(t, b, again.ID, insert(store.Feature{Geometry: randPoint(rng), Properties: randProps(t, rng, again)}))

		s := mustOpen(t, b, o)
		st := s.Start()
		slices.Sort(st.Reloaded)
		if !st.FromSnapshot || !slices.Equal(st.Reloaded, []string{"empty", "later"}) {
			t.Fatalf("start after writes: %+v; want it read from the snapshot, empty and later reloaded", st)
		}
		if c, _ := s.Collection(shapes.ID); c.Title != "Retitled" {
			t.Errorf("title %q after catching up, want Retitled", c.Title)
		}
		if _, err := s.Feature(pts.ID, rs[3].Feature.ID); err == nil {
			t.Error("a feature deleted after the snapshot is still in the index")
		}
		sameIndex(t, s, b, rng)
		if s.SyncState().Seq < mustLastSeq(t, b) {
			t.Errorf("caught up to %d, the backend is at %d", s.SyncState().Seq, mustLastSeq(t, b))
		}
	})

	testSnapshotUntrusted(t, b, open, o, rng)
}

// testSnapshotUntrusted: a snapshot of another backend, damaged,
// truncated, or of a database put in the place of b is ignored, and the
// index read whole.
func testSnapshotUntrusted(t *testing.T, b store.Backend, open Opener, o store.Options, rng *rand.Rand) {
	ctx := context.Background()
	path := o.Snapshot
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	untrusted := func(t *testing.T, b store.Backend, o store.Options) {
		t.Helper()
		s := mustOpen(t, b, o)
		if st := s.Start(); st.FromSnapshot || st.Ignored == "" {
			t.Fatalf("start: %+v; want the snapshot ignored, with the reason", st)
		}
		sameIndex(t, s, b, rng)
	}
	t.Run("OtherBackend", func(t *testing.T) {
		other := o
		other.Identity = "another database"
		untrusted(t, b, other)
	})
	t.Run("Corrupt", func(t *testing.T) {
		bad := slices.Clone(good)
		bad[len(bad)/3] ^= 0x40
		writeFile(t, path, bad)
		untrusted(t, b, o)
	})
	t.Run("Truncated", func(t *testing.T) {
		for _, n := range []int{0, 7, len(good) / 2, len(good) - 1} {
			writeFile(t, path, good[:n])
			untrusted(t, b, o)
		}
	})
	t.Run("Replaced", func(t *testing.T) {
		// Another database of the same name, a change log as long or
		// shorter, other entries: the snapshot is none of its business.
		writeFile(t, path, good)
		r := open(t)
		c := MustCreate(t, r, Assets("pts", store.GeometryPoint))
		ro := o
		if _, ok := r.(store.Identifier); ok {
			// The same name as the snapshot's backend (a restored copy).
			var err error
			if ro.Identity, err = b.(store.Identifier).Identity(ctx); err != nil {
				t.Fatal(err)
			}
		}
		untrusted(t, r, ro) // behind
		want := mustLastSeq(t, b)
		for i := 0; mustLastSeq(t, r) < want && i < 2000; i++ {
			MustApply(t, r, c.ID, insert(store.Feature{Geometry: randPoint(rng), Properties: randProps(t, rng, c)}))
		}
		untrusted(t, r, ro) // level or ahead, other entries
	})
}

// snapshotFixture fills b with points (some replaced or deleted: dead
// items in the arenas), every kind of geometry, features without
// properties or geometry, and an empty collection; rs are the points'
// inserts.
func snapshotFixture(t *testing.T, b store.Backend, rng *rand.Rand) (pts, shapes store.Collection, rs []store.Result) {
	pts = MustCreate(t, b, Assets("pts", store.GeometryPoint))
	shapes = MustCreate(t, b, Assets("shapes", store.GeometryAny))
	MustCreate(t, b, Assets("empty", store.GeometryAny))
	var ms []store.Mutation
	for range 300 {
		ms = append(ms, insert(store.Feature{Geometry: randPoint(rng), Properties: randProps(t, rng, pts)}))
	}
	ms = append(ms, insert(store.Feature{ExternalID: "no-props", Geometry: randPoint(rng), Properties: Props(t, pts, nil)}))
	rs = MustApply(t, b, pts.ID, ms...)
	// Replaced and deleted features leave dead items behind in the arenas.
	MustApply(t, b, pts.ID, store.Mutation{Op: store.OpUpdate, Feature: store.Feature{ID: rs[0].Feature.ID, Geometry: randPoint(rng), Properties: randProps(t, rng, pts)}},
		store.Mutation{Op: store.OpDelete, Feature: store.Feature{ID: rs[1].Feature.ID}})
	ms = nil
	for name, g := range Geometries() {
		ms = append(ms, insert(store.Feature{ExternalID: name, Geometry: g, Properties: randProps(t, rng, shapes)}))
	}
	for range 100 {
		ms = append(ms, insert(store.Feature{Geometry: randGeom(rng, shapes), Properties: randProps(t, rng, shapes)}))
	}
	ms = append(ms, insert(store.Feature{ExternalID: "no-geometry", Properties: randProps(t, rng, shapes)}))
	MustApply(t, b, shapes.ID, ms...)
	return pts, shapes, rs
}

func mustOpen(t *testing.T, b store.Backend, o store.Options) *store.Store {
	t.Helper()
	s, err := store.OpenWith(context.Background(), b, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustLastSeq(t *testing.T, b store.Backend) int64 {
	t.Helper()
	seq, err := b.LastSeq(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// sameIndex checks s against an index built whole from b: the same
// collections with the same statistics, every feature, and the answers to
// random bbox queries and counts (checked against the backend).
func sameIndex(t *testing.T, s *store.Store, b store.Backend, rng *rand.Rand) {
	t.Helper()
	full, err := store.Open(context.Background(), b, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, want := s.Collections(), full.Collections()
	if len(got) != len(want) {
		t.Fatalf("%d collections, a full load has %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.ID != w.ID || g.Title != w.Title || g.Count != w.Count || g.Extent != w.Extent || g.HasExtent != w.HasExtent ||
			g.TimeExtent != w.TimeExtent || g.HasTime != w.HasTime || len(g.Fields) != len(w.Fields) {
			t.Fatalf("collection %+v\na full load: %+v", g, w)
		}
		fs, _, err := b.Query(context.Background(), w.ID, store.Query{})
		if err != nil {
			t.Fatal(err)
		}
		page, err := s.Items(context.Background(), w.ID, store.Filter{})
		if err != nil || page.Matched != len(fs) || len(page.Features) != len(fs) {
			t.Fatalf("%s: the index has %d features (%v), the backend %d", w.ID, page.Matched, err, len(fs))
		}
		for i, f := range fs {
			gf := page.Features[i]
			wf, _ := full.Feature(w.ID, f.ID)
			if gf.ID != f.ID || gf.Version != f.Version || string(gf.Properties) != string(f.Properties) || gf.ExternalID != f.ExternalID ||
				!gf.Updated.Equal(wf.Updated) {
				t.Fatalf("feature %d: %+v\nthe backend: %+v\na full load: %+v", f.ID, gf, f, wf)
			}
			if (gf.Geometry == nil) != (f.Geometry == nil) {
				t.Fatalf("feature %d: geometry %v; the backend: %v", f.ID, gf.Geometry, f.Geometry)
			}
			if gf.Geometry != nil {
				assertSameGeom(t, gf.Geometry, wf.Geometry)
				assertSameGeom(t, gf.Geometry, f.Geometry)
			}
		}
		for range 20 {
			checkQuery(t, s, b, w.ID, randBBox(rng), rng)
		}
	}
	if q, fq := s.Quarantined(), full.Quarantined(); len(q) != len(fq) {
		t.Errorf("quarantine %+v; a full load: %+v", q, fq)
	}
}
