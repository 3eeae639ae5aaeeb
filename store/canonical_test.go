package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

var canonicalColl = Collection{ID: "c", Fields: []Field{
	{Name: "a_name", Type: TypeString},
	{Name: "kind", Type: TypeString, Values: []string{"stop", "yield"}},
	{Name: "year", Type: TypeInteger},
	{Name: "height", Type: TypeNumber},
	{Name: "ok", Type: TypeBoolean},
	{Name: "built", Type: TypeDate},
	{Name: "seen", Type: TypeDateTime},
}}

// TestCanonicalOfEncoded: what EncodeProperties writes is known canonical
// unless a string needs escapes.
func TestCanonicalOfEncoded(t *testing.T) {
	for _, vals := range []map[string]any{
		nil,
		{"a_name": "Main St #12"},
		{"kind": "stop", "year": int64(-2001), "height": 2.5, "ok": false},
		{"year": int64(0), "height": 1e21, "built": "2024-02-29", "seen": "2024-02-29T10:00:00.5Z"},
		{"height": -0.0, "ok": true, "a_name": ""},
		{"height": 123456789.125, "year": int64(999999999999999999)},
	} {
		p, err := EncodeProperties(&canonicalColl, vals)
		if err != nil {
			t.Fatal(err)
		}
		if !Canonical(&canonicalColl, p) {
			t.Errorf("Canonical(%s) = false", p)
		}
	}
	for _, p := range []string{
		`{"a_name":"x<y"}`,                     // encoding/json writes \u003c
		`{"a_name":"caf\u00e9"}`,               // an escape
		`{"year":2001,"a_name":"x"}`,           // out of schema order
		`{"year":2001,"year":2002}`,            // repeated
		`{"other":1}`,                          // not in the schema
		`{"year":02001}`,                       // leading zero
		`{"year":-0}`,                          // negative zero
		`{"height":2.50}`,                      // not the shortest form
		`{"height":-0}`,                        // negative zero
		`{"kind":"merge"}`,                     // not among the values
		`{"built":"2023-02-29"}`,               // no such day
		`{"seen":"2024-02-29T10:00:00+01:00"}`, // not in UTC
		`{"ok":null}`,                          // nulls are left out
		`{"year":1,}`, `{"year":1`, `{}x`, `{"year" :1}`, `{"year":1 }`,
	} {
		if Canonical(&canonicalColl, []byte(p)) {
			t.Errorf("Canonical(%s) = true", p)
		}
	}
}

// FuzzCanonical: whatever Canonical accepts, EncodeProperties writes back
// byte for byte from its decoded values.
func FuzzCanonical(f *testing.F) {
	for _, s := range []string{`{}`, `{"a_name":"x","kind":"stop","year":12,"height":0.1,"ok":true,"built":"2001-01-01","seen":"2001-01-01T00:00:00Z"}`,
		`{"height":1e+21}`, `{"height":-0}`, `{"year":-5}`, `{"built":"2000-02-29"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		if !Canonical(&canonicalColl, p) {
			return
		}
		var vals map[string]any
		d := json.NewDecoder(bytes.NewReader(p))
		d.UseNumber()
		if err := d.Decode(&vals); err != nil {
			t.Fatalf("Canonical(%s) but it does not decode: %v", p, err)
		}
		for k, v := range vals {
			if s, ok := v.(string); ok {
				if f, _ := canonicalColl.Field(k); f.Type == TypeDateTime {
					if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
						t.Fatalf("Canonical(%s) took date-time %q", p, s)
					}
				}
			}
		}
		again, err := EncodeProperties(&canonicalColl, vals)
		if err != nil || !bytes.Equal(again, p) {
			t.Fatalf("Canonical(%s) but EncodeProperties gives %s, %v", p, again, err)
		}
	})
}

// TestPlainDecimal: what plainDecimal accepts, FormatFloat writes as it
// is, and it accepts the usual short decimals.
func TestPlainDecimal(t *testing.T) {
	for _, s := range []string{"0", "1", "-1", "11.7", "2.5", "0.5", "-0.25", "0.0001", "999999", "123456.789", "0.123456789012345", "32.669603", "-115.7247"} {
		if !plainDecimal([]byte(s)) {
			t.Errorf("plainDecimal(%s) = false", s)
		}
	}
	for _, s := range []string{"-0", "00", "01.5", "1.50", "1.", ".5", "0.00001", "1000000", "1e5", "1.2345678901234567", "+1", "--1", "1-", ""} {
		if plainDecimal([]byte(s)) {
			t.Errorf("plainDecimal(%s) = true", s)
		}
	}
}

// FuzzPlainDecimal: plainDecimal(s) means FormatFloat(ParseFloat(s)) == s.
func FuzzPlainDecimal(f *testing.F) {
	for _, s := range []string{"0", "11.7", "0.0001", "999999.5", "-3.25", "0.1234567890123"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !plainDecimal([]byte(s)) {
			return
		}
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("plainDecimal(%q) but ParseFloat: %v", s, err)
		}
		if got := strconv.FormatFloat(x, 'g', -1, 64); got != s {
			t.Fatalf("plainDecimal(%q) but FormatFloat gives %q", s, got)
		}
	})
}

// TestPropertiesBounds: properties too long or nested too deep are
// refused before anything parses them, and an encoding past
// MaxPropertiesBytes is refused by EncodeProperties.
func TestPropertiesBounds(t *testing.T) {
	deep := []byte(`{"a_name":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}`)
	for _, tc := range []struct {
		name string
		p    []byte
		ok   bool
	}{
		{"flat", []byte(`{"a_name":"x","year":1}`), true},
		{"an array value", []byte(`{"a_name":[1,2]}`), true}, // refused by name later
		{"brackets in a string", []byte(`{"a_name":"[[[{{{"}`), true},
		{"escaped quote in a string", []byte(`{"a_name":"\"[[[["}`), true},
		{"nested arrays", []byte(`{"a_name":[[1]]}`), false},
		{"deep", deep, false},
		{"too long", []byte(`{"a_name":"` + strings.Repeat("x", 2*MaxPropertiesBytes) + `"}`), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckPropertiesJSON(tc.p)
			if tc.ok != (err == nil) || (err != nil && !errors.Is(err, ErrInvalid)) {
				t.Errorf("CheckPropertiesJSON = %v, want ok %v", err, tc.ok)
			}
		})
	}
	long := strings.Repeat("x", MaxPropertiesBytes)
	if _, err := EncodeProperties(&canonicalColl, map[string]any{"a_name": long}); !errors.Is(err, ErrInvalid) {
		t.Errorf("EncodeProperties of %d bytes: %v, want ErrInvalid", len(long), err)
	}
	if Canonical(&canonicalColl, []byte(`{"a_name":"`+long+`"}`)) {
		t.Error("Canonical takes properties longer than MaxPropertiesBytes")
	}
	if _, err := EncodeProperties(&canonicalColl, map[string]any{"a_name": long[:1000]}); err != nil {
		t.Errorf("EncodeProperties of 1000 bytes: %v", err)
	}
}
