package api

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// metrics counts requests per route and status for /metrics, in the
// Prometheus text format.
type metrics struct {
	mu      sync.Mutex
	reqs    map[reqKey]*reqStat
	buckets []float64 // seconds
}

type reqKey struct {
	method, route string
	status        int
}

type reqStat struct {
	count  uint64
	sum    float64
	bucket []uint64
}

func newMetrics() *metrics {
	return &metrics{reqs: map[reqKey]*reqStat{}, buckets: []float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5}}
}

func (m *metrics) observe(method, route string, status int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := reqKey{method, route, status}
	st := m.reqs[k]
	if st == nil {
		st = &reqStat{bucket: make([]uint64, len(m.buckets))}
		m.reqs[k] = st
	}
	st.count++
	sec := d.Seconds()
	st.sum += sec
	for i, b := range m.buckets {
		if sec <= b {
			st.bucket[i]++
		}
	}
}

func (s *Server) metricsHandler(c echo.Context) error {
	m := s.metrics
	var b strings.Builder
	b.WriteString("# HELP cityatlas_http_requests_total HTTP requests by method, route and status.\n# TYPE cityatlas_http_requests_total counter\n")
	m.mu.Lock()
	keys := make([]reqKey, 0, len(m.reqs))
	for k := range m.reqs {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b reqKey) int {
		return strings.Compare(fmt.Sprint(a.route, a.method, a.status), fmt.Sprint(b.route, b.method, b.status))
	})
	for _, k := range keys {
		fmt.Fprintf(&b, "cityatlas_http_requests_total{method=%q,route=%q,status=\"%d\"} %d\n", k.method, k.route, k.status, m.reqs[k].count)
	}
	b.WriteString("# HELP cityatlas_http_request_duration_seconds HTTP request latency.\n# TYPE cityatlas_http_request_duration_seconds histogram\n")
	for _, k := range keys {
		st := m.reqs[k]
		for i, ub := range m.buckets {
			fmt.Fprintf(&b, "cityatlas_http_request_duration_seconds_bucket{method=%q,route=%q,status=\"%d\",le=\"%g\"} %d\n", k.method, k.route, k.status, ub, st.bucket[i])
		}
		fmt.Fprintf(&b, "cityatlas_http_request_duration_seconds_bucket{method=%q,route=%q,status=\"%d\",le=\"+Inf\"} %d\n", k.method, k.route, k.status, st.count)
		fmt.Fprintf(&b, "cityatlas_http_request_duration_seconds_sum{method=%q,route=%q,status=\"%d\"} %g\n", k.method, k.route, k.status, st.sum)
		fmt.Fprintf(&b, "cityatlas_http_request_duration_seconds_count{method=%q,route=%q,status=\"%d\"} %d\n", k.method, k.route, k.status, st.count)
	}
	m.mu.Unlock()
	s.writeBuildInfo(&b)
	b.WriteString("# HELP cityatlas_features Features per collection.\n# TYPE cityatlas_features gauge\n")
	// Private collections only for a key granted them (a scraper's
	// bearer_token).
	infos := s.readable(c)
	for _, ci := range infos {
		fmt.Fprintf(&b, "cityatlas_features{collection=%q} %d\n", ci.ID, ci.Count)
	}
	if tc := s.tiles; tc != nil {
		n, size := tc.stats()
		fmt.Fprintf(&b, "# HELP cityatlas_tile_cache_hits_total Vector tiles answered from the tile cache.\n# TYPE cityatlas_tile_cache_hits_total counter\ncityatlas_tile_cache_hits_total %d\n", tc.hits.Load())
		fmt.Fprintf(&b, "# HELP cityatlas_tile_cache_misses_total Vector tiles encoded because the cache did not hold them.\n# TYPE cityatlas_tile_cache_misses_total counter\ncityatlas_tile_cache_misses_total %d\n", tc.misses.Load())
		fmt.Fprintf(&b, "# HELP cityatlas_tile_cache_purges_total Times a layer's cached tiles were dropped after it changed.\n# TYPE cityatlas_tile_cache_purges_total counter\ncityatlas_tile_cache_purges_total %d\n", tc.purges.Load())
		fmt.Fprintf(&b, "# HELP cityatlas_tile_cache_entries Vector tiles held in the tile cache.\n# TYPE cityatlas_tile_cache_entries gauge\ncityatlas_tile_cache_entries %d\n", n)
		fmt.Fprintf(&b, "# HELP cityatlas_tile_cache_bytes Memory held by the tile cache, roughly.\n# TYPE cityatlas_tile_cache_bytes gauge\ncityatlas_tile_cache_bytes %d\n", size)
	}
	writeQuarantineMetrics(&b, s.store, infos)
	return c.Blob(http.StatusOK, "text/plain; version=0.0.4; charset=utf-8", []byte(b.String()))
}
