package api_test

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cityatlas/cityatlas/api"
)

// TestStarting: while the index loads, the server already answers:
// /healthz 200, /readyz 503 "loading" and every other request a 503
// problem with Retry-After; after Ready the service answers everything.
func TestStarting(t *testing.T) {
	st := api.NewStarting()
	hs := st.HTTPServer(api.Timeouts{}, nil)
	if hs.ReadHeaderTimeout <= 0 || hs.IdleTimeout <= 0 {
		t.Errorf("starting server without default timeouts: %+v", hs)
	}
	srv := httptest.NewServer(hs.Handler)
	t.Cleanup(srv.Close)
	if r := get(t, srv, "/healthz"); r.status != 200 {
		t.Errorf("/healthz while loading: %d %s", r.status, r.body)
	}
	r := get(t, srv, "/readyz")
	var ready struct {
		Ready  bool
		Status string
	}
	_ = json.Unmarshal(r.body, &ready)
	if r.status != 503 || ready.Ready || ready.Status != "loading" || r.header.Get("Retry-After") == "" {
		t.Errorf("/readyz while loading: %d %s %v", r.status, r.body, r.header)
	}
	p := get(t, srv, "/collections/stop_signs/items?limit=1")
	if p.status != 503 || p.header.Get("Content-Type") != "application/problem+json" || !strings.Contains(string(p.body), "loading") ||
		p.header.Get("Retry-After") == "" || p.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("a request while loading: %d %s %v", p.status, p.body, p.header)
	}
	_, demo := demoServer(t)
	st.Ready(api.NewServer(demo, api.Config{}, nil))
	if r := get(t, srv, "/readyz"); r.status != 200 || !strings.Contains(string(r.body), `"ready":true`) {
		t.Errorf("/readyz when ready: %d %s", r.status, r.body)
	}
	if r := get(t, srv, "/collections/stop_signs/items?limit=1"); r.status != 200 {
		t.Errorf("items when ready: %d", r.status)
	}
}
