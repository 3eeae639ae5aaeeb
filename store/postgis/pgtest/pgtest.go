// Package pgtest gives tests a scratch PostgreSQL schema in the database
// named by CITYATLAS_TEST_DATABASE_URL (scripts/pgtest-env.sh sets it up).
// Under CI (CI=true) a missing database fails the test; elsewhere the test
// is skipped with a message saying how to run it.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the variable that holds the test database's URL.
const EnvURL = "CITYATLAS_TEST_DATABASE_URL"

// URL creates a schema with a random name (prefix + hex) in the test
// database, drops it when the test ends, and returns a connection URL whose
// search_path puts that schema first.
func URL(tb testing.TB, prefix string) string {
	tb.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		msg := EnvURL + " is not set: source scripts/pgtest-env.sh to run the PostGIS tests"
		if os.Getenv("CI") == "true" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	var r [6]byte
	if _, err := rand.Read(r[:]); err != nil {
		tb.Fatal(err)
	}
	schema := prefix + hex.EncodeToString(r[:])
	tb.Logf("scratch schema %s", schema)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("connect to %s: %v", EnvURL, err)
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
	if !strings.Contains(base, "://") {
		return base + " search_path=" + schema + ",public"
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema + ",public"
}
