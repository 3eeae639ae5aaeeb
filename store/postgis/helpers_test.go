package postgis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// envURL names the environment variable with the URL of a scratch database
// where the tests may create and drop schemas (scripts/pgtest-env.sh sets it).
const envURL = "CITYATLAS_TEST_DATABASE_URL"

// testURL returns the scratch database URL, skipping the test when it is
// not set (failing under CI=true).
func testURL(tb testing.TB) string {
	tb.Helper()
	url := os.Getenv(envURL)
	if url == "" {
		msg := envURL + " is not set: source scripts/pgtest-env.sh (or point it at a PostGIS database) to run the PostGIS tests"
		if os.Getenv("CI") == "true" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	return url
}

// withSearchPath adds search_path=schema,public to a PostgreSQL URL or
// key=value connection string.
func withSearchPath(url, schema string) string {
	path := schema + ",public"
	if strings.Contains(url, "://") {
		sep := "?"
		if strings.Contains(url, "?") {
			sep = "&"
		}
		return url + sep + "search_path=" + path
	}
	return url + " search_path=" + path
}

// newSchema creates an empty schema with a random name in the scratch
// database, drops it when the test ends, and returns a connection string
// whose search_path starts with it.
func newSchema(tb testing.TB) string {
	tb.Helper()
	base := testURL(tb)
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatal(err)
	}
	schema := "cityatlas_test_" + hex.EncodeToString(b[:])
	tb.Logf("schema %s", schema)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("connect to %s: %v", envURL, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return withSearchPath(base, schema)
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
