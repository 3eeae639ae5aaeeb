package postgis

import (
	"context"
	"testing"

	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/postgis/pgtest"
)

// newSchema creates an empty schema with a random name in the scratch
// database, drops it when the test ends, and returns a connection string
// whose search_path starts with it.
func newSchema(tb testing.TB) string {
	tb.Helper()
	return pgtest.URL(tb, "cityatlas_test_")
}

// mustOpen opens a store on a fresh schema, closed when the test ends.
func mustOpen(tb testing.TB) *Store {
	tb.Helper()
	url := newSchema(tb)
	s, err := Open(context.Background(), url)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// pathRun is what a batch did through one write path: its results, the
// collection's features afterwards and the change log it wrote.
type pathRun struct {
	results []store.Result
	stored  []store.Feature
	changes []store.Change
}

// lastSeq returns the store's last change-log seq.
func lastSeq(tb testing.TB, s *Store) int64 {
	tb.Helper()
	seq, err := s.LastSeq(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return seq
}

// written reads collection coll's features, and the change-log entries
// after seq, into r.
func (r *pathRun) written(tb testing.TB, s *Store, coll string, seq int64) {
	tb.Helper()
	ctx := context.Background()
	if err := s.Scan(ctx, coll, func(f store.Feature) error { r.stored = append(r.stored, f); return nil }); err != nil {
		tb.Fatal(err)
	}
	var err error
	if r.changes, err = s.Changes(ctx, seq, 0); err != nil {
		tb.Fatal(err)
	}
}
