package gpkg

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/storetest"
)

// TestOldDefinitionTakesMetadata: a file written before collections had
// metadata (a definition without its keys) opens, reads with empty
// metadata, takes an update that survives reopening, and GDAL's
// description follows.
func TestOldDefinitionTakesMetadata(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.gpkg")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	storetest.MustCreate(t, s, storetest.Assets("signs", store.GeometryPoint))
	// What an older cityatlas wrote: the definition without the metadata keys.
	old := `{"collection":{"id":"signs","title":"Signs","geometryType":"Point","fields":[],"license":"CC0-1.0","created":"2025-01-02T03:04:05Z"},"columns":[]}`
	if _, err := s.w.ExecContext(ctx, "UPDATE cityatlas_collections SET meta = ?", old); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s, path)
	cs, err := s.Collections(ctx)
	if err != nil || len(cs) != 1 || cs[0].License != "CC0-1.0" || !reflect.DeepEqual(cs[0].Metadata, store.Metadata{}) {
		t.Fatalf("old definition read as %+v, %v", cs, err)
	}
	c := cs[0]
	c.Description, c.Metadata = "All the signs", store.Metadata{Publisher: "Public Works", Theme: []string{"roads"}}
	if _, _, err := s.UpdateCollection(ctx, c, "admin"); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s, path)
	defer s.Close()
	cs, err = s.Collections(ctx)
	if err != nil || !reflect.DeepEqual(cs[0].Metadata, c.Metadata) {
		t.Fatalf("after reopening: %+v, %v", cs, err)
	}
	var desc string
	if err := s.r.QueryRowContext(ctx, "SELECT description FROM gpkg_contents WHERE table_name = 'signs'").Scan(&desc); err != nil || desc != "All the signs" {
		t.Errorf("gpkg_contents description %q (%v)", desc, err)
	}
}

// reopen closes s and opens its file again.
func reopen(t *testing.T, s *Store, path string) *Store {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
