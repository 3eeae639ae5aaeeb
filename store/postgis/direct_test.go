package postgis

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/storetest"
)

// TestDirectEdits: a feature edited in the database by another client than
// cityatlas (psql, QGIS) gets a new version, a change-log entry naming the
// database user, a place in its history, and reaches a running index.
func TestDirectEdits(t *testing.T) {
	ctx := context.Background()
	url := newSchema(t)
	s, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := storetest.MustCreate(t, s, storetest.Assets("signs", store.GeometryPoint))
	r := storetest.MustApply(t, s, c.ID, store.Mutation{Op: store.OpInsert, Feature: store.Feature{
		Geometry: storetest.Point(1, 2), Properties: storetest.Props(t, c, map[string]any{"name": "before"})}})[0]
	st, err := store.Open(ctx, s, nil)
	if err != nil {
		t.Fatal(err)
	}

	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var user string
	if err := conn.QueryRow(ctx, "SELECT session_user").Scan(&user); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `UPDATE features_signs SET name = 'in psql' WHERE id = $1`, r.Feature.ID); err != nil {
		t.Fatal(err)
	}
	var newID int64
	err = conn.QueryRow(ctx, `INSERT INTO features_signs (geom, name) VALUES (ST_SetSRID(ST_MakePoint(5, 6), 4326), 'new in psql') RETURNING id`).Scan(&newID)
	if err != nil {
		t.Fatal(err)
	}

	f, err := s.Feature(ctx, c.ID, r.Feature.ID)
	if err != nil {
		t.Fatal(err)
	}
	if f.Version != 2 || !f.Updated.After(r.Feature.Updated) && !f.Updated.Equal(r.Feature.Updated) {
		t.Errorf("after a direct update: version %d, updated %v (was %v)", f.Version, f.Updated, r.Feature.Updated)
	}
	vs, err := s.History(ctx, c.ID, r.Feature.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 || vs[1].Op != store.OpUpdate || vs[1].Actor != user || vs[1].Version != 2 || !vs[1].Content ||
		vs[0].Actor != "storetest" || !vs[0].Content {
		t.Fatalf("history = %+v", vs)
	}
	if name, _ := vs[0].Properties.Get("name"); name.String() != "before" {
		t.Errorf("version 1 holds %s", vs[0].Properties)
	}
	if name, _ := vs[1].Properties.Get("name"); name.String() != "in psql" {
		t.Errorf("version 2 holds %s", vs[1].Properties)
	}

	if err := st.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := st.Feature(c.ID, r.Feature.ID)
	if err != nil || got.Version != 2 {
		t.Errorf("index after Sync: %+v, %v", got, err)
	}
	if got, err := st.Feature(c.ID, newID); err != nil || got.Version != 1 {
		t.Errorf("index after Sync, inserted feature: %+v, %v", got, err)
	}

	// A write through cityatlas is logged once, by cityatlas, with its actor.
	before := lastSeq(t, s)
	if _, err := s.Apply(ctx, c.ID, []store.Mutation{{Op: store.OpDelete, Feature: store.Feature{ID: newID}}}, "crew"); err != nil {
		t.Fatal(err)
	}
	chs, err := s.Changes(ctx, before, 0)
	if err != nil || len(chs) != 1 || chs[0].Actor != "crew" || chs[0].Op != store.OpDelete {
		t.Errorf("changes of a cityatlas delete: %+v, %v", chs, err)
	}
	if _, err := conn.Exec(ctx, `DELETE FROM features_signs WHERE id = $1`, r.Feature.ID); err != nil {
		t.Fatal(err)
	}
	vs, err = s.History(ctx, c.ID, r.Feature.ID, 0, 0)
	if err != nil || len(vs) != 3 || vs[2].Op != store.OpDelete || vs[2].Actor != user || !vs[2].Content {
		t.Errorf("history after a direct delete: %+v, %v", vs, err)
	}
}

// TestHistoryOfImports: a feature that came in a bulk load (one "load"
// entry in the change log) has that load as its first version, with its
// content; a re-import that changes it (COPY batch path) adds a version.
func TestHistoryOfImports(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	s.stageMin = 50
	c := storetest.MustCreate(t, s, storetest.Assets("staged", store.GeometryAny))
	ms := upserts(c, t, 300, func(i int) string { return fmt.Sprint("p", i) })
	var first store.Result
	err := s.ApplyStream(ctx, c.ID, store.Stream(ms, nil), "loader", func(r store.Result) error {
		if first.Feature.ID == 0 {
			first = r
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	vs, err := s.History(ctx, c.ID, first.Feature.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 1 || vs[0].Op != store.OpLoad || vs[0].Actor != "loader" || vs[0].Version != 1 || !vs[0].Content || vs[0].ExternalID != "p0" {
		t.Fatalf("history of a loaded feature: %+v", vs)
	}
	// Re-import with every feature changed: 300 upserts go through COPY.
	changed := upserts(c, t, 300, func(i int) string { return fmt.Sprint("p", i) })
	for i := range changed {
		changed[i].Feature.Geometry = storetest.Point(float64(i%90), 1)
	}
	if _, err := s.Apply(ctx, c.ID, changed, "reimport"); err != nil {
		t.Fatal(err)
	}
	vs, err = s.History(ctx, c.ID, first.Feature.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 || vs[1].Op != store.OpUpdate || vs[1].Actor != "reimport" || vs[1].Version != 2 || !vs[1].Content || !vs[0].Content {
		t.Fatalf("history after a re-import: %+v", vs)
	}
	if x := vs[1].Geometry.FlatCoords()[1]; x != 1 {
		t.Errorf("version 2 has latitude %v, want 1", x)
	}
	if x := vs[0].Geometry.FlatCoords()[1]; x == 1 {
		t.Errorf("version 1 has the new geometry")
	}
}
