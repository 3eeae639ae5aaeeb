package demo

import "testing"

func TestLetters(t *testing.T) {
	tests := []struct {
		name string
		in   int
		want string
	}{
		{"first", 0, "A"},
		{"last single", 25, "Z"},
		{"first double", 26, "AA"},
		{"second double", 27, "AB"},
		{"last double", 26 + 26*26 - 1, "ZZ"},
		{"first triple", 26 + 26*26, "AAA"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := letters(tc.in); got != tc.want {
				t.Errorf("letters(%d) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestOrdinal(t *testing.T) {
	tests := []struct {
		in   int
		want string
	}{
		{1, "1st"}, {2, "2nd"}, {3, "3rd"}, {4, "4th"}, {11, "11th"}, {12, "12th"},
		{13, "13th"}, {21, "21st"}, {22, "22nd"}, {101, "101st"}, {111, "111th"}, {112, "112th"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := ordinal(tc.in); got != tc.want {
				t.Errorf("ordinal(%d) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestStreetNames(t *testing.T) {
	c := mustCity(t, Options{Scale: 1}) // 6 cells: centre lines gx 12, gy 18
	big := mustCity(t, Options{Scale: 100})
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"centre N-S arterial", c.nsName(12), "Imperial Ave"},
		{"centre E-W arterial", c.ewName(18), "Barioni Blvd"},
		{"south arterial", c.ewName(0), "Aten Rd"},
		{"west arterial", c.nsName(0), "Forrester Rd"},
		{"first local N-S", c.nsName(1), "A St"},
		{"second local N-S", c.nsName(3), "B St"},
		{"third local N-S (after an arterial)", c.nsName(5), "C St"},
		{"N-S collector", c.nsName(2), "Cypress Dr"},
		{"first local E-W", c.ewName(1), "1st St"},
		{"E-W collector", c.ewName(3), "Bonita Ave"},
		{"local after collector", c.ewName(4), "3rd St"},
		{"local in the next cell", c.ewName(7), "5th St"},
		{"centre arterial at scale 100", big.nsName(big.n / 2 * nsLines), "Imperial Ave"},
		{"far west arterial", big.nsName(0), "West Rd 27"},
		{"far north arterial", big.ewName(big.n * ewLines), "North Rd 27"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
}

func TestLimitsRing(t *testing.T) {
	tests := []struct {
		name  string
		scale float64
	}{
		{"smallest", 0.01},
		{"real city", 1},
		{"odd cell count", 1.36},
		{"benchmark", 860},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := mustCity(t, Options{Scale: tc.scale})
			r := c.limitsRing()
			// Closed, rectilinear, counter-clockwise, and its area is the
			// in-city cells grown by limitGap.
			if r[0] != r[len(r)-2] || r[1] != r[len(r)-1] {
				t.Fatal("ring not closed")
			}
			for k := 0; k+3 < len(r); k += 2 {
				if r[k] != r[k+2] && r[k+1] != r[k+3] {
					t.Fatalf("edge %d is not axis-parallel", k/2)
				}
			}
			var cells int
			for j := 0; j < c.n; j++ {
				if c.lo[j] > c.hi[j] {
					t.Fatalf("row %d has no cells", j)
				}
				cells += c.hi[j] - c.lo[j] + 1
			}
			a := ringArea(r)
			inner := float64(cells) * cellSize * cellSize
			if a <= inner || a > inner+float64(4*c.n+4)*cellSize*limitGap {
				t.Errorf("ring area %.0f m², cells cover %.0f m²", a, inner)
			}
		})
	}
}
