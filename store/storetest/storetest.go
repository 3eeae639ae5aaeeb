// Package storetest is the conformance suite that every store.Backend must
// pass. A backend's own test calls Run with a function that opens a fresh,
// empty backend.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/twpayne/go-geom"

	"github.com/cityatlas/cityatlas/store"
)

// Opener returns a new, empty backend. It registers its own cleanup with
// t.Cleanup.
type Opener func(t *testing.T) store.Backend

// Run runs the whole conformance suite against backends made by open.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, b store.Backend)
	}{
		{"Collections", testCollections},
		{"InsertAndRead", testInsertAndRead},
		{"Update", testUpdate},
		{"Upsert", testUpsert},
		{"Delete", testDelete},
		{"Conflicts", testConflicts},
		{"NotFound", testNotFound},
		{"GeometryTypeRefused", testGeometryTypeRefused},
		{"UnstorableRefused", testUnstorableRefused},
		{"UnholdablePropertiesRefused", testUnholdablePropertiesRefused},
		{"PagingOrder", testPagingOrder},
		{"BBoxQuery", testBBoxQuery},
		{"ChangeLog", testChangeLog},
		{"GeometryRoundTrip", testGeometryRoundTrip},
		{"FailedBatchLeavesNothing", testFailedBatch},
		{"IDsUniqueAcrossCollections", testIDsUnique},
		{"DeleteCollection", testDeleteCollection},
		{"Extent", testExtent},
		{"Index", testIndex},
		{"Antimeridian", testAntimeridian},
		{"CQL2", testCQL2},
		{"Sync", testSync},
		{"ConcurrentReaders", testConcurrentReaders},
		{"History", testHistory},
		{"Keys", testKeys},
		{"Private", testPrivate},
		{"Metadata", testMetadata},
		{"SyncCollection", testSyncCollection},
		{"RenameCollection", testRenameCollection},
		{"SchemaChanges", testSchemaChanges},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, open(t))
		})
	}
	t.Run("Snapshot", func(t *testing.T) { testSnapshot(t, open) })
}

// Assets is the schema the suite writes with.
func Assets(id string, g store.GeometryType) store.Collection {
	return store.Collection{
		ID:       id,
		Title:    "Test " + id,
		Geometry: g,
		Fields: []store.Field{
			{Name: "name", Type: store.TypeString},
			{Name: "lanes", Type: store.TypeInteger},
			{Name: "height", Type: store.TypeNumber},
			{Name: "lit", Type: store.TypeBoolean},
			{Name: "installed", Type: store.TypeDate},
			{Name: "seen", Type: store.TypeDateTime},
			{Name: "condition", Type: store.TypeString, Values: []string{"good", "fair", "poor"}},
		},
		License:   "CC0-1.0",
		Keywords:  []string{"test"},
		TimeField: "installed",
	}
}

// MustCreate creates collection c or fails the test.
func MustCreate(tb testing.TB, b store.Backend, c store.Collection) store.Collection {
	tb.Helper()
	got, err := b.CreateCollection(context.Background(), c)
	if err != nil {
		tb.Fatalf("CreateCollection(%s): %v", c.ID, err)
	}
	return got
}

// Props encodes values for c or fails the test.
func Props(tb testing.TB, c store.Collection, values map[string]any) store.Properties {
	tb.Helper()
	p, err := store.EncodeProperties(&c, values)
	if err != nil {
		tb.Fatalf("EncodeProperties: %v", err)
	}
	return p
}

// Point returns a 2D point geometry.
func Point(lon, lat float64) geom.T {
	return geom.NewPointFlat(geom.XY, []float64{lon, lat}).SetSRID(4326)
}

// MustApply applies ms or fails the test.
func MustApply(tb testing.TB, b store.Backend, coll string, ms ...store.Mutation) []store.Result {
	tb.Helper()
	rs, err := b.Apply(context.Background(), coll, ms, "storetest")
	if err != nil {
		tb.Fatalf("Apply(%s): %v", coll, err)
	}
	if len(rs) != len(ms) {
		tb.Fatalf("Apply returned %d results for %d mutations", len(rs), len(ms))
	}
	return rs
}

func insert(f store.Feature) store.Mutation { return store.Mutation{Op: store.OpInsert, Feature: f} }

func testCollections(t *testing.T, b store.Backend) {
	ctx := context.Background()
	c := Assets("stop_signs", store.GeometryPoint)
	got := MustCreate(t, b, c)
	if got.Created.IsZero() {
		t.Error("Created not set")
	}
	alpha := Assets("alpha", store.GeometryPolygon)
	alpha.Role = store.RoleBoundary
	MustCreate(t, b, alpha)
	if _, err := b.CreateCollection(ctx, c); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate collection: err = %v, want ErrConflict", err)
	}
	bad := c
	bad.ID = "Bad Name"
	if _, err := b.CreateCollection(ctx, bad); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("bad id: err = %v, want ErrInvalid", err)
	}
	badRole := Assets("beta", store.GeometryPoint)
	badRole.Role = "streets"
	if _, err := b.CreateCollection(ctx, badRole); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("unknown role: err = %v, want ErrInvalid", err)
	}
	cs, err := b.Collections(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].ID != "alpha" || cs[1].ID != "stop_signs" {
		t.Fatalf("Collections = %v, want alpha, stop_signs", ids(cs))
	}
	if cs[0].Role != store.RoleBoundary || cs[1].Role != store.RoleAsset {
		t.Errorf("roles = %q, %q; want boundary and none", cs[0].Role, cs[1].Role)
	}
	s := cs[1]
	if s.Title != c.Title || s.Geometry != c.Geometry || s.License != c.License ||
		s.TimeField != c.TimeField || !reflect.DeepEqual(s.Keywords, c.Keywords) ||
		!reflect.DeepEqual(s.Fields, c.Fields) {
		t.Errorf("collection round trip:\n got %+v\nwant %+v", s, c)
	}
}

func ids(cs []store.Collection) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

func testInsertAndRead(t *testing.T, b store.Backend) {
	ctx := context.Background()
	c := MustCreate(t, b, Assets("signs", store.GeometryPoint))
	p := Props(t, c, map[string]any{
		"name": `Stop "A" & <B>`, "lanes": int64(4), "height": 2.25, "lit": true,
		"installed": "2019-04-30", "seen": "2024-01-02T03:04:05.5Z", "condition": "good",
	})
	before := time.Now().Add(-time.Minute)
	rs := MustApply(t, b, c.ID, insert(store.Feature{ExternalID: "S-1", Geometry: Point(-115.5694, 32.8476), Properties: p}))
	r := rs[0]
	if r.Outcome != store.Inserted || r.Feature.ID <= 0 || r.Feature.Version != 1 || r.Seq <= 0 {
		t.Fatalf("insert result = %+v", r)
	}
	if r.Feature.Created.Before(before) || !r.Feature.Updated.Equal(r.Feature.Created) {
		t.Errorf("times: created %v updated %v", r.Feature.Created, r.Feature.Updated)
	}
	f, err := b.Feature(ctx, c.ID, r.Feature.ID)
	if err != nil {
		t.Fatal(err)
	}
	if f.Collection != c.ID || f.ExternalID != "S-1" || f.Version != 1 || string(f.Properties) != string(p) {
		t.Errorf("Feature = %+v, props %s; want props %s", f, f.Properties, p)
	}
	if !f.Created.Equal(r.Feature.Created) {
		t.Errorf("created %v, Apply said %v", f.Created, r.Feature.Created)
	}
	assertSameGeom(t, f.Geometry, Point(-115.5694, 32.8476))
	// Empty properties and no geometry.
	rs = MustApply(t, b, c.ID, insert(store.Feature{Properties: Props(t, c, nil)}))
	f, err = b.Feature(ctx, c.ID, rs[0].Feature.ID)
	if err != nil {
		t.Fatal(err)
	}
	if f.Geometry != nil || string(f.Properties) != "{}" || f.ExternalID != "" {
		t.Errorf("empty feature read back as geometry %v, properties %s, external id %q", f.Geometry, f.Properties, f.ExternalID)
	}
}

func testUpdate(t *testing.T, b store.Backend) {
	ctx := context.Background()
	c := MustCreate(t, b, Assets("signs", store.GeometryPoint))
	r := MustApply(t, b, c.ID, insert(store.Feature{Geometry: Point(1, 2), Properties: Props(t, c, map[string]any{"name": "a"})}))[0]
	time.Sleep(5 * time.Millisecond)
	upd := store.Feature{ID: r.Feature.ID, Geometry: Point(3, 4), Properties: Props(t, c, map[string]any{"name": "b"})}
	u := MustApply(t, b, c.ID, store.Mutation{Op: store.OpUpdate, Feature: upd, IfVersion: 1})[0]
	if u.Outcome != store.Updated || u.Feature.Version != 2 || u.Feature.ID != r.Feature.ID {
		t.Fatalf("update result %+v", u)
	}
	if !u.Feature.Updated.After(r.Feature.Updated) || !u.Feature.Created.Equal(r.Feature.Created) {
		t.Errorf("update times: created %v→%v updated %v→%v", r.Feature.Created, u.Feature.Created, r.Feature.Updated, u.Feature.Updated)
	}
	f, err := b.Feature(ctx, c.ID, r.Feature.ID)
	if err != nil {
		t.Fatal(err)
	}
	if f.Version != 2 || string(f.Properties) != `{"name":"b"}` {
		t.Errorf("after update: version %d props %s", f.Version, f.Properties)
	}
	assertSameGeom(t, f.Geometry, Point(3, 4))
	// A stale version is a conflict and changes nothing.
	_, err = b.Apply(ctx, c.ID, []store.Mutation{{Op: store.OpUpdate, Feature: upd, IfVersion: 1}}, "x")
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale IfVersion: err = %v, want ErrConflict", err)
	}
	// No IfVersion: unconditional.
	u = MustApply(t, b, c.ID, store.Mutation{Op: store.OpUpdate, Feature: upd})[0]
	if u.Feature.Version != 3 {
		t.Errorf("unconditional update: version %d, want 3", u.Feature.Version)
	}
}

func testUpsert(t *testing.T, b store.Backend) {
	ctx := context.Background()
	c := MustCreate(t, b, Assets("signs", store.GeometryPoint))
	f := store.Feature{ExternalID: "EXT-7", Geometry: Point(10, 20), Properties: Props(t, c, map[string]any{"name": "x", "lanes": 2})}
	up := func(f store.Feature) store.Result {
		return MustApply(t, b, c.ID, store.Mutation{Op: store.OpUpsert, Feature: f})[0]
	}
	r1 := up(f)
	if r1.Outcome != store.Inserted || r1.Feature.Version != 1 {
		t.Fatalf("first upsert %+v", r1)
	}
	seq, err := b.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r2 := up(f)
	if r2.Outcome != store.Unchanged || r2.Feature.ID != r1.Feature.ID || r2.Feature.Version != 1 || r2.Seq != 0 {
		t.Fatalf("identical upsert %+v, want unchanged", r2)
	}
	if s, _ := b.LastSeq(ctx); s != seq {
		t.Errorf("unchanged upsert wrote to the change log: seq %d → %d", seq, s)
	}
	f.Properties = Props(t, c, map[string]any{"name": "x", "lanes": 3})
	r3 := up(f)
	if r3.Outcome != store.Updated || r3.Feature.ID != r1.Feature.ID || r3.Feature.Version != 2 {
		t.Fatalf("changed upsert %+v", r3)
	}
	f.Geometry = geom.NewPointFlat(geom.XYZ, []float64{10, 20, 5})
	r4 := up(f)
	if r4.Outcome != store.Updated || r4.Feature.Version != 3 {
		t.Fatalf("upsert with only Z changed: %+v, want updated", r4)
	}
	_, n, err := b.Query(ctx, c.ID, store.Query{})
	if err != nil || n != 1 {
		t.Errorf("after upserts: %d features (%v), want 1", n, err)
	}
}

func testDelete(t *testing.T, b store.Backend) {
	ctx := context.Background()
	c := MustCreate(t, b, Assets("signs", store.GeometryPoint))
	r := MustApply(t, b, c.ID, insert(store.Feature{Geometry: Point(1, 1), Properties: Props(t, c, nil)}))[0]
	_, err := b.Apply(ctx, c.ID, []store.Mutation{{Op: store.OpDelete, Feature: store.Feature{ID: r.Feature.ID}, IfVersion: 9}}, "x")
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("delete with stale version: %v, want ErrConflict", err)
	}
	d := MustApply(t, b, c.ID, store.Mutation{Op: store.OpDelete, Feature: store.Feature{ID: r.Feature.ID}, IfVersion: 1})[0]
	if d.Outcome != store.Deleted || d.Feature.ID != r.Feature.ID || d.Seq <= r.Seq {
		t.Errorf("delete result %+v", d)
	}
	if _, err := b.Feature(ctx, c.ID, r.Feature.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("read after delete: %v, want ErrNotFound", err)
	}
	_, err = b.Apply(ctx, c.ID, []store.Mutation{{Op: store.OpDelete, Feature: store.Feature{ID: r.Feature.ID}}}, "x")
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second delete: %v, want ErrNotFound", err)
	}
}

func testConflicts(t *testing.T, b store.Backend) {
	ctx := context.Background()
	c := MustCreate(t, b, Assets("signs", store.GeometryPoint))
	MustApply(t, b, c.ID, insert(store.Feature{ExternalID: "dup", Geometry: Point(0, 0), Properties: Props(t, c, nil)}))
	_, err := b.Apply(ctx, c.ID, []store.Mutation{insert(store.Feature{ExternalID: "dup", Geometry: Point(1, 1), Properties: Props(t, c, nil)})}, "x")
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate external id: %v, want ErrConflict", err)
	}
	// The same external id in another collection is fine.
	c2 := MustCreate(t, b, Assets("other", store.GeometryPoint))
	MustApply(t, b, c2.ID, insert(store.Feature{ExternalID: "dup", Geometry: Point(0, 0), Properties: Props(t, c2, nil)}))
}

func testNotFound(t *testing.T, b store.Backend) {
	ctx := context.Background()
	c := MustCreate(t, b, Assets("signs", store.GeometryPoint))
	if _, err := b.Feature(ctx, c.ID, 424242); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing feature: %v", err)
	}
	if _, err := b.Feature(ctx, "nope", 1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing collection Feature: %v", err)
	}
	if _, _, err := b.Query(ctx, "nope", store.Query{}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing collection Query: %v", err)
	}
	if err := b.Scan(ctx, "nope", func(store.Feature) error { return nil }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing collection Scan: %v", err)
	}
	_, err := b.Apply(ctx, "nope", []store.Mutation{insert(store.Feature{Geometry: Point(0, 0), Properties: Props(t, c, nil)})}, "x")
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing collection Apply: %v", err)
	}
	_, err = b.Apply(ctx, c.ID, []store.Mutation{{Op: store.OpUpdate, Feature: store.Feature{ID: 999999, Geometry: Point(0, 0), Properties: Props(t, c, nil)}}}, "x")
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update missing feature: %v", err)
	}
	// A feature of another collection is not found through this one.
	c2 := MustCreate(t, b, Assets("other", store.GeometryPoint))
	r := MustApply(t, b, c2.ID, insert(store.Feature{Geometry: Point(0, 0), Properties: Props(t, c2, nil)}))[0]
	if _, err := b.Feature(ctx, c.ID, r.Feature.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("feature of another collection: %v", err)
	}
}

func testGeometryTypeRefused(t *testing.T, b store.Backend) {
	ctx := context.Background()
	c := MustCreate(t, b, Assets("parks", store.GeometryPolygon))
	_, err := b.Apply(ctx, c.ID, []store.Mutation{insert(store.Feature{Geometry: Point(0, 0), Properties: Props(t, c, nil)})}, "x")
	if !errors.Is(err, store.ErrInvalid) {
		t.Errorf("point into polygon collection: %v, want ErrInvalid", err)
	}
	mp := geom.NewMultiPolygonFlat(geom.XY, []float64{0, 0, 1, 0, 1, 1, 0, 0}, [][]int{{8}})
	MustApply(t, b, c.ID, insert(store.Feature{Geometry: mp, Properties: Props(t, c, nil)}))
}

func testPagingOrder(t *testing.T, b store.Backend) {
	ctx := context.Background()
	c := MustCreate(t, b, Assets("signs", store.GeometryPoint))
	var ms []store.Mutation
	for i := range 25 {
		ms = append(ms, insert(store.Feature{ExternalID: fmt.Sprint("p", i), Geometry: Point(float64(i), 0), Properties: Props(t, c, map[string]any{"lanes": i})}))
	}
	rs := MustApply(t, b, c.ID, ms...)
	var want []int64
	for i, r := range rs {
		if i > 0 && r.Feature.ID <= rs[i-1].Feature.ID {
			t.Fatalf("ids not increasing in batch order: %d then %d", rs[i-1].Feature.ID, r.Feature.ID)
		}
		want = append(want, r.Feature.ID)
	}
	var got []int64
	for off := 0; ; off += 10 {
		fs, n, err := b.Query(ctx, c.ID, store.Query{Limit: 10, Offset: off})
		if err != nil {
			t.Fatal(err)
		}
		if n != 25 {
			t.Fatalf("matched %d, want 25", n)
		}
		if len(fs) == 0 {
			break
		}
		for _, f := range fs {
			got = append(got, f.ID)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("paged ids %v, want %v", got, want)
	}
	var scanned []int64
	err := b.Scan(ctx, c.ID, func(f store.Feature) error { scanned = append(scanned, f.ID); return nil })
	if err != nil || !slices.Equal(scanned, want) {
		t.Errorf("Scan ids %v (%v), want %v", scanned, err, want)
	}
	stop := errors.New("stop")
	n := 0
	err = b.Scan(ctx, c.ID, func(store.Feature) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("Scan did not stop at the first error: %v after %d calls", err, n)
	}
}

func testBBoxQuery(t *testing.T, b store.Backend) {
	ctx := context.Background()
	c := MustCreate(t, b, Assets("things", store.GeometryAny))
	line := geom.NewLineStringFlat(geom.XY, []float64{0, 0, 10, 10})
	// A polygon with a hole covering (4..6, 4..6).
	holed := geom.NewPolygonFlat(geom.XY, []float64{0, 0, 10, 0, 10, 10, 0, 10, 0, 0, 4, 4, 4, 6, 6, 6, 6, 4, 4, 4}, []int{10, 20})
	rs := MustApply(t, b, c.ID,
		insert(store.Feature{Geometry: Point(5, 5), Properties: Props(t, c, nil)}),
		insert(store.Feature{Geometry: line, Properties: Props(t, c, nil)}),
		insert(store.Feature{Geometry: holed, Properties: Props(t, c, nil)}),
		insert(store.Feature{Geometry: Point(20, 20), Properties: Props(t, c, nil)}),
	)
	pt, ln, poly, far := rs[0].Feature.ID, rs[1].Feature.ID, rs[2].Feature.ID, rs[3].Feature.ID
	cases := []struct {
		name string
		bbox [4]float64
		want []int64
	}{
		{"all", [4]float64{-1, -1, 21, 21}, []int64{pt, ln, poly, far}},
		{"inside hole, off the line", [4]float64{4.5, 5.2, 4.8, 5.8}, nil},
		{"inside hole, on point", [4]float64{4.9, 4.9, 5.1, 5.1}, []int64{pt, ln}},
		{"corner of line bbox only", [4]float64{8, 0.5, 9.5, 1.5}, []int64{poly}},
		{"far point edge", [4]float64{20, 20, 30, 30}, []int64{far}},
		{"nothing", [4]float64{50, 50, 60, 60}, nil},
	}
	for _, tc := range cases {
		bb := tc.bbox
		fs, n, err := b.Query(ctx, c.ID, store.Query{BBox: &bb})
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, f := range fs {
			got = append(got, f.ID)
		}
		if !slices.Equal(got, tc.want) || n != len(tc.want) {
			t.Errorf("%s: bbox %v got %v (matched %d), want %v", tc.name, tc.bbox, got, n, tc.want)
		}
	}
}

func testChangeLog(t *testing.T, b store.Backend) {
	ctx := context.Background()
	c := MustCreate(t, b, Assets("signs", store.GeometryPoint))
	start, err := b.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r := MustApply(t, b, c.ID, insert(store.Feature{Geometry: Point(0, 0), Properties: Props(t, c, nil)}))[0]
	id := r.Feature.ID
	if _, err := b.Apply(ctx, c.ID, []store.Mutation{{Op: store.OpUpdate, Feature: store.Feature{ID: id, Geometry: Point(1, 1), Properties: Props(t, c, nil)}}}, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Apply(ctx, c.ID, []store.Mutation{{Op: store.OpDelete, Feature: store.Feature{ID: id}}}, "bob"); err != nil {
		t.Fatal(err)
	}
	chs, err := b.Changes(ctx, start, 100)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		op      store.Op
		version int64
		actor   string
	}{{store.OpInsert, 1, "storetest"}, {store.OpUpdate, 2, "alice"}, {store.OpDelete, 2, "bob"}}
	if len(chs) != len(want) {
		t.Fatalf("%d changes after seq %d, want 3: %+v", len(chs), start, chs)
	}
	for i, ch := range chs {
		if ch.Op != want[i].op || ch.Version != want[i].version || ch.Actor != want[i].actor ||
			ch.FeatureID != id || ch.Collection != c.ID || ch.Time.IsZero() || ch.Seq <= start {
			t.Errorf("change %d = %+v, want %+v", i, ch, want[i])
		}
		if i > 0 && ch.Seq <= chs[i-1].Seq {
			t.Errorf("seqs not increasing: %d then %d", chs[i-1].Seq, ch.Seq)
		}
	}
	if chs[0].Seq != r.Seq {
		t.Errorf("insert result seq %d, change log says %d", r.Seq, chs[0].Seq)
	}
	last, _ := b.LastSeq(ctx)
	if last != chs[2].Seq {
		t.Errorf("LastSeq %d, want %d", last, chs[2].Seq)
	}
	some, err := b.Changes(ctx, chs[0].Seq, 1)
	if err != nil || len(some) != 1 || some[0].Seq != chs[1].Seq {
		t.Errorf("Changes(after first, limit 1) = %+v, %v", some, err)
	}
}

// Geometries returns one geometry of every type, in 2D and with Z.
func Geometries() map[string]geom.T {
	ring := []float64{0, 0, 4, 0, 4, 4, 0, 4, 0, 0}
	hole := []float64{1, 1, 1, 2, 2, 2, 2, 1, 1, 1}
	z := func(flat []float64) []float64 {
		var out []float64
		for i := 0; i < len(flat); i += 2 {
			out = append(out, flat[i], flat[i+1], float64(i)+0.5)
		}
		return out
	}
	poly := append(append([]float64{}, ring...), hole...)
	gs := map[string]geom.T{
		"Point":           geom.NewPointFlat(geom.XY, []float64{-115.5694, 32.8476}),
		"LineString":      geom.NewLineStringFlat(geom.XY, []float64{0, 0, 1, 1, 2, 0}),
		"Polygon":         geom.NewPolygonFlat(geom.XY, poly, []int{10, 20}),
		"MultiPoint":      geom.NewMultiPointFlat(geom.XY, []float64{0, 0, 1, 1}),
		"MultiLineString": geom.NewMultiLineStringFlat(geom.XY, []float64{0, 0, 1, 1, 5, 5, 6, 6}, []int{4, 8}),
		"MultiPolygon":    geom.NewMultiPolygonFlat(geom.XY, append(append([]float64{}, poly...), 10, 10, 11, 10, 11, 11, 10, 10), [][]int{{10, 20}, {28}}),
		"PointZ":          geom.NewPointFlat(geom.XYZ, []float64{-115.5694, 32.8476, 12.5}),
		"LineStringZ":     geom.NewLineStringFlat(geom.XYZ, z([]float64{0, 0, 1, 1, 2, 0})),
		"PolygonZ":        geom.NewPolygonFlat(geom.XYZ, z(poly), []int{15, 30}),
		"MultiPointZ":     geom.NewMultiPointFlat(geom.XYZ, z([]float64{0, 0, 1, 1})),
		"MultiPolygonZ":   geom.NewMultiPolygonFlat(geom.XYZ, z(ring), [][]int{{15}}),
	}
	gc := geom.NewGeometryCollection()
	if err := gc.Push(geom.NewPointFlat(geom.XY, []float64{1, 2}), geom.NewLineStringFlat(geom.XY, []float64{0, 0, 3, 3})); err != nil {
		panic(err)
	}
	gs["GeometryCollection"] = gc
	for _, g := range gs {
		setSRID(g)
	}
	return gs
}

func setSRID(g geom.T) {
	switch g := g.(type) {
	case *geom.Point:
		g.SetSRID(4326)
	case *geom.LineString:
		g.SetSRID(4326)
	case *geom.Polygon:
		g.SetSRID(4326)
	case *geom.MultiPoint:
		g.SetSRID(4326)
	case *geom.MultiLineString:
		g.SetSRID(4326)
	case *geom.MultiPolygon:
		g.SetSRID(4326)
	case *geom.GeometryCollection:
		g.SetSRID(4326)
	}
}

func testGeometryRoundTrip(t *testing.T, b store.Backend) {
	ctx := context.Background()
	c := MustCreate(t, b, Assets("any", store.GeometryAny))
	names := make([]string, 0)
	for n := range Geometries() {
		names = append(names, n)
	}
	slices.Sort(names)
	gs := Geometries()
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			r := MustApply(t, b, c.ID, insert(store.Feature{Geometry: gs[name], Properties: Props(t, c, nil)}))[0]
			f, err := b.Feature(ctx, c.ID, r.Feature.ID)
			if err != nil {
				t.Fatal(err)
			}
			assertSameGeom(t, f.Geometry, gs[name])
		})
	}
}

// assertSameGeom fails unless got and want have the same type, layout and
// coordinates.
func assertSameGeom(t *testing.T, got, want geom.T) {
	t.Helper()
	if got == nil {
		t.Fatalf("geometry is nil, want %T", want)
	}
	if reflect.TypeOf(got) != reflect.TypeOf(want) {
		t.Fatalf("geometry type %T, want %T", got, want)
	}
	if got.Layout() != want.Layout() {
		t.Fatalf("layout %v, want %v", got.Layout(), want.Layout())
	}
	if gc, ok := want.(*geom.GeometryCollection); ok {
		g2 := got.(*geom.GeometryCollection)
		if g2.NumGeoms() != gc.NumGeoms() {
			t.Fatalf("collection of %d, want %d", g2.NumGeoms(), gc.NumGeoms())
		}
		for i := range gc.NumGeoms() {
			assertSameGeom(t, g2.Geom(i), gc.Geom(i))
		}
		return
	}
	if !slices.Equal(got.FlatCoords(), want.FlatCoords()) || !slices.Equal(got.Ends(), want.Ends()) || !reflect.DeepEqual(got.Endss(), want.Endss()) {
		t.Fatalf("coordinates %v %v %v, want %v %v %v", got.FlatCoords(), got.Ends(), got.Endss(), want.FlatCoords(), want.Ends(), want.Endss())
	}
}

func testFailedBatch(t *testing.T, b store.Backend) {
	ctx := context.Background()
	c := MustCreate(t, b, Assets("signs", store.GeometryPoint))
	first := MustApply(t, b, c.ID, insert(store.Feature{ExternalID: "keep", Geometry: Point(1, 1), Properties: Props(t, c, map[string]any{"name": "kept"})}))[0]
	seq, _ := b.LastSeq(ctx)
	var ms []store.Mutation
	for i := range 50 {
		ms = append(ms, insert(store.Feature{ExternalID: fmt.Sprint("new", i), Geometry: Point(2, 2), Properties: Props(t, c, nil)}))
	}
	ms = append(ms, store.Mutation{Op: store.OpUpdate, Feature: store.Feature{ID: first.Feature.ID, Geometry: Point(9, 9), Properties: Props(t, c, nil)}})
	ms = append(ms, store.Mutation{Op: store.OpUpsert, Feature: store.Feature{ExternalID: "keep", Geometry: Point(8, 8), Properties: Props(t, c, nil)}})
	ms = append(ms, insert(store.Feature{ExternalID: "new3", Geometry: Point(3, 3), Properties: Props(t, c, nil)})) // duplicate in the batch
	_, err := b.Apply(ctx, c.ID, ms, "x")
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("batch with a duplicate external id: %v, want ErrConflict", err)
	}
	fs, n, err := b.Query(ctx, c.ID, store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 || len(fs) != 1 || fs[0].Version != 1 || string(fs[0].Properties) != `{"name":"kept"}` {
		t.Fatalf("after a failed batch: %d features %+v, want only the first, unchanged", n, fs)
	}
	assertSameGeom(t, fs[0].Geometry, Point(1, 1))
	if s, _ := b.LastSeq(ctx); s != seq {
		t.Errorf("failed batch wrote to the change log: seq %d → %d", seq, s)
	}
	// The failure may not poison later writes.
	MustApply(t, b, c.ID, insert(store.Feature{ExternalID: "after", Geometry: Point(3, 3), Properties: Props(t, c, nil)}))
}

func testIDsUnique(t *testing.T, b store.Backend) {
	a := MustCreate(t, b, Assets("a", store.GeometryPoint))
	c := MustCreate(t, b, Assets("c", store.GeometryPoint))
	seen := map[int64]bool{}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 20 {
		coll := a
		if rng.IntN(2) == 0 {
			coll = c
		}
		r := MustApply(t, b, coll.ID, insert(store.Feature{Geometry: Point(float64(i), 0), Properties: Props(t, coll, nil)}))[0]
		if seen[r.Feature.ID] {
			t.Fatalf("id %d given twice", r.Feature.ID)
		}
		seen[r.Feature.ID] = true
	}
}

func testDeleteCollection(t *testing.T, b store.Backend) {
	ctx := context.Background()
	c := MustCreate(t, b, Assets("gone", store.GeometryPoint))
	MustApply(t, b, c.ID, insert(store.Feature{Geometry: Point(0, 0), Properties: Props(t, c, nil)}))
	if err := b.DeleteCollection(ctx, c.ID, "test"); err != nil {
		t.Fatal(err)
	}
	if err := b.DeleteCollection(ctx, c.ID, "test"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second delete: %v, want ErrNotFound", err)
	}
	cs, _ := b.Collections(ctx)
	if len(cs) != 0 {
		t.Errorf("collections after delete: %v", ids(cs))
	}
	// The id can be used again, empty.
	MustCreate(t, b, c)
	if _, n, err := b.Query(ctx, c.ID, store.Query{}); err != nil || n != 0 {
		t.Errorf("recreated collection has %d features (%v)", n, err)
	}
}

// testExtent: a backend that gives extents (store.Extenter) gives the
// extent of the features it holds: none for an empty collection, the
// bounds of every geometry (points, a polygon, Z ignored) otherwise.
func testExtent(t *testing.T, b store.Backend) {
	e, ok := b.(store.Extenter)
	if !ok {
		t.Skip("no Extent")
	}
	ctx := context.Background()
	c := MustCreate(t, b, Assets("extent", store.GeometryAny))
	if _, has, err := e.Extent(ctx, c.ID); err != nil || has {
		t.Fatalf("empty collection: has %v, %v", has, err)
	}
	MustApply(t, b, c.ID,
		insert(store.Feature{Geometry: Point(-115.6, 32.8)}),
		insert(store.Feature{Geometry: geom.NewPointFlat(geom.XYZ, []float64{-115.4, 32.9, 100}).SetSRID(4326)}),
		insert(store.Feature{Geometry: geom.NewPolygonFlat(geom.XY, []float64{-115.7, 32.6, -115.5, 32.6, -115.5, 32.7, -115.7, 32.6}, []int{8}).SetSRID(4326)}),
		insert(store.Feature{}))
	box, has, err := e.Extent(ctx, c.ID)
	want := [4]float64{-115.7, 32.6, -115.4, 32.9}
	for i := range box {
		// GeoPackage R-trees hold 32-bit floats, rounded outwards.
		outwards := i < 2 && box[i] <= want[i] || i >= 2 && box[i] >= want[i]
		if !outwards || math.Abs(box[i]-want[i]) > 1e-5 {
			has = false
		}
	}
	if err != nil || !has {
		t.Errorf("Extent = %v, %v; want %v", box, err, want)
	}
	if _, _, err := e.Extent(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Extent of a missing collection: %v, want ErrNotFound", err)
	}
}
