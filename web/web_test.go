package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cityatlas/cityatlas/api"
	"github.com/cityatlas/cityatlas/demo"
	"github.com/cityatlas/cityatlas/ingest"
	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/gpkg"
	"github.com/cityatlas/cityatlas/web"
)

// server starts the real server (a GeoPackage store, the api and the map)
// on a free port, after fill has loaded the store.
func server(t *testing.T, cfg web.Config, fill func(ctx context.Context, b store.Backend) error) *httptest.Server {
	t.Helper()
	return serverWith(t, cfg, fill, nil)
}

// serverWith is server, with conf given the backend and the api's
// configuration to complete (API keys, say) before the server starts.
func serverWith(t *testing.T, cfg web.Config, fill func(ctx context.Context, b store.Backend) error, conf func(b store.Backend, c *api.Config)) *httptest.Server {
	t.Helper()
	ctx := context.Background()
	b, err := gpkg.Open(ctx, filepath.Join(t.TempDir(), "map.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	if fill != nil {
		if err := fill(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	st, err := store.Open(ctx, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	m := web.New(cfg)
	ac := api.Config{Map: m, Extra: m.Register}
	if conf != nil {
		conf(b, &ac)
	}
	srv := httptest.NewServer(api.NewServer(st, ac, nil))
	t.Cleanup(srv.Close)
	return srv
}

// demoServer serves the demo city.
func demoServer(t *testing.T, cfg web.Config) *httptest.Server {
	return server(t, cfg, func(ctx context.Context, b store.Backend) error {
		_, err := demo.Seed(ctx, b, demo.Options{Seed: 1, Scale: 1})
		return err
	})
}

// importInto imports a file into a new collection.
func importInto(ctx context.Context, b store.Backend, file, collection, title string) error {
	_, err := ingest.Run(ctx, b, []string{file}, ingest.Options{Collection: collection, Create: true, Title: title})
	return err
}

func fetch(t *testing.T, srv *httptest.Server, path, accept string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Header, string(b)
}

const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

func TestRoutes(t *testing.T) {
	srv := demoServer(t, web.Config{Basemap: "https://tile.openstreetmap.org/{z}/{x}/{y}.png"})
	tests := []struct {
		name, path, accept string
		status             int
		contentType        string
		has, hasNot        string
	}{
		{"browser at / gets the map", "/", browserAccept, 200, "text/html", `<base href="./">`, ""},
		{"JSON client at / gets the landing document", "/", "application/json", 200, "application/json", `"links"`, "maplibre"},
		{"no Accept at / gets JSON", "/", "", 200, "application/json", `"links"`, "maplibre"},
		{"the HTML landing page stays reachable", "/?f=html", browserAccept, 200, "text/html", "/collections", "maplibre-gl.js"},
		{"the map at /map/", "/map/", browserAccept, 200, "text/html", `<base href="../">`, ""},
		{"the map links the HTML landing page", "/", browserAccept, 200, "text/html", `href="?f=html"`, ""},
		{"config names the basemap", "/map/config.json", "", 200, "application/json", `"kind":"raster"`, ""},
		{"config gives OpenStreetMap's attribution", "/map/config.json", "", 200, "application/json", "OpenStreetMap", ""},
		{"MapLibre is served from the binary", "/map/vendor/maplibre-gl/maplibre-gl.js", "", 200, "javascript", "maplibregl", ""},
		{"MapLibre CSS", "/map/vendor/maplibre-gl/maplibre-gl.css", "", 200, "text/css", "maplibregl", ""},
		{"the app's modules", "/map/js/main.js", "", 200, "javascript", "cityatlas", ""},
		{"the search module", "/map/js/search.js", "", 200, "javascript", "search", ""},
		{"glyphs of a vendored range", "/map/fonts/DejaVu%20Sans%20Book/0-255.pbf", "", 200, "application/x-protobuf", "DejaVu Sans", ""},
		{"glyphs of the bold font", "/map/fonts/DejaVu%20Sans%20Bold/256-511.pbf", "", 200, "application/x-protobuf", "DejaVu Sans", ""},
		{"a range beyond Latin is empty", "/map/fonts/DejaVu%20Sans%20Book/19968-20223.pbf", "", 200, "application/x-protobuf", "", ""},
		{"an unknown font", "/map/fonts/Comic%20Sans/0-255.pbf", "", 404, "", "", ""},
		{"a malformed range", "/map/fonts/DejaVu%20Sans%20Book/0-255.txt", "", 404, "", "", ""},
		{"the font's licence is served", "/map/vendor/glyphs/LICENSE-DejaVu.txt", "", 200, "text/plain", "Bitstream", ""},
		{"no boundary document: the city limits are a collection", "/map/boundary.geojson", "", 404, "", "", ""},
		{"missing file", "/map/nothing.js", "", 404, "", "", ""},
		{"test files are not embedded", "/map/test/map.test.mjs", "", 404, "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, h, body := fetch(t, srv, tc.path, tc.accept)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %.300s", status, tc.status, body)
			}
			if !strings.Contains(h.Get("Content-Type"), tc.contentType) {
				t.Errorf("content type %q, want %q", h.Get("Content-Type"), tc.contentType)
			}
			if tc.has != "" && !strings.Contains(body, tc.has) {
				t.Errorf("body lacks %q: %.300s", tc.has, body)
			}
			if tc.hasNot != "" && strings.Contains(body, tc.hasNot) {
				t.Errorf("body has %q", tc.hasNot)
			}
		})
	}
}

func TestConfig(t *testing.T) {
	srv := server(t, web.Config{Title: "Springfield assets", DataAttribution: "City of Springfield GIS"}, nil)
	_, _, conf := fetch(t, srv, "/map/config.json", "")
	for _, want := range []string{`"kind":""`, `"title":"Springfield assets"`, `"attribution":"City of Springfield GIS"`, `"font":"DejaVu Sans Book"`} {
		if !strings.Contains(conf, want) {
			t.Errorf("config lacks %s: %s", want, conf)
		}
	}
	_, _, page := fetch(t, srv, "/", browserAccept)
	if !strings.Contains(page, "<h1>Springfield assets</h1>") || strings.Contains(page, "Imperial") {
		t.Errorf("the page is not Springfield's: %.400s", page)
	}
}

// TestMapInBrowser runs web/map/test/map.test.mjs: Debian's Chromium,
// driven by playwright-core, against the real server with the demo data.
// Missing node, npm or chromium skip it, or fail it when CI=true.
func TestMapInBrowser(t *testing.T) {
	b := newBrowserTest(t)
	// The demo city with the Chicago landmarks imported, an empty store,
	// and the OpenStreetMap points of San Francisco.
	city := server(t, web.Config{}, func(ctx context.Context, b store.Backend) error {
		if _, err := demo.Seed(ctx, b, demo.Options{Seed: 1, Scale: 1}); err != nil {
			return err
		}
		return importInto(ctx, b, "../importers/testdata/chicago/Individual_Landmarks.csv", "landmarks", "Chicago landmarks")
	})
	empty := server(t, web.Config{Title: "Empty atlas"}, nil)
	sf := server(t, web.Config{}, func(ctx context.Context, b store.Backend) error {
		return importInto(ctx, b, "../testdata/osm-sfbay/osm_sfbay_traffic_signals_and_stops.geojson", "osm_points", "OSM signals and stops")
	})
	b.run(t, "map.test.mjs", nil, city.URL, b.out, empty.URL, sf.URL)
	if _, err := os.Stat(filepath.Join(b.out, "map.png")); err != nil {
		t.Errorf("no screenshot: %v", err)
	}
}

// browserTest is what a browser test needs: node, the folder of the test
// scripts (with playwright-core installed) and the screenshots' folder.
type browserTest struct {
	node, dir, out string
}

// newBrowserTest finds node and Chromium and installs playwright-core when
// it is missing; without them the test is skipped, or fails when CI=true.
func newBrowserTest(t *testing.T) *browserTest {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	need := func(what, hint string) {
		msg := what + " not found: " + hint
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		need("node", "install the Debian packages nodejs and npm")
	}
	if _, err := os.Stat("/usr/bin/chromium"); err != nil {
		need("/usr/bin/chromium", "install the Debian package chromium")
	}
	dir, err := filepath.Abs(filepath.Join("map", "test"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core")); err != nil {
		npm, err := exec.LookPath("npm")
		if err != nil {
			need("npm", "install the Debian package npm")
		}
		cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
		}
	}
	out := os.Getenv("CITYATLAS_MAP_TEST_OUT")
	if out == "" {
		out = filepath.Join(dir, "out") // gitignored
	}
	return &browserTest{node: node, dir: dir, out: out}
}

// run runs a test script of the folder with args, and env added to the
// environment, and fails the test if it fails. The script gets what is
// left of the test binary's time (go test -timeout, 10 minutes by
// default), less a margin to report.
func (b *browserTest) run(t *testing.T, script string, env []string, args ...string) {
	t.Helper()
	deadline := time.Now().Add(9 * time.Minute)
	if d, ok := t.Deadline(); ok {
		deadline = d.Add(-20 * time.Second)
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.node, append([]string{filepath.Join(b.dir, script)}, args...)...)
	cmd.Dir = b.dir
	cmd.Env = append(os.Environ(), env...)
	res, err := cmd.CombinedOutput()
	t.Logf("%s output (screenshots in %s):\n%s", script, b.out, res)
	if err != nil {
		t.Fatalf("browser test %s failed: %v", script, err)
	}
}

// TestSearchImportedCity: after importing Chicago's landmarks and
// neighbourhoods, /search finds a landmark by a word of its name
// (landmark_name), a neighbourhood by its name (pri_neigh), and the count
// inside that neighbourhood is the landmarks in it.
func TestSearchImportedCity(t *testing.T) {
	srv := server(t, web.Config{}, func(ctx context.Context, b store.Backend) error {
		if err := importInto(ctx, b, "../importers/testdata/chicago/Individual_Landmarks.csv", "landmarks", "Landmarks"); err != nil {
			return err
		}
		return importInto(ctx, b, "../importers/testdata/chicago/chicago_neighborhoods_shp/Neighborhoods_2012b.shp", "neighborhoods", "Neighborhoods")
	})
	type result struct {
		Kind       string     `json:"kind"`
		Collection string     `json:"collection"`
		ID         int64      `json:"id"`
		Title      string     `json:"title"`
		BBox       [4]float64 `json:"bbox"`
	}
	search := func(q string) []result {
		status, _, body := fetch(t, srv, "/search?q="+url.QueryEscape(q), "")
		if status != 200 {
			t.Fatalf("search %q: %d %s", q, status, body)
		}
		var d struct{ Results []result }
		if err := json.Unmarshal([]byte(body), &d); err != nil {
			t.Fatal(err)
		}
		return d.Results
	}
	rs := search("Wrigley")
	if len(rs) == 0 || rs[0].Collection != "landmarks" || !strings.Contains(rs[0].Title, "Wrigley") {
		t.Errorf("Wrigley: %+v", rs)
	}
	rs = search("Loop")
	if len(rs) == 0 || rs[0].Collection != "neighborhoods" || rs[0].Title != "Loop" {
		t.Fatalf("Loop: %+v", rs)
	}
	status, _, body := fetch(t, srv, "/collections/neighborhoods/items/"+strconv.FormatInt(rs[0].ID, 10), "")
	if status != 200 {
		t.Fatalf("the Loop: %d", status)
	}
	var f struct{ Geometry json.RawMessage }
	if err := json.Unmarshal([]byte(body), &f); err != nil {
		t.Fatal(err)
	}
	res, err := http.Post(srv.URL+"/count?collections=landmarks", "application/geo+json", strings.NewReader(string(f.Geometry)))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var c struct{ Total int }
	if err := json.NewDecoder(res.Body).Decode(&c); err != nil || res.StatusCode != 200 || c.Total == 0 {
		t.Errorf("landmarks in the Loop: %d %+v %v", res.StatusCode, c, err)
	}
}
