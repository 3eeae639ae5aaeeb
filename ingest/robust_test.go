package ingest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twpayne/go-geom"

	"github.com/cityatlas/cityatlas/geo"
	"github.com/cityatlas/cityatlas/importers"
)

// TestNestedGeometryCollection: a GeometryCollection inside another (which
// panicked the import, leaving the --create layer behind) is imported as
// one flat collection of its members.
func TestNestedGeometryCollection(t *testing.T) {
	const doc = `{"type":"FeatureCollection","features":[
{"type":"Feature","id":"a","properties":{"n":1},"geometry":{"type":"Point","coordinates":[1,2]}},
{"type":"Feature","id":"b","properties":{"n":2},"geometry":{"type":"GeometryCollection","geometries":[
  {"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]},
    {"type":"GeometryCollection","geometries":[{"type":"LineString","coordinates":[[1,2],[3,4]]}]}]},
  {"type":"Point","coordinates":[5,6]}]}}]}`
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			b := be.open(t)
			f := writeFile(t, "nested.geojson", doc)
			rep := mustRun(t, b, []string{f}, Options{Collection: "nested", Create: true})
			if rep.Inserted != 2 || rep.Rejected != 0 {
				t.Fatalf("report %+v", rep)
			}
			gc, ok := all(t, b, "nested")["b"].Geometry.(*geom.GeometryCollection)
			if !ok || gc.NumGeoms() != 3 {
				t.Fatalf("stored %#v, want a flat collection of 3", all(t, b, "nested")["b"].Geometry)
			}
			for i, want := range []string{"Point", "LineString", "Point"} {
				if got := geo.TypeName(gc.Geom(i)); got != want {
					t.Errorf("member %d is a %s, want %s", i, got, want)
				}
			}
		})
	}
}

// validityCSV has a bow-tie ring (record 1), a MultiPolygon of two
// overlapping squares (2), a square wound clockwise (3) and a line of one
// position twice (4).
const validityCSV = `id,wkt
1,"POLYGON((0 0,2 2,2 0,0 2,0 0))"
2,"MULTIPOLYGON(((0 0,2 0,2 2,0 2,0 0)),((1 1,3 1,3 3,1 3,1 1)))"
3,"POLYGON((0 0,0 1,1 1,1 0,0 0))"
4,"LINESTRING(1 1,1 1)"
`

// TestValidity: geometries that break the OGC rules are per-row errors
// naming the rule; --make-valid repairs the overlapping MultiPolygon (into
// one valid polygon of the same outline) but still refuses the bow-tie,
// whose repair would drop a lobe; a clockwise ring is rewound, counted and
// noted, not refused.
func TestValidity(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			b := be.open(t)
			f := writeFile(t, "shapes.csv", validityCSV)
			opts := Options{Collection: "shapes", Create: true, IDField: "id", SRS: "EPSG:4326"}
			rep, err := Run(context.Background(), b, []string{f}, opts)
			if !errors.Is(err, ErrRejected) || hasCollection(t, b, "shapes") {
				t.Fatalf("err %v: want the invalid rows rejected and nothing made", err)
			}
			var recs []int
			for _, p := range rep.Problems {
				recs = append(recs, p.Record)
				if !errors.Is(p, geo.ErrInvalid) || !strings.Contains(p.Error(), "--make-valid") {
					t.Errorf("problem %v: want geo.ErrInvalid, mentioning --make-valid", p)
				}
			}
			if fmt.Sprint(recs) != "[1 2 4]" || rep.Rewound != 1 {
				t.Fatalf("problems in records %v, %d rewound; want 1, 2, 4 and record 3 rewound", recs, rep.Rewound)
			}
			if !strings.Contains(strings.Join(rep.Notes, "\n"), "right-hand rule") {
				t.Errorf("no note of the rewound ring: %q", rep.Notes)
			}

			opts.MakeValid, opts.SkipInvalid = true, true
			rep, err = Run(context.Background(), b, []string{f}, opts)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Repaired != 1 || rep.Inserted != 2 || len(rep.Problems) != 2 || rep.Problems[0].Record != 1 || !errors.Is(rep.Problems[0], geo.ErrUnrepairable) {
				t.Fatalf("repaired %d, inserted %d, problems %v", rep.Repaired, rep.Inserted, rep.Problems)
			}
			got := all(t, b, "shapes")
			fixed := got["2"].Geometry
			if err := geo.CheckValid(fixed); err != nil {
				t.Fatalf("repaired geometry %v is not valid: %v", fixed, err)
			}
			if r, _ := geo.Bounds(fixed); r != [4]float64{0, 0, 3, 3} {
				t.Errorf("repaired geometry spans %v, want the squares' [0 0 3 3]", r)
			}
			sq := got["3"].Geometry.(*geom.Polygon).FlatCoords()
			if area2(sq) <= 0 {
				t.Errorf("square stored clockwise: %v", sq)
			}
		})
	}
}

// area2 is twice the signed area of a 2D ring (positive: counter-clockwise).
func area2(flat []float64) float64 {
	a := 0.0
	for i := 0; i+3 < len(flat); i += 2 {
		a += flat[i]*flat[i+3] - flat[i+2]*flat[i+1]
	}
	return a
}

// bigCSV writes a CSV of n point rows and returns its path.
func bigCSV(t *testing.T, n int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "big.csv")
	var sb strings.Builder
	sb.WriteString("asset_id,kind,lon,lat\n")
	for i := range n {
		fmt.Fprintf(&sb, "A%d,stop,%.5f,%.5f\n", i, -115.5+float64(i%1000)/1e4, 32.7+float64(i/1000)/1e4)
	}
	if err := os.WriteFile(p, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCancelledCreateLeavesNothing: an import into a new layer cancelled
// mid-way (as SIGINT or SIGTERM do) fails with the context's error and
// leaves no collection and no change-log entry.
func TestCancelledCreateLeavesNothing(t *testing.T) {
	f := bigCSV(t, 60_000)
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			b := be.open(t)
			seq := lastSeq(t, b)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			opts := Options{Collection: "cut", Create: true, IDField: "asset_id", ProgressEvery: 1,
				Progress: func(p Progress) {
					if p.Read > 0 && !p.Done {
						cancel()
					}
				}}
			_, err := Run(ctx, b, []string{f}, opts)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err %v, want context.Canceled", err)
			}
			if hasCollection(t, b, "cut") || lastSeq(t, b) != seq {
				t.Fatal("the cancelled import left something behind")
			}
		})
	}
}

// TestProblemsCapped: a file of many bad rows keeps the first 1,000 in
// the report and counts the rest.
func TestProblemsCapped(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("asset_id,kind,lon,lat\n")
	for i := range 1500 {
		fmt.Fprintf(&sb, "A%d,stop,-115.5,\n", i)
	}
	f := writeFile(t, "bad.csv", sb.String())
	b := openGPKG(t)
	rep, err := Run(context.Background(), b, []string{f}, Options{Collection: "bad", Create: true, IDField: "asset_id", SRS: "EPSG:4326"})
	if !errors.Is(err, ErrRejected) || rep.Rejected != 1500 || len(rep.Problems) != maxProblems || rep.Omitted != 500 {
		t.Fatalf("err %v, rejected %d, listed %d, omitted %d", err, rep.Rejected, len(rep.Problems), rep.Omitted)
	}
}

// TestNotRegularFile: a FIFO or a directory is refused before anything is
// read or made.
func TestNotRegularFile(t *testing.T) {
	dir := t.TempDir()
	b := openGPKG(t)
	_, err := Run(context.Background(), b, []string{dir}, Options{Collection: "x", Create: true})
	if !errors.Is(err, importers.ErrNotRegular) || hasCollection(t, b, "x") {
		t.Fatalf("a directory: %v", err)
	}
}
