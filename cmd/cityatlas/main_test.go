package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cityatlas/cityatlas/geo"
	"github.com/cityatlas/cityatlas/internal/tooltest"
	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/gpkg"
)

// requireTool returns the path of a command-line tool the test needs,
// installed by Debian package pkg (see tooltest).
func requireTool(t *testing.T, name, pkg string) string { return tooltest.Need(t, name, pkg) }

// startServer runs "cityatlas serve" through run() on a free port and
// returns its base URL. The server stops when the test ends.
func startServer(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	env := func(string) string { return "" }
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0", "--log-level", "warn"}, args...), env, pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	lines := bufio.NewScanner(pr)
	for lines.Scan() {
		if u, ok := strings.CutPrefix(lines.Text(), "cityatlas is serving on "); ok {
			go io.Copy(io.Discard, pr)
			return strings.TrimRight(u, "/")
		}
	}
	t.Fatalf("serve did not start: %v", <-done)
	return ""
}

// loadOSM makes collection osm_points in a new GeoPackage from the OSM
// test file and returns the file's path and the features by OSM id.
func loadOSM(t *testing.T) (string, map[string]osmPoint) {
	t.Helper()
	ctx := context.Background()
	raw, err := os.ReadFile("../../testdata/osm-sfbay/osm_sfbay_traffic_signals_and_stops.geojson")
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []struct {
			Properties map[string]string `json:"properties"`
			Geometry   json.RawMessage   `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(raw, &fc); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "osm.gpkg")
	b, err := gpkg.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	c := store.Collection{ID: "osm_points", Title: "OSM traffic signals and stops", Geometry: store.GeometryPoint,
		License: "ODbL-1.0", Fields: []store.Field{{Name: "osm_id", Type: store.TypeString}, {Name: "highway", Type: store.TypeString}}}
	if _, err := b.CreateCollection(ctx, c); err != nil {
		t.Fatal(err)
	}
	want := map[string]osmPoint{}
	var ms []store.Mutation
	for _, f := range fc.Features {
		g, err := geo.DecodeGeoJSON(f.Geometry)
		if err != nil {
			t.Fatal(err)
		}
		id := f.Properties["@id"]
		props, err := store.EncodeProperties(&c, map[string]any{"osm_id": id, "highway": f.Properties["highway"]})
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, store.Mutation{Op: store.OpInsert, Feature: store.Feature{ExternalID: id, Geometry: g, Properties: props}})
		want[id] = osmPoint{highway: f.Properties["highway"], lon: g.FlatCoords()[0], lat: g.FlatCoords()[1]}
	}
	if _, err := b.Apply(ctx, c.ID, ms, "test"); err != nil {
		t.Fatal(err)
	}
	if len(want) != 11354 {
		t.Fatalf("test file has %d distinct points, want 11354", len(want))
	}
	return path, want
}

type osmPoint struct {
	highway  string
	lon, lat float64
}

func TestGDALReadsEveryCollection(t *testing.T) {
	ogrinfo := requireTool(t, "ogrinfo", "gdal-bin")
	dir := t.TempDir()
	base := startServer(t, "--demo", "--data", filepath.Join(dir, "demo.gpkg"))
	var cols struct {
		Collections []struct {
			ID     string `json:"id"`
			Count  int    `json:"numberOfFeatures"`
			Extent struct {
				Spatial struct{ BBox [][4]float64 } `json:"spatial"`
			} `json:"extent"`
		} `json:"collections"`
	}
	getJSON(t, base+"/collections", &cols)
	if len(cols.Collections) < 4 {
		t.Fatalf("%d collections", len(cols.Collections))
	}
	for _, c := range cols.Collections {
		out := runTool(t, ogrinfo, "-ro", "-so", "OAPIF:"+base+"/collections/"+c.ID, c.ID)
		count := fieldAfter(out, "Feature Count: ")
		if count != itoa(c.Count) {
			t.Errorf("%s: GDAL says %q features, the service %d\n%s", c.ID, count, c.Count, out)
		}
		ext := fieldAfter(out, "Extent: ")
		bb := c.Extent.Spatial.BBox[0]
		wantExt := "(" + ftoa(bb[0]) + ", " + ftoa(bb[1]) + ") - (" + ftoa(bb[2]) + ", " + ftoa(bb[3]) + ")"
		if ext != wantExt {
			t.Errorf("%s: GDAL extent %q, want %q", c.ID, ext, wantExt)
		}
	}
}

func TestGDALCopiesOSMThroughPaging(t *testing.T) {
	ogr2ogr := requireTool(t, "ogr2ogr", "gdal-bin")
	path, want := loadOSM(t)
	base := startServer(t, "--data", path, "--max-limit", "1000")
	out := filepath.Join(t.TempDir(), "copy.gpkg")
	runTool(t, ogr2ogr, "-f", "GPKG", out, "OAPIF:"+base+"/collections/osm_points", "-oo", "PAGE_SIZE=1000")
	// Read the copy back with GDAL, as CSV with the coordinates.
	csvOut := runTool(t, ogr2ogr, "-f", "CSV", "/vsistdout/", out, "-lco", "GEOMETRY=AS_XY")
	lines := strings.Split(strings.TrimSpace(csvOut), "\n")
	head := strings.Split(lines[0], ",")
	col := map[string]int{}
	for i, h := range head {
		col[strings.Trim(h, `"`)] = i
	}
	for _, need := range []string{"X", "Y", "osm_id", "highway"} {
		if _, ok := col[need]; !ok {
			t.Fatalf("copy has no column %q: %v", need, head)
		}
	}
	got := map[string]bool{}
	for _, line := range lines[1:] {
		f := strings.Split(line, ",")
		id := strings.Trim(f[col["osm_id"]], `"`)
		w, ok := want[id]
		if !ok || got[id] {
			t.Fatalf("unexpected or repeated feature %q in the copy", id)
		}
		got[id] = true
		x, _ := strconv.ParseFloat(f[col["X"]], 64)
		y, _ := strconv.ParseFloat(f[col["Y"]], 64)
		if strings.Trim(f[col["highway"]], `"`) != w.highway || math.Abs(x-w.lon) > 1e-9 || math.Abs(y-w.lat) > 1e-9 {
			t.Errorf("%s: copy has %v, want %+v", id, f, w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("copy has %d features, want %d", len(got), len(want))
	}
}

func runTool(t *testing.T, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "GDAL_HTTP_TIMEOUT=60", "CPL_DEBUG=OFF")
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("%s %v: %v\n%s", name, args, err, ee.Stderr)
		}
		t.Fatalf("%s: %v", name, err)
	}
	return string(out)
}

func fieldAfter(out, prefix string) string {
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, prefix); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}
