package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/cityatlas/cityatlas/store"
)

// testSchemaChanges: fields are added and dropped in place, in one
// transaction with the writes that need them; a dropped field's values go
// (the features that had one move on a version, the old one in their
// history), an instance following the log reads the collection again, and
// a change that fails changes nothing.
func testSchemaChanges(t *testing.T, b store.Backend) {
	ctx := context.Background()
	if _, ok := b.(store.SchemaChanger); !ok {
		t.Fatalf("%T does not implement store.SchemaChanger", b)
	}
	c := MustCreate(t, b, Assets("schema", store.GeometryPoint))
	rs := MustApply(t, b, c.ID,
		insert(store.Feature{Geometry: Point(1, 1), Properties: Props(t, c, map[string]any{"name": "one", "lanes": 2})}),
		insert(store.Feature{Geometry: Point(2, 2), Properties: Props(t, c, map[string]any{"lanes": 4})}),
		insert(store.Feature{Geometry: Point(3, 3), Properties: Props(t, c, map[string]any{"name": "three"})}))
	st, err := store.Open(ctx, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	follower, err := store.Open(ctx, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := b.LastSeq(ctx)

	// Add two fields, drop one, and write a feature with a new one: one
	// transaction.
	change := store.FieldChange{
		Add:  []store.Field{{Name: "ward", Type: store.TypeInteger, Title: "Ward"}, {Name: "note", Type: store.TypeString}},
		Drop: []string{"lanes"},
	}
	wanted, err := store.ChangedFields(c, change)
	if err != nil {
		t.Fatal(err)
	}
	var results []store.Result
	got, err := st.ChangeFields(ctx, c.ID, change, store.Stream([]store.Mutation{
		insert(store.Feature{ExternalID: "new", Geometry: Point(4, 4), Properties: Props(t, wanted, map[string]any{"ward": 7, "note": "added with its field"})}),
	}, nil), "schema-test", func(r store.Result) error { results = append(results, r); return nil })
	if err != nil {
		t.Fatal(err)
	}
	names := func(c store.Collection) []string {
		var out []string
		for _, f := range c.Fields {
			out = append(out, f.Name)
		}
		return out
	}
	want := []string{"name", "height", "lit", "installed", "seen", "condition", "ward", "note"}
	if !slices.Equal(names(got), want) || got.Fields[6].Title != "Ward" {
		t.Fatalf("fields after the change: %v, want %v", names(got), want)
	}
	if len(results) != 1 || results[0].Outcome != store.Inserted {
		t.Fatalf("results of the writes with the change: %+v", results)
	}
	chs, err := b.Changes(ctx, before, 0)
	if err != nil || len(chs) != 2 || chs[0].Op != store.OpSchema || chs[0].Actor != "schema-test" || chs[0].FeatureID != 0 || chs[1].Op != store.OpInsert {
		t.Fatalf("change log of the change: %+v, %v", chs, err)
	}
	wantProps := map[int64]struct {
		props   string
		version int64
	}{
		rs[0].Feature.ID:      {`{"name":"one"}`, 2},
		rs[1].Feature.ID:      {`{}`, 2},
		rs[2].Feature.ID:      {`{"name":"three"}`, 1},
		results[0].Feature.ID: {`{"ward":7,"note":"added with its field"}`, 1},
	}
	check := func(who string, read func(id int64) (store.Feature, error)) {
		t.Helper()
		for id, w := range wantProps {
			f, err := read(id)
			if err != nil || string(f.Properties) != w.props || f.Version != w.version {
				t.Errorf("%s: feature %d: version %d %s (%v), want version %d %s", who, id, f.Version, f.Properties, err, w.version, w.props)
			}
		}
	}
	check("backend", func(id int64) (store.Feature, error) { return b.Feature(ctx, c.ID, id) })
	check("index", func(id int64) (store.Feature, error) { return st.Feature(c.ID, id) })
	if err := follower.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	check("follower", func(id int64) (store.Feature, error) { return follower.Feature(c.ID, id) })
	if ci, err := follower.Collection(c.ID); err != nil || !slices.Equal(names(ci.Collection), want) || ci.Count != 4 {
		t.Errorf("follower's collection: %v, %d features (%v)", names(ci.Collection), ci.Count, err)
	}
	if h, ok := b.(store.Historian); ok {
		vs, err := h.History(ctx, c.ID, rs[0].Feature.ID, 0, 0)
		if err != nil || len(vs) == 0 {
			t.Fatalf("history of a feature that lost a value: %+v, %v", vs, err)
		}
		if lanes, ok := vs[0].Properties.Get("lanes"); !ok || lanes.Int() != 2 {
			t.Errorf("its first version lost the dropped value: %s", vs[0].Properties)
		}
	}
	// The dropped field can come back, with another type and no values.
	back, err := st.ChangeFields(ctx, c.ID, store.FieldChange{Add: []store.Field{{Name: "lanes", Type: store.TypeString}}}, nil, "schema-test", nil)
	if err != nil || back.Fields[len(back.Fields)-1].Name != "lanes" {
		t.Fatalf("re-adding lanes: %v, %v", names(back), err)
	}
	if f, err := b.Feature(ctx, c.ID, rs[1].Feature.ID); err != nil || string(f.Properties) != `{}` {
		t.Errorf("the re-added field has a value: %s, %v", f.Properties, err)
	}

	// Changes that fail change nothing.
	stable, _ := b.LastSeq(ctx)
	bad := errors.New("the file broke")
	for name, tc := range map[string]struct {
		change store.FieldChange
		next   func() (store.Mutation, error)
		want   error
	}{
		"empty":                {store.FieldChange{}, nil, store.ErrInvalid},
		"field exists":         {store.FieldChange{Add: []store.Field{{Name: "ward", Type: store.TypeString}}}, nil, store.ErrInvalid},
		"reserved name":        {store.FieldChange{Add: []store.Field{{Name: "geom", Type: store.TypeString}}}, nil, store.ErrInvalid},
		"bad type":             {store.FieldChange{Add: []store.Field{{Name: "odd", Type: "colour"}}}, nil, store.ErrInvalid},
		"drop a missing field": {store.FieldChange{Drop: []string{"nothing"}}, nil, store.ErrInvalid},
		"drop the time field":  {store.FieldChange{Drop: []string{"installed"}}, nil, store.ErrInvalid},
		"a write that fails":   {store.FieldChange{Add: []store.Field{{Name: "extra", Type: store.TypeInteger}}, Drop: []string{"note"}}, store.Stream([]store.Mutation{{Op: store.OpUpdate, Feature: store.Feature{ID: 1 << 40}}}, nil), store.ErrNotFound},
		"a stream that fails":  {store.FieldChange{Add: []store.Field{{Name: "extra", Type: store.TypeInteger}}}, store.Stream(nil, bad), bad},
		"a missing collection": {store.FieldChange{Add: []store.Field{{Name: "extra", Type: store.TypeInteger}}}, nil, store.ErrNotFound},
	} {
		coll := c.ID
		if name == "a missing collection" {
			coll = "no_such_collection"
		}
		_, _, err := b.(store.SchemaChanger).ChangeFields(ctx, coll, tc.change, tc.next, "schema-test", nil)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	cs, err := b.Collections(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range cs {
		if got.ID == c.ID && fmt.Sprint(names(got)) != fmt.Sprint(names(back)) {
			t.Errorf("fields after the failed changes: %v, want %v", names(got), names(back))
		}
	}
	if last, _ := b.LastSeq(ctx); last != stable {
		t.Errorf("the failed changes wrote the change log: seq %d, was %d", last, stable)
	}
	if f, err := b.Feature(ctx, c.ID, results[0].Feature.ID); err != nil || string(f.Properties) != `{"ward":7,"note":"added with its field"}` {
		t.Errorf("after the failed changes: %s, %v", f.Properties, err)
	}
}
