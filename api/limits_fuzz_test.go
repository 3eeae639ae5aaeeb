package api

import (
	"testing"

	"github.com/cityatlas/cityatlas/geo"
)

// FuzzCountPositions: the raw count that refuses a large polygon before
// decoding never counts fewer vertices than the decoded geometry has, so
// nothing past the budget gets through to the expensive part.
func FuzzCountPositions(f *testing.F) {
	for _, s := range []string{
		`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}`,
		`{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[5,5],[6,5],[6,6],[5,5]]]]}`,
		`{"type":"Polygon","bbox":[0,0,1,1],"coordinates":[[ [ 0 ,0],[1e0,0],[1,-1.5],[0,0]]]}`,
		`{"coordinates":[[[0,0],[1,0],[1,1],[0,0]]],"type":"Polygon","x":"[1,2"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		n := countPositions(raw)
		g, err := geo.DecodeGeoJSON(raw)
		if err != nil || g == nil {
			return
		}
		o, err := geo.ToOrb(g)
		if err != nil {
			return
		}
		if v := countVertices(o); v > n {
			t.Fatalf("countPositions %d < %d vertices of %s", n, v, raw)
		}
	})
}
