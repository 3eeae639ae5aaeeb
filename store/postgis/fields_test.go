package postgis

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/storetest"
)

// TestAppendFieldsMatchesValues: the staged load's COPY encoding of
// properties straight from their JSON (appendFields) is the encoding of
// their values (values, appendBinary) that the other write paths use.
func TestAppendFieldsMatchesValues(t *testing.T) {
	spec := storetest.Assets("fields", store.GeometryPoint)
	spec.Fields = append(spec.Fields, store.Field{Name: "tags", Type: store.TypeArray})
	c := &spec
	for _, m := range []map[string]any{
		nil,
		{"name": "Main & 1st \u00e9", "lanes": -3, "height": 1e-7, "lit": false, "installed": "1850-02-28",
			"seen": "2024-03-02T10:11:12.345678Z", "condition": "poor", "tags": []any{"a", 1.5, true}},
		{"lanes": 9007199254740993, "seen": "1969-12-31T23:59:59.999999Z"},
		{"tags": []any{}, "lit": true},
		{"height": -0.0, "installed": "2000-01-01"},
	} {
		p := storetest.Props(t, *c, m)
		vals, err := values(c, p)
		if err != nil {
			t.Fatal(err)
		}
		var want []byte
		for i, x := range vals {
			want = appendBinary(want, c.Fields[i].Type, x)
		}
		got, err := appendFields(nil, c, p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\nappendFields %x\nvalues       %x", p, got, want)
		}
	}
}

// TestStagedLoadTypes: every field type goes through the staged load's
// binary COPY and reads back as it was written.
func TestStagedLoadTypes(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	s.stageMin = 50
	spec := storetest.Assets("typed", store.GeometryPoint)
	spec.Fields = append(spec.Fields, store.Field{Name: "tags", Type: store.TypeArray})
	c := storetest.MustCreate(t, s, spec)
	var ms []store.Mutation
	for i := range 120 {
		p := storetest.Props(t, c, map[string]any{"name": fmt.Sprint("n\u00e9 ", i), "lanes": i - 60, "height": float64(i) / 7,
			"lit": i%2 == 0, "installed": fmt.Sprintf("%04d-03-0%d", 1800+i, 1+i%9), "seen": fmt.Sprintf("2024-03-02T10:11:%02d.%06dZ", i%60, i*1001),
			"condition": []string{"good", "fair", "poor"}[i%3], "tags": []any{i, "x"}})
		if i%10 == 0 {
			p = storetest.Props(t, c, nil)
		}
		ms = append(ms, store.Mutation{Op: store.OpUpsert, Feature: store.Feature{ExternalID: fmt.Sprint("t", i), Geometry: storetest.Point(1, 1), Properties: p}})
	}
	var ids []int64
	if err := s.ApplyStream(ctx, c.ID, store.Stream(ms, nil), "loader", func(r store.Result) error {
		ids = append(ids, r.Feature.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if chs, err := s.Changes(ctx, 0, 0); err != nil || chs[len(chs)-1].Op != store.OpLoad {
		t.Fatalf("not a staged load: %+v, %v", chs, err)
	}
	for i, id := range ids {
		f, err := s.Feature(ctx, c.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(f.Properties, ms[i].Feature.Properties) {
			t.Errorf("feature %d: %s, want %s", i, f.Properties, ms[i].Feature.Properties)
		}
	}
}
