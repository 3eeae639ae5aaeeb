package api_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cityatlas/cityatlas/api"
)

// BenchmarkItemsLimit1 measures the fixed cost of an items request: a page
// of one feature through the whole handler (middleware, parameters, the
// store's select, links, encoding), in process with no network, on the
// demo city. With a CPU profile it shows what every request pays:
//
//	go test -run XXX -bench ItemsLimit1 -benchtime 20000x -cpuprofile /tmp/items1.prof -o /tmp/api.test ./api/
//	go tool pprof -top -cum -focus 'Server..ServeHTTP' /tmp/api.test /tmp/items1.prof
func BenchmarkItemsLimit1(b *testing.B) {
	_, st := demoServer(b)
	h := api.NewServer(st, api.Config{}, nil)
	for _, c := range []struct{ name, path string }{
		{"limit=1", "/collections/stop_signs/items?limit=1"},
		{"bbox,limit=1", "/collections/stop_signs/items?bbox=-115.58,32.84,-115.56,32.86&limit=1"},
	} {
		b.Run(c.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, c.path, nil)
			req.RemoteAddr, req.Host = "127.0.0.1:40000", "127.0.0.1:8080"
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK || len(w.Body.Bytes()) == 0 {
				b.Fatalf("GET %s: %d %s", c.path, w.Code, w.Body.String())
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("GET %s: %d", c.path, w.Code)
				}
			}
		})
	}
}
