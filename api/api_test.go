package api_test

import (
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cityatlas/cityatlas/api"
	"github.com/cityatlas/cityatlas/demo"
	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/gpkg"
)

var (
	demoOnce  sync.Once
	demoStore *store.Store
	demoErr   error
)

// demoServer returns a server on a real GeoPackage store seeded with the
// Imperial demo city, shared by the read-only tests of this package.
func demoServer(t testing.TB) (*httptest.Server, *store.Store) {
	t.Helper()
	demoOnce.Do(func() {
		ctx := context.Background()
		dir, err := osMkdirTemp()
		if err != nil {
			demoErr = err
			return
		}
		b, err := gpkg.Open(ctx, filepath.Join(dir, "demo.gpkg"))
		if err != nil {
			demoErr = err
			return
		}
		if _, err := demo.Seed(ctx, b, demo.Options{Seed: 1, Scale: 1}); err != nil {
			demoErr = err
			return
		}
		demoStore, demoErr = store.Open(ctx, b, nil)
	})
	if demoErr != nil {
		t.Fatal(demoErr)
	}
	srv := httptest.NewServer(api.NewServer(demoStore, api.Config{}, nil))
	t.Cleanup(srv.Close)
	return srv, demoStore
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func get(t testing.TB, srv *httptest.Server, path string, header ...string) response {
	t.Helper()
	return send(t, srv.URL, http.MethodGet, path, nil, header...)
}

// send makes a request with the header pairs given and reads the answer.
func send(t testing.TB, base, method, path string, body io.Reader, header ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{res.StatusCode, res.Header, b}
}

func decode(t testing.TB, r response, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

type featureCollection struct {
	Type           string `json:"type"`
	NumberMatched  int    `json:"numberMatched"`
	NumberReturned int    `json:"numberReturned"`
	TimeStamp      string `json:"timeStamp"`
	Links          []struct {
		Href, Rel, Type string
	} `json:"links"`
	Features []struct {
		Type       string          `json:"type"`
		ID         int64           `json:"id"`
		Geometry   json.RawMessage `json:"geometry"`
		Properties map[string]any  `json:"properties"`
	} `json:"features"`
}

func (fc featureCollection) link(rel string) string {
	for _, l := range fc.Links {
		if l.Rel == rel {
			return l.Href
		}
	}
	return ""
}

func TestLandingConformanceAPI(t *testing.T) {
	srv, _ := demoServer(t)
	r := get(t, srv, "/")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET / = %d %s", r.status, r.header.Get("Content-Type"))
	}
	var landing struct {
		Links []struct{ Href, Rel string }
	}
	decode(t, r, &landing)
	rels := map[string]string{}
	for _, l := range landing.Links {
		rels[l.Rel] = l.Href
	}
	for _, rel := range []string{"self", "service-desc", "conformance", "data"} {
		if rels[rel] == "" {
			t.Errorf("landing page has no %q link", rel)
		}
	}
	var conf struct{ ConformsTo []string }
	decode(t, get(t, srv, "/conformance"), &conf)
	if !contains(conf.ConformsTo, "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core") ||
		!contains(conf.ConformsTo, "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson") {
		t.Errorf("conformance %v lacks core or geojson", conf.ConformsTo)
	}
	r = get(t, srv, "/api")
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	decode(t, r, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.0") || doc.Paths["/collections/stop_signs/items"]["get"] == nil {
		t.Errorf("OpenAPI document: version %q, %d paths", doc.OpenAPI, len(doc.Paths))
	}
}

func TestCollectionsCountsAndExtents(t *testing.T) {
	srv, st := demoServer(t)
	var body struct {
		Collections []struct {
			ID     string `json:"id"`
			Count  int    `json:"numberOfFeatures"`
			Role   string `json:"role"`
			Extent struct {
				Spatial struct {
					BBox [][4]float64 `json:"bbox"`
					CRS  string       `json:"crs"`
				} `json:"spatial"`
			} `json:"extent"`
		} `json:"collections"`
	}
	decode(t, get(t, srv, "/collections"), &body)
	roles := map[string]string{}
	for _, c := range body.Collections {
		roles[c.ID] = c.Role
	}
	if len(body.Collections) != 7 || roles["stop_signs"] != "" || roles["streets"] != "base" || roles["city_limits"] != "boundary" {
		t.Fatalf("collections and roles %v, want the 4 demo layers, streets, places and the city limits", roles)
	}
	for _, c := range body.Collections {
		page, err := st.Items(context.Background(), c.ID, store.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if c.Count != page.Matched || c.Count == 0 {
			t.Errorf("%s: numberOfFeatures %d, store has %d", c.ID, c.Count, page.Matched)
		}
		// The extent must contain every feature, and be tight.
		var fc featureCollection
		decode(t, get(t, srv, "/collections/"+c.ID+"/items?limit=10000"), &fc)
		if len(c.Extent.Spatial.BBox) != 1 {
			t.Fatalf("%s: extent %v", c.ID, c.Extent)
		}
		bb := c.Extent.Spatial.BBox[0]
		lo := [2]float64{180, 90}
		hi := [2]float64{-180, -90}
		for _, f := range fc.Features {
			var g struct{ Coordinates any }
			_ = json.Unmarshal(f.Geometry, &g)
			walkPositions(g.Coordinates, func(x, y float64) {
				lo = [2]float64{min(lo[0], x), min(lo[1], y)}
				hi = [2]float64{max(hi[0], x), max(hi[1], y)}
			})
		}
		if bb != [4]float64{lo[0], lo[1], hi[0], hi[1]} {
			t.Errorf("%s: extent %v, features span %v %v", c.ID, bb, lo, hi)
		}
	}
	var one struct {
		ID     string `json:"id"`
		Count  int    `json:"numberOfFeatures"`
		Extent struct {
			Temporal struct {
				Interval [][2]string `json:"interval"`
			} `json:"temporal"`
		} `json:"extent"`
	}
	decode(t, get(t, srv, "/collections/traffic_signals"), &one)
	if one.ID != "traffic_signals" || one.Count == 0 {
		t.Errorf("/collections/traffic_signals = %+v", one)
	}
	// The temporal extent spans the install dates (the time field).
	var fc featureCollection
	decode(t, get(t, srv, "/collections/traffic_signals/items?limit=10000"), &fc)
	lo, hi := "9999", "0000"
	for _, f := range fc.Features {
		d := f.Properties["installed"].(string)
		lo, hi = min(lo, d), max(hi, d)
	}
	if iv := one.Extent.Temporal.Interval; len(iv) != 1 || iv[0][0] != lo+"T00:00:00Z" || iv[0][1] != hi+"T00:00:00Z" {
		t.Errorf("temporal extent %v, install dates span %s to %s", iv, lo, hi)
	}
}

func walkPositions(v any, fn func(x, y float64)) {
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		return
	}
	if x, ok := arr[0].(float64); ok {
		fn(x, arr[1].(float64))
		return
	}
	for _, a := range arr {
		walkPositions(a, fn)
	}
}

func TestItemsPagingFollowsNextLinks(t *testing.T) {
	srv, st := demoServer(t)
	info, _ := st.Collection("stop_signs")
	seen := map[int64]bool{}
	next := "/collections/stop_signs/items?limit=250"
	pages := 0
	var last int64
	for next != "" {
		var fc featureCollection
		decode(t, get(t, srv, next), &fc)
		if fc.NumberMatched != info.Count || fc.NumberReturned != len(fc.Features) || fc.TimeStamp == "" {
			t.Fatalf("page %d: matched %d returned %d (%d features), want matched %d", pages, fc.NumberMatched, fc.NumberReturned, len(fc.Features), info.Count)
		}
		for _, f := range fc.Features {
			if seen[f.ID] || f.ID <= last {
				t.Fatalf("feature %d out of order or repeated", f.ID)
			}
			seen[f.ID], last = true, f.ID
		}
		if pages > 0 && fc.link("prev") == "" {
			t.Errorf("page %d has no prev link", pages)
		}
		pages++
		next = ""
		if n := fc.link("next"); n != "" {
			u, _ := url.Parse(n)
			next = u.RequestURI()
		}
	}
	// The first page has the 250 asked for; the next links ask for 1000
	// (GDAL follows them: see bulkPage).
	if len(seen) != info.Count || pages != 1+(info.Count-250+999)/1000 {
		t.Errorf("paged through %d features in %d pages, want %d", len(seen), pages, info.Count)
	}
	// Pages for people keep their size.
	r := get(t, srv, "/collections/stop_signs/items?limit=25&f=html")
	if !strings.Contains(string(r.body), "limit=25") || strings.Contains(string(r.body), "limit=1000") {
		t.Error("the HTML page's next link changes the page size")
	}
}

func TestItemsFilters(t *testing.T) {
	srv, st := demoServer(t)
	ctx := context.Background()
	info, _ := st.Collection("stop_signs")
	e := info.Extent
	mid := [4]float64{e[0], e[1], (e[0] + e[2]) / 2, (e[1] + e[3]) / 2}
	want, _ := st.Count(ctx, "stop_signs", store.Filter{BBox: &mid})
	var fc featureCollection
	decode(t, get(t, srv, "/collections/stop_signs/items?limit=10000&bbox="+bboxString(mid)), &fc)
	if fc.NumberMatched != want || want == 0 || want == info.Count {
		t.Fatalf("bbox: matched %d, store counts %d of %d", fc.NumberMatched, want, info.Count)
	}
	for _, f := range fc.Features {
		var g struct{ Coordinates [2]float64 }
		_ = json.Unmarshal(f.Geometry, &g)
		x, y := g.Coordinates[0], g.Coordinates[1]
		if x < mid[0] || x > mid[2] || y < mid[1] || y > mid[3] {
			t.Errorf("feature %d at %v is outside bbox %v", f.ID, g.Coordinates, mid)
		}
	}
	// The 6-number form is the same box with heights.
	var fc6 featureCollection
	decode(t, get(t, srv, "/collections/stop_signs/items?limit=1&bbox="+url.QueryEscape(
		strings.Join([]string{ftoa(mid[0]), ftoa(mid[1]), "-10", ftoa(mid[2]), ftoa(mid[3]), "100"}, ","))), &fc6)
	if fc6.NumberMatched != want {
		t.Errorf("6-number bbox matched %d, want %d", fc6.NumberMatched, want)
	}
	// Property equality.
	var poor featureCollection
	decode(t, get(t, srv, "/collections/stop_signs/items?condition=poor&limit=10000"), &poor)
	if poor.NumberMatched == 0 || poor.NumberMatched >= info.Count {
		t.Fatalf("condition=poor matched %d of %d", poor.NumberMatched, info.Count)
	}
	for _, f := range poor.Features {
		if f.Properties["condition"] != "poor" {
			t.Fatalf("condition=poor returned %v", f.Properties)
		}
	}
	// datetime on the collection's time field (installed).
	var old featureCollection
	decode(t, get(t, srv, "/collections/stop_signs/items?datetime=../1999-12-31&limit=10000"), &old)
	if old.NumberMatched == 0 || old.NumberMatched >= info.Count {
		t.Fatalf("datetime=../1999-12-31 matched %d of %d", old.NumberMatched, info.Count)
	}
	for _, f := range old.Features {
		if d, _ := f.Properties["installed"].(string); d > "1999-12-31" {
			t.Fatalf("installed %s is after 1999", d)
		}
	}
	var year featureCollection
	decode(t, get(t, srv, "/collections/stop_signs/items?datetime=2010-01-01T00:00:00Z/2010-12-31T23:59:59Z&limit=10000"), &year)
	for _, f := range year.Features {
		if d, _ := f.Properties["installed"].(string); !strings.HasPrefix(d, "2010-") {
			t.Fatalf("installed %s is not in 2010", d)
		}
	}
}

func bboxString(b [4]float64) string {
	return url.QueryEscape(ftoa(b[0]) + "," + ftoa(b[1]) + "," + ftoa(b[2]) + "," + ftoa(b[3]))
}

func ftoa(f float64) string { return strconvFormat(f) }

func TestBadRequestsAreProblems(t *testing.T) {
	srv, _ := demoServer(t)
	cases := []struct {
		name, path string
		status     int
		param      string
		mention    string
	}{
		{"unknown parameter", "/collections/stop_signs/items?colour=red", 400, "colour", "colour"},
		{"bbox three numbers", "/collections/stop_signs/items?bbox=1,2,3", 400, "bbox", "4 numbers"},
		{"bbox not a number", "/collections/stop_signs/items?bbox=a,2,3,4", 400, "bbox", "not a number"},
		{"bbox lat reversed", "/collections/stop_signs/items?bbox=-116,33,-115,32", 400, "bbox", "minLat"},
		{"bbox out of range", "/collections/stop_signs/items?bbox=-200,32,-115,33", 400, "bbox", "-180..180"},
		{"bbox twice", "/collections/stop_signs/items?bbox=1,2,3,4&bbox=1,2,3,4", 400, "bbox", "once"},
		{"bbox-crs unsupported", "/collections/stop_signs/items?bbox=1,2,3,4&bbox-crs=EPSG:27700", 400, "bbox-crs", "not offered"},
		{"limit zero", "/collections/stop_signs/items?limit=0", 400, "limit", "between 1 and 10000"},
		{"limit too big", "/collections/stop_signs/items?limit=10001", 400, "limit", "between 1 and 10000"},
		{"limit not a number", "/collections/stop_signs/items?limit=ten", 400, "limit", "whole number"},
		{"offset negative", "/collections/stop_signs/items?offset=-1", 400, "offset", "between 0"},
		{"datetime garbage", "/collections/stop_signs/items?datetime=yesterday", 400, "datetime", "RFC 3339"},
		{"datetime backwards", "/collections/stop_signs/items?datetime=2020-01-01/2019-01-01", 400, "datetime", "after the end"},
		{"property of wrong type", "/collections/stop_signs/items?sign_size_in=big", 400, "sign_size_in", "number"},
		{"format unknown", "/collections/stop_signs/items?f=xml", 400, "f", "json"},
		{"unknown collection", "/collections/fire_hydrants/items", 404, "", "stop_signs"},
		{"unknown feature", "/collections/stop_signs/items/99999999", 404, "", "99999999"},
		{"feature id not a number", "/collections/stop_signs/items/abc", 404, "", "abc"},
		{"no such path", "/nowhere", 404, "", "/nowhere"},
		{"unknown parameter on collections", "/collections?bbox=1,2,3,4", 400, "bbox", "takes: f"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := get(t, srv, tc.path)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("Content-Type %q", ct)
			}
			var p api.Problem
			decode(t, r, &p)
			if p.Status != tc.status || p.Title == "" || p.Parameter != tc.param || !strings.Contains(p.Detail, tc.mention) {
				t.Errorf("problem %+v: want parameter %q and a detail mentioning %q", p, tc.param, tc.mention)
			}
		})
	}
}

func TestETagAndGzip(t *testing.T) {
	srv, _ := demoServer(t)
	r := get(t, srv, "/collections/parks/items?limit=5")
	tag := r.header.Get("ETag")
	if tag == "" {
		t.Fatal("no ETag")
	}
	if r2 := get(t, srv, "/collections/parks/items?limit=5", "If-None-Match", tag); r2.status != http.StatusNotModified || len(r2.body) != 0 {
		t.Errorf("If-None-Match with the current tag: %d, %d bytes", r2.status, len(r2.body))
	}
	if r3 := get(t, srv, "/collections/parks/items?limit=6", "If-None-Match", tag); r3.status != 200 {
		t.Errorf("another query with the old tag: %d, want 200", r3.status)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/collections/stop_signs/items?limit=100", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	tr := &http.Transport{DisableCompression: true}
	res, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q", res.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	var fc featureCollection
	if err := json.NewDecoder(zr).Decode(&fc); err != nil || fc.NumberReturned != 100 {
		t.Errorf("gzipped page: %v, %d features", err, fc.NumberReturned)
	}
	if r := get(t, srv, "/collections", "Origin", "http://example.org"); r.header.Get("Access-Control-Allow-Origin") == "" {
		t.Error("no CORS header")
	}
}

func TestFeatureAndFormats(t *testing.T) {
	srv, st := demoServer(t)
	page, _ := st.Items(context.Background(), "parks", store.Filter{Limit: 1})
	id := page.Features[0].ID
	path := "/collections/parks/items/" + itoa(id)
	var f struct {
		Type       string         `json:"type"`
		ID         int64          `json:"id"`
		Properties map[string]any `json:"properties"`
		Links      []struct{ Rel string }
	}
	r := get(t, srv, path)
	if r.status != 200 || r.header.Get("Content-Type") != "application/geo+json" {
		t.Fatalf("GET %s: %d %s", path, r.status, r.header.Get("Content-Type"))
	}
	decode(t, r, &f)
	if f.Type != "Feature" || f.ID != id || f.Properties["name"] == nil || len(f.Links) < 2 {
		t.Errorf("feature %+v", f)
	}
	html := get(t, srv, path, "Accept", "text/html,application/xhtml+xml")
	name, _ := f.Properties["name"].(string)
	if html.status != 200 || !strings.Contains(html.header.Get("Content-Type"), "text/html") || !strings.Contains(string(html.body), htmlEscape(name)) {
		t.Errorf("HTML feature page: %d %s", html.status, html.header.Get("Content-Type"))
	}
	for _, p := range []string{"/?f=html", "/collections?f=html", "/collections/parks?f=html", "/collections/parks/items?f=html", "/conformance?f=html"} {
		if r := get(t, srv, p); r.status != 200 || !strings.Contains(string(r.body), "</html>") {
			t.Errorf("%s: %d", p, r.status)
		}
	}
	c := get(t, srv, "/collections/stop_signs/items?f=csv&limit=20")
	rows, err := csv.NewReader(strings.NewReader(string(c.body))).ReadAll()
	if err != nil || len(rows) != 21 || rows[0][0] != "id" || rows[0][len(rows[0])-1] != "latitude" {
		t.Errorf("CSV: %v, %d rows, header %v", err, len(rows), rows[0])
	}
	var q struct {
		Properties map[string]map[string]any `json:"properties"`
	}
	decode(t, get(t, srv, "/collections/stop_signs/queryables"), &q)
	if q.Properties["condition"]["type"] != "string" || q.Properties["installed"]["format"] != "date" {
		t.Errorf("queryables %v", q.Properties)
	}
	if r := get(t, srv, "/healthz"); r.status != 200 {
		t.Errorf("healthz %d", r.status)
	}
	if r := get(t, srv, "/readyz"); r.status != 200 {
		t.Errorf("readyz %d", r.status)
	}
	if r := get(t, srv, "/metrics"); r.status != 200 || !strings.Contains(string(r.body), `cityatlas_features{collection="parks"}`) {
		t.Errorf("metrics %d %s", r.status, r.body)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestBBoxAcrossAntimeridian: a bbox with minLon > maxLon is the box that
// crosses the antimeridian (OGC API - Features Part 1, 7.15.3), answered,
// not refused: the Imperial demo (longitude -115.5) lies in neither half
// of a box over the Pacific, and a box from 100°E eastwards to 110°W holds
// the whole layer in its western half.
func TestBBoxAcrossAntimeridian(t *testing.T) {
	srv, st := demoServer(t)
	var page struct {
		NumberMatched int `json:"numberMatched"`
	}
	r := get(t, srv, "/collections/stop_signs/items?bbox=170,-10,-170,10")
	decode(t, r, &page)
	if r.status != 200 || page.NumberMatched != 0 {
		t.Errorf("Pacific box: %d, %d matched: %s", r.status, page.NumberMatched, r.body)
	}
	ci, err := st.Collection("stop_signs")
	if err != nil {
		t.Fatal(err)
	}
	r = get(t, srv, "/collections/stop_signs/items?limit=1&bbox=100,30,-110,35")
	decode(t, r, &page)
	if r.status != 200 || page.NumberMatched != ci.Count {
		t.Errorf("box around the world: %d, %d matched, want %d", r.status, page.NumberMatched, ci.Count)
	}
}
