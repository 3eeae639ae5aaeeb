package postgis

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/storetest"
)

func FuzzNormalizeProperties(f *testing.F) {
	files, err := filepath.Glob("testdata/properties/*.json")
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds in testdata/properties: %v", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	c := storetest.Assets("fuzz", store.GeometryAny)
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := normalizeProperties(&c, in)
		if err != nil {
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if !json.Valid(p) {
			t.Fatalf("normalized %q to invalid JSON %q", in, p)
		}
		again, err := normalizeProperties(&c, p)
		if err != nil || !bytes.Equal(again, p) {
			t.Fatalf("not idempotent: %q → %q → %q (%v)", in, p, again, err)
		}
		// What jsonb gives back (keys reordered, spaces) decodes to the
		// same canonical form.
		var m map[string]json.RawMessage
		if err := json.Unmarshal(p, &m); err != nil {
			t.Fatal(err)
		}
		indented, _ := json.MarshalIndent(m, "", " ") // sorted keys
		back, err := canonicalProperties(&c, indented)
		if err != nil || !bytes.Equal(back, p) {
			t.Fatalf("canonicalProperties(%s) = %q, %v; want %q", indented, back, err, p)
		}
	})
}

// TestPropertiesThroughJSONB checks that what PostgreSQL's jsonb gives back
// is returned in the canonical form, byte for byte, for awkward values.
func TestPropertiesThroughJSONB(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	c := storetest.MustCreate(t, s, storetest.Assets("props", store.GeometryAny))
	tests := []struct {
		name   string
		values map[string]any
		want   string // when not the canonical encoding of values
	}{
		{"escapes", map[string]any{"name": "tab\there \"q\" <b>&amp; \\ \u2028 é"}, ""},
		{"big and small numbers", map[string]any{"height": 1e21, "lanes": int64(-9007199254740991)}, ""},
		{"tiny number", map[string]any{"height": 1.5e-7}, ""},
		{"largest float", map[string]any{"height": math.MaxFloat64}, ""},
		{"smallest float", map[string]any{"height": math.SmallestNonzeroFloat64}, ""},
		{"fraction", map[string]any{"height": 0.1}, ""},
		{"zero", map[string]any{"height": 0.0}, ""},
		{"negative zero", map[string]any{"height": math.Copysign(0, -1)}, `{"height":0}`}, // jsonb has no -0
		{"all types", map[string]any{"name": "n", "lanes": 3, "height": 2.5, "lit": false, "installed": "2020-02-29", "seen": "2021-06-01T12:00:00.123456789Z", "condition": "poor"}, ""},
		{"empty", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := storetest.Props(t, c, tt.values)
			r := storetest.MustApply(t, s, c.ID, store.Mutation{Op: store.OpInsert, Feature: store.Feature{Properties: p}})[0]
			f, err := s.Feature(ctx, c.ID, r.Feature.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := string(p)
			if tt.want != "" {
				want = tt.want
			}
			if string(f.Properties) != want || string(r.Feature.Properties) != want {
				t.Errorf("wrote %s: Apply returned %s, read back %s; want %s", p, r.Feature.Properties, f.Properties, want)
			}
		})
	}
}

// TestUpsertNonCanonical: properties that are not in canonical form are
// normalised, so an upsert of the same values in another order or spelling
// is unchanged.
func TestUpsertNonCanonical(t *testing.T) {
	s := mustOpen(t)
	c := storetest.MustCreate(t, s, storetest.Assets("signs", store.GeometryPoint))
	up := func(props string) store.Result {
		return storetest.MustApply(t, s, c.ID, store.Mutation{Op: store.OpUpsert, Feature: store.Feature{
			ExternalID: "x", Geometry: storetest.Point(1, 2), Properties: store.Properties(props)}})[0]
	}
	first := up(`{"name":"a","lanes":2}`)
	if first.Outcome != store.Inserted {
		t.Fatalf("first upsert %s", first.Outcome)
	}
	second := up(`{"lanes": 2.0, "name": "a", "lit": null}`)
	if second.Outcome != store.Unchanged || string(second.Feature.Properties) != `{"name":"a","lanes":2}` {
		t.Fatalf("reordered upsert: %s with %s, want unchanged with canonical properties", second.Outcome, second.Feature.Properties)
	}
}
