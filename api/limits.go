package api

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"
)

// Limits bound what one request may cost.
type Limits struct {
	// MaxVertices is the most vertices a query geometry (the polygon
	// posted to /count) may have. Default 10,000.
	MaxVertices int
	// MaxAreaKm2 is the largest area, in square kilometres, a query
	// geometry may cover. Default 100,000 (a circle of the largest radius,
	// 100 km, is 31,416 km²).
	MaxAreaKm2 float64
	// ClientConcurrency is how many expensive requests (counts, stats,
	// tiles, items pages of more than LargeLimit features) one client
	// address may have running at once; more get a 429. Default 16.
	ClientConcurrency int
	// LargeLimit is the items limit above which a page counts as
	// expensive. Default 1,000.
	LargeLimit int
}

func (l Limits) withDefaults() Limits {
	if l.MaxVertices <= 0 {
		l.MaxVertices = 10_000
	}
	if l.MaxAreaKm2 <= 0 {
		l.MaxAreaKm2 = 100_000
	}
	if l.ClientConcurrency <= 0 {
		l.ClientConcurrency = 16
	}
	if l.LargeLimit <= 0 {
		l.LargeLimit = 1000
	}
	return l
}

// checkGeometryBudget answers 400 for a query geometry past the vertex or
// area budget, before any work is done with it.
func (s *Server) checkGeometryBudget(g orb.Geometry) error {
	if err := s.checkVertexBudget(countVertices(g)); err != nil {
		return err
	}
	var km2 float64
	switch g := g.(type) {
	case orb.Polygon:
		km2 = orbgeo.Area(g) / 1e6
	case orb.MultiPolygon:
		km2 = orbgeo.Area(g) / 1e6
	}
	if km2 > s.cfg.Limits.MaxAreaKm2 {
		return &Problem{Type: "https://cityatlas.dev/problems/geometry-too-large", Title: "Geometry too large", Status: http.StatusBadRequest,
			Detail: fmt.Sprintf("the area covers %.0f km²; the limit is %g km² (the server's --max-query-area sets the limit)", km2, s.cfg.Limits.MaxAreaKm2)}
	}
	return nil
}

// checkVertexBudget answers 400 for a query geometry of n vertices, past
// the budget.
func (s *Server) checkVertexBudget(n int) error {
	if n > s.cfg.Limits.MaxVertices {
		return &Problem{Type: "https://cityatlas.dev/problems/geometry-too-complex", Title: "Geometry too complex", Status: http.StatusBadRequest,
			Detail: fmt.Sprintf("the area has %d vertices; the limit is %d (simplify the polygon; the server's --max-query-vertices sets the limit)", n, s.cfg.Limits.MaxVertices)}
	}
	return nil
}

// countPositions counts the positions of GeoJSON text without decoding
// it: the arrays that open on a number ("[-115.5, 32.8]"), outside
// strings. It is what the decoded geometry's vertex count will be (an
// array of numbers among a Feature's properties counts once, too).
func countPositions(raw []byte) int {
	n, inString := 0, false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case inString:
			if c == '\\' {
				i++
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
		case c == '[':
			j := i + 1
			for j < len(raw) && (raw[j] == ' ' || raw[j] == '\t' || raw[j] == '\n' || raw[j] == '\r') {
				j++
			}
			if j < len(raw) && (raw[j] == '-' || raw[j] == '+' || raw[j] == '.' || raw[j] >= '0' && raw[j] <= '9') {
				n++
			}
		}
	}
	return n
}

func countVertices(g orb.Geometry) int {
	switch g := g.(type) {
	case orb.Point:
		return 1
	case orb.MultiPoint:
		return len(g)
	case orb.LineString:
		return len(g)
	case orb.Ring:
		return len(g)
	case orb.MultiLineString:
		n := 0
		for _, l := range g {
			n += len(l)
		}
		return n
	case orb.Polygon:
		n := 0
		for _, r := range g {
			n += len(r)
		}
		return n
	case orb.MultiPolygon:
		n := 0
		for _, p := range g {
			n += countVertices(p)
		}
		return n
	case orb.Collection:
		n := 0
		for _, x := range g {
			n += countVertices(x)
		}
		return n
	}
	return 0
}

// clientLimiter counts the expensive requests running per client address.
type clientLimiter struct {
	mu      sync.Mutex
	max     int
	running map[string]int
}

func newClientLimiter(max int) *clientLimiter {
	return &clientLimiter{max: max, running: map[string]int{}}
}

func (l *clientLimiter) acquire(client string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.running[client] >= l.max {
		return false
	}
	l.running[client]++
	return true
}

func (l *clientLimiter) release(client string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.running[client] <= 1 {
		delete(l.running, client)
		return
	}
	l.running[client]--
}

// costly is the middleware of the expensive routes: a client (by address,
// see Config.TrustedProxies) may run Limits.ClientConcurrency of them at
// once; one more is a 429 with Retry-After.
func (s *Server) costly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		client := c.RealIP()
		if !s.limiter.acquire(client) {
			c.Response().Header().Set("Retry-After", "1")
			return &Problem{Type: "https://cityatlas.dev/problems/too-many-requests", Title: "Too Many Requests", Status: http.StatusTooManyRequests,
				Detail: fmt.Sprintf("this client already has %d expensive requests (counts, statistics, tiles, large pages) running; wait for one to finish and retry", s.cfg.Limits.ClientConcurrency)}
		}
		defer s.limiter.release(client)
		return next(c)
	}
}

// costlyItems is costly for items pages of more than Limits.LargeLimit
// features (and CSV, which pages alike); small pages pass.
func (s *Server) costlyItems(next echo.HandlerFunc) echo.HandlerFunc {
	limited := s.costly(next)
	return func(c echo.Context) error {
		limit := s.cfg.DefaultLimit
		if v := c.QueryParam("limit"); v != "" {
			if n, err := strconv.Atoi(v); err == nil {
				limit = n
			}
		}
		if limit > s.cfg.Limits.LargeLimit {
			return limited(c)
		}
		return next(c)
	}
}
