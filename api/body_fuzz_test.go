package api

import (
	"errors"
	"testing"

	"github.com/twpayne/go-geom"

	"github.com/cityatlas/cityatlas/store"
)

// FuzzWriteBody feeds arbitrary bodies to the Feature decoder and the
// merge patch: each either gives a feature or a 4xx problem, never a panic
// or another error.
//
//	go test -run XXX -fuzz FuzzWriteBody -fuzztime 2m -parallel=1 ./api/
func FuzzWriteBody(f *testing.F) {
	for _, s := range []string{
		`{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"name":"a","lanes":2}}`,
		`{"type":"Feature","geometry":null,"properties":null}`,
		`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}}`,
		`{"properties":{"lanes":null,"name":"x"},"geometry":{"coordinates":[3,4]}}`,
		`{"id":7}`, `[]`, `null`, `{"type":"Feature","properties":{"lanes":1e400}}`,
	} {
		f.Add([]byte(s))
	}
	c := store.Collection{ID: "signs", Geometry: store.GeometryPoint, Fields: []store.Field{
		{Name: "name", Type: store.TypeString}, {Name: "lanes", Type: store.TypeInteger},
		{Name: "condition", Type: store.TypeString, Values: []string{"good", "poor"}}}}
	props, _ := store.EncodeProperties(&c, map[string]any{"name": "n"})
	cur := store.Feature{ID: 7, Version: 3, Geometry: geom.NewPointFlat(geom.XY, []float64{1, 2}), Properties: props}
	f.Fuzz(func(t *testing.T, body []byte) {
		check := func(what string, err error) {
			var p *Problem
			if err != nil && (!errors.As(err, &p) || p.Status < 400 || p.Status > 499) {
				t.Fatalf("%s: %v is not a 4xx problem", what, err)
			}
		}
		_, err := decodeFeature(&c, body)
		check("decodeFeature", err)
		merged, err := mergeFeature(&cur, body)
		check("mergeFeature", err)
		if err == nil {
			_, err = decodeFeature(&c, merged)
			check("decodeFeature of a merge", err)
		}
	})
}
