package postgis

import (
	"context"
	"reflect"
	"slices"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"

	"github.com/cityatlas/cityatlas/migrations"
	"github.com/cityatlas/cityatlas/store"
)

func connect(tb testing.TB, url string) *pgx.Conn {
	tb.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func versions(tb testing.TB, conn *pgx.Conn) []int {
	tb.Helper()
	rows, err := conn.Query(context.Background(), `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		tb.Fatal(err)
	}
	vs, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		tb.Fatal(err)
	}
	return vs
}

// tableExists reports whether a table of that name is in the first schema
// of the search path.
func tableExists(tb testing.TB, conn *pgx.Conn, name string) bool {
	tb.Helper()
	var ok bool
	err := conn.QueryRow(context.Background(),
		`SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = $1)`, name).Scan(&ok)
	if err != nil {
		tb.Fatal(err)
	}
	return ok
}

func TestMigrateIdempotent(t *testing.T) {
	ctx := context.Background()
	url := newSchema(t)
	all, err := migrations.List(migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	var want []int
	for _, m := range all {
		want = append(want, m.Version)
	}
	for i := range 2 {
		if err := Migrate(ctx, url); err != nil {
			t.Fatalf("Migrate #%d: %v", i+1, err)
		}
	}
	conn := connect(t, url)
	if got := versions(t, conn); !slices.Equal(got, want) {
		t.Fatalf("schema_migrations %v, want %v", got, want)
	}
	for _, table := range []string{"collections", "changes", "feature_versions", "keys"} {
		if !tableExists(t, conn, table) {
			t.Errorf("table %s missing", table)
		}
	}
	applied, err := migrations.Apply(ctx, conn, migrations.FS)
	if err != nil || len(applied) != 0 {
		t.Fatalf("third Apply ran %v, %v; want nothing", applied, err)
	}
	// Open on a migrated schema works too.
	s, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}

func TestMigrationFailureLeavesNothing(t *testing.T) {
	ctx := context.Background()
	conn := connect(t, newSchema(t))
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	broken := fstest.MapFS{
		"0001_first.sql": file(`CREATE TABLE first (x int);`),
		"0002_broken.sql": file(`CREATE TABLE second (x int);
INSERT INTO second VALUES (1);
ALTER TABLE first ADD COLUMN y int;
SELECT no_such_function();`),
		"0003_never.sql": file(`CREATE TABLE third (x int);`),
	}
	applied, err := migrations.Apply(ctx, conn, broken)
	if err == nil {
		t.Fatal("broken migration applied without error")
	}
	t.Logf("error: %v", err)
	if len(applied) != 1 || applied[0].Version != 1 {
		t.Errorf("applied %v, want only 0001", applied)
	}
	if got := versions(t, conn); !slices.Equal(got, []int{1}) {
		t.Errorf("schema_migrations %v, want [1]", got)
	}
	if !tableExists(t, conn, "first") {
		t.Error("table of migration 1 missing")
	}
	for _, table := range []string{"second", "third"} {
		if tableExists(t, conn, table) {
			t.Errorf("table %s exists after the failed migration", table)
		}
	}
	var cols int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'first'`).Scan(&cols); err != nil || cols != 1 {
		t.Errorf("table first has %d columns (%v), want 1: the failed ALTER must be rolled back", cols, err)
	}
	// The connection is usable and the lock free: fixing the migration
	// lets it and the next one run.
	broken["0002_broken.sql"] = file(`CREATE TABLE second (x int);`)
	applied, err = migrations.Apply(ctx, conn, broken)
	if err != nil || len(applied) != 2 {
		t.Fatalf("after the fix: applied %v, %v; want 0002 and 0003", applied, err)
	}
	if got := versions(t, conn); !slices.Equal(got, []int{1, 2, 3}) {
		t.Errorf("schema_migrations %v, want [1 2 3]", got)
	}
}

// TestMigrateConcurrent starts several instances on an empty schema at
// once; the advisory lock lets exactly one apply each migration.
func TestMigrateConcurrent(t *testing.T) {
	ctx := context.Background()
	url := newSchema(t)
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			s, err := Open(ctx, url)
			if err == nil {
				s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("instance %d: %v", i, err)
		}
	}
	all, _ := migrations.List(migrations.FS)
	if got := versions(t, connect(t, url)); len(got) != len(all) {
		t.Errorf("schema_migrations %v after concurrent start, want %d versions", got, len(all))
	}
}

func TestOpenBadURL(t *testing.T) {
	tests := []struct{ name, url string }{
		{"not a url", "postgres://%zz"},
		{"no server", "postgres://nobody@127.0.0.1:1/none?connect_timeout=2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s, err := Open(context.Background(), tt.url); err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if err := Migrate(context.Background(), tt.url); err == nil {
				t.Fatal("Migrate succeeded")
			}
		})
	}
}

// TestMigrateFeaturesByCollection upgrades a version-2 schema holding
// features (and a deleted feature's change-log entry) to the partitioned
// one: every feature keeps its id, external id, geometry and properties,
// each collection gets its own table, and new ids go on after every id the
// old schema drew.
func TestMigrateFeaturesByCollection(t *testing.T) {
	ctx := context.Background()
	url := newSchema(t)
	conn := connect(t, url)
	old := fstest.MapFS{}
	for _, name := range []string{"0001_init.sql", "0002_features_without_fk.sql"} {
		b, err := migrations.FS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		old[name] = &fstest.MapFile{Data: b}
	}
	if _, err := migrations.Apply(ctx, conn, old); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO collections (id, geometry_type, fields) VALUES ('parks', 'Polygon', '[{"name": "name", "type": "string"}]'),
			('stop_signs', 'Point', '[{"name": "kind", "type": "string"}]')`,
		`INSERT INTO features (collection, external_id, geom, properties) VALUES
			('stop_signs', 'S1', ST_SetSRID(ST_MakePoint(-115.56, 32.85), 4326), '{"kind": "all-way"}'),
			('stop_signs', NULL, ST_SetSRID(ST_MakePoint(-115.57, 32.86, 3), 4326), '{}'),
			('parks', 'P1', ST_SetSRID(ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))'), 4326), '{"name": "Eager"}'),
			('stop_signs', 'gone', NULL, '{}')`,
		`INSERT INTO changes (collection, feature_id, op, version) SELECT collection, id, 'insert', 1 FROM features`,
		`INSERT INTO changes (collection, feature_id, op, version) SELECT collection, id, 'delete', 1 FROM features WHERE external_id = 'gone'`,
		`DELETE FROM features WHERE external_id = 'gone'`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	const snapshot = `SELECT string_agg(concat_ws(' ', id, collection, external_id, ST_AsEWKT(geom), properties::text, version), E'\n' ORDER BY id) FROM features`
	var before, after string
	if err := conn.QueryRow(ctx, snapshot).Scan(&before); err != nil {
		t.Fatal(err)
	}
	if _, err := migrations.Apply(ctx, conn, migrationsBelow(t, 10)); err != nil {
		t.Fatal(err)
	}
	conn = connect(t, url) // the old one has plans for the old table
	if err := conn.QueryRow(ctx, snapshot).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if before != after {
		t.Errorf("features after migrating:\n%s\nwant:\n%s", after, before)
	}
	for _, table := range []string{"features_parks", "features_stop_signs"} {
		if !tableExists(t, conn, table) {
			t.Errorf("partition %s missing", table)
		}
	}
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM features_stop_signs`).Scan(&n); err != nil || n != 2 {
		t.Errorf("features_stop_signs holds %d rows (%v), want 2", n, err)
	}
	var newID, maxOld int64
	if err := conn.QueryRow(ctx, `SELECT max(feature_id) FROM changes`).Scan(&maxOld); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, `INSERT INTO features (collection, external_id) VALUES ('parks', 'P2') RETURNING id`).Scan(&newID); err != nil {
		t.Fatal(err)
	}
	if newID <= maxOld {
		t.Errorf("new feature id %d, want more than %d, the last id drawn before", newID, maxOld)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO features (collection, external_id) VALUES ('parks', 'P1')`); err == nil {
		t.Error("a second P1 in parks was accepted; the external id key is gone")
	}
}

// TestMigrateCollectionMetadata: a database from before the metadata
// column (migration 0009) keeps its collections, which read with empty
// metadata and take metadata and 'collection' change-log entries after.
func TestMigrateCollectionMetadata(t *testing.T) {
	ctx := context.Background()
	url := newSchema(t)
	conn := connect(t, url)
	if _, err := migrations.Apply(ctx, conn, migrationsBelow(t, 9)); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO collections (id, title, geometry_type, license) VALUES ('parks', 'Parks', 'Polygon', 'CC0-1.0')`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `SELECT cityatlas_add_feature_table('parks')`); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, url) // migrates
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cs, err := s.Collections(ctx)
	if err != nil || len(cs) != 1 || cs[0].Title != "Parks" || cs[0].License != "CC0-1.0" || !reflect.DeepEqual(cs[0].Metadata, store.Metadata{}) {
		t.Fatalf("collections after migrating: %+v, %v", cs, err)
	}
	c := cs[0]
	c.Publisher, c.AccrualPeriodicity = "Parks Department", "R/P1M"
	got, seq, err := s.UpdateCollection(ctx, c, "admin")
	if err != nil || got.Publisher != "Parks Department" || seq == 0 {
		t.Fatalf("update after migrating: %+v, %d, %v", got, seq, err)
	}
}

// migrationsBelow are the migrations before version v.
func migrationsBelow(tb testing.TB, v int) fstest.MapFS {
	tb.Helper()
	all, err := migrations.List(migrations.FS)
	if err != nil {
		tb.Fatal(err)
	}
	old := fstest.MapFS{}
	for _, m := range all {
		if m.Version < v {
			old[m.Name] = &fstest.MapFile{Data: []byte(m.SQL)}
		}
	}
	return old
}
