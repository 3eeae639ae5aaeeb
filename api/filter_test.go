package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/cityatlas/cityatlas/demo"
	"github.com/cityatlas/cityatlas/store"
)

// allProps returns every feature's properties of a collection, by id, read
// from the store (not through the filter under test).
func allProps(t *testing.T, st *store.Store, coll string) map[int64]map[string]any {
	t.Helper()
	page, err := st.Items(context.Background(), coll, store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	ci, _ := st.Collection(coll)
	out := map[int64]map[string]any{}
	for _, f := range page.Features {
		v, err := f.Properties.Values(&ci.Collection)
		if err != nil {
			t.Fatal(err)
		}
		out[f.ID] = v
	}
	return out
}

func filtered(t *testing.T, get func(string) response, coll, filter, lang string) map[int64]bool {
	t.Helper()
	q := url.Values{"filter": {filter}, "limit": {"10000"}}
	if lang != "" {
		q.Set("filter-lang", lang)
	}
	r := get("/collections/" + coll + "/items?" + q.Encode())
	if r.status != 200 {
		t.Fatalf("%s: %d %s", filter, r.status, r.body)
	}
	var fc featureCollection
	decode(t, r, &fc)
	out := map[int64]bool{}
	for _, f := range fc.Features {
		out[f.ID] = true
	}
	if fc.NumberMatched != len(out) {
		t.Errorf("%s: numberMatched %d, %d features", filter, fc.NumberMatched, len(out))
	}
	return out
}

// TestFilterItems checks CQL2 filters on the demo city against the same
// conditions worked out in Go on every feature.
func TestFilterItems(t *testing.T) {
	srv, st := demoServer(t)
	g := func(p string) response { return get(t, srv, p) }
	str := func(v any) string { s, _ := v.(string); return s }
	num := func(v any) float64 {
		switch v := v.(type) {
		case int64:
			return float64(v)
		case float64:
			return v
		}
		return -1
	}
	for _, tc := range []struct {
		coll, text, json string
		want             func(p map[string]any) bool
	}{
		{demo.StopSigns, "condition = 'poor' AND installed < DATE('2000-01-01')",
			`{"op":"and","args":[{"op":"=","args":[{"property":"condition"},"poor"]},{"op":"<","args":[{"property":"installed"},{"date":"2000-01-01"}]}]}`,
			func(p map[string]any) bool {
				return p["condition"] == "poor" && str(p["installed"]) != "" && str(p["installed"]) < "2000-01-01"
			}},
		{demo.WifiTowers, "provider LIKE 'City of Imp%'",
			`{"op":"like","args":[{"property":"provider"},"City of Imp%"]}`,
			func(p map[string]any) bool { return strings.HasPrefix(str(p["provider"]), "City of Imp") }},
		{demo.WifiTowers, "CASEI(provider) IN (CASEI('verizon'), CASEI('T-MOBILE')) OR height_m BETWEEN 10 AND 12",
			"", func(p map[string]any) bool {
				h, ok := p["height_m"].(float64)
				return p["provider"] == "Verizon" || p["provider"] == "T-Mobile" || ok && h >= 10 && h <= 12
			}},
		{demo.TrafficSignals, "phases * 2 >= 10 AND NOT has_ped_signal = true",
			`{"op":"and","args":[{"op":">=","args":[{"op":"*","args":[{"property":"phases"},2]},10]},{"op":"not","args":[{"op":"=","args":[{"property":"has_ped_signal"},true]}]}]}`,
			func(p map[string]any) bool { return num(p["phases"])*2 >= 10 && p["has_ped_signal"] == false }},
		{demo.StopSigns, "last_inspected IS NULL", `{"op":"isNull","args":[{"property":"last_inspected"}]}`,
			func(p map[string]any) bool { return p["last_inspected"] == nil }},
		{demo.StopSigns, "T_AFTER(last_inspected, installed)", "",
			func(p map[string]any) bool {
				return str(p["last_inspected"]) != "" && str(p["installed"]) != "" && str(p["last_inspected"]) > str(p["installed"])
			}},
	} {
		props := allProps(t, st, tc.coll)
		want := map[int64]bool{}
		for id, p := range props {
			if tc.want(p) {
				want[id] = true
			}
		}
		if len(want) == 0 || len(want) == len(props) {
			t.Errorf("%s: the condition selects %d of %d features; pick one that tells", tc.text, len(want), len(props))
		}
		got := filtered(t, g, tc.coll, tc.text, "")
		if !sameSet(got, want) {
			t.Errorf("%s: %d features, want %d", tc.text, len(got), len(want))
		}
		if tc.json != "" {
			if got := filtered(t, g, tc.coll, tc.json, "cql2-json"); !sameSet(got, want) {
				t.Errorf("%s (JSON): %d features, want %d", tc.text, len(got), len(want))
			}
		}
	}
}

func sameSet(a, b map[int64]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// TestFilterSpatial: S_INTERSECTS with a box or polygon finds what bbox=
// finds, and the filter works on /count, /stats and tiles too.
func TestFilterSpatial(t *testing.T) {
	srv, _ := demoServer(t)
	g := func(p string) response { return get(t, srv, p) }
	tile := centreTile(t, 14)
	b := tile.Bound()
	byBBox := itemsIn(t, g, demo.StopSigns, b, "")
	if len(byBBox) == 0 {
		t.Fatal("no stop signs in the centre tile")
	}
	box := fmt.Sprintf("BBOX(%s, %s, %s, %s)", ftoa(b.Min[0]), ftoa(b.Min[1]), ftoa(b.Max[0]), ftoa(b.Max[1]))
	poly := fmt.Sprintf("POLYGON((%[1]s %[2]s, %[3]s %[2]s, %[3]s %[4]s, %[1]s %[4]s, %[1]s %[2]s))", ftoa(b.Min[0]), ftoa(b.Min[1]), ftoa(b.Max[0]), ftoa(b.Max[1]))
	for _, f := range []string{"S_INTERSECTS(geometry, " + box + ")", "S_INTERSECTS(geometry, " + poly + ")", "S_WITHIN(geometry, " + poly + ")"} {
		got := filtered(t, g, demo.StopSigns, f, "")
		if len(got) != len(byBBox) {
			t.Errorf("%s: %d features, bbox= finds %d", f, len(got), len(byBBox))
		}
		for id := range got {
			if _, ok := byBBox[id]; !ok {
				t.Errorf("%s: feature %d is not in the bbox", f, id)
			}
		}
	}
	poor := "S_INTERSECTS(geometry, " + box + ") AND condition = 'poor'"
	want := itemsIn(t, g, demo.StopSigns, b, "&condition=poor")
	var stats struct{ Count int }
	decode(t, g("/collections/stop_signs/stats?filter="+url.QueryEscape(poor)), &stats)
	if stats.Count != len(want) {
		t.Errorf("stats with a filter: %d, want %d", stats.Count, len(want))
	}
	var count struct {
		Total int `json:"total"`
	}
	decode(t, g("/count?collections=stop_signs&filter="+url.QueryEscape(poor)), &count)
	if count.Total != len(want) {
		t.Errorf("count with a filter: %d, want %d", count.Total, len(want))
	}
	l := tileOf(t, g(tilePath(demo.StopSigns, tile)+"?filter="+url.QueryEscape("condition = 'poor'")), tile)[demo.StopSigns]
	inside := 0
	if l != nil {
		for _, f := range l.Features {
			if f.Properties["condition"] != "poor" {
				t.Errorf("tile feature %v has condition %v", f.ID, f.Properties["condition"])
			}
			if p, ok := f.Geometry.(orb.Point); ok && b.Contains(p) {
				inside++
			}
		}
	}
	if inside != len(want) {
		t.Errorf("filtered tile holds %d poor stop signs in its area, want %d", inside, len(want))
	}
}

func TestFilterErrors(t *testing.T) {
	srv, _ := demoServer(t)
	for _, tc := range []struct{ path, param, want string }{
		{"/collections/stop_signs/items?filter=" + url.QueryEscape("condition = "), "filter", "at character 13"},
		{"/collections/stop_signs/items?filter=" + url.QueryEscape("colour = 'red'"), "filter", `no queryable "colour"`},
		{"/collections/stop_signs/items?filter=" + url.QueryEscape("sign_size_in = 'big'"), "filter", `property "sign_size_in" (an integer)`},
		{"/collections/stop_signs/items?filter-lang=cql2-json&filter=" + url.QueryEscape(`{"op":"=","args":[1]}`), "filter", "$.args"},
		{"/collections/stop_signs/items?filter-lang=ecql&filter=a", "filter-lang", "cql2-text"},
		{"/collections/stop_signs/items?filter-crs=EPSG:27700&filter=" + url.QueryEscape("condition = 'poor'"), "filter-crs", "EPSG/0/2230"},
		{"/collections/stop_signs/items?filter=a&filter=b", "filter", "once"},
		{"/collections/stop_signs/stats?filter=" + url.QueryEscape("avg(x) > 1"), "filter", "unknown function"},
		{"/count?filter=" + url.QueryEscape("sign_size_in > 30"), "filter", `collection "parks"`},
		{"/collections/stop_signs/items?filter=" + url.QueryEscape("S_WITHIN(geometry, POLYGON((0 0, 2 2, 2 0, 0 2, 0 0)))"), "filter", "is not valid"},
		{"/collections/stop_signs/tiles/WebMercatorQuad/14/0/0?filter=" + url.QueryEscape("x = 1"), "filter", `"x"`},
	} {
		r := get(t, srv, tc.path)
		var p struct {
			Status            int
			Detail, Parameter string
		}
		_ = json.Unmarshal(r.body, &p)
		if r.status != 400 || p.Parameter != tc.param || !strings.Contains(p.Detail, tc.want) {
			t.Errorf("%s: %d %s, want 400 on %s saying %q", tc.path, r.status, r.body, tc.param, tc.want)
		}
	}
	var conf struct{ ConformsTo []string }
	decode(t, get(t, srv, "/conformance"), &conf)
	for _, c := range []string{"cql2/1.0/conf/basic-cql2", "cql2/1.0/conf/spatial-functions", "cql2/1.0/conf/cql2-json", "ogcapi-features-3/1.0/conf/filter", "cql2/1.0/conf/array-functions"} {
		if !contains(conf.ConformsTo, "http://www.opengis.net/spec/"+c) {
			t.Errorf("conformance lacks %s", c)
		}
	}
	var q struct {
		Properties map[string]map[string]any `json:"properties"`
	}
	decode(t, get(t, srv, "/collections/stop_signs/queryables"), &q)
	if g := q.Properties["geometry"]; g["format"] != "geometry-point" || g["x-ogc-role"] != "primary-geometry" {
		t.Errorf("queryables geometry %v", g)
	}
}
