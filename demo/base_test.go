package demo

import (
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/cityatlas/cityatlas/geo"
	"github.com/cityatlas/cityatlas/store"
)

func TestBaseCollections(t *testing.T) {
	roles := map[string]store.Role{}
	for _, c := range BaseCollections() {
		if err := store.ValidateCollection(&c); err != nil {
			t.Errorf("%s: %v", c.ID, err)
		}
		roles[c.ID] = c.Role
	}
	if roles[Streets] != store.RoleBase || roles[CityLimitsLayer] != store.RoleBoundary || roles[PlacesLayer] != store.RoleBase {
		t.Errorf("roles = %v", roles)
	}
}

// TestGenerateBase checks the streets against the assets: every stop
// sign's street and cross street is a street of the layer, every street
// lies in the city limits, and the same options give the same streets.
func TestGenerateBase(t *testing.T) {
	opts := Options{Seed: 1, Scale: 1}
	cols := map[string]*store.Collection{}
	base := BaseCollections()
	for k := range base {
		cols[base[k].ID] = &base[k]
	}
	limits, err := CityLimits(opts)
	if err != nil {
		t.Fatal(err)
	}
	lim, err := geo.ToOrb(limits)
	if err != nil {
		t.Fatal(err)
	}
	bound := lim.Bound().Pad(1e-6)
	names := map[string]int{}
	counts := map[string]int{}
	var first []byte
	err = GenerateBase(opts, func(col string, f store.Feature) error {
		counts[col]++
		vals, err := f.Properties.Values(cols[col])
		if err != nil {
			t.Fatalf("%s %s: %v", col, f.ExternalID, err)
		}
		if col != Streets {
			return nil
		}
		if first == nil {
			first = append([]byte(nil), f.Properties...)
		}
		names[vals["name"].(string)]++
		g, err := geo.ToOrb(f.Geometry)
		if err != nil {
			t.Fatal(err)
		}
		ls := g.(orb.LineString)
		if len(ls) < 5 || !bound.Contains(ls[0]) || !bound.Contains(ls[len(ls)-1]) {
			t.Errorf("%s: %d points from %v to %v, outside the limits %v", f.ExternalID, len(ls), ls[0], ls[len(ls)-1], bound)
		}
		if pci := vals["pci"].(int64); pci < 0 || pci > 100 || pciRating(int(pci)) != vals["pavement_condition"] {
			t.Errorf("%s: pci %d rated %v", f.ExternalID, pci, vals["pavement_condition"])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if counts[Streets] < 100 || counts[CityLimitsLayer] != 1 || counts[PlacesLayer] != len(Places()) {
		t.Fatalf("counts = %v", counts)
	}
	if names["Imperial Ave"] == 0 || names["Barioni Blvd"] == 0 {
		t.Errorf("no Imperial Ave or Barioni Blvd among %d street names", len(names))
	}
	stops := collect(t, opts)[StopSigns]
	for _, s := range stops {
		for _, k := range []string{"street", "cross_street"} {
			if names[s.vals[k].(string)] == 0 {
				t.Fatalf("stop sign %s: %s %q is no street of the layer", s.id, k, s.vals[k])
			}
		}
	}
	if a := planar.Area(lim); a <= 0 {
		t.Errorf("limits area %v", a)
	}
	var again []byte
	_ = GenerateBase(opts, func(col string, f store.Feature) error {
		if again == nil && col == Streets {
			again = f.Properties
		}
		return nil
	})
	if string(again) != string(first) {
		t.Errorf("GenerateBase is not deterministic:\n%s\n%s", first, again)
	}
}
