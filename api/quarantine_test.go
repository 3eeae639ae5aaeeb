package api_test

import (
	"context"
	"database/sql"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"database/sql/driver"

	"modernc.org/sqlite"

	"github.com/cityatlas/cityatlas/api"
	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/gpkg"
	"github.com/cityatlas/cityatlas/store/storetest"
)

// TestQuarantineInReadyzAndMetrics: a stored feature the index cannot
// hold (another program wrote text into an integer column of the
// GeoPackage) is counted in /readyz and /metrics, and the service stays
// ready with the rest.
func TestQuarantineInReadyzAndMetrics(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "q.gpkg")
	b, err := gpkg.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	c := storetest.MustCreate(t, b, storetest.Assets("things", store.GeometryAny))
	var ms []store.Mutation
	for i := range 3 {
		ms = append(ms, store.Mutation{Op: store.OpInsert, Feature: store.Feature{
			Geometry: storetest.Point(float64(i), 1), Properties: storetest.Props(t, c, map[string]any{"lanes": i})}})
	}
	rs := storetest.MustApply(t, b, c.ID, ms...)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	// Another program's SQLite: the GeoPackage's R-tree triggers call
	// ST_IsEmpty and ST_MinX..., which it must have; what they answer here
	// only touches the file's own R-tree, which the index does not read.
	sqlite.MustRegisterDeterministicScalarFunction("ST_IsEmpty", 1, func(*sqlite.FunctionContext, []driver.Value) (driver.Value, error) { return int64(0), nil })
	for _, f := range []string{"ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"} {
		sqlite.MustRegisterDeterministicScalarFunction(f, 1, func(*sqlite.FunctionContext, []driver.Value) (driver.Value, error) { return 1.0, nil })
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("UPDATE things SET lanes = 'many' WHERE fid = ?", rs[1].Feature.ID); err != nil {
		t.Fatal(err)
	}
	db.Close()
	b, err = gpkg.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	st, err := store.Open(ctx, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.NewServer(st, api.Config{}, nil))
	defer srv.Close()
	var body struct {
		Ready       bool               `json:"ready"`
		Quarantined []store.Quarantine `json:"quarantined"`
		Index       struct{ Features int }
	}
	r := get(t, srv, "/readyz")
	decode(t, r, &body)
	if r.status != 200 || !body.Ready || body.Index.Features != 2 || len(body.Quarantined) != 1 ||
		body.Quarantined[0].Count != 1 || body.Quarantined[0].Sample[0] != rs[1].Feature.ID {
		t.Errorf("readyz: %d %s", r.status, r.body)
	}
	if m := string(get(t, srv, "/metrics").body); !strings.Contains(m, `cityatlas_quarantined_features{collection="things"} 1`) {
		t.Errorf("metrics lack the quarantine:\n%s", m)
	}
}
