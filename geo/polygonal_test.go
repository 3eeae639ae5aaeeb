package geo

import (
	"slices"
	"testing"

	"github.com/twpayne/go-geom"
)

// samePolygonal fails t unless the fast decoder's geometry and the general
// decoder's are the same: type, layout, coordinates and ring ends.
func samePolygonal(t *testing.T, data []byte, fast geom.T) {
	t.Helper()
	slow, err := decodeGeometry(data, 0)
	if err != nil || slow == nil {
		t.Fatalf("%s: the fast decoder takes it, the general one says %v", data, err)
	}
	if TypeName(fast) != TypeName(slow) || fast.Layout() != slow.Layout() || !slices.Equal(fast.FlatCoords(), slow.FlatCoords()) {
		t.Fatalf("%s: fast %s %v %v, general %s %v %v", data, TypeName(fast), fast.Layout(), fast.FlatCoords(), TypeName(slow), slow.Layout(), slow.FlatCoords())
	}
	switch s := slow.(type) {
	case *geom.Polygon:
		if !slices.Equal(fast.(*geom.Polygon).Ends(), s.Ends()) {
			t.Fatalf("%s: ends %v, general %v", data, fast.(*geom.Polygon).Ends(), s.Ends())
		}
	case *geom.MultiPolygon:
		if !slices.EqualFunc(fast.(*geom.MultiPolygon).Endss(), s.Endss(), slices.Equal) {
			t.Fatalf("%s: ends %v, general %v", data, fast.(*geom.MultiPolygon).Endss(), s.Endss())
		}
	}
}

// TestDecodePolygonal: the fast decoder takes the plain polygons a count
// is posted, the same as the general decoder reads them, and leaves to
// that one everything it is not sure of (which DecodeGeoJSON's own tests
// check the errors of).
func TestDecodePolygonal(t *testing.T) {
	for _, in := range []string{
		`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}`,
		`{"coordinates":[[[-115.5,32.8],[-115.4,32.8],[-115.4,32.9],[-115.5,32.8]]],"type":"Polygon"}`,
		` { "type" : "Polygon" , "coordinates" : [ [ [ 0 , 0 ] , [ 1e-3 , -0.0 ] , [ 1.5E+1 , 1 ] , [ 0 , 0 ] ] , [[0.2,0.2],[0.3,0.2],[0.3,0.3],[0.2,0.2]] ] } `,
		`{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[5,5],[6,5],[6,6],[5,5]],[[5.1,5.1],[5.2,5.1],[5.2,5.2],[5.1,5.1]]]]}`,
		`{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}`, // too short: Validate words that
		`{"type":"Polygon","coordinates":[[[1000,0],[1,0],[1,1],[1000,0]]]}`,
	} {
		g, ok := decodePolygonal([]byte(in))
		if !ok {
			t.Errorf("%s: not taken", in)
			continue
		}
		samePolygonal(t, []byte(in), g)
	}
	for _, in := range []string{
		`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]`,             // not JSON
		`{"type":"Polygon","coordinates":[[[0,0,1],[1,0,1],[1,1,1],[0,0,1]]]}`,    // heights
		`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]],"bbox":[0]}`, // another member
		`{"type":"Polygon","type":"Point","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}`,
		`{"Type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}`,
		`{"typ\u0065":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}`,
		`{"type":"Polyg\u006fn","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}`,
		`{"type":"LineString","coordinates":[[0,0],[1,1]]}`,
		`{"type":"Polygon","coordinates":[]}`,
		`{"type":"Polygon","coordinates":[[]]}`,
		`{"type":"MultiPolygon","coordinates":[]}`,
		`{"type":"Polygon","coordinates":[[[0,0],[1e400,0],[1,1],[0,0]]]}`,
		`{"type":"Polygon","coordinates":[[[0,0],["1",0],[1,1],[0,0]]]}`,
		`{"type":"Polygon","coordinates":[[[0,0],[1],[1,1],[0,0]]]}`,
		`{"type":"Polygon","coordinates":null}`,
		`[1,2]`,
	} {
		if _, ok := decodePolygonal([]byte(in)); ok {
			t.Errorf("%s: taken", in)
		}
	}
}

func TestJSONNumber(t *testing.T) {
	for _, s := range []string{"0", "-0", "12", "-1.5", "1e5", "1E-5", "0.25e+3"} {
		if !jsonNumber([]byte(s)) {
			t.Errorf("%q is a JSON number", s)
		}
	}
	for _, s := range []string{"", "-", "01", "1.", ".5", "1e", "0x10", "Inf", "NaN", "1_0", "+1", "1e+"} {
		if jsonNumber([]byte(s)) {
			t.Errorf("%q is not a JSON number", s)
		}
	}
}

// FuzzDecodePolygonal: whatever the fast decoder takes, the general one
// reads the same.
func FuzzDecodePolygonal(f *testing.F) {
	f.Add([]byte(`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]],[[0.2,0.2],[0.3,0.2],[0.3,0.3],[0.2,0.2]]]}`))
	f.Add([]byte(`{"coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[5,5],[6,5],[6,6],[5,5]]]],"type":"MultiPolygon"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if g, ok := decodePolygonal(data); ok {
			samePolygonal(t, data, g)
		}
	})
}
