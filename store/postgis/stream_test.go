package postgis

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/storetest"
)

func upserts(c store.Collection, tb testing.TB, n int, ext func(i int) string) []store.Mutation {
	ms := make([]store.Mutation, n)
	for i := range ms {
		ms[i] = store.Mutation{Op: store.OpUpsert, Feature: store.Feature{
			ExternalID: ext(i),
			Geometry:   storetest.Point(-115+float64(i%100)/1000, 32+float64(i/100)/1000),
			Properties: storetest.Props(tb, c, map[string]any{"lanes": i}),
		}}
	}
	return ms
}

// TestApplyStream covers the chunked stream: a fresh collection taken by
// a staged load, an external id repeated after the first chunk (the staged
// load stops there, and the rest goes the general way, as upserts), a
// re-run that changes nothing, and a failing stream that writes nothing.
func TestApplyStream(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	c := storetest.MustCreate(t, s, storetest.Assets("stream", store.GeometryPoint))
	n := streamChunk + 300
	// The last 300 mutations repeat ids 0..299 of the first chunk.
	ms := upserts(c, t, n, func(i int) string { return fmt.Sprint("a", i%streamChunk) })
	var outcomes = map[store.Outcome]int{}
	var lastSeq int64
	err := s.ApplyStream(ctx, c.ID, store.Stream(ms, nil), "test", func(r store.Result) error {
		outcomes[r.Outcome]++
		// The staged rows share their load entry's seq; later ones
		// each have their own.
		if r.Seq < lastSeq || r.Outcome == store.Updated && r.Seq == lastSeq {
			t.Fatalf("seq %d (%s) after %d", r.Seq, r.Outcome, lastSeq)
		}
		lastSeq = max(lastSeq, r.Seq)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if outcomes[store.Inserted] != streamChunk || outcomes[store.Updated] != 300 {
		t.Fatalf("outcomes %v", outcomes)
	}
	_, matched, err := s.Query(ctx, c.ID, store.Query{Limit: 1})
	if err != nil || matched != streamChunk {
		t.Fatalf("matched %d, err %v", matched, err)
	}
	chs, err := s.Changes(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(chs) != 301 || chs[0].Op != store.OpLoad || chs[0].Version != streamChunk || chs[len(chs)-1].Seq != lastSeq {
		t.Fatalf("%d changes (first %+v, last seq %d), want a load of %d and 300 updates (last %d)", len(chs), chs[0], chs[len(chs)-1].Seq, streamChunk, lastSeq)
	}
	noStages(t, s)
	// The updated ones carry the values of the later mutations.
	fs, _, err := s.Query(ctx, c.ID, store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if f.ExternalID == "a5" {
			if v, _ := f.Properties.Get("lanes"); v.Int() != int64(streamChunk+5) || f.Version != 2 {
				t.Fatalf("a5: lanes %v version %d", v, f.Version)
			}
		}
	}

	// The same stream again: the fresh path is not taken, nothing changes
	// but the first 300, which flip back and forth.
	outcomes = map[store.Outcome]int{}
	err = s.ApplyStream(ctx, c.ID, store.Stream(ms[:streamChunk], nil), "test", func(r store.Result) error { outcomes[r.Outcome]++; return nil })
	if err != nil || outcomes[store.Unchanged] != streamChunk-300 || outcomes[store.Updated] != 300 {
		t.Fatalf("again: %v, %v", outcomes, err)
	}

	// A stream that fails at the end, or a result callback that fails,
	// writes nothing.
	seq, _ := s.LastSeq(ctx)
	boom := errors.New("boom")
	other := upserts(c, t, 500, func(i int) string { return fmt.Sprint("b", i) })
	if err := s.ApplyStream(ctx, c.ID, store.Stream(other, boom), "test", func(store.Result) error { return nil }); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if err := s.ApplyStream(ctx, c.ID, store.Stream(other, nil), "test", func(store.Result) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if got, _ := s.LastSeq(ctx); got != seq {
		t.Fatalf("failed streams wrote: seq %d, was %d", got, seq)
	}
	if err := s.ApplyStream(ctx, "nope", store.Stream(other, nil), "test", func(store.Result) error { return nil }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing collection: %v", err)
	}
}

// TestAppendEWKB: the COPY path stores Z and M as the general path does.
func TestAppendEWKB(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	c := storetest.MustCreate(t, s, storetest.Assets("ewkb", store.GeometryAny))
	var ms []store.Mutation
	names := []string{}
	for name, g := range storetest.Geometries() {
		names = append(names, name)
		ms = append(ms, store.Mutation{Op: store.OpUpsert, Feature: store.Feature{ExternalID: name, Geometry: g}})
	}
	for len(ms) < bulkMinDefault { // reach the COPY path
		ms = append(ms, store.Mutation{Op: store.OpUpsert, Feature: store.Feature{ExternalID: fmt.Sprint("p", len(ms)), Geometry: storetest.Point(1, 2)}})
	}
	if err := s.ApplyStream(ctx, c.ID, store.Stream(ms, nil), "test", func(store.Result) error { return nil }); err != nil {
		t.Fatal(err)
	}
	fs, _, err := s.Query(ctx, c.ID, store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	byExt := map[string]store.Feature{}
	for _, f := range fs {
		byExt[f.ExternalID] = f
	}
	for i, name := range names {
		got := byExt[name].Geometry
		want := ms[i].Feature.Geometry
		gb, err1 := encodeGeometry(&c, got)
		wb, err2 := encodeGeometry(&c, want)
		if got == nil || err1 != nil || err2 != nil || string(gb) != string(wb) {
			t.Errorf("%s: got %v, want %v", name, got, want)
		}
	}
}

// noStages fails the test if a staging table is left in the schema.
func noStages(t *testing.T, s *Store) {
	t.Helper()
	var left []string
	rows, err := s.pool.Query(context.Background(), sqlStaleStages)
	if err == nil {
		left, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	if err != nil || len(left) > 0 {
		t.Fatalf("staging tables left: %v (%v)", left, err)
	}
}

// TestStagedLoad loads a stream into an empty collection through a staging
// table: every feature is there as sent (geometries of every type, with Z,
// none, no external id), one "load" entry stands in the change log, the
// collection's table has its keys and spatial index under their usual
// names, a Store that follows the change log sees the load, and later
// writes go the usual way.
func TestStagedLoad(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	s.stageMin = 50
	c := storetest.MustCreate(t, s, storetest.Assets("staged", store.GeometryAny))
	follower, err := store.Open(ctx, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A staging table a killed load left behind.
	if _, err := s.pool.Exec(ctx, `CREATE TABLE ca_stage_dead (id bigint)`); err != nil {
		t.Fatal(err)
	}
	var ms []store.Mutation
	for _, g := range storetest.Geometries() {
		ms = append(ms, store.Mutation{Op: store.OpUpsert, Feature: store.Feature{ExternalID: fmt.Sprint("g", len(ms)), Geometry: g}})
	}
	ms = append(ms, store.Mutation{Op: store.OpInsert, Feature: store.Feature{Properties: storetest.Props(t, c, map[string]any{"name": "no id, no geometry"})}})
	ms = append(ms, upserts(c, t, 1000, func(i int) string { return fmt.Sprint("p", i) })...)
	var seqs = map[int64]int{}
	err = s.ApplyStream(ctx, c.ID, store.Stream(ms, nil), "loader", func(r store.Result) error {
		if r.Outcome != store.Inserted {
			t.Errorf("outcome %s", r.Outcome)
		}
		seqs[r.Seq]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seqs) != 1 {
		t.Errorf("results name %d seqs, want the one load entry's", len(seqs))
	}
	noStages(t, s)
	chs, err := s.Changes(ctx, 0, 0)
	if err != nil || len(chs) != 1 || chs[0].Op != store.OpLoad || chs[0].Version != int64(len(ms)) || chs[0].Actor != "loader" || seqs[chs[0].Seq] != len(ms) {
		t.Fatalf("change log %+v (%v), want one load of %d", chs, err, len(ms))
	}
	fs, _, err := s.Query(ctx, c.ID, store.Query{})
	if err != nil || len(fs) != len(ms) {
		t.Fatalf("%d features (%v), want %d", len(fs), err, len(ms))
	}
	for i, f := range fs {
		m := ms[i].Feature
		if f.ExternalID != m.ExternalID || f.Version != 1 {
			t.Fatalf("feature %d: external id %q version %d, want %q 1", i, f.ExternalID, f.Version, m.ExternalID)
		}
		want, _ := normalizeProperties(&c, m.Properties)
		if string(f.Properties) != string(want) {
			t.Errorf("feature %d: properties %s, want %s", i, f.Properties, want)
		}
		gb, _ := encodeGeometry(&c, f.Geometry)
		wb, _ := encodeGeometry(&c, m.Geometry)
		if string(gb) != string(wb) {
			t.Errorf("feature %d: geometry %v, want %v", i, f.Geometry, m.Geometry)
		}
	}
	var idx []string
	rows, err := s.pool.Query(ctx, `SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'features_staged' ORDER BY 1`)
	if err == nil {
		idx, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	if want := []string{"features_staged_external_id_key", "features_staged_geom_idx", "features_staged_pkey"}; err != nil || fmt.Sprint(idx) != fmt.Sprint(want) {
		t.Errorf("indexes of features_staged: %v (%v), want %v", idx, err, want)
	}
	var stats int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM pg_stats WHERE schemaname = current_schema() AND tablename = 'features_staged'`).Scan(&stats); err != nil || stats == 0 {
		t.Errorf("features_staged has %d columns with statistics (%v): the load should leave some", stats, err)
	}
	if err := follower.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if info, err := follower.Collection(c.ID); err != nil || info.Count != len(ms) {
		t.Errorf("follower sees %+v (%v), want %d features", info, err, len(ms))
	}
	// A second load, into another collection: ids stay unique (and
	// positive) across both.
	c2 := storetest.MustCreate(t, s, storetest.Assets("staged_too", store.GeometryAny))
	if err := s.ApplyStream(ctx, c2.ID, store.Stream(upserts(c2, t, 300, func(i int) string { return fmt.Sprint("q", i) }), nil), "loader", func(store.Result) error { return nil }); err != nil {
		t.Fatal(err)
	}
	var dupIDs, nonPositive int
	if err := s.pool.QueryRow(ctx, `WITH f AS (SELECT id FROM features_staged UNION ALL SELECT id FROM features_staged_too)
	SELECT (SELECT count(*) FROM (SELECT id FROM f GROUP BY id HAVING count(*) > 1) d), (SELECT count(*) FROM f WHERE id <= 0)`).Scan(&dupIDs, &nonPositive); err != nil || dupIDs != 0 || nonPositive != 0 {
		t.Errorf("after two loads: %d ids used twice, %d ids not positive (%v)", dupIDs, nonPositive, err)
	}
	// Later writes: an upsert matches, an insert of a taken id conflicts.
	again := upserts(c, t, 1, func(int) string { return "p0" })
	again[0].Feature.Properties = storetest.Props(t, c, map[string]any{"lanes": 99})
	if rs := storetest.MustApply(t, s, c.ID, again...); rs[0].Outcome != store.Updated || rs[0].Feature.ID != fs[len(ms)-1000].ID {
		t.Errorf("upsert after the load: %+v", rs[0])
	}
	dup := store.Mutation{Op: store.OpInsert, Feature: store.Feature{ExternalID: "p1"}}
	if _, err := s.Apply(ctx, c.ID, []store.Mutation{dup}, "test"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("insert of a loaded external id: %v, want ErrConflict", err)
	}
}

// TestStagedLoadFails: a stream that fails after its rows went into the
// staging table, or a result callback that fails, or a feature the
// collection refuses, leaves the collection and the change log as they
// were and no staging table behind.
func TestStagedLoadFails(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	s.stageMin = 50
	c := storetest.MustCreate(t, s, storetest.Assets("failing", store.GeometryPoint))
	ms := upserts(c, t, 5000, func(i int) string { return fmt.Sprint("f", i) })
	boom := errors.New("boom")
	bad := append(append([]store.Mutation(nil), ms...), store.Mutation{Op: store.OpUpsert, Feature: store.Feature{
		ExternalID: "line", Geometry: storetest.Geometries()["LineString"]}})
	calls := 0
	for name, run := range map[string]func() error{
		"stream": func() error {
			return s.ApplyStream(ctx, c.ID, store.Stream(ms, boom), "test", func(store.Result) error { return nil })
		},
		"result": func() error {
			return s.ApplyStream(ctx, c.ID, store.Stream(ms, nil), "test", func(store.Result) error {
				if calls++; calls == 4000 {
					return boom
				}
				return nil
			})
		},
		"geometry": func() error {
			return s.ApplyStream(ctx, c.ID, store.Stream(bad, nil), "test", func(store.Result) error { return nil })
		},
		// Inserts are staged without remembering their ids: a repeat is
		// refused when the unique index is built.
		"repeated insert": func() error {
			ins := make([]store.Mutation, len(ms))
			for i, m := range ms {
				m.Op = store.OpInsert
				ins[i] = m
			}
			ins[4000].Feature.ExternalID = ins[17].Feature.ExternalID
			return s.ApplyStream(ctx, c.ID, store.Stream(ins, nil), "test", func(store.Result) error { return nil })
		},
	} {
		err := run()
		want := boom
		switch name {
		case "geometry":
			want = store.ErrInvalid
		case "repeated insert":
			want = store.ErrConflict
		}
		if !errors.Is(err, want) {
			t.Errorf("%s: err = %v, want %v", name, err, want)
		}
		noStages(t, s)
		if _, n, err := s.Query(ctx, c.ID, store.Query{Limit: 1}); err != nil || n != 0 {
			t.Errorf("%s: %d features (%v) after a failed load", name, n, err)
		}
		if seq, _ := s.LastSeq(ctx); seq != 0 {
			t.Errorf("%s: change log at %d after a failed load", name, seq)
		}
	}
}

// TestStagedLoadOneConnection: with a pool of one connection (the
// transaction's) there is none for the COPY streams; the stream goes
// straight into the partition instead of waiting forever.
func TestStagedLoadOneConnection(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, newSchema(t)+"&pool_max_conns=1")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.stageMin = 50
	c := storetest.MustCreate(t, s, storetest.Assets("single", store.GeometryPoint))
	ms := upserts(c, t, 500, func(i int) string { return fmt.Sprint("s", i) })
	n := 0
	if err := s.ApplyStream(ctx, c.ID, store.Stream(ms, nil), "test", func(store.Result) error { n++; return nil }); err != nil || n != len(ms) {
		t.Fatalf("%d results, %v", n, err)
	}
	if chs, err := s.Changes(ctx, 0, 0); err != nil || len(chs) != len(ms) {
		t.Errorf("%d change-log entries (%v), want one a feature", len(chs), err)
	}
}
