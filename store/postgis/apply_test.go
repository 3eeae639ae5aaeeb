package postgis

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/twpayne/go-geom"

	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/storetest"
)

const noBulk = 1 << 30

// batchScenario fills a collection with 10 features and returns a batch of
// 310 inserts and upserts against it: 5 upserts that change nothing, 3 that
// change properties, 2 that change only Z, 290 new upserts and 10 plain
// inserts without external id, interleaved.
func batchScenario(t *testing.T, s *Store, c store.Collection) []store.Mutation {
	t.Helper()
	s.bulkMin = noBulk
	var setup []store.Mutation
	for i := range 10 {
		setup = append(setup, store.Mutation{Op: store.OpInsert, Feature: store.Feature{
			ExternalID: fmt.Sprint("e", i),
			Geometry:   geom.NewPointFlat(geom.XYZ, []float64{float64(i), 1, 0}),
			Properties: storetest.Props(t, c, map[string]any{"lanes": i}),
		}})
	}
	storetest.MustApply(t, s, c.ID, setup...)
	var ms []store.Mutation
	for i := range 10 {
		f := setup[i].Feature
		switch {
		case i >= 8:
			f.Geometry = geom.NewPointFlat(geom.XYZ, []float64{float64(i), 1, 7})
		case i >= 5:
			f.Properties = storetest.Props(t, c, map[string]any{"lanes": i, "name": "changed"})
		}
		ms = append(ms, store.Mutation{Op: store.OpUpsert, Feature: f})
	}
	for i := range 300 {
		m := store.Mutation{Op: store.OpUpsert, Feature: store.Feature{
			ExternalID: fmt.Sprint("n", i),
			Geometry:   storetest.Point(float64(i)/10, -float64(i)/10),
			Properties: storetest.Props(t, c, map[string]any{"name": fmt.Sprint("new ", i), "height": float64(i) / 4}),
		}}
		if i%30 == 7 {
			m.Op = store.OpInsert
			m.Feature.ExternalID = ""
		}
		ms = append(ms, m)
	}
	// Interleave old and new.
	slices.Reverse(ms[:10])
	ms[3], ms[200] = ms[200], ms[3]
	return ms
}

// TestCOPYMatchesOneByOne applies the same batch through both write paths
// and compares results, stored features and change logs.
func TestCOPYMatchesOneByOne(t *testing.T) {
	s := mustOpen(t)
	do := func(name string, bulkMin int) pathRun {
		c := storetest.MustCreate(t, s, storetest.Assets(name, store.GeometryPoint))
		ms := batchScenario(t, s, c)
		seq := lastSeq(t, s)
		s.bulkMin = bulkMin
		var r pathRun
		r.results = storetest.MustApply(t, s, c.ID, ms...)
		r.written(t, s, c.ID, seq)
		return r
	}
	one := do("one_by_one", noBulk)
	bulk := do("copy", 1)

	// Ids differ between the collections; compare them by rank.
	rank := func(r pathRun) map[int64]int {
		m := map[int64]int{}
		for i, f := range r.stored {
			m[f.ID] = i
		}
		return m
	}
	rankOne, rankBulk := rank(one), rank(bulk)
	counts := map[store.Outcome]int{}
	var lastSeq, lastNewID int64
	for i := range one.results {
		a, b := one.results[i], bulk.results[i]
		counts[b.Outcome]++
		if a.Outcome != b.Outcome || a.Feature.Version != b.Feature.Version || a.Feature.ExternalID != b.Feature.ExternalID ||
			string(a.Feature.Properties) != string(b.Feature.Properties) || (a.Seq == 0) != (b.Seq == 0) ||
			rankOne[a.Feature.ID] != rankBulk[b.Feature.ID] || b.Feature.Collection != "copy" {
			t.Errorf("result %d:\n one by one %+v\n       COPY %+v", i, a, b)
		}
		if b.Seq != 0 {
			if b.Seq <= lastSeq {
				t.Errorf("result %d: seq %d after %d: not in batch order", i, b.Seq, lastSeq)
			}
			lastSeq = b.Seq
		}
		if b.Outcome == store.Inserted {
			if b.Feature.ID <= lastNewID || !b.Feature.Created.Equal(b.Feature.Updated) || b.Feature.Version != 1 {
				t.Errorf("result %d: inserted %+v after id %d", i, b.Feature, lastNewID)
			}
			lastNewID = b.Feature.ID
		}
	}
	want := map[store.Outcome]int{store.Unchanged: 5, store.Updated: 5, store.Inserted: 300}
	for o, n := range want {
		if counts[o] != n {
			t.Errorf("COPY path: %d %s, want %d (all: %v)", counts[o], o, n, counts)
		}
	}
	if len(one.stored) != 310 || len(bulk.stored) != 310 {
		t.Fatalf("stored %d and %d features, want 310", len(one.stored), len(bulk.stored))
	}
	for i := range one.stored {
		a, b := one.stored[i], bulk.stored[i]
		if a.ExternalID != b.ExternalID || a.Version != b.Version || string(a.Properties) != string(b.Properties) || !sameGeometry(a.Geometry, b.Geometry) {
			t.Errorf("stored %d:\n one by one %+v\n       COPY %+v", i, a, b)
		}
	}
	if len(one.changes) != 305 || len(bulk.changes) != 305 {
		t.Fatalf("%d and %d changes, want 305", len(one.changes), len(bulk.changes))
	}
	for i := range one.changes {
		a, b := one.changes[i], bulk.changes[i]
		if a.Op != b.Op || a.Version != b.Version || rankOne[a.FeatureID] != rankBulk[b.FeatureID] || b.Actor != "storetest" {
			t.Errorf("change %d:\n one by one %+v\n       COPY %+v", i, a, b)
		}
	}
	// Every result gives the feature as stored: the COPY path works out
	// versions and times without reading them back.
	byID := map[int64]store.Feature{}
	for _, f := range bulk.stored {
		byID[f.ID] = f
	}
	for i, r := range bulk.results {
		f, ok := byID[r.Feature.ID]
		if !ok || f.Version != r.Feature.Version || !f.Created.Equal(r.Feature.Created) || !f.Updated.Equal(r.Feature.Updated) {
			t.Errorf("result %d: %+v\n stored: %+v", i, r.Feature, f)
		}
	}
	// Every changed result's seq is in the log with its feature.
	bySeq := map[int64]store.Change{}
	for _, ch := range bulk.changes {
		bySeq[ch.Seq] = ch
	}
	for i, r := range bulk.results {
		if ch, ok := bySeq[r.Seq]; r.Seq != 0 && (!ok || ch.FeatureID != r.Feature.ID || ch.Version != r.Feature.Version) {
			t.Errorf("result %d seq %d: change %+v", i, r.Seq, ch)
		}
	}
}

// TestApplyRefuses checks errors on both write paths, and that a refused
// batch writes nothing.
func TestApplyRefuses(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	c := storetest.MustCreate(t, s, storetest.Assets("signs", store.GeometryPoint))
	other := storetest.MustCreate(t, s, storetest.Assets("other", store.GeometryPoint))
	s.bulkMin = noBulk
	storetest.MustApply(t, s, c.ID, store.Mutation{Op: store.OpInsert, Feature: store.Feature{ExternalID: "taken", Geometry: storetest.Point(0, 0)}})
	good := func(ext string) store.Mutation {
		return store.Mutation{Op: store.OpUpsert, Feature: store.Feature{ExternalID: ext, Geometry: storetest.Point(1, 1), Properties: storetest.Props(t, c, map[string]any{"name": ext})}}
	}
	with := func(f func(*store.Feature)) store.Mutation {
		m := good("bad")
		f(&m.Feature)
		return m
	}
	tests := []struct {
		name string
		bad  store.Mutation
		want error
	}{
		{"unknown property", with(func(f *store.Feature) { f.Properties = store.Properties(`{"colour":"red"}`) }), store.ErrInvalid},
		{"wrong type", with(func(f *store.Feature) { f.Properties = store.Properties(`{"lanes":"many"}`) }), store.ErrInvalid},
		{"not in enumeration", with(func(f *store.Feature) { f.Properties = store.Properties(`{"condition":"awful"}`) }), store.ErrInvalid},
		{"not an object", with(func(f *store.Feature) { f.Properties = store.Properties(`[1,2]`) }), store.ErrInvalid},
		{"not JSON", with(func(f *store.Feature) { f.Properties = store.Properties(`{"name":`) }), store.ErrInvalid},
		{"line into points", with(func(f *store.Feature) { f.Geometry = geom.NewLineStringFlat(geom.XY, []float64{0, 0, 1, 1}) }), store.ErrInvalid},
		{"NaN coordinate", with(func(f *store.Feature) { f.Geometry = storetest.Point(math.NaN(), 0) }), store.ErrInvalid},
		{"other collection", with(func(f *store.Feature) { f.Collection = other.ID }), store.ErrInvalid},
		{"unknown op", store.Mutation{Op: "merge", Feature: store.Feature{ExternalID: "x"}}, store.ErrInvalid},
		{"insert of a taken external id", store.Mutation{Op: store.OpInsert, Feature: store.Feature{ExternalID: "taken"}}, store.ErrConflict},
	}
	for _, path := range []struct {
		name    string
		bulkMin int
	}{{"one by one", noBulk}, {"COPY", 1}} {
		for _, tt := range tests {
			t.Run(path.name+"/"+tt.name, func(t *testing.T) {
				s.bulkMin = path.bulkMin
				before, err := s.LastSeq(ctx)
				if err != nil {
					t.Fatal(err)
				}
				ms := []store.Mutation{good("a"), good("b"), tt.bad, good("c")}
				rs, err := s.Apply(ctx, c.ID, ms, "x")
				if !errors.Is(err, tt.want) {
					t.Fatalf("Apply = %v, %v; want %v", rs, err, tt.want)
				}
				t.Logf("error: %v", err)
				if after, _ := s.LastSeq(ctx); after != before {
					t.Errorf("refused batch wrote changes: seq %d → %d", before, after)
				}
				if _, n, _ := s.Query(ctx, c.ID, store.Query{}); n != 1 {
					t.Errorf("%d features after a refused batch, want 1", n)
				}
			})
		}
	}
}

func TestUpsertWithoutExternalIDInserts(t *testing.T) {
	s := mustOpen(t)
	c := storetest.MustCreate(t, s, storetest.Assets("signs", store.GeometryPoint))
	m := store.Mutation{Op: store.OpUpsert, Feature: store.Feature{Geometry: storetest.Point(1, 1)}}
	for i := range 2 {
		r := storetest.MustApply(t, s, c.ID, m)[0]
		if r.Outcome != store.Inserted {
			t.Fatalf("upsert %d without external id: %s, want inserted", i, r.Outcome)
		}
	}
}

func TestUpsertIfVersion(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	c := storetest.MustCreate(t, s, storetest.Assets("signs", store.GeometryPoint))
	m := store.Mutation{Op: store.OpUpsert, Feature: store.Feature{ExternalID: "a", Geometry: storetest.Point(1, 1)}}
	storetest.MustApply(t, s, c.ID, m)
	m.Feature.Geometry = storetest.Point(2, 2)
	m.IfVersion = 7
	if _, err := s.Apply(ctx, c.ID, []store.Mutation{m}, "x"); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("upsert with stale IfVersion: %v, want ErrConflict", err)
	}
	m.IfVersion = 1
	if r := storetest.MustApply(t, s, c.ID, m)[0]; r.Outcome != store.Updated || r.Feature.Version != 2 {
		t.Fatalf("upsert with current IfVersion: %+v", r)
	}
}

func TestQueryRefuses(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	c := storetest.MustCreate(t, s, storetest.Assets("signs", store.GeometryPoint))
	bbox := func(b ...float64) *[4]float64 { return (*[4]float64)(b) }
	tests := []struct {
		name string
		q    store.Query
	}{
		{"negative limit", store.Query{Limit: -1}},
		{"negative offset", store.Query{Offset: -5}},
		{"NaN in bbox", store.Query{BBox: bbox(0, 0, math.NaN(), 1)}},
		{"infinite bbox", store.Query{BBox: bbox(math.Inf(-1), 0, 1, 1)}},
		{"inverted bbox", store.Query{BBox: bbox(0, 1, 1, 0)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if fs, n, err := s.Query(ctx, c.ID, tt.q); !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("Query = %d features, %d, %v; want ErrInvalid", len(fs), n, err)
			}
		})
	}
}

// TestScanCanceled: Scan reports a context canceled while it streams.
func TestScanCanceled(t *testing.T) {
	s := mustOpen(t)
	c := storetest.MustCreate(t, s, storetest.Assets("signs", store.GeometryPoint))
	var ms []store.Mutation
	for i := range 500 {
		ms = append(ms, store.Mutation{Op: store.OpInsert, Feature: store.Feature{Geometry: storetest.Point(float64(i)/100, 0)}})
	}
	storetest.MustApply(t, s, c.ID, ms...)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	err := s.Scan(ctx, c.ID, func(store.Feature) error {
		n++
		if n == 3 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Scan after cancel: %v after %d features, want context.Canceled", err, n)
	}
}

// TestQueryDegenerateBBox: a bbox without width or height (a segment or a
// point, as a map click gives) still finds what it touches.
func TestQueryDegenerateBBox(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	c := storetest.MustCreate(t, s, storetest.Assets("shapes", store.GeometryAny))
	square := geom.NewPolygonFlat(geom.XY, []float64{0, 0, 10, 0, 10, 10, 0, 10, 0, 0}, []int{10})
	line := geom.NewLineStringFlat(geom.XY, []float64{20, 0, 20, 10})
	rs := storetest.MustApply(t, s, c.ID,
		store.Mutation{Op: store.OpInsert, Feature: store.Feature{Geometry: square}},
		store.Mutation{Op: store.OpInsert, Feature: store.Feature{Geometry: line}},
		store.Mutation{Op: store.OpInsert, Feature: store.Feature{Geometry: storetest.Point(30, 5)}},
	)
	sq, ln, pt := rs[0].Feature.ID, rs[1].Feature.ID, rs[2].Feature.ID
	tests := []struct {
		name string
		bbox [4]float64
		want []int64
	}{
		{"vertical segment inside the square", [4]float64{5, 2, 5, 3}, []int64{sq}},
		{"horizontal segment across square and line", [4]float64{5, 5, 25, 5}, []int64{sq, ln}},
		{"point inside the square", [4]float64{5, 5, 5, 5}, []int64{sq}},
		{"point on the point", [4]float64{30, 5, 30, 5}, []int64{pt}},
		{"point off everything", [4]float64{15, 5, 15, 5}, nil},
		{"segment along the line", [4]float64{20, -5, 20, 1}, []int64{ln}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bb := tt.bbox
			fs, n, err := s.Query(ctx, c.ID, store.Query{BBox: &bb})
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, f := range fs {
				got = append(got, f.ID)
			}
			if !slices.Equal(got, tt.want) || n != len(tt.want) {
				t.Errorf("got %v (matched %d), want %v", got, n, tt.want)
			}
		})
	}
}
