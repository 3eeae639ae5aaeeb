package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/twpayne/go-geom"

	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/gpkg"
	"github.com/cityatlas/cityatlas/store/postgis/pgtest"
)

// serveOnce runs serve until stop is called, which waits for it to end
// (after its shutdown) and returns its log.
func serveOnce(t *testing.T, args ...string) (base string, stop func() string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	log, err := os.CreateTemp(t.TempDir(), "serve-log")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0", "--access-log=false"}, args...),
			func(string) string { return "" }, pw, log)
		pw.Close()
	}()
	stop = func() string {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		log.Close()
		b, _ := os.ReadFile(log.Name())
		return string(b)
	}
	lines := bufio.NewScanner(pr)
	for lines.Scan() {
		if u, ok := strings.CutPrefix(lines.Text(), "cityatlas is serving on "); ok {
			go io.Copy(io.Discard, pr)
			return strings.TrimRight(u, "/"), stop
		}
	}
	t.Fatalf("serve did not start: %v", <-done)
	return "", nil
}

// TestSnapshotRestart: serve writes the index snapshot next to the
// GeoPackage; the next start reads it, and catches up with a write made
// while no server ran.
func TestSnapshotRestart(t *testing.T) {
	path, want := loadOSM(t)
	_, stop := serveOnce(t, "--data", path)
	log := stop()
	if !strings.Contains(log, "no index snapshot yet") || !strings.Contains(log, "index snapshot written") {
		t.Fatalf("first start's log:\n%s", log)
	}
	if _, err := os.Stat(path + ".index"); err != nil {
		t.Fatal(err)
	}
	// A write while no server runs (an import, say).
	ctx := context.Background()
	b, err := gpkg.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	c := store.Collection{Fields: []store.Field{{Name: "osm_id", Type: store.TypeString}, {Name: "highway", Type: store.TypeString}}}
	props, err := store.EncodeProperties(&c, map[string]any{"osm_id": "later", "highway": "stop"})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := b.Apply(ctx, "osm_points", []store.Mutation{{Op: store.OpInsert, Feature: store.Feature{
		ExternalID: "later", Geometry: geom.NewPointFlat(geom.XY, []float64{-122.4, 37.8}).SetSRID(4326), Properties: props}}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	b.Close()

	base, stop := serveOnce(t, "--data", path)
	var coll struct {
		Count int `json:"numberOfFeatures"`
	}
	getJSON(t, base+"/collections/osm_points", &coll)
	var f struct {
		Properties map[string]any `json:"properties"`
	}
	getJSON(t, fmt.Sprintf("%s/collections/osm_points/items/%d", base, rs[0].Feature.ID), &f)
	log = stop()
	if !strings.Contains(log, "index read from its snapshot and caught up") {
		t.Fatalf("second start did not read the snapshot:\n%s", log)
	}
	if coll.Count != len(want)+1 || f.Properties["osm_id"] != "later" {
		t.Errorf("after the restart: %d features (want %d), the new one %v", coll.Count, len(want)+1, f.Properties)
	}
}

// TestPGIdentity: a PostgreSQL database is named the same each time, and
// another schema of it differently.
func TestPGIdentity(t *testing.T) {
	a, b := pgtest.URL(t, "cityatlas_ida_"), pgtest.URL(t, "cityatlas_idb_")
	ctx := context.Background()
	ia, err := pgIdentity(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := pgIdentity(ctx, a)
	ib, _ := pgIdentity(ctx, b)
	if ia == "" || ia != again || ia == ib || !strings.HasPrefix(ia, "postgis:") {
		t.Errorf("identities %q, %q (again), %q (another schema)", ia, again, ib)
	}
}
