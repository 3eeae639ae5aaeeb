package api

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"
)

// Starting is the HTTP server of an instance whose index is still loading
// (a million features take tens of seconds): it listens at once, so that a
// load balancer or an orchestrator sees the instance come up, answers
// /healthz 200 (alive) and /readyz and every other request 503 with
// Retry-After (not ready), and once Ready is called hands every request to
// the service. The same server (its connections and timeouts) goes on.
type Starting struct {
	h     atomic.Pointer[http.Handler]
	since time.Time
}

// NewStarting returns the starting server's handler, answering for the
// loading instance until Ready.
func NewStarting() *Starting {
	return &Starting{since: time.Now()}
}

// HTTPServer is the server to listen with, with the timeouts t (zero
// values take the defaults, as Config.Timeouts).
func (st *Starting) HTTPServer(t Timeouts, log *slog.Logger) *http.Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return newHTTPServer(st, t.withDefaults(), log)
}

// Ready hands every request from now on to h (the api Server).
func (st *Starting) Ready(h http.Handler) { st.h.Store(&h) }

func (st *Starting) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h := st.h.Load(); h != nil {
		(*h).ServeHTTP(w, r)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.URL.Path == "/healthz" {
		w.Header().Set("Content-Type", mimeJSON)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
		return
	}
	w.Header().Set("Retry-After", "5")
	if r.URL.Path == "/readyz" {
		w.Header().Set("Content-Type", mimeJSON)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"ready":false,"status":"loading","loadingFor":"` + time.Since(st.since).Round(time.Second).String() + `"}` + "\n"))
		return
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(http.StatusServiceUnavailable)
	b, _ := json.Marshal(Problem{Type: "about:blank", Title: http.StatusText(http.StatusServiceUnavailable), Status: http.StatusServiceUnavailable,
		Detail: "the index is still loading; try again in a few seconds (see /readyz)", Instance: r.URL.RequestURI()})
	_, _ = w.Write(append(b, '\n'))
}
