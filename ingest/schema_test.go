package ingest

import (
	"testing"

	"github.com/cityatlas/cityatlas/importers"
	"github.com/cityatlas/cityatlas/store"
)

func TestSanitize(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"spaces", "LANDMARK NAME", "landmark_name"},
		{"punctuation", "Date Built (yr.)", "date_built_yr"},
		{"leading digit", "2020 count", "_2020_count"},
		{"reserved", "ID", "id_1"},
		{"reserved geometry", "Geometry", "geometry_1"},
		{"accents", "Année Répar.", "annee_repar"},
		{"osm", "@id", "id_1"},
		{"empty", "", "field"},
		{"only symbols", "%%%", "field"},
		{"already fine", "asset_id", "asset_id"},
		{"long", "a123456789b123456789c123456789d123456789e123456789f123456789g123456789", "a123456789b123456789c123456789d123456789e123456789f123456789g12"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Sanitize(tc.in)
			if got != tc.want {
				t.Errorf("Sanitize(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if !store.ValidFieldName(got) || reserved[got] {
				t.Errorf("Sanitize(%q) = %q is not a usable property name", tc.in, got)
			}
		})
	}
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"LANDMARK NAME", "@id", "2020", "ID", "Année", "", "a_b__c_", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Sanitize(s)
		if !store.ValidFieldName(got) || reserved[got] {
			t.Fatalf("Sanitize(%q) = %q: not a usable property name", s, got)
		}
		if again := Sanitize(got); again != got {
			t.Fatalf("Sanitize is not idempotent: %q -> %q -> %q", s, got, again)
		}
	})
}

func TestSchemaFor(t *testing.T) {
	names := []string{"a.csv", "b.csv"}
	fields := [][]importers.Field{
		{{Name: "Name", Type: "string"}, {Name: "Count", Type: "integer"}, {Name: "drop me", Type: "string"}, {Name: "When", Type: "date"}},
		{{Name: "Count", Type: "number"}, {Name: "name", Type: "string"}, {Name: "When", Type: "datetime"}},
	}
	fs, plans, renames, err := schemaFor(names, fields, map[string]string{"drop me": ""})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Field{{Name: "name", Type: "string"}, {Name: "count", Type: "number"}, {Name: "when", Type: "datetime"}, {Name: "name_2", Type: "string"}}
	if len(fs) != len(want) {
		t.Fatalf("fields %v, want %v", fs, want)
	}
	for i := range want {
		if fs[i].Name != want[i].Name || fs[i].Type != want[i].Type {
			t.Errorf("field %d: %v, want %v", i, fs[i], want[i])
		}
	}
	if plans[0].target["drop me"] != "" || plans[1].target["Count"] != "count" || plans[1].target["name"] != "name_2" {
		t.Errorf("plans %v", plans)
	}
	if len(renames) != 4 {
		t.Errorf("renames %v", renames)
	}
	if _, _, _, err := schemaFor(names, fields, map[string]string{"Name": "id"}); err == nil {
		t.Error("mapping onto a reserved name was accepted")
	}
}

func TestGeometryFor(t *testing.T) {
	cases := []struct {
		name  string
		types []string
		want  store.GeometryType
	}{
		{"one", []string{"Point"}, store.GeometryPoint},
		{"single and multi", []string{"Polygon", "MultiPolygon"}, store.GeometryMultiPolygon},
		{"families", []string{"Point", "LineString"}, store.GeometryAny},
		{"none", []string{""}, store.GeometryAny},
		{"mixed reader", []string{"Geometry"}, store.GeometryAny},
		{"with an empty file", []string{"", "LineString"}, store.GeometryLineString},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := geometryFor(tc.types); got != tc.want {
				t.Errorf("geometryFor(%q) = %s, want %s", tc.types, got, tc.want)
			}
		})
	}
}

func TestBoxContains(t *testing.T) {
	fiji := box{b: [4]float64{176, -20, -178, -15}}
	maine, _ := areaBox([4]float64{-70.03, 43.88, -66.91, 47.47}, "Maine East")
	cases := []struct {
		name string
		x    box
		r    [4]float64
		want bool
	}{
		{"inside", maine, [4]float64{-68.8, 44.8, -68.7, 44.9}, true},
		{"within the margin", maine, [4]float64{-70.9, 44, -70.9, 44}, true},
		{"gulf of st lawrence", maine, [4]float64{-60.4, 47.1, -60.4, 47.1}, false},
		{"straddles", maine, [4]float64{-69, 44, -60, 44}, false},
		{"across the antimeridian", fiji, [4]float64{178, -18, 179, -17}, true},
		{"east of it", fiji, [4]float64{-177, -18, -177, -17}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.x.contains(tc.r); got != tc.want {
				t.Errorf("contains(%v) = %v, want %v", tc.r, got, tc.want)
			}
		})
	}
	if _, ok := areaBox([4]float64{-180, -90, 180, 90}, "WGS 84"); ok {
		t.Error("the whole world made a sanity box")
	}
}
