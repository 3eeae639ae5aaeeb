package gpkg

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/storetest"
)

// MustOpen opens a fresh GeoPackage in a temporary directory, closed when
// the test ends.
func MustOpen(tb testing.TB) (*Store, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "cityatlas.gpkg")
	s, err := Open(context.Background(), path)
	if err != nil {
		tb.Fatalf("Open(%s): %v", path, err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s, path
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Backend {
		s, _ := MustOpen(t)
		return s
	})
}

// TestReopen checks that a closed file keeps its collections, features,
// change log and id counter.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a.gpkg")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	c := storetest.MustCreate(t, s, storetest.Assets("signs", store.GeometryPoint))
	r := storetest.MustApply(t, s, c.ID, store.Mutation{Op: store.OpInsert, Feature: store.Feature{
		ExternalID: "a", Geometry: storetest.Point(1, 2), Properties: storetest.Props(t, c, map[string]any{"lanes": 3})}})[0]
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f, err := s.Feature(ctx, c.ID, r.Feature.ID)
	if err != nil || string(f.Properties) != `{"lanes":3}` || f.ExternalID != "a" {
		t.Fatalf("after reopen: %+v %v", f, err)
	}
	if seq, err := s.LastSeq(ctx); err != nil || seq != r.Seq {
		t.Errorf("LastSeq after reopen %d (%v), want %d", seq, err, r.Seq)
	}
	r2 := storetest.MustApply(t, s, c.ID, store.Mutation{Op: store.OpInsert, Feature: store.Feature{Properties: storetest.Props(t, c, nil)}})[0]
	if r2.Feature.ID <= r.Feature.ID {
		t.Errorf("id after reopen %d, not above %d", r2.Feature.ID, r.Feature.ID)
	}
}

func TestOpenRefuses(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	notSQLite := filepath.Join(dir, "text.gpkg")
	if err := os.WriteFile(notSQLite, []byte("this is not a database, just some text that is long enough to be read as a header......"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, path string
	}{
		{"empty path", ""},
		{"query in path", filepath.Join(dir, "x.gpkg?mode=ro")},
		{"not SQLite", notSQLite},
		{"missing directory", filepath.Join(dir, "no", "such", "dir", "x.gpkg")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(ctx, tc.path)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded", tc.path)
			}
		})
	}
}

func TestReservedCollectionIDs(t *testing.T) {
	s, _ := MustOpen(t)
	for _, id := range []string{"gpkg_contents", "rtree_x_geom", "sqlite_master", "cityatlas_changes"} {
		t.Run(id, func(t *testing.T) {
			_, err := s.CreateCollection(context.Background(), storetest.Assets(id, store.GeometryPoint))
			if !errors.Is(err, store.ErrInvalid) {
				t.Errorf("CreateCollection(%s) = %v, want ErrInvalid", id, err)
			}
		})
	}
}

// TestFieldNamesDifferingInCase: SQLite column names ignore case, the
// schema does not.
func TestFieldNamesDifferingInCase(t *testing.T) {
	ctx := context.Background()
	s, _ := MustOpen(t)
	c := storetest.MustCreate(t, s, store.Collection{ID: "cased", Title: "x", Geometry: store.GeometryAny, Fields: []store.Field{
		{Name: "Name", Type: store.TypeString}, {Name: "name", Type: store.TypeInteger}, {Name: "FID", Type: store.TypeString},
	}})
	p := storetest.Props(t, c, map[string]any{"Name": "A", "name": 7, "FID": "f"})
	r := storetest.MustApply(t, s, c.ID, store.Mutation{Op: store.OpInsert, Feature: store.Feature{Properties: p}})[0]
	f, err := s.Feature(ctx, c.ID, r.Feature.ID)
	if err != nil || string(f.Properties) != string(p) {
		t.Fatalf("got %s (%v), want %s", f.Properties, err, p)
	}
}
