package store

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestEncodeProperties(t *testing.T) {
	c := &Collection{ID: "t", Fields: []Field{
		{Name: "name", Type: TypeString},
		{Name: "lanes", Type: TypeInteger},
		{Name: "h", Type: TypeNumber},
		{Name: "lit", Type: TypeBoolean},
		{Name: "day", Type: TypeDate},
		{Name: "at", Type: TypeDateTime},
		{Name: "cond", Type: TypeString, Values: []string{"good", "poor"}},
	}}
	cases := []struct {
		name    string
		in      map[string]any
		want    string
		wantErr string
	}{
		{"schema order, nulls dropped", map[string]any{"lit": true, "name": "a<b", "lanes": nil}, `{"name":"a\u003cb","lit":true}`, ""},
		{"json forms", map[string]any{"lanes": 3.0, "h": json.Number("2.5"), "day": "2020-02-29"}, `{"lanes":3,"h":2.5,"day":"2020-02-29"}`, ""},
		{"strings parsed", map[string]any{"lanes": "7", "h": "1e3", "lit": "false"}, `{"lanes":7,"h":1000,"lit":false}`, ""},
		{"datetime to UTC", map[string]any{"at": "2024-01-02T03:04:05+02:00"}, `{"at":"2024-01-02T01:04:05Z"}`, ""},
		{"negative zero", map[string]any{"h": -0.0 * -1}, `{"h":0}`, ""},
		{"empty", nil, `{}`, ""},
		{"unknown name", map[string]any{"colour": "red"}, "", `"colour" is not in the schema`},
		{"fraction for integer", map[string]any{"lanes": 2.5}, "", "an integer"},
		{"bad date", map[string]any{"day": "2020-02-30"}, "", "a date"},
		{"not in enumeration", map[string]any{"cond": "bad"}, "", "one of"},
		{"number not in enumeration", map[string]any{"cond": 0}, "", "one of"},
		{"object for string", map[string]any{"name": map[string]any{}}, "", "a string"},
		{"NaN", map[string]any{"h": "NaN"}, "", "finite"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := EncodeProperties(c, tc.in)
			if tc.wantErr != "" {
				if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want ErrInvalid mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || string(p) != tc.want {
				t.Fatalf("got %s (%v), want %s", p, err, tc.want)
			}
			// Canonical: decoding and encoding again gives the same bytes.
			vals, err := p.Values(c)
			if err != nil {
				t.Fatal(err)
			}
			again, err := EncodeProperties(c, vals)
			if err != nil || string(again) != string(p) {
				t.Errorf("re-encoded %s (%v), want %s", again, err, p)
			}
		})
	}
}
