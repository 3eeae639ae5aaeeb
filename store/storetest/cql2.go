package storetest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/twpayne/go-geom"

	"github.com/cityatlas/cityatlas/cql2"
	"github.com/cityatlas/cityatlas/store"
)

// cql2Fixtures are features with known answers to the filters of testCQL2.
func cql2Fixtures(t *testing.T, c store.Collection) []store.Feature {
	line := geom.NewLineStringFlat(geom.XY, []float64{-1, -1, 2, 2}).SetSRID(4326)
	square := geom.NewPolygonFlat(geom.XY, []float64{0, 0, 4, 0, 4, 4, 0, 4, 0, 0}, []int{10}).SetSRID(4326)
	f := func(g geom.T, p map[string]any) store.Feature {
		return store.Feature{Geometry: g, Properties: Props(t, c, p)}
	}
	return []store.Feature{
		f(Point(1, 1), map[string]any{"name": "Stop A", "lanes": 2, "height": 2.1, "lit": true, "installed": "1995-05-01", "seen": "2020-01-01T10:00:00Z", "condition": "poor", "tags": []any{"school", "flashing"}}),
		f(Point(10, 10), map[string]any{"name": "Stop B", "lanes": 4, "height": 1.8, "lit": false, "installed": "2005-01-01", "seen": "2021-06-01T00:00:00Z", "condition": "good", "tags": []any{"school"}}),
		f(line, map[string]any{"name": "Straße Ünter", "height": 2.5, "lit": true, "installed": "1999-12-31", "condition": "poor", "tags": []any{}}),
		f(square, map[string]any{"name": "Imperial Tower", "lanes": 10, "condition": "fair", "tags": `["tower", 5, true]`}),
		f(Point(20, 20), map[string]any{"name": "Impala", "condition": "good"}),
	}
}

// testCQL2 runs a filter of every CQL2 class through the index of a store
// on this backend and checks the features each selects, counts and stats.
func testCQL2(t *testing.T, b store.Backend) {
	ctx := context.Background()
	coll := Assets("cql2", store.GeometryAny)
	coll.Fields = append(coll.Fields, store.Field{Name: "tags", Type: store.TypeArray})
	c := MustCreate(t, b, coll)
	var ms []store.Mutation
	for _, f := range cql2Fixtures(t, c) {
		ms = append(ms, insert(f))
	}
	MustApply(t, b, c.ID, ms...)
	s, err := store.Open(ctx, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		filter string
		want   []string
	}{
		{"condition = 'poor' AND installed < DATE('2000-01-01')", []string{"Stop A", "Straße Ünter"}},
		{"lanes >= 4 OR lit = false", []string{"Stop B", "Imperial Tower"}},
		{"lanes IS NULL", []string{"Straße Ünter", "Impala"}},
		{"NOT (condition = 'good')", []string{"Stop A", "Straße Ünter", "Imperial Tower"}},
		{"name LIKE 'Imp%'", []string{"Imperial Tower", "Impala"}},
		{"height BETWEEN 2 AND 3", []string{"Stop A", "Straße Ünter"}},
		{"condition IN ('fair', 'good') AND lanes IN (4, 10)", []string{"Stop B", "Imperial Tower"}},
		{"CASEI(name) LIKE CASEI('%TOWER')", []string{"Imperial Tower"}},
		{"ACCENTI(CASEI(name)) = ACCENTI(CASEI('STRASSE UNTER'))", []string{"Straße Ünter"}},
		{"S_INTERSECTS(geometry, POLYGON((0 0, 3 0, 3 3, 0 3, 0 0)))", []string{"Stop A", "Straße Ünter", "Imperial Tower"}},
		{"S_WITHIN(geometry, BBOX(5, 5, 25, 25))", []string{"Stop B", "Impala"}},
		{"S_CONTAINS(geometry, POINT(3 3))", []string{"Imperial Tower"}},
		{"S_CROSSES(geometry, LINESTRING(0 2, 2 0))", []string{"Straße Ünter"}},
		{"S_TOUCHES(geometry, LINESTRING(4 0, 4 4))", []string{"Imperial Tower"}},
		{"S_DISJOINT(geometry, BBOX(-2, -2, 5, 5))", []string{"Stop B", "Impala"}},
		{"S_EQUALS(geometry, POINT(10 10))", []string{"Stop B"}},
		{"S_OVERLAPS(geometry, POLYGON((2 2, 6 2, 6 6, 2 6, 2 2)))", []string{"Imperial Tower"}},
		{"T_BEFORE(installed, DATE('2000-01-01'))", []string{"Stop A", "Straße Ünter"}},
		{"T_DURING(seen, INTERVAL('2020-01-01T00:00:00Z', '2020-12-31T00:00:00Z'))", []string{"Stop A"}},
		{"T_INTERSECTS(INTERVAL(installed, seen), INTERVAL('2021-01-01', '..'))", []string{"Stop B"}},
		{"lanes * 2 > height + 5", []string{"Stop B"}}, // Imperial Tower has no height: unknown
		{"height > lanes", []string{"Stop A"}},
		{"A_OVERLAPS((condition, name), ('fair', 'Impala'))", []string{"Imperial Tower", "Impala"}},
		{"A_CONTAINS(tags, ('school'))", []string{"Stop A", "Stop B"}},
		{"A_CONTAINEDBY(tags, ('school', 'flashing', 'x'))", []string{"Stop A", "Stop B", "Straße Ünter"}},
		{"A_EQUALS(tags, ('school'))", []string{"Stop B"}},
		{"A_EQUALS(tags, ('flashing', 'school'))", []string{}},
		{"A_OVERLAPS(tags, ('flashing', 5))", []string{"Stop A", "Imperial Tower"}},
		{"NOT A_OVERLAPS(tags, ('school'))", []string{"Straße Ünter", "Imperial Tower"}},
		{"A_CONTAINS(tags, (true, 5.0)) AND tags IS NOT NULL", []string{"Imperial Tower"}},
		{"tags IS NULL", []string{"Impala"}},
	} {
		e, err := cql2.ParseText(tc.filter)
		if err != nil {
			t.Fatalf("%s: %v", tc.filter, err)
		}
		page, err := s.Items(ctx, c.ID, store.Filter{Where: e})
		if err != nil {
			t.Errorf("%s: %v", tc.filter, err)
			continue
		}
		got := []string{}
		for _, f := range page.Features {
			r, _ := f.Properties.Get("name")
			got = append(got, r.String())
		}
		if !slices.Equal(got, tc.want) || page.Matched != len(tc.want) {
			t.Errorf("%s: got %v (matched %d), want %v", tc.filter, got, page.Matched, tc.want)
		}
		// A backend that translates the filter (PostGIS) agrees; one that
		// does not take it (GeoPackage) says so.
		if fs, matched, err := b.Query(ctx, c.ID, store.Query{Where: e}); err == nil {
			var names []string
			for _, f := range fs {
				r, _ := f.Properties.Get("name")
				names = append(names, r.String())
			}
			if matched != len(tc.want) || !slices.Equal(names, tc.want) && len(tc.want) > 0 {
				t.Errorf("%s: backend's Query %v (%d), want %v", tc.filter, names, matched, tc.want)
			}
		} else if !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: backend's Query: %v", tc.filter, err)
		}
		n, err := s.Count(ctx, c.ID, store.Filter{Where: e})
		if err != nil || n != len(tc.want) {
			t.Errorf("%s: Count %d, %v; want %d", tc.filter, n, err, len(tc.want))
		}
		total, _, err := s.Stats(ctx, c.ID, store.Filter{Where: e}, "condition")
		if err != nil || total != len(tc.want) {
			t.Errorf("%s: Stats %d, %v; want %d", tc.filter, total, err, len(tc.want))
		}
	}
	// The filter and a bbox together; then paging.
	e, _ := cql2.ParseText("S_INTERSECTS(geometry, BBOX(0, 0, 30, 30)) AND condition <> 'poor'")
	bb := [4]float64{5, 5, 30, 30}
	page, err := s.Items(ctx, c.ID, store.Filter{Where: e, BBox: &bb, Limit: 1, Offset: 1})
	if err != nil || page.Matched != 2 || len(page.Features) != 1 {
		t.Errorf("filter, bbox and paging: %+v, %v", page, err)
	}
	// Sorting: several keys, descending, nulls last ascending and first
	// descending, id last; with a filter and paging.
	cond := func(e string) cql2.Expr { x, _ := cql2.ParseText(e); return x }
	for _, tc := range []struct {
		f    store.Filter
		want []string
	}{
		{store.Filter{SortBy: []store.SortKey{{Name: "condition"}, {Name: "installed", Desc: true}}},
			[]string{"Imperial Tower", "Impala", "Stop B", "Straße Ünter", "Stop A"}},
		{store.Filter{SortBy: []store.SortKey{{Name: "lanes", Desc: true}}},
			[]string{"Straße Ünter", "Impala", "Imperial Tower", "Stop B", "Stop A"}},
		{store.Filter{SortBy: []store.SortKey{{Name: "name"}}, Where: cond("condition <> 'poor'"), Offset: 1, Limit: 2},
			[]string{"Imperial Tower", "Stop B"}},
		{store.Filter{SortBy: []store.SortKey{{Name: "id", Desc: true}}, BBox: &[4]float64{0, 0, 30, 30}, Limit: 2},
			[]string{"Impala", "Imperial Tower"}},
	} {
		page, err := s.Items(ctx, c.ID, tc.f)
		if err != nil {
			t.Fatalf("sort %v: %v", tc.f.SortBy, err)
		}
		got := []string{}
		for _, f := range page.Features {
			r, _ := f.Properties.Get("name")
			got = append(got, r.String())
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("sort %v: got %v, want %v", tc.f.SortBy, got, tc.want)
		}
	}
	if _, err := s.Items(ctx, c.ID, store.Filter{SortBy: []store.SortKey{{Name: "colour"}}}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("sort by an unknown property: %v", err)
	}
	// Unknown properties and mismatched comparisons are ErrInvalid naming
	// the property.
	for filter, name := range map[string]string{"colour = 'red'": "colour", "lanes = 'two'": "lanes", "S_INTERSECTS(name, POINT(0 0))": "name"} {
		e, _ := cql2.ParseText(filter)
		_, err := s.Items(ctx, c.ID, store.Filter{Where: e})
		if !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), `"`+name+`"`) {
			t.Errorf("%s: %v, want ErrInvalid naming %q", filter, err, name)
		}
	}
}
