package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cityatlas/cityatlas/api"
	"github.com/cityatlas/cityatlas/store"
)

// logBuffer is a goroutine-safe buffer for a JSON log handler.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the log's JSON records.
func (b *logBuffer) lines(t testing.TB) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// requests returns the access log's lines.
func (b *logBuffer) requests(t testing.TB) []map[string]any {
	var out []map[string]any
	for _, m := range b.lines(t) {
		if m["msg"] == "request" {
			out = append(out, m)
		}
	}
	return out
}

// loggedServer is demoServer's store behind a server with cfg that logs
// JSON at debug level to the returned buffer.
func loggedServer(t testing.TB, st api.Store, cfg api.Config) (*httptest.Server, *logBuffer, *api.Server) {
	t.Helper()
	lb := &logBuffer{}
	s := api.NewServer(st, cfg, slog.New(slog.NewJSONHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug})))
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv, lb, s
}

// routeURL fills an echo route's parameters with values that exist in the
// demo city.
func routeURL(t testing.TB, st *store.Store, path string) string {
	t.Helper()
	page, err := st.Items(context.Background(), "stop_signs", store.Filter{Limit: 1})
	if err != nil || len(page.Features) == 0 {
		t.Fatalf("a stop sign: %v", err)
	}
	r := strings.NewReplacer(":collectionId", "stop_signs", ":featureId", itoa(page.Features[0].ID))
	p := r.Replace(path)
	switch {
	case p == "/search":
		p += "?q=stop"
	case strings.HasPrefix(p, "/tiles/"):
		p = strings.NewReplacer(":z", "15", ":x", "5864", ":y", "13215.mvt").Replace(p)
	default:
		p = strings.NewReplacer(":z", "15", ":y", "13215", ":x", "5864").Replace(p)
	}
	if strings.Contains(p, ":") {
		t.Fatalf("route %s: no value for a parameter in %s", path, p)
	}
	return p
}

// TestHeadOnEveryGETRoute walks every GET route of the router: HEAD
// answers as GET does (status, Content-Type), without a body.
func TestHeadOnEveryGETRoute(t *testing.T) {
	srv, st := demoServer(t)
	e := api.NewServer(st, api.Config{}, nil).Echo()
	n := 0
	for _, rt := range e.Routes() {
		if rt.Method != http.MethodGet {
			continue
		}
		n++
		p := routeURL(t, st, rt.Path)
		g := get(t, srv, p)
		h := send(t, srv.URL, http.MethodHead, p, nil)
		if g.status >= 400 && !((rt.Path == "/keys" || rt.Path == "/whoami") && g.status == 401) { // /keys and /whoami need a key
			t.Errorf("GET %s (route %s): %d %s", p, rt.Path, g.status, g.body)
		}
		if h.status != g.status || h.header.Get("Content-Type") != g.header.Get("Content-Type") {
			t.Errorf("HEAD %s: %d %q, GET: %d %q", p, h.status, h.header.Get("Content-Type"), g.status, g.header.Get("Content-Type"))
		}
		if len(h.body) != 0 {
			t.Errorf("HEAD %s has a body of %d bytes", p, len(h.body))
		}
	}
	if n < 12 {
		t.Fatalf("walked %d GET routes", n)
	}
}

// blockingStore holds Stats until the request's context ends or release
// is closed, and says when a call has started.
type blockingStore struct {
	*store.Store
	started chan struct{}
	release chan struct{}
}

func (b *blockingStore) Stats(ctx context.Context, collection string, f store.Filter, groupBy string) (int, []store.Group, error) {
	b.started <- struct{}{}
	select {
	case <-ctx.Done():
		return 0, nil, ctx.Err()
	case <-b.release:
	}
	return b.Store.Stats(ctx, collection, f, groupBy)
}

// TestClientDisconnectIs499 cancels a request while its handler runs: the
// log says 499 at debug level, /metrics counts a 499, and no ERROR line
// or 500 appears.
func TestClientDisconnectIs499(t *testing.T) {
	_, st := demoServer(t)
	bs := &blockingStore{Store: st, started: make(chan struct{}, 1), release: make(chan struct{})}
	srv, lb, _ := loggedServer(t, bs, api.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/collections/stop_signs/stats", nil)
	done := make(chan error, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
		}
		done <- err
	}()
	<-bs.started
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("client: %v", err)
	}
	// The server sees the disconnect on its own time: wait for the line.
	var line map[string]any
	for deadline := time.Now().Add(10 * time.Second); line == nil && time.Now().Before(deadline); {
		for _, m := range lb.requests(t) {
			if m["route"] == "/collections/:collectionId/stats" {
				line = m
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	if line == nil {
		t.Fatal("no request line for the cancelled request")
	}
	if line["status"] != float64(api.StatusClientClosed) || line["level"] != "DEBUG" {
		t.Errorf("cancelled request logged as %v at %v, want 499 at DEBUG", line["status"], line["level"])
	}
	for _, m := range lb.lines(t) {
		if m["level"] == "ERROR" || m["msg"] == "internal error" {
			t.Errorf("log line %v for a client that left", m)
		}
	}
	metrics := string(get(t, srv, "/metrics").body)
	if !strings.Contains(metrics, `route="/collections/:collectionId/stats",status="499"`) || strings.Contains(metrics, `status="500"`) {
		t.Errorf("metrics do not count the 499:\n%s", metrics)
	}
}

// TestAccessLogLine checks the fields of one request line, with a secret
// parameter redacted, the client address from RemoteAddr only (a forged
// X-Forwarded-For is not believed), and the switch that turns it off.
func TestAccessLogLine(t *testing.T) {
	_, st := demoServer(t)
	srv, lb, _ := loggedServer(t, st, api.Config{})
	r := get(t, srv, "/collections/stop_signs/items?limit=2&api_key=s3cr3t&token=abc", "User-Agent", "probe/1.0", "X-Request-Id", "req-42", "X-Forwarded-For", "203.0.113.9")
	if r.status != 400 { // api_key is not a parameter of items
		t.Fatalf("status %d", r.status)
	}
	lines := lb.requests(t)
	if len(lines) != 1 {
		t.Fatalf("%d request lines, want 1", len(lines))
	}
	m := lines[0]
	want := map[string]any{
		"method": "GET", "route": "/collections/:collectionId/items", "path": "/collections/stop_signs/items",
		"query": "limit=2&api_key=REDACTED&token=REDACTED", "status": float64(400), "client": "127.0.0.1",
		"user_agent": "probe/1.0", "request_id": "req-42", "key": "",
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	if b, ok := m["bytes"].(float64); !ok || b <= 0 || int(b) != len(r.body) {
		t.Errorf("bytes = %v, the body had %d", m["bytes"], len(r.body))
	}
	if d, ok := m["duration_ms"].(float64); !ok || d <= 0 || d > 60_000 {
		t.Errorf("duration_ms = %v, want milliseconds", m["duration_ms"])
	}
	if strings.Contains(lb.buf.String(), "s3cr3t") {
		t.Error("the secret reached the log")
	}

	// Behind a trusted proxy, X-Forwarded-For is the client.
	srv2, lb2, _ := loggedServer(t, st, api.Config{TrustedProxies: mustPrefixes(t, "127.0.0.0/8")})
	get(t, srv2, "/healthz", "X-Forwarded-For", "203.0.113.9")
	if l := lb2.requests(t); len(l) != 1 || l[0]["client"] != "203.0.113.9" {
		t.Errorf("behind a trusted proxy: %v", l)
	}

	srv3, lb3, _ := loggedServer(t, st, api.Config{DisableAccessLog: true})
	get(t, srv3, "/healthz")
	if l := lb3.requests(t); len(l) != 0 {
		t.Errorf("access log off, yet %v", l)
	}
}

// TestRequestID echoes a short plain id, and replaces a long or odd one.
func TestRequestID(t *testing.T) {
	srv, _ := demoServer(t)
	for _, tc := range []struct {
		name, id string
		kept     bool
	}{
		{"plain", "abc-123_X.9", true},
		{"64 chars", strings.Repeat("a", 64), true},
		{"too long", strings.Repeat("a", 65), false},
		{"spaces", "a b", false},
		{"log injection", "a\",\"level\":\"ERROR", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := get(t, srv, "/healthz", "X-Request-Id", tc.id)
			got := r.header.Get("X-Request-Id")
			if tc.kept != (got == tc.id) || got == "" || len(got) > 64 {
				t.Errorf("X-Request-Id %q answered %q", tc.id, got)
			}
		})
	}
}

// TestHostHeader: without a base URL a forged Host gets a 400 instead of
// links to it; localhost works; a configured list and a base URL decide.
func TestHostHeader(t *testing.T) {
	_, st := demoServer(t)
	srv, _, _ := loggedServer(t, st, api.Config{})
	host := func(srv *httptest.Server, h, path string) response {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Host = h
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(res.Body)
		return response{res.StatusCode, res.Header, b.Bytes()}
	}
	r := host(srv, "evil.example", "/collections")
	if r.status != 400 || strings.Contains(string(r.body), "http://evil.example") || !strings.Contains(string(r.body), "--allowed-hosts") {
		t.Errorf("Host evil.example: %d %s", r.status, r.body)
	}
	if r := host(srv, "evil.example", "/readyz"); r.status != 200 {
		t.Errorf("/readyz with any Host: %d", r.status)
	}
	for _, h := range []string{"localhost:8080", "127.0.0.1", "[::1]:8080"} {
		if r := host(srv, h, "/collections"); r.status != 200 || !strings.Contains(string(r.body), "http://"+h+"/collections") {
			t.Errorf("Host %s: %d", h, r.status)
		}
	}
	// A forged X-Forwarded-Proto is not believed either.
	if r := get(t, srv, "/", "X-Forwarded-Proto", "https"); strings.Contains(string(r.body), "https://") {
		t.Errorf("untrusted X-Forwarded-Proto changed the links: %s", r.body)
	}
	listed, _, _ := loggedServer(t, st, api.Config{AllowedHosts: []string{"gis.example.org", ".city.example"}})
	if r := host(listed, "gis.example.org", "/"); r.status != 200 || !strings.Contains(string(r.body), "http://gis.example.org/") {
		t.Errorf("listed host: %d %s", r.status, r.body)
	}
	if r := host(listed, "maps.city.example", "/"); r.status != 200 {
		t.Errorf("listed domain: %d", r.status)
	}
	if r := host(listed, "localhost", "/"); r.status != 400 {
		t.Errorf("a list replaces the defaults: localhost got %d", r.status)
	}
	// The address the client connected to is always fine (a browser on
	// http://10.0.0.5:8080/); another address is not.
	if r := host(listed, strings.TrimPrefix(listed.URL, "http://"), "/"); r.status != 200 {
		t.Errorf("Host = the address connected to: %d %s", r.status, r.body)
	}
	if r := host(listed, "10.1.2.3:8080", "/"); r.status != 400 {
		t.Errorf("Host = another address: %d", r.status)
	}
	based, _, _ := loggedServer(t, st, api.Config{BaseURL: "https://gis.example.org/atlas"})
	if r := host(based, "evil.example", "/"); r.status != 200 || strings.Contains(string(r.body), "evil.example") || !strings.Contains(string(r.body), "https://gis.example.org/atlas/collections") {
		t.Errorf("with a base URL: %d %s", r.status, r.body)
	}
}

// TestSecurityHeaders: HTML pages carry a CSP, X-Frame-Options and
// nosniff; JSON carries nosniff.
func TestSecurityHeaders(t *testing.T) {
	srv, _ := demoServer(t)
	for _, p := range []string{"/?f=html", "/collections?f=html", "/collections/stop_signs/items?f=html", "/collections/stop_signs/queryables?f=html"} {
		r := get(t, srv, p)
		csp := r.header.Get("Content-Security-Policy")
		if r.status != 200 || !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "worker-src 'self' blob:") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: %d CSP %q", p, r.status, csp)
		}
		if r.header.Get("X-Frame-Options") != "DENY" || r.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: X-Frame-Options %q, X-Content-Type-Options %q", p, r.header.Get("X-Frame-Options"), r.header.Get("X-Content-Type-Options"))
		}
	}
	r := get(t, srv, "/collections")
	if r.header.Get("X-Content-Type-Options") != "nosniff" || r.header.Get("Content-Security-Policy") != "" {
		t.Errorf("JSON: nosniff %q, CSP %q", r.header.Get("X-Content-Type-Options"), r.header.Get("Content-Security-Policy"))
	}
}

// TestReadyWhileDatabaseDown: /readyz stays 200 with the database's state
// in its body and the index's numbers; writes behind WriteGuard get 503
// with Retry-After, and work again when the database is back.
func TestReadyWhileDatabaseDown(t *testing.T) {
	_, st := demoServer(t)
	var mu sync.Mutex
	var dbErr error
	s := api.NewServer(st, api.Config{Database: func(context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		return dbErr
	}}, nil)
	s.Echo().POST("/test-write", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }, s.WriteGuard)
	srv := httptest.NewServer(s)
	defer srv.Close()
	var body struct {
		Ready    bool   `json:"ready"`
		Database string `json:"database"`
		Index    struct {
			Collections, Features int
			Seq                   int64
		} `json:"index"`
	}
	r := get(t, srv, "/readyz")
	decode(t, r, &body)
	if r.status != 200 || !body.Ready || body.Database != "ok" || body.Index.Collections != len(st.Collections()) || body.Index.Features < 1000 {
		t.Fatalf("up: %d %s", r.status, r.body)
	}
	mu.Lock()
	dbErr = errors.New("dial tcp 10.0.0.5:5432: connection refused")
	mu.Unlock()
	r = get(t, srv, "/readyz")
	decode(t, r, &body)
	if r.status != 200 || !body.Ready || !strings.HasPrefix(body.Database, "unreachable: ") || !strings.Contains(body.Database, "connection refused") {
		t.Errorf("down: %d %s", r.status, r.body)
	}
	if r := get(t, srv, "/collections/stop_signs/items?limit=1"); r.status != 200 {
		t.Errorf("reads while down: %d", r.status)
	}
	w := send(t, srv.URL, http.MethodPost, "/test-write", nil)
	if w.status != 503 || w.header.Get("Retry-After") == "" || !strings.Contains(string(w.body), "read-only") {
		t.Errorf("write while down: %d %q %s", w.status, w.header.Get("Retry-After"), w.body)
	}
	mu.Lock()
	dbErr = nil
	mu.Unlock()
	r = get(t, srv, "/readyz") // the check refreshes the state WriteGuard reads
	decode(t, r, &body)
	if body.Database != "ok" {
		t.Errorf("back: %s", r.body)
	}
	if w := send(t, srv.URL, http.MethodPost, "/test-write", nil); w.status != 204 {
		t.Errorf("write after recovery: %d %s", w.status, w.body)
	}
}

// TestVersion: the landing page and /metrics name the version and build.
func TestVersion(t *testing.T) {
	_, st := demoServer(t)
	srv, _, _ := loggedServer(t, st, api.Config{Version: "v1.2.3"})
	var landing struct{ Version string }
	decode(t, get(t, srv, "/"), &landing)
	if landing.Version != "v1.2.3" {
		t.Errorf("landing version %q", landing.Version)
	}
	m := string(get(t, srv, "/metrics").body)
	if !strings.Contains(m, `cityatlas_build_info{version="v1.2.3",goversion="go1.`) {
		t.Errorf("no build info in /metrics:\n%s", m)
	}
}

// TestAbortedRequestLogged: a handler that aborts the connection
// (http.ErrAbortHandler, as a download failing half-way does) still gets
// its access log line, marked aborted, and the client sees an error.
func TestAbortedRequestLogged(t *testing.T) {
	_, st := demoServer(t)
	srv, lb, s := loggedServer(t, st, api.Config{})
	s.Echo().GET("/test-abort", func(c echo.Context) error {
		c.Response().WriteHeader(http.StatusOK)
		_, _ = c.Response().Write([]byte("half"))
		c.Response().Flush()
		panic(http.ErrAbortHandler)
	})
	res, err := http.Get(srv.URL + "/test-abort")
	if err == nil {
		_, err = io.ReadAll(res.Body)
		res.Body.Close()
	}
	if err == nil {
		t.Error("the client read a whole answer from an aborted handler")
	}
	l := lb.requests(t)
	if len(l) != 1 || l[0]["route"] != "/test-abort" || l[0]["aborted"] != true {
		t.Errorf("access log: %v", l)
	}
}
