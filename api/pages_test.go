package api_test

import (
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/dustin/go-humanize"

	"github.com/cityatlas/cityatlas/api"
	"github.com/cityatlas/cityatlas/formats"
	"github.com/cityatlas/cityatlas/web"
)

// TestDatasetPage: a collection's HTML page is a dataset page: facts, a
// download button for every format, the attribute table (sorted and paged
// by links that keep f=html), the field list and the API links; its table
// parameters are checked as the items endpoint's are.
func TestDatasetPage(t *testing.T) {
	srv, _ := demoServer(t)
	r := get(t, srv, "/collections/stop_signs?f=html")
	if r.status != 200 {
		t.Fatalf("dataset page: %d %s", r.status, r.body)
	}
	body := string(r.body)
	for _, f := range formats.All {
		if !strings.Contains(body, `href="`+srv.URL+`/collections/stop_signs/download?f=`+f.Name+`"`) {
			t.Errorf("no download button for %s", f.Name)
		}
	}
	for _, want := range []string{`id="attributes"`, `id="fields"`, `/collections/stop_signs/queryables"`, `/tiles/WebMercatorQuad"`, "OAPIF:" + srv.URL} {
		if !strings.Contains(body, want) {
			t.Errorf("dataset page lacks %q", want)
		}
	}
	if n := strings.Count(body, "<tr><td><a href="); n != 10 {
		t.Errorf("attribute table: %d rows, want 10", n)
	}
	if strings.Contains(body, `id="minimap"`) {
		t.Error("a small map without the web map (Config.Map unset)")
	}
	// Column links sort; the pager keeps the order.
	m := regexp.MustCompile(`<th><a href="([^"]+)" title="Sort by Name">`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no sort link on Name: %s", body)
	}
	href := strings.ReplaceAll(m[1], "&amp;", "&")
	if !strings.Contains(href, "sortby=name") || !strings.Contains(href, "f=html") || !strings.HasSuffix(href, "#attributes") {
		t.Errorf("sort link %q", href)
	}
	sorted := get(t, srv, strings.TrimPrefix(strings.TrimSuffix(href, "#attributes"), srv.URL))
	if !strings.Contains(string(sorted.body), `aria-sort="ascending"`) || !strings.Contains(string(sorted.body), "sortby=-name") {
		t.Errorf("sorted page: %d, no ascending mark or descending link", sorted.status)
	}
	next := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(string(sorted.body))
	if next == nil || !strings.Contains(next[1], "offset=10") || !strings.Contains(next[1], "sortby=name") {
		t.Errorf("next link %v", next)
	}
	for _, bad := range []string{"sortby=nosuch", "limit=0", "limit=101", "offset=-1", "limit=x", "bbox=1,2,3,4"} {
		if r := get(t, srv, "/collections/stop_signs?f=html&"+bad); r.status != 400 || !strings.Contains(string(r.body), strings.SplitN(bad, "=", 2)[0]) {
			t.Errorf("%s: %d %s", bad, r.status, r.body)
		}
	}
	// The JSON document takes f only.
	if r := get(t, srv, "/collections/stop_signs?sortby=name"); r.status != 400 {
		t.Errorf("JSON with sortby: %d", r.status)
	}
}

// TestDatasetPageSizes: after a whole-layer download the dataset page
// gives the file's size; a partial download does not set it; a write to the
// layer makes it unknown again.
func TestDatasetPageSizes(t *testing.T) {
	b, _ := backends[0].open(t)
	e := newWriteEnv(t, b)
	e.do(t, "POST", "/collections/signs/items", "editor", okSign)
	sizeOf := func() string {
		body := string(get(t, e.srv, "/collections/signs?f=html").body)
		m := regexp.MustCompile(`download>GeoJSON</a> <span class="size">([^<]+)</span>`).FindStringSubmatch(body)
		if m == nil {
			return ""
		}
		return m[1]
	}
	if s := sizeOf(); s != "" {
		t.Errorf("a size before any download: %q", s)
	}
	get(t, e.srv, "/collections/signs/download?f=geojson&bbox=0,0,1,1")
	if s := sizeOf(); s != "" {
		t.Errorf("a partial download set the size: %q", s)
	}
	d := get(t, e.srv, "/collections/signs/download?f=geojson")
	want := humanize.Bytes(uint64(len(d.body)))
	if s := sizeOf(); s != want {
		t.Errorf("size %q, want %q (%d bytes)", s, want, len(d.body))
	}
	e.do(t, "POST", "/collections/signs/items", "editor", okSign)
	if s := sizeOf(); s != "" {
		t.Errorf("size %q after a write", s)
	}
}

// TestPagesMiniMap: with the web map served, the dataset, items and
// feature pages carry the small map (a div with data- attributes, the
// vendored MapLibre and the map's module; no inline script), and the
// items page's map reads the page's own GeoJSON.
func TestPagesMiniMap(t *testing.T) {
	_, st := demoServer(t)
	m := web.New(web.Config{})
	srv := httptest.NewServer(api.NewServer(st, api.Config{Map: m, Extra: m.Register}, nil))
	t.Cleanup(srv.Close)
	var fc featureCollection
	decode(t, get(t, srv, "/collections/parks/items?limit=1"), &fc)
	if len(fc.Features) != 1 {
		t.Fatalf("parks: %d features", len(fc.Features))
	}
	for _, p := range []string{"/collections/parks?f=html", "/collections/parks/items?f=html&limit=3", "/collections/parks/items/" + itoa(fc.Features[0].ID) + "?f=html"} {
		r := get(t, srv, p)
		body := string(r.body)
		if r.status != 200 || !strings.Contains(body, `id="minimap"`) || !strings.Contains(body, `/map/vendor/maplibre-gl/maplibre-gl.js"`) ||
			!strings.Contains(body, `src="`+srv.URL+`/map/js/minimap.js"`) {
			t.Errorf("%s: %d, no small map: %.400s", p, r.status, body)
		}
		if regexp.MustCompile(`<script(?: [^s][^>]*)?>[^<]`).MatchString(body) {
			t.Errorf("%s: an inline script", p)
		}
	}
	items := string(get(t, srv, "/collections/parks/items?f=html&limit=3").body)
	if !strings.Contains(items, `data-geojson="`+srv.URL+`/collections/parks/items?f=json&amp;limit=3"`) {
		t.Errorf("items page's map does not read the page: %s", items)
	}
}
