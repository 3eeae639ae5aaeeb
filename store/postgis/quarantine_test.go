package postgis

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/postgis/pgtest"
	"github.com/cityatlas/cityatlas/store/storetest"
)

// nestedWKT is the geometry that, written by another client, made serve
// panic at start-up (a crash loop) and running instances die when the
// change log announced it.
const nestedWKT = "GEOMETRYCOLLECTION(POINT(0 0),GEOMETRYCOLLECTION(POINT(1 1)))"

// psql runs one statement with the psql client in s's schema and returns
// its output and error. A missing psql skips the test (fails it under
// CI=true).
func psql(t *testing.T, s *Store, sql string) (string, error) {
	t.Helper()
	bin, err := exec.LookPath("psql")
	if err != nil {
		msg := "psql not found: install the Debian package postgresql-client-15"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	var schema string
	if err := s.pool.QueryRow(context.Background(), "SELECT current_schema()").Scan(&schema); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-X", "-v", "ON_ERROR_STOP=1", "-d", os.Getenv(pgtest.EnvURL), "-c", sql)
	cmd.Env = append(os.Environ(), "PGOPTIONS=-c search_path="+schema+",public")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestStorableConstraint: the database itself refuses, whoever writes
// them, the geometries cityatlas cannot hold (migration 0005), and takes
// the ones it can.
func TestStorableConstraint(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	c := storetest.MustCreate(t, s, storetest.Assets("things", store.GeometryAny))
	rs := storetest.MustApply(t, s, c.ID, store.Mutation{Op: store.OpInsert, Feature: store.Feature{Geometry: storetest.Point(1, 1)}})
	id := strconv.FormatInt(rs[0].Feature.ID, 10)

	out, err := psql(t, s, "UPDATE features_things SET geom = ST_SetSRID('"+nestedWKT+"'::geometry, 4326) WHERE id = "+id)
	if err == nil || !strings.Contains(out, `violates check constraint "features_geom_storable"`) {
		t.Errorf("psql UPDATE with a nested collection: %v\n%s\nwant it refused by features_geom_storable", err, out)
	}

	for _, tc := range []struct {
		name, expr string
		ok         bool
	}{
		{"null", "NULL", true},
		{"point", "'POINT(1 2)'", true},
		{"point zm", "'POINT ZM(1 2 3 4)'", true},
		{"empty point", "'POINT EMPTY'", true},
		{"polygon", "'POLYGON((0 0,1 0,1 1,0 0))'", true},
		{"collection", "'GEOMETRYCOLLECTION(POINT(0 0),LINESTRING(0 0,1 1))'", true},
		{"empty collection", "'GEOMETRYCOLLECTION EMPTY'", true},
		{"1e300", "'POINT(1e300 -1e300)'", true},
		{"nested collection", "'" + nestedWKT + "'", false},
		{"NaN point", "ST_MakePoint('NaN', 1)", false},
		{"infinite Z", "ST_MakePoint(1, 2, '-Infinity')", false},
		{"NaN in a multipoint", "ST_Collect(ST_MakePoint(1, 1), ST_MakePoint('NaN', 0))", false},
		{"infinite in a line", "ST_MakeLine(ST_MakePoint(1, 1), ST_MakePoint('Infinity', 0))", false},
		{"curve", "'CIRCULARSTRING(0 0,1 1,2 0)'", false},
		{"TIN", "'TIN(((0 0 0,0 1 0,1 1 0,0 0 0)))'", false},
		{"collection of a curve", "'GEOMETRYCOLLECTION(CIRCULARSTRING(0 0,1 1,2 0))'", false},
		{"too many positions", "ST_Segmentize('LINESTRING(0 0,1000000 0)'::geometry, 1)", false},
		{"as many positions as allowed", "ST_Segmentize('LINESTRING(0 0,999999 0)'::geometry, 1)", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.pool.Exec(ctx, "UPDATE features_things SET geom = ST_SetSRID(("+tc.expr+")::geometry, 4326) WHERE id = $1", rs[0].Feature.ID)
			var pe *pgconn.PgError
			switch {
			case tc.ok && err != nil:
				t.Errorf("refused: %v", err)
			case !tc.ok && !(errors.As(err, &pe) && pe.Code == "23514" && pe.ConstraintName == "features_geom_storable"):
				t.Errorf("UPDATE: %v, want a check violation of features_geom_storable", err)
			}
		})
	}
}

// writeBad sets a column of feature id with the database's constraints out
// of the way, as for a row stored before migrations 0005 and 0010 or by a
// client past them. The database's triggers (migration 0010) log the
// direct edit in the change log and NOTIFY the instances, as for any
// client's write.
func writeBad(t *testing.T, s *Store, coll string, id int64, set string) {
	t.Helper()
	ctx := context.Background()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	tbl := pgx.Identifier{featureTable(coll)}.Sanitize()
	rows, err := tx.Query(ctx, `SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'c'`, tbl)
	if err != nil {
		t.Fatal(err)
	}
	var names, defs []string
	var name, def string
	if _, err := pgx.ForEachRow(rows, []any{&name, &def}, func() error {
		names, defs = append(names, name), append(defs, def)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	qs := []string{}
	for _, n := range names {
		qs = append(qs, "ALTER TABLE "+tbl+" DROP CONSTRAINT "+pgx.Identifier{n}.Sanitize())
	}
	qs = append(qs, "UPDATE "+tbl+" SET "+set+" WHERE id = $1")
	for i, n := range names {
		qs = append(qs, "ALTER TABLE "+tbl+" ADD CONSTRAINT "+pgx.Identifier{n}.Sanitize()+" "+defs[i])
	}
	for _, q := range qs {
		var args []any
		if strings.Contains(q, "$1") {
			args = []any{id}
		}
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

func seedThings(t *testing.T, s *Store) (store.Collection, []int64) {
	t.Helper()
	c := storetest.MustCreate(t, s, storetest.Assets("things", store.GeometryAny))
	var ms []store.Mutation
	for i := range 5 {
		ms = append(ms, store.Mutation{Op: store.OpInsert, Feature: store.Feature{
			Geometry: storetest.Point(float64(i), 1), Properties: storetest.Props(t, c, map[string]any{"lanes": i})}})
	}
	var ids []int64
	for _, r := range storetest.MustApply(t, s, c.ID, ms...) {
		ids = append(ids, r.Feature.ID)
	}
	return c, ids
}

func wantQuarantine(t *testing.T, st *store.Store, coll string, ids ...int64) {
	t.Helper()
	var want []store.Quarantine
	if len(ids) > 0 {
		want = []store.Quarantine{{Collection: coll, Count: len(ids), Sample: ids}}
	}
	got := st.Quarantined()
	if !slices.EqualFunc(got, want, func(a, b store.Quarantine) bool {
		return a.Collection == b.Collection && a.Count == b.Count && slices.Equal(a.Sample, b.Sample)
	}) {
		t.Errorf("Quarantined = %+v, want %+v", got, want)
	}
}

// TestQuarantineAtStartup: a nested collection and properties that break
// the schema, stored already, no longer stop store.Open: the other
// features are served, the bad ones counted and logged.
func TestQuarantineAtStartup(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	c, ids := seedThings(t, s)
	writeBad(t, s, c.ID, ids[1], "geom = ST_SetSRID('"+nestedWKT+"'::geometry, 4326)")
	writeBad(t, s, c.ID, ids[3], `condition = 'excellent'`)

	if _, err := s.Feature(ctx, c.ID, ids[1]); !errors.Is(err, store.ErrBadData) {
		t.Errorf("Feature of the nested collection: %v, want ErrBadData", err)
	}
	var logs bytes.Buffer
	st, err := store.Open(ctx, s, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	ci, err := st.Collection(c.ID)
	if err != nil || ci.Count != 3 {
		t.Fatalf("collection: %d features (%v), want the 3 good ones", ci.Count, err)
	}
	for _, i := range []int{0, 2, 4} {
		if _, err := st.Feature(c.ID, ids[i]); err != nil {
			t.Errorf("good feature %d: %v", ids[i], err)
		}
	}
	wantQuarantine(t, st, c.ID, ids[1], ids[3])
	for _, i := range []int{1, 3} {
		if !strings.Contains(logs.String(), "collection=things id="+strconv.FormatInt(ids[i], 10)) {
			t.Errorf("no warning names feature %d:\n%s", ids[i], logs.String())
		}
	}
	// The bad rows may still be deleted and replaced.
	if _, err := st.Apply(ctx, c.ID, []store.Mutation{
		{Op: store.OpDelete, Feature: store.Feature{ID: ids[1]}},
		{Op: store.OpUpdate, Feature: store.Feature{ID: ids[3], Geometry: storetest.Point(3, 3), Properties: storetest.Props(t, c, map[string]any{"lanes": 3})}},
	}, "fixer"); err != nil {
		t.Fatalf("deleting and fixing the quarantined features: %v", err)
	}
	wantQuarantine(t, st, c.ID)
	if _, err := st.Feature(c.ID, ids[3]); err != nil {
		t.Errorf("fixed feature: %v", err)
	}
}

// TestQuarantineFollow: a running Store that the change log (and NOTIFY)
// tells of a nested collection written by someone else goes on serving:
// Follow quarantines the feature, and takes it back once it is fixed.
func TestQuarantineFollow(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	c, ids := seedThings(t, s)
	st, err := store.Open(ctx, s, nil)
	if err != nil {
		t.Fatal(err)
	}

	wake := make(chan struct{}, 1)
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		_ = s.Listen(lctx, func() {
			select {
			case wake <- struct{}{}:
			default:
			}
		})
	}()
	followed := make(chan struct{})
	go func() {
		defer close(followed)
		st.Follow(lctx, time.Hour, wake) // only NOTIFY wakes it
	}()
	defer func() { cancel(); <-followed }()
	// until waits for cond, which Follow makes true; the deadline is only
	// there to end a broken test.
	until := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("Follow did not %s", what)
			}
		}
	}

	writeBad(t, s, c.ID, ids[2], "geom = ST_SetSRID('"+nestedWKT+"'::geometry, 4326)")
	// The quarantine list can be seen a moment before the index without
	// the row is published (seen in CI): wait for both.
	until("quarantine the nested collection", func() bool {
		_, err := st.Feature(c.ID, ids[2])
		ci, _ := st.Collection(c.ID)
		return len(st.Quarantined()) == 1 && errors.Is(err, store.ErrNotFound) && ci.Count == 4
	})
	wantQuarantine(t, st, c.ID, ids[2])
	if _, err := st.Feature(c.ID, ids[2]); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the quarantined feature is still served: %v", err)
	}
	if ci, _ := st.Collection(c.ID); ci.Count != 4 {
		t.Errorf("count %d, want 4", ci.Count)
	}
	// Another instance's write after it is still followed.
	other, err := store.Open(ctx, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Apply(ctx, c.ID, []store.Mutation{{Op: store.OpUpdate, Feature: store.Feature{
		ID: ids[2], Geometry: storetest.Point(7, 7), Properties: storetest.Props(t, c, nil)}}}, "fixer"); err != nil {
		t.Fatal(err)
	}
	until("take the fixed feature back", func() bool { _, err := st.Feature(c.ID, ids[2]); return err == nil })
	wantQuarantine(t, st, c.ID)

	// A psql client's edit that breaks the schema (a text in an integer
	// field, a value outside an enumeration) is refused by the database
	// itself.
	for _, set := range []string{`lanes = 'many'`, `condition = 'excellent'`, `height = 'NaN'`} {
		if out, err := psql(t, s, `UPDATE features_things SET `+set+` WHERE id = `+strconv.FormatInt(ids[4], 10)); err == nil {
			t.Errorf("psql took %s:\n%s", set, out)
		}
	}
	// One that the database takes with its constraints out of the way (a
	// row stored before them): its trigger logs it, NOTIFY wakes Follow,
	// and the feature is quarantined.
	writeBad(t, s, c.ID, ids[4], `height = 'NaN'`)
	until("quarantine the feature psql broke", func() bool { return len(st.Quarantined()) == 1 })
	wantQuarantine(t, st, c.ID, ids[4])
}

// TestStorableConstraintEveryPartition: every way a collection gets its
// partition (CreateCollection, a staged bulk load, a stream that creates
// the collection, in its small and staged forms) leaves the database
// refusing a nested collection in it.
func TestStorableConstraintEveryPartition(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	s.stageMin = 50
	ext := func(i int) string { return fmt.Sprint("x", i) }
	made := map[string]func(c store.Collection) error{
		"created": func(c store.Collection) error {
			_, err := s.CreateCollection(ctx, c)
			if err == nil {
				_, err = s.Apply(ctx, c.ID, upserts(c, t, 3, ext), "test")
			}
			return err
		},
		"created then bulk loaded": func(c store.Collection) error {
			if _, err := s.CreateCollection(ctx, c); err != nil {
				return err
			}
			return s.ApplyStream(ctx, c.ID, store.Stream(upserts(c, t, 500, ext), nil), "test", func(store.Result) error { return nil })
		},
		"made by a small stream": func(c store.Collection) error {
			_, err := s.CreateStream(ctx, c, store.Stream(upserts(c, t, 3, ext), nil), "test", func(store.Result) error { return nil })
			return err
		},
		"made by a staged stream": func(c store.Collection) error {
			_, err := s.CreateStream(ctx, c, store.Stream(upserts(c, t, 500, ext), nil), "test", func(store.Result) error { return nil })
			return err
		},
	}
	i := 0
	for name, fill := range made {
		i++
		t.Run(name, func(t *testing.T) {
			c := storetest.Assets(fmt.Sprint("things_", i), store.GeometryAny)
			if err := fill(c); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(name, "bulk") || strings.Contains(name, "staged") {
				chs, err := s.Changes(ctx, lastSeq(t, s)-1, 1)
				if err != nil || len(chs) != 1 || chs[0].Op != store.OpLoad {
					t.Fatalf("last change %+v (%v), want the staged load's", chs, err)
				}
			}
			_, err := s.pool.Exec(ctx, "UPDATE "+featureTable(c.ID)+" SET geom = ST_SetSRID($1::geometry, 4326)", nestedWKT)
			var pe *pgconn.PgError
			if !errors.As(err, &pe) || pe.Code != "23514" {
				t.Errorf("UPDATE with a nested collection: %v, want a check violation", err)
			}
		})
	}
}

// TestStagedLoadRefusesUnstorable: a bulk load through a staging table
// (which COPY fills without the database's constraint) refuses a geometry
// cityatlas cannot hold, leaving the collection empty.
func TestStagedLoadRefusesUnstorable(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	s.stageMin = 50
	c := storetest.MustCreate(t, s, storetest.Assets("things", store.GeometryAny))
	for name, g := range storetest.Unstorable() {
		t.Run(name, func(t *testing.T) {
			ms := upserts(c, t, 500, func(i int) string { return fmt.Sprint("x", i) })
			ms[300].Feature.Geometry = g
			err := s.ApplyStream(ctx, c.ID, store.Stream(ms, nil), "test", func(store.Result) error { return nil })
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("ApplyStream: %v, want ErrInvalid", err)
			}
			if _, n, err := s.Query(ctx, c.ID, store.Query{}); err != nil || n != 0 {
				t.Errorf("%d features (%v), want none", n, err)
			}
		})
	}
}

// TestQuarantineCollection: a collection whose fields a client overwrote
// with something that is not a list of fields is left out, whole, at
// start-up and when Sync looks for new collections; the others are served.
func TestQuarantineCollection(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	c, ids := seedThings(t, s)
	storetest.MustCreate(t, s, storetest.Assets("broken", store.GeometryPoint))
	if _, err := s.pool.Exec(ctx, `UPDATE collections SET fields = '{"name": "not a list"}' WHERE id = 'broken'`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Collections(ctx); !errors.Is(err, store.ErrBadData) {
		t.Errorf("Collections: %v, want ErrBadData", err)
	}
	st, err := store.Open(ctx, s, nil)
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	if cs := st.Collections(); len(cs) != 1 || cs[0].ID != c.ID || cs[0].Count != len(ids) {
		t.Errorf("collections %+v, want %s with its %d features", cs, c.ID, len(ids))
	}
	q := st.Quarantined()
	if len(q) != 1 || q[0].Collection != "broken" || !q[0].Unreadable {
		t.Errorf("Quarantined = %+v, want broken, unreadable", q)
	}

	// A collection made by another instance is picked up by Sync past the
	// broken one; the broken one, put right, comes back.
	other := storetest.MustCreate(t, s, storetest.Assets("later", store.GeometryPoint))
	storetest.MustApply(t, s, other.ID, store.Mutation{Op: store.OpInsert, Feature: store.Feature{Geometry: storetest.Point(1, 1)}})
	if err := st.Sync(ctx); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if _, err := st.Collection(other.ID); err != nil {
		t.Errorf("the later collection: %v", err)
	}
	if q := st.Quarantined(); len(q) != 1 || q[0].Collection != "broken" {
		t.Errorf("after Sync Quarantined = %+v, want broken", q)
	}
	if _, err := s.pool.Exec(ctx, `UPDATE collections SET fields = '[]' WHERE id = 'broken'`); err != nil {
		t.Fatal(err)
	}
	storetest.MustApply(t, s, "broken", store.Mutation{Op: store.OpInsert, Feature: store.Feature{Geometry: storetest.Point(2, 2)}})
	if err := st.Sync(ctx); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if ci, err := st.Collection("broken"); err != nil || ci.Count != 1 {
		t.Errorf("the mended collection: %+v, %v", ci, err)
	}
	if q := st.Quarantined(); len(q) != 0 {
		t.Errorf("after the mend Quarantined = %+v, want none", q)
	}
}
