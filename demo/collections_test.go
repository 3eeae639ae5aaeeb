package demo

import (
	"testing"

	"github.com/cityatlas/cityatlas/store"
)

func TestCollections(t *testing.T) {
	cols := Collections()
	want := []string{StopSigns, TrafficSignals, Parks, WifiTowers}
	if len(cols) != len(want) {
		t.Fatalf("%d collections, want %d", len(cols), len(want))
	}
	for k, c := range cols {
		t.Run(want[k], func(t *testing.T) {
			if c.ID != want[k] {
				t.Fatalf("collection %d is %q, want %q", k, c.ID, want[k])
			}
			if err := store.ValidateCollection(&c); err != nil {
				t.Fatalf("ValidateCollection: %v", err)
			}
			if c.Title == "" || c.Description == "" || c.License == "" || len(c.Keywords) == 0 {
				t.Errorf("title, description, license or keywords missing: %+v", c)
			}
			if c.TimeField == "" {
				t.Error("no time field")
			}
			for _, name := range []string{"name", "status"} {
				if _, ok := c.Field(name); !ok {
					t.Errorf("no %q field", name)
				}
			}
			for _, f := range c.Fields {
				if f.Title == "" {
					t.Errorf("field %q has no title", f.Name)
				}
				if len(f.Values) > 0 && f.Type != store.TypeString {
					t.Errorf("field %q enumerates values but is a %s", f.Name, f.Type)
				}
			}
		})
	}
	cols[0].Fields[0].Name = "changed"
	for _, c := range cols {
		for _, f := range c.Fields {
			for k := range f.Values {
				f.Values[k] = "changed"
			}
		}
	}
	for _, c := range Collections() {
		for _, f := range c.Fields {
			if f.Name == "changed" || len(f.Values) > 0 && f.Values[0] == "changed" {
				t.Fatalf("Collections shares field %q between calls", f.Name)
			}
		}
	}
}
