package store

import (
	"errors"
	"strings"
	"testing"
)

func TestPeriodicity(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""}, {"weekly", "R/P1W"}, {"Monthly", "R/P1M"}, {"r/p1y", "R/P1Y"}, {"R/PT6H", "R/PT6H"},
		{"irregular", "irregular"}, {"R/P1Y2M", "R/P1Y2M"},
	} {
		got, err := Periodicity(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Periodicity(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"sometimes", "R/P", "P1W", "R/P1WT", "R/PX"} {
		if _, err := Periodicity(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("Periodicity(%q): %v, want ErrInvalid", bad, err)
		}
	}
}

func TestValidateMetadata(t *testing.T) {
	for name, m := range map[string]Metadata{
		"licence URL not absolute": {LicenseURL: "creativecommons.org"},
		"licence URL ftp":          {LicenseURL: "ftp://example.org/l"},
		"bad e-mail":               {ContactEmail: "gis at example.org"},
		"named e-mail":             {ContactEmail: "GIS <gis@example.org>"},
		"frequency not normalised": {AccrualPeriodicity: "weekly"},
		"empty theme":              {Theme: []string{"roads", " "}},
		"theme twice":              {Theme: []string{"roads", "roads"}},
		"long attribution":         {Attribution: strings.Repeat("é", MaxAttribution+1)},
	} {
		c := Collection{ID: "a", Geometry: GeometryPoint, Metadata: m}
		if err := ValidateCollection(&c); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	c := Collection{ID: "a", Geometry: GeometryPoint, Metadata: Metadata{LicenseURL: "https://opendatacommons.org/licenses/odbl/", ContactEmail: "gis@example.org", AccrualPeriodicity: "R/P1D"}}
	if err := ValidateCollection(&c); err != nil {
		t.Error(err)
	}
}
