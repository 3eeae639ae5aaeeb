// Package migrations holds cityatlas's PostgreSQL/PostGIS schema as numbered
// plain SQL files (0001_init.sql, 0002_....sql, ...), embedded in the binary,
// and Apply, which brings a database up to date with them.
//
// Each migration runs in its own transaction together with the
// schema_migrations row that records it, so a migration that fails leaves the
// schema as it was. A session advisory lock keeps two instances that start
// together from applying the same migration twice.
package migrations

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"

	"github.com/jackc/pgx/v5"
)

// FS holds the migration files of this package.
//
//go:embed *.sql
var FS embed.FS

// Migration is one schema change.
type Migration struct {
	// Version is the number at the start of the file name (1 for 0001_init.sql).
	Version int
	// Name is the file name.
	Name string
	// SQL is the file's content: one or more statements.
	SQL string
}

// ErrBadName is wrapped by the errors about migration file names.
var ErrBadName = errors.New("migrations: bad file name")

var nameRe = regexp.MustCompile(`^([0-9]{4})_[a-z0-9_]+\.sql$`)

// ParseName returns the version of a migration file name such as
// "0002_change_log.sql": four digits, an underscore, lower-case letters,
// digits and underscores, ".sql". Version 0 is not allowed. Other names
// give an error wrapping ErrBadName.
func ParseName(name string) (int, error) {
	m := nameRe.FindStringSubmatch(name)
	if m == nil {
		return 0, fmt.Errorf("%w: %q is not NNNN_words.sql", ErrBadName, name)
	}
	v, err := strconv.Atoi(m[1])
	if err != nil || v == 0 {
		return 0, fmt.Errorf("%w: %q: version must be 0001 to 9999", ErrBadName, name)
	}
	return v, nil
}

// List reads the *.sql files at the root of fsys and returns them ordered by
// version. A .sql file with a bad name, or two files with one version, is an
// error wrapping ErrBadName.
func List(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, fmt.Errorf("migrations: list: %w", err)
	}
	var ms []Migration
	seen := map[int]string{}
	for _, name := range names {
		v, err := ParseName(path.Base(name))
		if err != nil {
			return nil, err
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("%w: %q and %q have the same version %d", ErrBadName, other, name, v)
		}
		seen[v] = name
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("migrations: read %s: %w", name, err)
		}
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	return ms, nil
}

// lockClass is the first key of the advisory lock that Apply holds; the
// second is a hash of the current schema, so that databases holding several
// cityatlas schemas (tests) migrate them independently.
const lockClass = 0x0c17a7a5

const (
	sqlLock        = `SELECT pg_advisory_lock($1, hashtext(coalesce(current_schema(), '')))`
	sqlUnlock      = `SELECT pg_advisory_unlock($1, hashtext(coalesce(current_schema(), '')))`
	sqlCreateTable = `CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied timestamptz NOT NULL DEFAULT now())`
	sqlApplied     = `SELECT version FROM schema_migrations`
	sqlRecord      = `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`
)

// Apply runs, in version order, the migrations of fsys (normally FS) that
// the database reached by conn has not recorded in schema_migrations, and
// returns those it ran. Tables are created in the first schema of the
// connection's search_path. It stops at the first failure, whose
// transaction is rolled back, and returns the migrations applied before it
// with the error.
func Apply(ctx context.Context, conn *pgx.Conn, fsys fs.FS) (applied []Migration, err error) {
	ms, err := List(fsys)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, sqlLock, lockClass); err != nil {
		return nil, fmt.Errorf("migrations: lock: %w", err)
	}
	defer func() {
		// A fresh context: the caller's may be done, and the lock must go
		// back even then (it would otherwise live as long as the session).
		if _, uerr := conn.Exec(context.WithoutCancel(ctx), sqlUnlock, lockClass); uerr != nil && err == nil {
			err = fmt.Errorf("migrations: unlock: %w", uerr)
		}
	}()
	if _, err := conn.Exec(ctx, sqlCreateTable); err != nil {
		return nil, fmt.Errorf("migrations: create schema_migrations: %w", err)
	}
	done := map[int]bool{}
	rows, err := conn.Query(ctx, sqlApplied)
	if err != nil {
		return nil, fmt.Errorf("migrations: read schema_migrations: %w", err)
	}
	var v int
	_, err = pgx.ForEachRow(rows, []any{&v}, func() error { done[v] = true; return nil })
	if err != nil {
		return nil, fmt.Errorf("migrations: read schema_migrations: %w", err)
	}
	for _, m := range ms {
		if done[m.Version] {
			continue
		}
		if err := applyOne(ctx, conn, m); err != nil {
			return applied, err
		}
		applied = append(applied, m)
	}
	return applied, nil
}

func applyOne(ctx context.Context, conn *pgx.Conn, m Migration) error {
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		// Without parameters, pgx sends the file with the simple protocol,
		// which runs several statements.
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return fmt.Errorf("migrations: %s: %w", m.Name, err)
		}
		if _, err := tx.Exec(ctx, sqlRecord, m.Version, m.Name); err != nil {
			return fmt.Errorf("migrations: record %s: %w", m.Name, err)
		}
		return nil
	})
}
