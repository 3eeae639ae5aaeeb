package api_test

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

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
	for _, c := range []struct{ name, path string }{
		{"limit=1", "/collections/stop_signs/items?limit=1"},
		{"bbox,limit=1", "/collections/stop_signs/items?bbox=-115.58,32.84,-115.56,32.86&limit=1"},
	} {
		b.Run(c.name, func(b *testing.B) { benchItems(b, []string{c.path}) })
	}
}

// BenchmarkItemsPage measures bbox pages (limit=100) of about 10 and
// about 100 features, as bench/compare.sh's items rows ask for them:
// random boxes inside the layer's extent sized like bench/bboxes's, so
// that each holds that many features on average.
func BenchmarkItemsPage(b *testing.B) {
	for _, hits := range []float64{10, 100} {
		b.Run(fmt.Sprintf("~%g", hits), func(b *testing.B) {
			benchItems(b, bboxPaths(b, "stop_signs", hits, 256))
		})
	}
}

// bboxPaths returns n items paths with limit=100 and a bbox holding about
// hits features of the collection on average (bench/bboxes's boxes).
func bboxPaths(b *testing.B, coll string, hits float64, n int) []string {
	_, st := demoServer(b)
	ci, err := st.Collection(coll)
	if err != nil || !ci.HasExtent || ci.Count == 0 {
		b.Fatalf("collection %s: %v", coll, err)
	}
	e := ci.Extent
	w, h := e[2]-e[0], e[3]-e[1]
	side := math.Sqrt(hits / float64(ci.Count) * w * h)
	rng := rand.New(rand.NewPCG(1, 2))
	paths := make([]string, n)
	for i := range paths {
		x, y := e[0]+rng.Float64()*(w-side), e[1]+rng.Float64()*(h-side)
		paths[i] = fmt.Sprintf("/collections/%s/items?bbox=%.6f,%.6f,%.6f,%.6f&limit=100", coll, x, y, x+side, y+side)
	}
	return paths
}

// benchItems GETs the paths in turn through the whole server, and reports
// the CPU time a request (every thread's: steadier than the wall time on
// a shared machine), the bytes an answer and the features a page.
func benchItems(b *testing.B, paths []string) {
	_, st := demoServer(b)
	h := api.NewServer(st, api.Config{}, nil)
	reqs := make([]*http.Request, len(paths))
	for i, p := range paths {
		reqs[i] = httptest.NewRequest(http.MethodGet, p, nil)
		reqs[i].RemoteAddr, reqs[i].Host = "127.0.0.1:40000", "127.0.0.1:8080"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, reqs[i])
		if w.Code != http.StatusOK || w.Body.Len() == 0 {
			b.Fatalf("GET %s: %d %s", p, w.Code, w.Body.String())
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	size, features := 0, 0
	w := &benchWriter{header: http.Header{}}
	for i := range b.N {
		w.reset()
		h.ServeHTTP(w, reqs[i%len(reqs)])
		if w.code != http.StatusOK {
			b.Fatalf("GET %s: %d", paths[i%len(paths)], w.code)
		}
		size += w.body.Len()
		features += bytes.Count(w.body.Bytes(), []byte(`{"type":"Feature",`))
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(size)/float64(b.N), "B/answer")
	b.ReportMetric(float64(features)/float64(b.N), "features/page")
}

// benchWriter is a ResponseWriter reused from request to request, so that
// the benchmarks count what the server allocates, not a recorder's. It
// takes deadlines, as a connection of net/http does: the server sets them
// on every request, and on a plain recorder each attempt would cost an
// error that a real connection does not.
type benchWriter struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (w *benchWriter) reset() {
	clear(w.header)
	w.code = 0
	w.body.Reset()
}

func (w *benchWriter) Header() http.Header { return w.header }

func (w *benchWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *benchWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}

func (w *benchWriter) Flush()                           {}
func (w *benchWriter) SetReadDeadline(time.Time) error  { return nil }
func (w *benchWriter) SetWriteDeadline(time.Time) error { return nil }
