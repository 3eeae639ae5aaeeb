package postgis

import (
	"context"
	"testing"

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
