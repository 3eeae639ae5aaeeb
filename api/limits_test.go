package api_test

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/cityatlas/cityatlas/api"
)

func mustPrefixes(t testing.TB, ss ...string) []netip.Prefix {
	t.Helper()
	var out []netip.Prefix
	for _, s := range ss {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// circlePolygon returns a GeoJSON Polygon of n vertices around Imperial,
// radius r degrees.
func circlePolygon(n int, r float64) []byte {
	var b bytes.Buffer
	b.WriteString(`{"type":"Polygon","coordinates":[[`)
	for i := 0; i < n; i++ {
		a := 2 * math.Pi * float64(i) / float64(n)
		fmt.Fprintf(&b, "[%.4f,%.4f],", -115.57+r*math.Cos(a), 32.85+r*math.Sin(a))
	}
	fmt.Fprintf(&b, "[%.4f,%.4f]]]}", -115.57+r, 32.85)
	return b.Bytes()
}

// TestCountGeometryBudget is issue 14's cheap DoS: a 200,000-vertex polygon
// (under the body cap) gets a 400 naming the limit, without the geometry
// echoed; a polygon too large in area too; a small one is counted and not
// echoed either.
func TestCountGeometryBudget(t *testing.T) {
	srv, _ := demoServer(t)
	big := circlePolygon(200_000, 0.3)
	if len(big) > 4<<20 {
		t.Fatalf("test polygon is %d bytes, over the body cap", len(big))
	}
	r := send(t, srv.URL, http.MethodPost, "/count", bytes.NewReader(big), "Content-Type", "application/geo+json")
	if r.status != 400 || r.header.Get("Content-Type") != "application/problem+json" ||
		!strings.Contains(string(r.body), "200001 vertices") || !strings.Contains(string(r.body), "limit is 10000") {
		t.Fatalf("200k vertices: %d %.300s", r.status, r.body)
	}
	if bytes.Contains(r.body, []byte("-115.57")) || len(r.body) > 2000 {
		t.Errorf("the answer echoes the geometry (%d bytes)", len(r.body))
	}
	// About 4 degrees across: some 140,000 km².
	r = send(t, srv.URL, http.MethodPost, "/count", bytes.NewReader(circlePolygon(100, 2)), "Content-Type", "application/geo+json")
	if r.status != 400 || !strings.Contains(string(r.body), "km²") {
		t.Errorf("large area: %d %s", r.status, r.body)
	}
	small := circlePolygon(100, 0.01)
	r = send(t, srv.URL, http.MethodPost, "/count", bytes.NewReader(small), "Content-Type", "application/geo+json; charset=utf-8")
	if r.status != 200 || bytes.Contains(r.body, []byte("coordinates")) || !bytes.Contains(r.body, []byte(`"total"`)) {
		t.Errorf("small polygon: %d %s", r.status, r.body)
	}
	// The budget is configurable.
	_, st := demoServer(t)
	tight, _, _ := loggedServer(t, st, api.Config{Limits: api.Limits{MaxVertices: 50}})
	r = send(t, tight.URL, http.MethodPost, "/count", bytes.NewReader(small), "Content-Type", "application/geo+json")
	if r.status != 400 || !strings.Contains(string(r.body), "limit is 50") {
		t.Errorf("MaxVertices 50: %d %s", r.status, r.body)
	}
}

// TestCountContentType: the posted area must say it is (Geo)JSON.
func TestCountContentType(t *testing.T) {
	srv, _ := demoServer(t)
	body := circlePolygon(10, 0.01)
	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "application/geo+jsonx"} {
		r := send(t, srv.URL, http.MethodPost, "/count", bytes.NewReader(body), "Content-Type", ct)
		if r.status != 415 || !strings.Contains(string(r.body), "application/geo+json") {
			t.Errorf("Content-Type %q: %d %s", ct, r.status, r.body)
		}
	}
	if r := send(t, srv.URL, http.MethodPost, "/count", bytes.NewReader(body), "Content-Type", "application/json"); r.status != 200 {
		t.Errorf("application/json: %d %s", r.status, r.body)
	}
}

// TestClientConcurrencyLimit: with 2 expensive requests of one client
// running, a third gets a 429 problem with Retry-After; cheap routes pass;
// once one finishes, the next is served.
func TestClientConcurrencyLimit(t *testing.T) {
	_, st := demoServer(t)
	bs := &blockingStore{Store: st, started: make(chan struct{}, 2), release: make(chan struct{})}
	srv, _, _ := loggedServer(t, bs, api.Config{Limits: api.Limits{ClientConcurrency: 2}})
	done := make(chan int, 2)
	for range 2 {
		go func() {
			res, err := http.Get(srv.URL + "/collections/stop_signs/stats")
			if err != nil {
				done <- 0
				return
			}
			res.Body.Close()
			done <- res.StatusCode
		}()
	}
	<-bs.started
	<-bs.started
	r := get(t, srv, "/count?bbox=-115.6,32.8,-115.5,32.9")
	if r.status != 429 || r.header.Get("Retry-After") == "" || r.header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("third expensive request: %d %q %s", r.status, r.header.Get("Retry-After"), r.body)
	}
	if r := get(t, srv, "/collections/stop_signs/items?limit=5000"); r.status != 429 {
		t.Errorf("a large page: %d", r.status)
	}
	if r := get(t, srv, "/collections/stop_signs/items?limit=10"); r.status != 200 {
		t.Errorf("a small page: %d", r.status)
	}
	close(bs.release)
	for range 2 {
		if s := <-done; s != 200 {
			t.Errorf("held request: %d", s)
		}
	}
	bs.started = make(chan struct{}, 1)
	if r := get(t, srv, "/collections/stop_signs/stats"); r.status != 200 {
		t.Errorf("after the others finished: %d %s", r.status, r.body)
	}
}

// TestStrictNumbers: bbox and circle numbers are plain decimals; Go's
// ParseFloat alone would take 1_0 as 10, 0x1p4 as 16, and Inf.
func TestStrictNumbers(t *testing.T) {
	srv, _ := demoServer(t)
	for _, q := range []string{
		"/collections/stop_signs/items?bbox=-115_6,32.8,-115.5,32.9",
		"/collections/stop_signs/items?bbox=-0x1p4,32.8,-115.5,32.9",
		"/collections/stop_signs/items?bbox=-115.6,32.8,Inf,32.9",
		"/collections/stop_signs/items?bbox=-115.6,32.8,-115.5,1e",
		"/count?lon=-115_5&lat=32.8&radius=100",
		"/count?lon=-115.5&lat=32.8&radius=1_00",
		"/count?lon=-115.5&lat=NaN&radius=100",
	} {
		r := get(t, srv, q)
		if r.status != 400 || !strings.Contains(string(r.body), `"parameter"`) {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
	}
	for _, q := range []string{
		"/collections/stop_signs/items?bbox=-115.6,32.8,-115.5,32.9",
		"/collections/stop_signs/items?bbox=-1.156e2,+32.8,-115.5,32.9",
		"/count?lon=-115.5&lat=32.8&radius=100.",
	} {
		if r := get(t, srv, q); r.status != 200 {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
	}
}

// TestQueryablesHTML: f=html gives a page listing the properties.
func TestQueryablesHTML(t *testing.T) {
	srv, st := demoServer(t)
	ci, _ := st.Collection("stop_signs")
	r := get(t, srv, "/collections/stop_signs/queryables?f=html")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.body), ci.Fields[0].Name) {
		t.Errorf("queryables?f=html: %d %s", r.status, r.header.Get("Content-Type"))
	}
	if r := get(t, srv, "/collections/stop_signs/queryables?f=csv"); r.status != 400 {
		t.Errorf("queryables?f=csv: %d", r.status)
	}
	if r := get(t, srv, "/collections/stop_signs/queryables"); r.status != 200 || r.header.Get("Content-Type") != "application/schema+json" {
		t.Errorf("queryables: %d %q", r.status, r.header.Get("Content-Type"))
	}
}

// TestCountPositions: the raw count is the decoded geometry's vertex
// count, strings aside.
func TestCountPositions(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}`, 4},
		{`{"type":"MultiPolygon","coordinates":[[[ [ -1.5 ,0],[1,0],[1,1],[-1.5,0]]],[[[5,5],[6,5],[6,6],[5,5]]]]}`, 8},
		{`{"type":"Feature","properties":{"note":"[1,2] [3,4]"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}`, 4},
		{`{"type":"Polygon","coordinates":[]}`, 0},
	} {
		if got := api.CountPositions([]byte(tc.in)); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.in, got, tc.want)
		}
	}
}
