package gpkg

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/twpayne/go-geom/encoding/wkb"
	"github.com/twpayne/go-geom/encoding/wkt"

	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/storetest"
)

// blobWithEnvelope is a GeoPackage geometry blob with an XY envelope of
// the point (1, 1) in its header and raw after it: the R-tree triggers
// read the envelope, so any WKB gets written, as another program might.
func blobWithEnvelope(raw []byte) []byte {
	b := []byte{'G', 'P', 0, flagLittleEndian | 1<<1}
	b = binary.LittleEndian.AppendUint32(b, srsWGS84)
	for range 4 {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(1))
	}
	return append(b, raw...)
}

// hugeLineWKB announces a line string of 2^32-1 positions and holds none:
// decoded without a bound, it asks for 64 GiB.
var hugeLineWKB = []byte{1, 2, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}

// TestCorruptBlobs: decodeGeometry refuses, without allocating for them,
// blobs that announce more than they hold, and geometries cityatlas
// cannot hold.
func TestCorruptBlobs(t *testing.T) {
	nested, err := wkt.Unmarshal("GEOMETRYCOLLECTION(POINT(0 0),GEOMETRYCOLLECTION(POINT(1 1)))")
	if err != nil {
		t.Fatal(err)
	}
	nestedWKB, err := wkb.Marshal(nested, wkb.NDR)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"huge line":         blobWithEnvelope(hugeLineWKB),
		"huge polygon":      blobWithEnvelope([]byte{1, 3, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f}),
		"huge multipoint":   blobWithEnvelope([]byte{1, 4, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}),
		"nested collection": blobWithEnvelope(nestedWKB),
		"NaN": blobWithEnvelope(binary.LittleEndian.AppendUint64(
			binary.LittleEndian.AppendUint64([]byte{1, 1, 0, 0, 0}, math.Float64bits(1)), math.Float64bits(math.Inf(1)))),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			if g, err := decodeGeometry(b); !errors.Is(err, errGeometry) {
				t.Fatalf("decodeGeometry = %v, %v; want errGeometry", g, err)
			}
		})
	}
}

// TestQuarantine: rows that another program wrote into the store's file
// (a corrupt blob that used to make serve allocate 93 GB and die, a nested
// collection, a text in an integer column) are quarantined when the index
// is built: store.Open serves the rest, counts them and logs their ids,
// and they can still be fixed or deleted through the store.
func TestQuarantine(t *testing.T) {
	ctx := context.Background()
	s, _ := MustOpen(t)
	c := storetest.MustCreate(t, s, storetest.Assets("things", store.GeometryAny))
	var ms []store.Mutation
	for i := range 5 {
		ms = append(ms, store.Mutation{Op: store.OpInsert, Feature: store.Feature{
			Geometry: storetest.Point(float64(i), 1), Properties: storetest.Props(t, c, map[string]any{"lanes": i})}})
	}
	rs := storetest.MustApply(t, s, c.ID, ms...)
	id := func(i int) int64 { return rs[i].Feature.ID }

	nested, err := wkt.Unmarshal("GEOMETRYCOLLECTION(POINT(0 0),GEOMETRYCOLLECTION(POINT(1 1)))")
	if err != nil {
		t.Fatal(err)
	}
	nestedWKB, err := wkb.Marshal(nested, wkb.NDR)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{"UPDATE things SET geom = ? WHERE fid = ?", []any{blobWithEnvelope(hugeLineWKB), id(1)}},
		{"UPDATE things SET geom = ? WHERE fid = ?", []any{blobWithEnvelope(nestedWKB), id(2)}},
		{"UPDATE things SET lanes = 'many' WHERE fid = ?", []any{id(3)}},
	} {
		if _, err := s.w.ExecContext(ctx, q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	if _, err := s.Feature(ctx, c.ID, id(1)); !errors.Is(err, store.ErrBadData) {
		t.Errorf("Feature of the corrupt row: %v, want ErrBadData", err)
	}
	if err := s.Scan(ctx, c.ID, func(store.Feature) error { return nil }); !errors.Is(err, store.ErrBadData) {
		t.Errorf("Scan: %v, want ErrBadData", err)
	}

	var logs bytes.Buffer
	st, err := store.Open(ctx, s, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	ci, err := st.Collection(c.ID)
	if err != nil || ci.Count != 2 {
		t.Fatalf("collection: %d features (%v), want the 2 good ones", ci.Count, err)
	}
	for _, i := range []int{0, 4} {
		if _, err := st.Feature(c.ID, id(i)); err != nil {
			t.Errorf("good feature %d: %v", id(i), err)
		}
	}
	want := []store.Quarantine{{Collection: c.ID, Count: 3, Sample: []int64{id(1), id(2), id(3)}}}
	if got := st.Quarantined(); !equalQuarantine(got, want) {
		t.Errorf("Quarantined = %+v, want %+v", got, want)
	}
	for _, i := range []int{1, 2, 3} {
		if !strings.Contains(logs.String(), "collection=things id="+strconv.FormatInt(id(i), 10)) {
			t.Errorf("no warning names feature %d:\n%s", id(i), logs.String())
		}
	}

	// Fixed through the store, the corrupt one comes back; deleted, the
	// nested one is gone from the count.
	fixed, err := st.Apply(ctx, c.ID, []store.Mutation{
		{Op: store.OpUpdate, Feature: store.Feature{ID: id(1), Geometry: storetest.Point(9, 9), Properties: storetest.Props(t, c, nil)}},
		{Op: store.OpDelete, Feature: store.Feature{ID: id(2)}},
	}, "fixer")
	if err != nil {
		t.Fatalf("fixing the quarantined features: %v", err)
	}
	if got := fixed[0].Feature; !got.Created.Equal(rs[1].Feature.Created) || got.Version != rs[1].Feature.Version+1 {
		t.Errorf("fixed feature created %v version %d, want %v and %d", got.Created, got.Version, rs[1].Feature.Created, rs[1].Feature.Version+1)
	}
	if _, err := st.Feature(c.ID, id(1)); err != nil {
		t.Errorf("fixed feature: %v", err)
	}
	want = []store.Quarantine{{Collection: c.ID, Count: 1, Sample: []int64{id(3)}}}
	if got := st.Quarantined(); !equalQuarantine(got, want) {
		t.Errorf("after the fix Quarantined = %+v, want %+v", got, want)
	}
}

func equalQuarantine(a, b []store.Quarantine) bool {
	return slices.EqualFunc(a, b, func(x, y store.Quarantine) bool {
		return x.Collection == y.Collection && x.Count == y.Count && slices.Equal(x.Sample, y.Sample)
	})
}

// TestQuarantineCollection: a collection whose stored definition another
// program broke is left out, whole, and the other collections are served.
func TestQuarantineCollection(t *testing.T) {
	ctx := context.Background()
	s, _ := MustOpen(t)
	good := storetest.MustCreate(t, s, storetest.Assets("good", store.GeometryPoint))
	storetest.MustCreate(t, s, storetest.Assets("broken", store.GeometryPoint))
	storetest.MustApply(t, s, good.ID, store.Mutation{Op: store.OpInsert, Feature: store.Feature{Geometry: storetest.Point(1, 1)}})
	if _, err := s.w.ExecContext(ctx, "UPDATE cityatlas_collections SET meta = '{\"collection\":' WHERE id = 'broken'"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Collections(ctx); !errors.Is(err, store.ErrBadData) {
		t.Errorf("Collections: %v, want ErrBadData", err)
	}
	var logs bytes.Buffer
	st, err := store.Open(ctx, s, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	if cs := st.Collections(); len(cs) != 1 || cs[0].ID != "good" || cs[0].Count != 1 {
		t.Errorf("collections %+v, want good with its feature", cs)
	}
	q := st.Quarantined()
	if len(q) != 1 || q[0].Collection != "broken" || !q[0].Unreadable {
		t.Errorf("Quarantined = %+v, want broken, unreadable", q)
	}
	if !strings.Contains(logs.String(), "collection=broken") {
		t.Errorf("no error names the collection:\n%s", logs.String())
	}
}
