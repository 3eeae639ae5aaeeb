package postgis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/storetest"
)

// hasTable reports whether the store's schema has a table of that name.
func hasTable(t *testing.T, s *Store, name string) bool {
	t.Helper()
	var ok bool
	err := s.pool.QueryRow(context.Background(), `SELECT EXISTS (SELECT 1 FROM pg_class
WHERE relnamespace = current_schema()::regnamespace AND relname = $1)`, name).Scan(&ok)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func collectionIDs(t *testing.T, s *Store) []string {
	t.Helper()
	cs, err := s.Collections(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	return ids
}

// TestCreateStream makes collections with their rows through each path:
// a small stream (the partition made in the transaction, then COPY), a
// staged load (the staging table becomes the partition), and a staged
// load that stops early at a repeated id (the partition is made for the
// rows staged so far). Each collection then holds its rows, has its
// partition with keys and index, and takes later writes.
func TestCreateStream(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	s.stageMin = 50
	cases := []struct {
		name string
		n    int
		ext  func(i int) string
		want int
	}{
		{"small", 30, func(i int) string { return fmt.Sprint("s", i) }, 30},
		{"staged", 5000, func(i int) string { return fmt.Sprint("g", i) }, 5000},
		{"staged, stopped early", 5000, func(i int) string { return fmt.Sprint("e", i%4000) }, 4000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := storetest.Assets(fmt.Sprintf("made_%d_%d", tc.n, tc.want), store.GeometryPoint)
			ms := upserts(c, t, tc.n, tc.ext)
			results := 0
			got, err := s.CreateStream(ctx, c, store.Stream(ms, nil), "test", func(store.Result) error { results++; return nil })
			if err != nil {
				t.Fatal(err)
			}
			if got.Created.IsZero() || results != tc.n {
				t.Fatalf("created %v, %d results, want %d", got.Created, results, tc.n)
			}
			if _, n, err := s.Query(ctx, c.ID, store.Query{Limit: 1}); err != nil || n != tc.want {
				t.Fatalf("%d features (%v), want %d", n, err, tc.want)
			}
			if !hasTable(t, s, "features_"+c.ID) || !hasTable(t, s, "features_"+c.ID+"_geom_idx") || !hasTable(t, s, "features_"+c.ID+"_pkey") {
				t.Fatalf("partition of %s or its indexes missing", c.ID)
			}
			noStages(t, s)
			more := upserts(c, t, 1, func(int) string { return "later" })
			if _, err := s.Apply(ctx, c.ID, more, "test"); err != nil {
				t.Fatalf("write after the create: %v", err)
			}
		})
	}
	// An id taken is a conflict, and leaves the collection as it was. (The
	// collection is made here, not by a case above, so that the check
	// holds when -run picks cases.)
	c := storetest.MustCreate(t, s, storetest.Assets("taken", store.GeometryPoint))
	if _, err := s.CreateStream(ctx, c, store.Stream(nil, nil), "test", func(store.Result) error { return nil }); !errors.Is(err, store.ErrConflict) {
		t.Errorf("create of an existing collection: %v, want ErrConflict", err)
	}
}

// TestCreateStreamFails: a stream that fails, small or staged, leaves no
// collection, no partition and no staging table: nothing was committed.
func TestCreateStreamFails(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	s.stageMin = 50
	boom := errors.New("boom")
	for _, n := range []int{10, 5000} {
		c := storetest.Assets(fmt.Sprintf("failed_%d", n), store.GeometryPoint)
		ms := upserts(c, t, n, func(i int) string { return fmt.Sprint("f", i) })
		_, err := s.CreateStream(ctx, c, store.Stream(ms, boom), "test", func(store.Result) error { return nil })
		if !errors.Is(err, boom) {
			t.Fatalf("%d rows: err %v, want boom", n, err)
		}
		if ids := collectionIDs(t, s); len(ids) != 0 {
			t.Errorf("%d rows: collections %v after a failed create", n, ids)
		}
		if hasTable(t, s, "features_"+c.ID) {
			t.Errorf("%d rows: partition features_%s left", n, c.ID)
		}
		noStages(t, s)
	}
}

// TestCreateStreamBackendTerminated simulates PostgreSQL going away in the
// middle of a bulk load into a new layer: another connection terminates
// the loading backend (the one holding the write lock) while rows are
// still coming. The load fails, the collection does not exist, and the
// staging table, should the failed load have been unable to drop it, is
// dropped by the next Open; a store opened on the database agrees.
func TestCreateStreamBackendTerminated(t *testing.T) {
	ctx := context.Background()
	url := newSchema(t)
	s, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.stageMin = 50
	c := storetest.Assets("cut", store.GeometryPoint)
	ms := upserts(c, t, 20_000, func(i int) string { return fmt.Sprint("c", i) })
	killer, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer killer.Close(ctx)
	i, killed := 0, 0
	next := func() (store.Mutation, error) {
		if i == len(ms) {
			return store.Mutation{}, io.EOF
		}
		if i == 10_000 {
			// The writer holds the write lock: that is the loading backend.
			err := killer.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_locks
WHERE locktype = 'advisory' AND classid = $1 AND objid = hashtext(current_schema())::oid AND granted`, lockClass).Scan(&killed)
			if err != nil {
				t.Errorf("terminate: %v", err)
			}
		}
		i++
		return ms[i-1], nil
	}
	if _, err := s.CreateStream(ctx, c, next, "test", func(store.Result) error { return nil }); err == nil {
		t.Fatal("the load went on after its backend was terminated")
	}
	if killed != 1 {
		t.Fatalf("terminated %d backends, want the loader's 1", killed)
	}
	s2, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if ids := collectionIDs(t, s2); len(ids) != 0 {
		t.Errorf("collections %v after the terminated load", ids)
	}
	noStages(t, s2)
	idx, err := store.Open(ctx, s2, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if cs := idx.Collections(); len(cs) != 0 {
		t.Errorf("a store opened on the database lists %d collections", len(cs))
	}
}

// TestDropOrphanStages: a staging table with no load holding the write
// lock is dropped (by DropOrphanStages and by Open); while a writer holds
// the lock, as a load in another process does, it is left alone.
func TestDropOrphanStages(t *testing.T) {
	ctx := context.Background()
	url := newSchema(t)
	s, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const orphan = stagePrefix + "00000000deadbeef"
	mk := func() {
		if _, err := s.pool.Exec(ctx, "CREATE TABLE "+orphan+" (id bigint)"); err != nil {
			t.Fatal(err)
		}
	}
	mk()
	// A load running elsewhere: the write lock is held.
	other, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(ctx)
	tx, err := other.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, sqlWriteLock, lockClass); err != nil {
		t.Fatal(err)
	}
	if n, err := DropOrphanStages(ctx, s.pool); err != nil || n != 0 || !hasTable(t, s, orphan) {
		t.Fatalf("with the lock held: dropped %d (%v); the running load's table must stay", n, err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := DropOrphanStages(ctx, s.pool); err != nil || n != 1 || hasTable(t, s, orphan) {
		t.Fatalf("without a load: dropped %d (%v), want the orphan", n, err)
	}
	mk()
	s2, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	s2.Close()
	if hasTable(t, s, orphan) {
		t.Error("Open left the orphan staging table")
	}
	mk()
	if err := Migrate(ctx, url); err != nil {
		t.Fatal(err)
	}
	if hasTable(t, s, orphan) {
		t.Error("Migrate left the orphan staging table")
	}
}
