package api

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cityatlas/cityatlas/store"
)

// healthz is liveness: the process answers.
func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"status": "ok", "uptime": time.Since(s.started).Round(time.Second).String()})
}

// indexState is the in-memory index as /readyz reports it.
type indexState struct {
	Collections int   `json:"collections"`
	Features    int   `json:"features"`
	Seq         int64 `json:"seq"`
	// SyncedAt is when the index last caught up with the change log, and
	// SyncError why the last attempt failed (stores that report it).
	SyncedAt  *time.Time `json:"syncedAt,omitempty"`
	SyncError string     `json:"syncError,omitempty"`
}

// syncStater is implemented by stores that say how far their index has
// caught up with the change log (*store.Store).
type syncStater interface {
	SyncState() store.SyncState
}

func (s *Server) indexState() indexState {
	var st indexState
	for _, ci := range s.store.Collections() {
		st.Collections++
		st.Features += ci.Count
		st.Seq = max(st.Seq, ci.Seq)
	}
	if ss, ok := s.store.(syncStater); ok {
		sync := ss.SyncState()
		st.Seq = sync.Seq
		at := sync.At.UTC().Truncate(time.Millisecond)
		st.SyncedAt = &at
		if sync.Err != nil {
			st.SyncError = sync.Err.Error()
		}
	}
	return st
}

// readyz is readiness. The index is built before the server starts and
// every read is answered from it, so the service is ready while the
// database is away: a database blip must not take every instance out of
// the load balancer at once. The database's state is in the body (and
// writes refuse while it is down, see WriteGuard).
func (s *Server) readyz(c echo.Context) error {
	db := "ok"
	if err := s.checkDatabase(c.Request().Context()); err != nil {
		db = "unreachable: " + err.Error()
	}
	return c.JSON(http.StatusOK, withQuarantine(s.store, map[string]any{
		"ready": true, "status": "ready", "database": db, "index": s.indexState(),
	}))
}

// dbState caches the last database check for WriteGuard.
type dbState struct {
	mu      sync.Mutex
	checked time.Time
	err     error
}

// checkDatabase asks Config.Database, with a short deadline, and keeps the
// answer for WriteGuard.
func (s *Server) checkDatabase(ctx context.Context) error {
	if s.cfg.Database == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	err := s.cfg.Database(ctx)
	s.dbState.mu.Lock()
	s.dbState.checked, s.dbState.err = time.Now(), err
	s.dbState.mu.Unlock()
	return err
}

// databaseDown reports the database's error, checking again when the last
// answer is more than a second old.
func (s *Server) databaseDown(ctx context.Context) error {
	s.dbState.mu.Lock()
	fresh, err := time.Since(s.dbState.checked) < time.Second, s.dbState.err
	s.dbState.mu.Unlock()
	if fresh {
		return err
	}
	return s.checkDatabase(ctx)
}

// WriteGuard is the middleware of every route that writes: while the
// database does not answer, the service is read-only and a write gets a
// 503 problem with Retry-After, instead of waiting on the database.
//
//	e.POST("/collections/:collectionId/items", s.createItem, s.WriteGuard)
func (s *Server) WriteGuard(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := s.databaseDown(c.Request().Context()); err != nil {
			c.Response().Header().Set("Retry-After", "5")
			return &Problem{Type: "https://cityatlas.dev/problems/read-only", Title: "Service Unavailable", Status: http.StatusServiceUnavailable,
				Detail: "the database does not answer, so the service is read-only for now; reads still work, retry the write later"}
		}
		return next(c)
	}
}

// buildInfo returns the Go version and the VCS revision the binary was
// built from ("unknown" when the build did not record it).
func buildInfo() (goVersion, revision string) {
	goVersion, revision = runtime.Version(), "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, st := range bi.Settings {
			if st.Key == "vcs.revision" {
				revision = st.Value
			}
		}
	}
	return goVersion, revision
}

func (s *Server) writeBuildInfo(b interface{ WriteString(string) (int, error) }) {
	gv, rev := buildInfo()
	_, _ = b.WriteString("# HELP cityatlas_build_info The running binary: version, Go version and VCS revision.\n# TYPE cityatlas_build_info gauge\n")
	_, _ = b.WriteString(fmt.Sprintf("cityatlas_build_info{version=%q,goversion=%q,revision=%q} 1\n", orDefault(s.cfg.Version, "dev"), gv, rev))
}
