package api_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/cityatlas/cityatlas/geo"
	"github.com/cityatlas/cityatlas/store"
)

type countDoc struct {
	Total       int `json:"total"`
	Collections []struct {
		ID      string        `json:"id"`
		Count   int           `json:"count"`
		GroupBy string        `json:"groupBy"`
		Groups  []store.Group `json:"groups"`
	} `json:"collections"`
}

func post(t *testing.T, srvURL, path, body string) response {
	t.Helper()
	return send(t, srvURL, http.MethodPost, path, strings.NewReader(body), "Content-Type", "application/geo+json")
}

func TestCountInAreas(t *testing.T) {
	srv, st := demoServer(t)
	ctx := context.Background()
	info, _ := st.Collection("stop_signs")
	e := info.Extent
	// A triangle over the south-west half of the city.
	tri := orb.Polygon{{{e[0], e[1]}, {e[2], e[1]}, {e[0], e[3]}, {e[0], e[1]}}}
	body := `{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[` +
		ftoa(e[0]) + `,` + ftoa(e[1]) + `],[` + ftoa(e[2]) + `,` + ftoa(e[1]) + `],[` + ftoa(e[0]) + `,` + ftoa(e[3]) + `],[` + ftoa(e[0]) + `,` + ftoa(e[1]) + `]]]}}`
	r := post(t, srv.URL, "/count?groupby=condition", body)
	if r.status != 200 {
		t.Fatalf("POST /count: %d %s", r.status, r.body)
	}
	var doc countDoc
	decode(t, r, &doc)
	if len(doc.Collections) != 4 {
		t.Fatalf("%d collections in the answer", len(doc.Collections))
	}
	sum := 0
	for _, c := range doc.Collections {
		// Count by brute force over every feature with the exact test.
		page, _ := st.Items(ctx, c.ID, store.Filter{})
		want := 0
		for _, f := range page.Features {
			o, _ := geo.ToOrb(f.Geometry)
			if geo.Intersects(o, tri) {
				want++
			}
		}
		if c.Count != want {
			t.Errorf("%s: %d in the triangle, brute force says %d", c.ID, c.Count, want)
		}
		g := 0
		for _, gr := range c.Groups {
			g += gr.Count
		}
		if c.GroupBy == "condition" && g != c.Count {
			t.Errorf("%s: groups add up to %d, count %d", c.ID, g, c.Count)
		}
		sum += c.Count
	}
	if doc.Total != sum || sum == 0 {
		t.Errorf("total %d, sum %d", doc.Total, sum)
	}
	// A circle of 500 m around the centre of the stop signs.
	lon, lat := (e[0]+e[2])/2, (e[1]+e[3])/2
	decode(t, get(t, srv, "/count?collections=stop_signs&lon="+ftoa(lon)+"&lat="+ftoa(lat)+"&radius=500"), &doc)
	page, _ := st.Items(ctx, "stop_signs", store.Filter{})
	want := 0
	for _, f := range page.Features {
		p := orb.Point{f.Geometry.FlatCoords()[0], f.Geometry.FlatCoords()[1]}
		if geo.Distance(orb.Point{lon, lat}, p) <= 499 {
			want++
		} else if geo.Distance(orb.Point{lon, lat}, p) <= 501 {
			t.Skip("a sign lies within a metre of the circle's edge; the 64-gon may differ")
		}
	}
	if len(doc.Collections) != 1 || doc.Collections[0].Count != want || want == 0 {
		t.Errorf("circle: %+v, want %d stop signs", doc.Collections, want)
	}
}

func TestCountWithLayerFilters(t *testing.T) {
	srv, st := demoServer(t)
	ctx := context.Background()
	info, _ := st.Collection("stop_signs")
	bb := info.Extent
	var all, poor countDoc
	decode(t, get(t, srv, "/count?bbox="+bboxString(bb)), &all)
	decode(t, get(t, srv, "/count?bbox="+bboxString(bb)+"&stop_signs.condition=poor&traffic_signals.status=operational"), &poor)
	want := map[string]int{}
	for _, c := range []struct{ id, prop, val string }{{"stop_signs", "condition", "poor"}, {"traffic_signals", "status", "operational"}} {
		n, err := st.Count(ctx, c.id, store.Filter{BBox: &bb, Props: []store.PropFilter{{Name: c.prop, Value: c.val}}})
		if err != nil {
			t.Fatal(err)
		}
		want[c.id] = n
	}
	for i, c := range poor.Collections {
		w, filtered := want[c.ID]
		if !filtered {
			w = all.Collections[i].Count
		}
		if c.Count != w {
			t.Errorf("%s: %d with the layer filters, want %d", c.ID, c.Count, w)
		}
	}
	if want["stop_signs"] == 0 || want["stop_signs"] >= all.Collections[1].Count {
		t.Errorf("the filter did not narrow the stop signs: %d of %d", want["stop_signs"], all.Collections[1].Count)
	}
}

func TestStats(t *testing.T) {
	srv, st := demoServer(t)
	var s struct {
		Count   int           `json:"count"`
		GroupBy string        `json:"groupBy"`
		Groups  []store.Group `json:"groups"`
	}
	decode(t, get(t, srv, "/collections/traffic_signals/stats?groupby=status"), &s)
	info, _ := st.Collection("traffic_signals")
	if s.Count != info.Count || s.GroupBy != "status" || len(s.Groups) == 0 {
		t.Fatalf("stats %+v, count %d", s, info.Count)
	}
	for _, g := range s.Groups {
		n, err := st.Count(context.Background(), "traffic_signals", store.Filter{Props: []store.PropFilter{{Name: "status", Value: g.Value}}})
		if err != nil || n != g.Count {
			t.Errorf("status %q: stats %d, filter %d (%v)", g.Value, g.Count, n, err)
		}
	}
	for _, tc := range []struct{ path, param string }{
		{"/collections/traffic_signals/stats?groupby=colour", "groupby"},
		{"/count?lon=-115.5&lat=32.8", "radius"},
		{"/count?lon=-115.5&lat=32.8&radius=-3", "radius"},
		{"/count?collections=nope", "collections"},
		{"/count?bbox=1,2,3,4&lon=1&lat=1&radius=3", "radius"},
		{"/count?hydrants.status=ok", "hydrants.status"},
		{"/count?stop_signs.colour=red", "stop_signs.colour"},
		{"/count?stop_signs.sign_size_in=big", "stop_signs.sign_size_in"},
	} {
		r := get(t, srv, tc.path)
		var p struct {
			Status    int
			Parameter string
		}
		decode(t, r, &p)
		if r.status != 400 || p.Parameter != tc.param {
			t.Errorf("%s: %d %s, want 400 naming %s", tc.path, r.status, r.body, tc.param)
		}
	}
	for _, body := range []string{`{"type":"Point","coordinates":[1,2]}`, `not json`, `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1]]]}`} {
		if r := post(t, srv.URL, "/count", body); r.status != 400 || !strings.Contains(string(r.body), "Polygon") {
			t.Errorf("POST /count %s: %d %s", body, r.status, r.body)
		}
	}
}

// TestCountSkipsBaseLayers: /count counts assets; the streets and the city
// limits are counted only when named in collections.
func TestCountSkipsBaseLayers(t *testing.T) {
	srv, _ := demoServer(t)
	var all, named countDoc
	decode(t, get(t, srv, "/count"), &all)
	for _, c := range all.Collections {
		if c.ID == "streets" || c.ID == "city_limits" || c.ID == "places" {
			t.Errorf("/count counts the base layer %s", c.ID)
		}
	}
	if len(all.Collections) != 4 || all.Total == 0 {
		t.Errorf("/count: %+v", all)
	}
	decode(t, get(t, srv, "/count?collections=streets,city_limits"), &named)
	if len(named.Collections) != 2 || named.Collections[0].Count < 100 || named.Collections[1].Count != 1 {
		t.Errorf("/count?collections=streets,city_limits: %+v", named)
	}
}

// TestCountWithLayerDatetime: COLLECTION.datetime narrows one layer by its
// time property (the install date for the demo), as the map's range filter
// on the install year does.
func TestCountWithLayerDatetime(t *testing.T) {
	srv, st := demoServer(t)
	var all, some countDoc
	decode(t, get(t, srv, "/count"), &all)
	decode(t, get(t, srv, "/count?stop_signs.datetime=2000-01-01/2009-12-31"), &some)
	from, to := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2009, 12, 31, 23, 59, 59, 0, time.UTC)
	want, err := st.Count(t.Context(), "stop_signs", store.Filter{Time: &store.Interval{Start: &from, End: &to}})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range some.Collections {
		w := all.Collections[i].Count
		if c.ID == "stop_signs" {
			w = want
			if want == 0 || want >= all.Collections[i].Count {
				t.Errorf("the interval does not narrow the stop signs: %d of %d", want, all.Collections[i].Count)
			}
		}
		if c.Count != w {
			t.Errorf("%s: %d, want %d", c.ID, c.Count, w)
		}
	}
	r := get(t, srv, "/count?stop_signs.datetime=yesterday")
	if r.status != 400 || !strings.Contains(string(r.body), `"parameter":"stop_signs.datetime"`) {
		t.Errorf("bad interval: %d %s", r.status, r.body)
	}
}

// TestCountWithLayerCQL2: COLLECTION.filter narrows one layer by CQL2, as
// the map's filter panel sends it; it agrees with the layer's stats and
// combines with a filter for all layers.
func TestCountWithLayerCQL2(t *testing.T) {
	srv, _ := demoServer(t)
	cql := "installed >= DATE('2000-01-01') AND installed <= DATE('2010-12-31') AND sign_size_in >= 36"
	var all, some, both countDoc
	var st struct{ Count int }
	decode(t, get(t, srv, "/count"), &all)
	decode(t, get(t, srv, "/count?stop_signs.filter="+url.QueryEscape(cql)), &some)
	decode(t, get(t, srv, "/collections/stop_signs/stats?filter="+url.QueryEscape(cql)), &st)
	for i, c := range some.Collections {
		w := all.Collections[i].Count
		if c.ID == "stop_signs" {
			w = st.Count
			if w == 0 || w >= all.Collections[i].Count {
				t.Errorf("the filter does not narrow the stop signs: %d of %d", w, all.Collections[i].Count)
			}
		}
		if c.Count != w {
			t.Errorf("%s: %d, want %d", c.ID, c.Count, w)
		}
	}
	var poor struct{ Count int }
	decode(t, get(t, srv, "/collections/stop_signs/stats?filter="+url.QueryEscape(cql+" AND condition = 'poor'")), &poor)
	decode(t, get(t, srv, "/count?collections=stop_signs&filter="+url.QueryEscape("condition = 'poor'")+"&stop_signs.filter="+url.QueryEscape(cql)), &both)
	if len(both.Collections) != 1 || both.Collections[0].Count != poor.Count {
		t.Errorf("a filter for all and one for the layer: %+v, want %d", both, poor.Count)
	}
	r := get(t, srv, "/count?stop_signs.filter="+url.QueryEscape("colour = 'red'"))
	if r.status != 400 || !strings.Contains(string(r.body), `"parameter":"stop_signs.filter"`) {
		t.Errorf("bad layer filter: %d %s", r.status, r.body)
	}
}

// TestCountBodyForms: a polygon posted bare, in a Feature, with spacing,
// member names in another case, a duplicated member or a bbox (which the
// fast reading of the body leaves to encoding/json) counts the same; what
// is not a polygon is a 400 either way.
func TestCountBodyForms(t *testing.T) {
	srv, st := demoServer(t)
	info, _ := st.Collection("stop_signs")
	e := info.Extent
	coords := `[[[` + ftoa(e[0]) + `,` + ftoa(e[1]) + `],[` + ftoa(e[2]) + `,` + ftoa(e[1]) + `],[` + ftoa(e[0]) + `,` + ftoa(e[3]) + `],[` + ftoa(e[0]) + `,` + ftoa(e[1]) + `]]]`
	poly := `{"type":"Polygon","coordinates":` + coords + `}`
	count := func(body string) (int, response) {
		t.Helper()
		r := post(t, srv.URL, "/count?collections=stop_signs", body)
		var doc countDoc
		if r.status == 200 {
			decode(t, r, &doc)
		}
		return doc.Total, r
	}
	want, r := count(poly)
	if r.status != 200 || want == 0 {
		t.Fatalf("POST /count %s: %d %s", poly, r.status, r.body)
	}
	for _, body := range []string{
		`{"coordinates":` + coords + `,"type":"Polygon"}`,
		"\n  {\n \"type\" : \"Polygon\",\n \"coordinates\" : " + coords + " }\n",
		`{"type":"Feature","properties":{"name":"x"},"geometry":` + poly + `}`,
		` {"geometry":` + poly + `,"id":7,"type":"Feature"}`,
		`{"Type":"Feature","Geometry":` + poly + `}`,
		`{"type":"Point","type":"Feature","geometry":` + poly + `}`,
		`{"type":"Feature","geometry":{"type":"Polygon","bbox":[0,0,1,1],"coordinates":` + coords + `}}`,
		`{"type":"MultiPolygon","coordinates":[` + coords + `]}`,
	} {
		if n, r := count(body); r.status != 200 || n != want {
			t.Errorf("POST /count %s: %d %s, want %d features", body, r.status, r.body, want)
		}
	}
	for _, body := range []string{
		`{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]}}`,
		`{"type":"Feature","properties":{}}`,
		`{"type":"Feature","geometry":null}`,
		`{"type":7,"coordinates":` + coords + `}`,
		`[` + poly + `]`,
		poly + `,`,
		`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]],"coordinates":[[[0,0],[1,0]]]}`,
	} {
		if _, r := count(body); r.status != 400 {
			t.Errorf("POST /count %s: %d %s, want 400", body, r.status, r.body)
		}
	}
}
