package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/cityatlas/cityatlas/auth"
	"github.com/cityatlas/cityatlas/store/postgis/pgtest"
)

// TestKeysCommand: keys create prints the key alone, once; list never
// shows it; revoke marks it; and the store holds no trace of the secret
// (the GeoPackage file, or the PostGIS keys table, read raw).
func TestKeysCommand(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.gpkg")
	t.Run("gpkg", func(t *testing.T) {
		testKeysCommand(t, []string{"--data", path}, func(t *testing.T) []byte {
			var all []byte
			for _, f := range []string{path, path + "-wal"} {
				b, err := os.ReadFile(f)
				if err != nil && !errors.Is(err, os.ErrNotExist) {
					t.Fatal(err)
				}
				all = append(all, b...)
			}
			if len(all) == 0 {
				t.Fatal("the GeoPackage file is empty")
			}
			return all
		})
	})
	t.Run("postgis", func(t *testing.T) {
		url := pgtest.URL(t, "cityatlas_keys_")
		testKeysCommand(t, []string{"--database-url", url}, func(t *testing.T) []byte {
			ctx := context.Background()
			conn, err := pgx.Connect(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			var dump string
			if err := conn.QueryRow(ctx, `SELECT string_agg(k::text || encode(salt, 'escape') || encode(hash, 'escape'), E'\n') FROM keys k`).Scan(&dump); err != nil {
				t.Fatal(err)
			}
			return []byte(dump)
		})
	})
}

func testKeysCommand(t *testing.T, storeArgs []string, raw func(t *testing.T) []byte) {
	ctx := context.Background()
	env := func(string) string { return "" }
	do := func(args ...string) (string, string, error) {
		var out, errOut bytes.Buffer
		err := run(ctx, append(args, storeArgs...), env, &out, &errOut)
		return out.String(), errOut.String(), err
	}
	out, _, err := do("keys", "create", "--name", "crew-7", "--role", "editor", "--collections", "stop_signs,parks", "--expires", "2099-01-01")
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSuffix(out, "\n")
	_, secret, err := auth.Parse(token)
	if err != nil || strings.Contains(token, "\n") {
		t.Fatalf("keys create printed %q, want the key alone: %v", out, err)
	}
	if _, _, err := do("keys", "create", "--name", "crew-7", "--role", "viewer"); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("a second key called crew-7: %v", err)
	}
	var u usageError
	if _, _, err := do("keys", "create", "--name", "x", "--role", "root"); !errors.As(err, &u) {
		t.Errorf("role root: %v, want a usage error", err)
	}
	if _, _, err := do("keys", "create", "--name", "x", "--role", "viewer", "--expires", "soon"); !errors.As(err, &u) {
		t.Errorf("--expires soon: %v, want a usage error", err)
	}
	list, _, err := do("keys", "list")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(list, "crew-7") || !strings.Contains(list, "stop_signs,parks") || !strings.Contains(list, "active") ||
		strings.Contains(list, secret) || strings.Contains(list, token) {
		t.Errorf("keys list:\n%s", list)
	}
	if _, msg, err := do("keys", "revoke", "crew-7"); err != nil || !strings.Contains(msg, "revoked") {
		t.Fatalf("revoke: %v %q", err, msg)
	}
	if _, _, err := do("keys", "revoke", "nobody"); err == nil {
		t.Error("revoking a key that does not exist succeeded")
	}
	list, _, _ = do("keys", "list")
	if !strings.Contains(list, "revoked") {
		t.Errorf("keys list after revoke:\n%s", list)
	}
	stored := raw(t)
	if bytes.Contains(stored, []byte(secret)) || bytes.Contains(stored, []byte(token)) {
		t.Error("the store holds the key's secret")
	}
	if !bytes.Contains(stored, []byte("crew-7")) {
		t.Error("the raw store has no key crew-7: the check above read the wrong thing")
	}
}
