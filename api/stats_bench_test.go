package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/cityatlas/cityatlas/api"
)

// BenchmarkCount measures a whole /count request of bench/compare.sh's
// count rows: a 20-vertex polygon 2 km across posted as GeoJSON, and a
// circle of 1 km, both over the stop signs of the demo city, through the
// handler (middleware, body, parameters, the store's count, encoding) in
// process with no network. The demo city is small, so it shows the fixed
// cost of a count rather than the counting:
//
//	go test -run XXX -bench 'Count$' -benchtime 20000x -cpuprofile /tmp/count.prof -o /tmp/api.test ./api/
//	go tool pprof -top -cum -focus 'Server..ServeHTTP' /tmp/api.test /tmp/count.prof
func BenchmarkCount(b *testing.B) {
	_, st := demoServer(b)
	h := api.NewServer(st, api.Config{}, nil)
	info, err := st.Collection("stop_signs")
	if err != nil {
		b.Fatal(err)
	}
	e := info.Extent
	lon, lat := (e[0]+e[2])/2, (e[1]+e[3])/2
	// As bench/shapes makes them: a regular 20-gon, 7 decimals.
	r, dy := 1000.0, 1/111320.0
	dx := dy / math.Cos(lat*math.Pi/180)
	ring := make([][2]float64, 0, 21)
	for k := range 20 {
		a := 2 * math.Pi * float64(k) / 20
		ring = append(ring, [2]float64{math.Round((lon+r*dx*math.Cos(a))*1e7) / 1e7, math.Round((lat+r*dy*math.Sin(a))*1e7) / 1e7})
	}
	ring = append(ring, ring[0])
	body, _ := json.Marshal(map[string]any{"type": "Polygon", "coordinates": [][][2]float64{ring}})
	ftoa := func(v float64) string { return strconv.FormatFloat(v, 'f', 7, 64) }
	for _, c := range []struct {
		name, method, path string
		body               []byte
	}{
		{"polygon", http.MethodPost, "/count?collections=stop_signs", body},
		{"circle", http.MethodGet, "/count?collections=stop_signs&lon=" + ftoa(lon) + "&lat=" + ftoa(lat) + "&radius=1000", nil},
	} {
		b.Run(c.name, func(b *testing.B) {
			rd := bytes.NewReader(c.body)
			req := httptest.NewRequest(c.method, c.path, rd)
			req.RemoteAddr, req.Host = "127.0.0.1:40000", "127.0.0.1:8080"
			if c.body != nil {
				req.Header.Set("Content-Type", "application/geo+json")
			}
			serve := func() *httptest.ResponseRecorder {
				rd.Reset(c.body)
				r := *req // ServeHTTP wraps the body of the request it is given
				r.Body = io.NopCloser(rd)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, &r)
				return w
			}
			w := serve()
			if w.Code != http.StatusOK || !bytes.Contains(w.Body.Bytes(), []byte(`"total":`)) || bytes.Contains(w.Body.Bytes(), []byte(`"total":0`)) {
				b.Fatalf("%s %s: %d %s", c.method, c.path, w.Code, w.Body.String())
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			for range b.N {
				if w := serve(); w.Code != http.StatusOK {
					b.Fatalf("%s %s: %d", c.method, c.path, w.Code)
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}
