package geo

import (
	"strconv"

	"github.com/tidwall/gjson"
	"github.com/twpayne/go-geom"
)

// decodePolygonal parses data when it is a plain GeoJSON Polygon or
// MultiPolygon, the query area of a count, many times faster than
// decodeGeometry (which decodes the text three times with reflection) and
// without allocating beyond the geometry: an object of exactly the members
// "type" and "coordinates", names and type without escapes, at least one
// ring of at least one position, every position two JSON numbers.
// Anything else gives false and is left to decodeGeometry, which also
// words the errors; for what this takes, both give the same geometry
// (FuzzDecodePolygonal).
//
// gjson checks that data is JSON; the scan below then only reads the
// members' shape. (gjson's own walk of the nested arrays costs several
// times more: it parses every element twice.)
func decodePolygonal(data []byte) (geom.T, bool) {
	if !gjson.ValidBytes(data) {
		return nil, false
	}
	sc := scanner{b: data}
	if !sc.next('{') {
		return nil, false
	}
	var typ []byte
	var flat []float64
	var endss [][]int
	depth := 0 // of the coordinates: 3 for a Polygon's, 4 for a MultiPolygon's
	for members := 0; members < 2; members++ {
		if members > 0 && !sc.next(',') {
			return nil, false
		}
		switch key, _ := sc.str(); string(key) {
		case "type":
			if typ != nil || !sc.next(':') {
				return nil, false
			}
			if typ, _ = sc.str(); typ == nil {
				return nil, false
			}
		case "coordinates":
			if depth != 0 || !sc.next(':') {
				return nil, false
			}
			if depth = sc.arrays(); depth != 3 && depth != 4 {
				return nil, false
			}
			flat = make([]float64, 0, len(data)/10)
			var ok bool
			if flat, endss, ok = sc.polygons(flat, depth == 4); !ok {
				return nil, false
			}
		default:
			return nil, false
		}
	}
	if !sc.next('}') || sc.rest() {
		return nil, false
	}
	switch {
	case string(typ) == "Polygon" && depth == 3:
		return geom.NewPolygonFlat(geom.XY, flat, endss[0]), true
	case string(typ) == "MultiPolygon" && depth == 4:
		return geom.NewMultiPolygonFlat(geom.XY, flat, endss), true
	}
	return nil, false
}

// scanner reads tokens of JSON text that gjson.ValidBytes passed.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) space() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n' || s.b[s.i] == '\r') {
		s.i++
	}
}

// next consumes c, after spaces.
func (s *scanner) next(c byte) bool {
	s.space()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// rest reports whether anything but spaces follows.
func (s *scanner) rest() bool {
	s.space()
	return s.i < len(s.b)
}

// str consumes a string without escapes and returns its text (nil for
// none).
func (s *scanner) str() ([]byte, bool) {
	if !s.next('"') {
		return nil, false
	}
	start := s.i
	for s.i < len(s.b) && s.b[s.i] != '"' {
		if s.b[s.i] == '\\' {
			return nil, false
		}
		s.i++
	}
	if s.i == len(s.b) {
		return nil, false
	}
	s.i++
	return s.b[start : s.i-1 : s.i-1], true
}

// arrays counts the brackets that open at the scanner, up to the first
// number, without consuming them.
func (s *scanner) arrays() int {
	save := s.i
	defer func() { s.i = save }()
	n := 0
	for s.next('[') {
		n++
	}
	return n
}

// polygons reads a Polygon's coordinates, or a MultiPolygon's when multi,
// appending the positions to flat; endss holds each polygon's ring ends
// (offsets into flat, as go-geom keeps them).
func (s *scanner) polygons(flat []float64, multi bool) ([]float64, [][]int, bool) {
	var endss [][]int
	if multi && !s.next('[') {
		return flat, nil, false
	}
	for {
		var ends []int
		if !s.next('[') {
			return flat, nil, false
		}
		for { // rings
			if !s.next('[') {
				return flat, nil, false
			}
			for { // positions
				x, okx := s.position()
				if !okx {
					return flat, nil, false
				}
				flat = append(flat, x[0], x[1])
				if !s.next(',') {
					break
				}
			}
			if !s.next(']') {
				return flat, nil, false
			}
			ends = append(ends, len(flat))
			if !s.next(',') {
				break
			}
		}
		if !s.next(']') {
			return flat, nil, false
		}
		endss = append(endss, ends)
		if !multi || !s.next(',') {
			break
		}
	}
	if multi && !s.next(']') {
		return flat, nil, false
	}
	return flat, endss, true
}

// position reads [x, y].
func (s *scanner) position() ([2]float64, bool) {
	var p [2]float64
	if !s.next('[') {
		return p, false
	}
	for k := range 2 {
		if k == 1 && !s.next(',') {
			return p, false
		}
		var ok bool
		if p[k], ok = s.number(); !ok {
			return p, false
		}
	}
	return p, s.next(']')
}

// number reads a JSON number as encoding/json reads a float64: with
// strconv.ParseFloat, refusing what is out of range.
func (s *scanner) number() (float64, bool) {
	s.space()
	start := s.i
	for s.i < len(s.b) && (s.b[s.i] == '-' || s.b[s.i] == '+' || s.b[s.i] == '.' || s.b[s.i] == 'e' || s.b[s.i] == 'E' || s.b[s.i] >= '0' && s.b[s.i] <= '9') {
		s.i++
	}
	tok := s.b[start:s.i]
	if !jsonNumber(tok) {
		return 0, false
	}
	x, err := strconv.ParseFloat(string(tok), 64)
	return x, err == nil
}

// jsonNumber reports whether s is a number by JSON's grammar (RFC 8259
// section 6), which is narrower than strconv.ParseFloat's (no hex, Inf,
// underscores or leading zeros).
func jsonNumber(s []byte) bool {
	i := 0
	digits := func() int {
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - j
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	if i < len(s) && s[i] == '0' {
		i++
	} else if digits() == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}
