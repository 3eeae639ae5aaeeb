package main

import (
	"context"
	"database/sql"
	bin "encoding/binary"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"os"
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
	writeAround(t, path, "signs", "UPDATE signs SET geom = ? WHERE fid = ?", corruptBlob(), rs[1].Feature.ID)

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

// corruptBlob is a GeoPackage blob with a valid header and envelope and a
// line string of 2^32-1 positions that are not there.
func corruptBlob() []byte {
	blob := []byte{'G', 'P', 0, 1 | 1<<1}
	blob = bin.LittleEndian.AppendUint32(blob, 4326)
	for range 4 {
		blob = bin.LittleEndian.AppendUint64(blob, math.Float64bits(2))
	}
	return append(blob, 1, 2, 0, 0, 0, 0xff, 0xff, 0xff, 0xff)
}

// TestDeleteMissingSkipsQuarantined: import --delete-missing into a
// collection one of whose rows cannot be read deletes the readable rows
// the file does not have, leaves the unreadable one (it has no external
// id to compare) and says so; it used to fail on the bad row.
func TestDeleteMissingSkipsQuarantined(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "atlas.gpkg")
	first := filepath.Join(dir, "first.csv")
	second := filepath.Join(dir, "second.csv")
	if err := os.WriteFile(first, []byte("code,lon,lat\nA,-115.56,32.84\nB,-115.57,32.85\nC,-115.58,32.86\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(second, []byte("code,lon,lat\nA,-115.56,32.84\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := runImport(t, first, "--data", data, "--collection", "signs", "--create", "--id-field", "code"); err != nil {
		t.Fatalf("first import: %v\n%s", err, out)
	}
	ctx := context.Background()
	ids := map[string]int64{}
	func() {
		b, err := gpkg.Open(ctx, data)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		err = b.Scan(ctx, "signs", func(f store.Feature) error { ids[f.ExternalID] = f.ID; return nil })
		if err != nil || len(ids) != 3 {
			t.Fatalf("scan: %v, %v", err, ids)
		}
	}()
	writeAround(t, data, "signs", "UPDATE signs SET geom = ? WHERE fid = ?", corruptBlob(), ids["C"])
	out, err := runImport(t, second, "--data", data, "--collection", "signs", "--id-field", "code", "--delete-missing")
	if err != nil {
		t.Fatalf("--delete-missing with a quarantined row: %v\n%s", err, out)
	}
	if !strings.Contains(out, "1 stored rows cannot be read") || !strings.Contains(out, "left them as they are") {
		t.Errorf("the import does not say it left the unreadable row:\n%s", out)
	}
	b, err := gpkg.Open(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var left []string
	var bad []int64
	err = b.ScanSkipping(ctx, "signs", func(f store.Feature) error { left = append(left, f.ExternalID); return nil },
		func(r store.BadRow) { bad = append(bad, r.ID) })
	if err != nil || len(left) != 1 || left[0] != "A" || len(bad) != 1 || bad[0] != ids["C"] {
		t.Errorf("after the import: readable %v, unreadable %v (want [A] and [%d]), err %v", left, bad, ids["C"], err)
	}
}
