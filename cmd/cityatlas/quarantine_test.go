package main

import (
	"context"
	"database/sql"
	bin "encoding/binary"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite" // the "sqlite" driver, to write what another program might

	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/gpkg"
	"github.com/cityatlas/cityatlas/store/storetest"
)

// TestServeQuarantinesCorruptBlob: serve on a GeoPackage one of whose
// rows holds a corrupt geometry blob (its WKB announces 2^32-1 positions:
// serve used to try to allocate for them, 64 GiB and more, and die) starts,
// serves the other features, and counts the bad one in /metrics and
// /readyz.
func TestServeQuarantinesCorruptBlob(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "bad.gpkg")
	b, err := gpkg.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	c := storetest.MustCreate(t, b, storetest.Assets("signs", store.GeometryPoint))
	rs := storetest.MustApply(t, b, c.ID,
		store.Mutation{Op: store.OpInsert, Feature: store.Feature{Geometry: storetest.Point(1, 1)}},
		store.Mutation{Op: store.OpInsert, Feature: store.Feature{Geometry: storetest.Point(2, 2)}},
		store.Mutation{Op: store.OpInsert, Feature: store.Feature{Geometry: storetest.Point(3, 3)}})
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	// A GeoPackage blob with a valid header and envelope and a line string
	// of 2^32-1 positions that are not there.
	blob := []byte{'G', 'P', 0, 1 | 1<<1}
	blob = bin.LittleEndian.AppendUint32(blob, 4326)
	for range 4 {
		blob = bin.LittleEndian.AppendUint64(blob, math.Float64bits(2))
	}
	blob = append(blob, 1, 2, 0, 0, 0, 0xff, 0xff, 0xff, 0xff)
	writeAround(t, path, "signs", "UPDATE signs SET geom = ? WHERE fid = ?", blob, rs[1].Feature.ID)

	base := startServer(t, "--data", path)
	get := func(p string) (int, string) {
		t.Helper()
		res, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res.StatusCode, string(body)
	}
	if _, m := get("/metrics"); !strings.Contains(m, `cityatlas_quarantined_features{collection="signs"} 1`+"\n") ||
		!strings.Contains(m, `cityatlas_features{collection="signs"} 2`+"\n") {
		t.Errorf("/metrics:\n%s", m)
	}
	status, body := get("/readyz")
	var ready struct {
		Quarantined []store.Quarantine `json:"quarantined"`
	}
	if err := json.Unmarshal([]byte(body), &ready); err != nil || status != 200 || len(ready.Quarantined) != 1 ||
		ready.Quarantined[0].Count != 1 || ready.Quarantined[0].Sample[0] != rs[1].Feature.ID {
		t.Errorf("/readyz %d %s (%v)", status, body, err)
	}
	for i, want := range []int{200, 404, 200} {
		if status, _ := get("/collections/signs/items/" + jsonNumber(rs[i].Feature.ID)); status != want {
			t.Errorf("feature %d: %d, want %d", rs[i].Feature.ID, status, want)
		}
	}
}

func jsonNumber(n int64) string { b, _ := json.Marshal(n); return string(b) }

// writeAround runs one statement on the GeoPackage at path with a plain
// SQLite driver, as another program would. The R-tree triggers of table
// call functions that GDAL and cityatlas register and this driver has
// not: they are set aside for the statement and made again.
func writeAround(t *testing.T, path, table, q string, args ...any) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	rows, err := tx.Query("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", table)
	if err != nil {
		t.Fatal(err)
	}
	var names, defs []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			t.Fatal(err)
		}
		names, defs = append(names, name), append(defs, def)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if _, err := tx.Exec(`DROP TRIGGER "` + n + `"`); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tx.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	for _, d := range defs {
		if _, err := tx.Exec(d); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}
