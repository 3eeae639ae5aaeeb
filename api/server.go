// Package api is cityatlas's HTTP interface: OGC API - Features (Core,
// GeoJSON, HTML, OpenAPI 3.0) over Echo v4. It does routing, parameter
// parsing, content negotiation and error mapping, and never talks SQL: every
// answer comes from the Store it is given.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/cityatlas/cityatlas/store"
)

// Store is what the api reads from; *store.Store implements it.
type Store interface {
	Collections() []store.CollectionInfo
	Collection(id string) (store.CollectionInfo, error)
	Feature(collection string, id int64) (store.Feature, error)
	Select(ctx context.Context, collection string, f store.Filter) (*store.Selection, error)
	Items(ctx context.Context, collection string, f store.Filter) (store.Page, error)
	Count(ctx context.Context, collection string, f store.Filter) (int, error)
	Stats(ctx context.Context, collection string, f store.Filter, groupBy string) (int, []store.Group, error)
	Visit(ctx context.Context, collection string, box [4]float64, f store.Filter, fn func(h *store.Hit) bool) error
}

// Config is the api's configuration.
type Config struct {
	// Title and Description head the landing page.
	Title       string
	Description string
	// BaseURL, when set (for example https://gis.example.org/atlas), is the
	// prefix of every link; otherwise links are built from the request's
	// scheme and Host.
	BaseURL string
	// DefaultLimit and MaxLimit bound the items endpoint's limit parameter.
	DefaultLimit int
	MaxLimit     int
	// Version is reported on the landing page.
	Version string
	// Ready reports whether the service can take traffic (for /readyz);
	// nil means always ready.
	Ready func(ctx context.Context) error
	// Map, when set, is the web map page: the landing page serves it to a
	// browser (a request that prefers HTML and has no f parameter); JSON
	// clients still get the landing document, and ?f=html the HTML one.
	Map http.Handler
	// Catalog is the publisher of /data.json and /catalog.jsonld.
	Catalog Catalog
	// Extra lets other packages add routes (the web map, tiles) to the
	// same server before it starts.
	Extra func(e *echo.Echo)
}

// Server is the HTTP handler.
type Server struct {
	store   Store
	cfg     Config
	log     *slog.Logger
	echo    *echo.Echo
	metrics *metrics
	started time.Time
}

// NewServer returns the api's HTTP handler on st.
func NewServer(st Store, cfg Config, log *slog.Logger) *Server {
	if cfg.DefaultLimit <= 0 {
		cfg.DefaultLimit = 10
	}
	if cfg.MaxLimit <= 0 {
		cfg.MaxLimit = 10000
	}
	if cfg.DefaultLimit > cfg.MaxLimit {
		cfg.DefaultLimit = cfg.MaxLimit
	}
	if cfg.Title == "" {
		cfg.Title = "cityatlas"
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	s := &Server{store: st, cfg: cfg, log: log, echo: e, metrics: newMetrics(), started: time.Now()}
	e.HTTPErrorHandler = s.handleError
	e.Use(middleware.RequestID())
	e.Use(s.requestLog)
	e.Use(middleware.Recover())
	e.Use(middleware.CORSWithConfig(middleware.CORSConfig{
		AllowOrigins:  []string{"*"},
		AllowMethods:  []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodOptions},
		ExposeHeaders: []string{"ETag", "Link", "Content-Crs", "X-Request-Id"},
	}))
	e.Use(middleware.GzipWithConfig(middleware.GzipConfig{Level: 1, MinLength: 1024}))
	s.routes()
	if cfg.Extra != nil {
		cfg.Extra(e)
	}
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

// Echo returns the underlying router, for tests and for adding routes.
func (s *Server) Echo() *echo.Echo { return s.echo }

func (s *Server) requestLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		status := c.Response().Status
		d := time.Since(start)
		route := c.Path()
		if route == "" {
			route = "(none)"
		}
		s.metrics.observe(c.Request().Method, route, status, d)
		s.log.LogAttrs(c.Request().Context(), slog.LevelInfo, "request",
			slog.String("method", c.Request().Method), slog.String("route", route),
			slog.String("path", c.Request().URL.Path),
			slog.Int("status", status), slog.Duration("duration", d),
			slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)))
		return nil
	}
}
