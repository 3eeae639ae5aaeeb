package api_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/cityatlas/cityatlas/store"
)

// TestArrayProperties: on both backends, a field of type array takes a
// list in a POST, is a queryable of type array, answers the array
// functions in filters (items, count, tiles), is refused as a sort key,
// and is written as its JSON text where a format has no lists (CSV).
func TestArrayProperties(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			b, _ := be.open(t)
			if _, err := b.CreateCollection(context.Background(), store.Collection{ID: "towers", Title: "Towers", Geometry: store.GeometryPoint,
				Fields: []store.Field{{Name: "name", Type: store.TypeString}, {Name: "bands", Type: store.TypeArray}}}); err != nil {
				t.Fatal(err)
			}
			e := newWriteEnv(t, b)
			for _, body := range []string{
				`{"type":"Feature","geometry":{"type":"Point","coordinates":[-115.5,32.8]},"properties":{"name":"North","bands":["2.4GHz","5GHz"]}}`,
				`{"type":"Feature","geometry":{"type":"Point","coordinates":[-115.6,32.9]},"properties":{"name":"South","bands":["2.4GHz"]}}`,
				`{"type":"Feature","geometry":{"type":"Point","coordinates":[-115.7,32.7]},"properties":{"name":"West"}}`,
			} {
				wantStatus(t, "POST", e.do(t, "POST", "/collections/towers/items", "admin", body), 201)
			}
			bad := e.do(t, "POST", "/collections/towers/items", "admin", `{"type":"Feature","geometry":null,"properties":{"bands":[{"a":1}]}}`)
			if bad.status != 422 || !strings.Contains(string(bad.body), "bands") {
				t.Errorf("an array of objects: %d %s", bad.status, bad.body)
			}
			if q := string(get(t, e.srv, "/collections/towers/queryables").body); !strings.Contains(q, `"bands":{"items":{"type":["string","number","boolean"]},"type":"array"}`) {
				t.Errorf("queryables: %s", q)
			}
			for filter, want := range map[string]int{
				"A_CONTAINS(bands, ('5GHz'))":            1,
				"A_OVERLAPS(bands, ('2.4GHz', '60GHz'))": 2,
				"A_CONTAINEDBY(bands, ('2.4GHz'))":       1,
				"A_EQUALS(bands, ('2.4GHz', '5GHz'))":    1,
				"bands IS NULL":                          1,
			} {
				var fc featureCollection
				decode(t, get(t, e.srv, "/collections/towers/items?filter="+url.QueryEscape(filter)), &fc)
				if fc.NumberMatched != want {
					t.Errorf("%s: %d matched, want %d", filter, fc.NumberMatched, want)
				}
				var n struct {
					Collections []struct{ Count int } `json:"collections"`
				}
				c := get(t, e.srv, "/count?collections=towers&bbox=-116,32,-115,33&towers.filter="+url.QueryEscape(filter))
				decode(t, c, &n)
				if len(n.Collections) != 1 || n.Collections[0].Count != want {
					t.Errorf("/count %s: %s, want %d", filter, c.body, want)
				}
			}
			if r := get(t, e.srv, "/collections/towers/tiles/WebMercatorQuad/0/0/0?filter="+url.QueryEscape("A_CONTAINS(bands, ('5GHz'))")); r.status != 200 {
				t.Errorf("tile with an array filter: %d %s", r.status, r.body)
			}
			if r := get(t, e.srv, "/collections/towers/items?sortby=bands"); r.status != 400 || !strings.Contains(string(r.body), "array") {
				t.Errorf("sortby an array: %d %s", r.status, r.body)
			}
			if csv := string(get(t, e.srv, "/collections/towers/download?f=csv").body); !strings.Contains(csv, `"[""2.4GHz"",""5GHz""]"`) {
				t.Errorf("CSV: %s", csv)
			}
		})
	}
}
