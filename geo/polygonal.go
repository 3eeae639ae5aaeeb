package geo

import (
	"strconv"

	"github.com/tidwall/gjson"
	"github.com/twpayne/go-geom"
)

// decodePolygonal parses data when it is a plain GeoJSON Polygon or
// MultiPolygon, the query area of a count, several times faster than
// decodeGeometry (which decodes the text three times with reflection): an
// object of exactly the members "type" and "coordinates", names without
// escapes, at least one ring of at least one position, every position two
// JSON numbers. Anything else gives false and is left to decodeGeometry,
// which also words the errors; for what this takes, both give the same
// geometry (FuzzDecodePolygonal).
func decodePolygonal(data []byte) (geom.T, bool) {
	if !gjson.ValidBytes(data) {
		return nil, false
	}
	doc := gjson.ParseBytes(data)
	if !doc.IsObject() {
		return nil, false
	}
	var typ, coords gjson.Result
	members, ok := 0, true
	doc.ForEach(func(k, v gjson.Result) bool {
		switch k.Raw {
		case `"type"`:
			typ = v
		case `"coordinates"`:
			coords = v
		default:
			ok = false
		}
		members++
		return ok
	})
	if !ok || members != 2 || typ.Raw == "" || coords.Raw == "" || !coords.IsArray() {
		return nil, false
	}
	flat := make([]float64, 0, len(data)/10)
	switch typ.Raw {
	case `"Polygon"`:
		flat, ends, ok := appendRingsJSON(flat, coords)
		if !ok {
			return nil, false
		}
		return geom.NewPolygonFlat(geom.XY, flat, ends), true
	case `"MultiPolygon"`:
		var endss [][]int
		ok := true
		coords.ForEach(func(_, p gjson.Result) bool {
			var ends []int
			flat, ends, ok = appendRingsJSON(flat, p)
			endss = append(endss, ends)
			return ok
		})
		if !ok || len(endss) == 0 {
			return nil, false
		}
		return geom.NewMultiPolygonFlat(geom.XY, flat, endss), true
	}
	return nil, false
}

// appendRingsJSON appends the positions of a polygon's rings (a JSON array
// of arrays of [x, y]) to flat, and returns their ends as go-geom keeps
// them (offsets into flat).
func appendRingsJSON(flat []float64, rings gjson.Result) ([]float64, []int, bool) {
	if !rings.IsArray() {
		return flat, nil, false
	}
	var ends []int
	ok := true
	rings.ForEach(func(_, ring gjson.Result) bool {
		n := 0
		ok = ring.IsArray()
		if ok {
			ring.ForEach(func(_, pos gjson.Result) bool {
				flat, ok = appendPositionJSON(flat, pos)
				n++
				return ok
			})
		}
		ok = ok && n > 0
		ends = append(ends, len(flat))
		return ok
	})
	return flat, ends, ok && len(ends) > 0
}

// appendPositionJSON appends the two numbers of a position [x, y].
func appendPositionJSON(flat []float64, pos gjson.Result) ([]float64, bool) {
	if !pos.IsArray() {
		return flat, false
	}
	n, ok := 0, true
	pos.ForEach(func(_, v gjson.Result) bool {
		var x float64
		if ok = n < 2 && v.Type == gjson.Number && jsonNumber(v.Raw); ok {
			// As encoding/json reads a float64 (and refuses what is out of range).
			var err error
			x, err = strconv.ParseFloat(v.Raw, 64)
			ok = err == nil
		}
		flat = append(flat, x)
		n++
		return ok
	})
	return flat, ok && n == 2
}

// jsonNumber reports whether s is a number by JSON's grammar (RFC 8259
// section 6), which is narrower than strconv.ParseFloat's (no hex, Inf,
// underscores or leading zeros).
func jsonNumber(s string) bool {
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
