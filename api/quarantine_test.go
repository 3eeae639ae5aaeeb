package api_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite" // the "sqlite" driver, to write what another program might

	"github.com/cityatlas/cityatlas/api"
	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/gpkg"
	"github.com/cityatlas/cityatlas/store/storetest"
)

// TestQuarantineShown: a stored feature the index cannot hold (text that
// another program wrote into an integer column) is counted in /metrics
// and named in /readyz, which still says ready; the rest is served.
func TestQuarantineShown(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "q.gpkg")
	b, err := gpkg.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	c := storetest.MustCreate(t, b, storetest.Assets("things", store.GeometryPoint))
	storetest.MustCreate(t, b, storetest.Assets("others", store.GeometryPoint))
	rs := storetest.MustApply(t, b, c.ID,
		store.Mutation{Op: store.OpInsert, Feature: store.Feature{Geometry: storetest.Point(1, 1)}},
		store.Mutation{Op: store.OpInsert, Feature: store.Feature{Geometry: storetest.Point(2, 2)}})
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	// The R-tree triggers call functions that GDAL and cityatlas have and
	// this driver has not: they are set aside for the write.
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	type trigger struct{ name, def string }
	var triggers []trigger
	rows, err := db.Query("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'things'")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var tr trigger
		if err := rows.Scan(&tr.name, &tr.def); err != nil {
			t.Fatal(err)
		}
		triggers = append(triggers, tr)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	exec("BEGIN")
	for _, tr := range triggers {
		exec(`DROP TRIGGER "` + tr.name + `"`)
	}
	exec("UPDATE things SET lanes = 'many' WHERE fid = ?", rs[1].Feature.ID)
	for _, tr := range triggers {
		exec(tr.def)
	}
	exec("COMMIT")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	b, err = gpkg.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	st, err := store.Open(ctx, b, nil)
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	srv := httptest.NewServer(api.NewServer(st, api.Config{}, nil))
	t.Cleanup(srv.Close)

	m := string(get(t, srv, "/metrics").body)
	for _, want := range []string{
		"# TYPE cityatlas_quarantined_features gauge",
		`cityatlas_quarantined_features{collection="things"} 1` + "\n",
		`cityatlas_quarantined_features{collection="others"} 0` + "\n",
		`cityatlas_features{collection="things"} 1` + "\n",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics has no %q:\n%s", want, m)
		}
	}
	r := get(t, srv, "/readyz")
	var ready struct {
		Status      string             `json:"status"`
		Quarantined []store.Quarantine `json:"quarantined"`
	}
	if err := json.Unmarshal(r.body, &ready); err != nil {
		t.Fatal(err)
	}
	if r.status != 200 || ready.Status != "ready" || len(ready.Quarantined) != 1 ||
		ready.Quarantined[0].Collection != "things" || ready.Quarantined[0].Count != 1 ||
		len(ready.Quarantined[0].Sample) != 1 || ready.Quarantined[0].Sample[0] != rs[1].Feature.ID {
		t.Errorf("/readyz %d %s", r.status, r.body)
	}
	if r := get(t, srv, "/collections/things/items/"+jsonInt(rs[0].Feature.ID)); r.status != 200 {
		t.Errorf("the good feature: %d %s", r.status, r.body)
	}
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }
