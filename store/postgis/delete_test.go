package postgis

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/storetest"
)

// TestDeletesMatchOneByOne writes the same stream, 300 upserts (a third
// of them changing a stored feature) and then 250 deletes in a shuffled
// order, through the one-statement-each path and through the bulk paths
// (COPY for the upserts, one DELETE for the deletes, the stream's chunk
// split between them), and compares results, stored features and change
// logs. A delete of a missing feature fails the whole stream on both.
func TestDeletesMatchOneByOne(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	do := func(name string, bulkMin int, missing bool) (pathRun, error) {
		s.bulkMin = noBulk
		c := storetest.MustCreate(t, s, storetest.Assets(name, store.GeometryPoint))
		setup := storetest.MustApply(t, s, c.ID, upserts(c, t, 400, func(i int) string { return fmt.Sprint("f", i) })...)
		ms := upserts(c, t, 300, func(i int) string { return fmt.Sprint("f", i) })
		for i := range ms {
			if i%3 == 0 {
				ms[i].Feature.Properties = storetest.Props(t, c, map[string]any{"lanes": i, "name": "changed"})
			}
		}
		rng := rand.New(rand.NewPCG(7, 7))
		for _, i := range rng.Perm(100)[:90] { // 90 of the 100 features the upserts leave alone
			ms = append(ms, store.Mutation{Op: store.OpDelete, Feature: store.Feature{ID: setup[300+i].Feature.ID}})
		}
		for _, i := range rng.Perm(300)[:160] { // and 160 of those they wrote
			ms = append(ms, store.Mutation{Op: store.OpDelete, Feature: store.Feature{ID: setup[i].Feature.ID}})
		}
		if missing {
			ms[len(ms)-7].Feature.ID = 1 << 40
		}
		seq := lastSeq(t, s)
		s.bulkMin = bulkMin
		var r pathRun
		err := s.ApplyStream(ctx, c.ID, store.Stream(ms, nil), "test", func(res store.Result) error {
			r.results = append(r.results, res)
			return nil
		})
		r.written(t, s, c.ID, seq)
		return r, err
	}
	one, err := do("one_by_one", noBulk, false)
	if err != nil {
		t.Fatal(err)
	}
	bulk, err := do("bulk", bulkMinDefault, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(one.results) != 550 || len(bulk.results) != 550 {
		t.Fatalf("%d and %d results, want 550", len(one.results), len(bulk.results))
	}
	var lastSeq int64
	counts := map[store.Outcome]int{}
	for i := range one.results {
		a, b := one.results[i], bulk.results[i]
		counts[b.Outcome]++
		if a.Outcome != b.Outcome || a.Feature.ExternalID != b.Feature.ExternalID || a.Feature.Version != b.Feature.Version ||
			string(a.Feature.Properties) != string(b.Feature.Properties) || !sameGeometry(a.Feature.Geometry, b.Feature.Geometry) ||
			(a.Seq == 0) != (b.Seq == 0) {
			t.Errorf("result %d:\n one by one %+v\n       bulk %+v", i, a, b)
		}
		if b.Seq != 0 {
			if b.Seq <= lastSeq {
				t.Errorf("result %d: seq %d after %d", i, b.Seq, lastSeq)
			}
			lastSeq = b.Seq
		}
	}
	if want := (map[store.Outcome]int{store.Unchanged: 200, store.Updated: 100, store.Deleted: 250}); fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("outcomes %v, want %v", counts, want)
	}
	if len(one.stored) != 150 || len(bulk.stored) != 150 {
		t.Fatalf("%d and %d features left, want 150", len(one.stored), len(bulk.stored))
	}
	for i := range one.stored {
		if one.stored[i].ExternalID != bulk.stored[i].ExternalID || one.stored[i].Version != bulk.stored[i].Version {
			t.Errorf("stored %d: %+v and %+v", i, one.stored[i], bulk.stored[i])
		}
	}
	if len(one.changes) != 350 || len(bulk.changes) != 350 {
		t.Fatalf("%d and %d changes, want 350", len(one.changes), len(bulk.changes))
	}
	bySeq := map[int64]store.Change{}
	for i := range one.changes {
		a, b := one.changes[i], bulk.changes[i]
		if a.Op != b.Op || a.Version != b.Version || b.Actor != "test" {
			t.Errorf("change %d:\n one by one %+v\n       bulk %+v", i, a, b)
		}
		bySeq[b.Seq] = b
	}
	// Every written result's seq is its entry in the log.
	for i, r := range bulk.results {
		if r.Seq == 0 {
			continue
		}
		ch, ok := bySeq[r.Seq]
		op := store.OpUpdate
		if r.Outcome == store.Deleted {
			op = store.OpDelete
		}
		if !ok || ch.FeatureID != r.Feature.ID || ch.Op != op || ch.Version != r.Feature.Version {
			t.Errorf("result %d (%s, seq %d): change %+v", i, r.Outcome, r.Seq, ch)
		}
	}

	for _, path := range []struct {
		name    string
		bulkMin int
	}{{"one_by_one_missing", noBulk}, {"bulk_missing", bulkMinDefault}} {
		r, err := do(path.name, path.bulkMin, true)
		if !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("%s: a missing feature: %v, want ErrNotFound", path.name, err)
		}
		if len(r.stored) != 400 || len(r.changes) != 0 {
			t.Errorf("%s: the failed stream left %d features (want 400) and %d changes (want 0)", path.name, len(r.stored), len(r.changes))
		}
	}
}

// TestRuns: a chunk is split where the kind of write changes, and the
// deletes of an import's tail qualify for the one-statement path.
func TestRuns(t *testing.T) {
	op := func(ops ...store.Op) []mutation {
		var ms []mutation
		for i, o := range ops {
			ms = append(ms, mutation{Mutation: store.Mutation{Op: o, Feature: store.Feature{ID: int64(i + 1)}}})
		}
		return ms
	}
	ms := op(store.OpUpsert, store.OpInsert, store.OpUpsert, store.OpDelete, store.OpDelete, store.OpUpdate, store.OpDelete)
	var got []string
	for off, run := range runs(ms) {
		got = append(got, fmt.Sprint(off, ":", len(run)))
	}
	if fmt.Sprint(got) != "[0:3 3:2 5:1 6:1]" {
		t.Errorf("runs %v", got)
	}
	if !deletable(ms[3:5]) || deletable(ms[2:5]) || deletable(append(ms[3:5:5], ms[3])) {
		t.Error("deletable: only distinct deletes")
	}
	withVersion := op(store.OpDelete)
	withVersion[0].IfVersion = 3
	if deletable(withVersion) {
		t.Error("deletable with IfVersion")
	}
}
