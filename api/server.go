// Package api is cityatlas's HTTP interface: OGC API - Features (Core,
// GeoJSON, HTML, OpenAPI 3.0) over Echo v4. It does routing, parameter
// parsing, content negotiation and error mapping, and never talks SQL: every
// answer comes from the Store it is given.
package api

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/cityatlas/cityatlas/auth"
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
	// Version is reported on the landing page, in /api and in /metrics.
	Version string
	// Database reports whether the backend answers. /readyz shows its
	// answer but stays ready while the index serves from memory; write
	// routes refuse with 503 while it fails (WriteGuard). nil: always up.
	Database func(ctx context.Context) error
	// AllowedHosts are the Host names answered when BaseURL is empty
	// (links are then built from the Host); "*" allows any, ".example.org"
	// a domain. Empty: DefaultAllowedHosts.
	AllowedHosts []string
	// TrustedProxies are the addresses whose X-Forwarded-For and
	// X-Forwarded-Proto are believed (the client address of the access log
	// and the per-client limits). Empty: RemoteAddr only.
	TrustedProxies []netip.Prefix
	// DisableAccessLog turns the one-line-per-request log off.
	DisableAccessLog bool
	// Timeouts of the HTTP server (HTTPServer); zero values take the
	// defaults.
	Timeouts Timeouts
	// Limits bound the cost of a request; zero values take the defaults.
	Limits Limits
	// ContentSources are more origins the HTML pages may load images and
	// data from (the web map's basemap), for the Content-Security-Policy.
	ContentSources []string
	// Map, when set, is the web map page: the landing page serves it to a
	// browser (a request that prefers HTML and has no f parameter); JSON
	// clients still get the landing document, and ?f=html the HTML one.
	Map http.Handler
	// SearchFields names, per collection id, the fields /search looks in;
	// a collection without an entry uses every string field that looks like
	// a name or an address (see SearchFields).
	SearchFields map[string][]string
	// Catalog is the publisher of /data.json and /catalog.jsonld.
	Catalog Catalog
	// Keys, when set, is where API keys are found (and managed by admins);
	// without it every request is anonymous, and writes are refused.
	Keys KeyStore
	// KeyTTL is how long a key read from Keys is trusted (auth.DefaultTTL
	// when 0): a revocation reaches every instance within it.
	KeyTTL time.Duration
	// MaxBodyBytes bounds a request body (DefaultMaxBody when 0); past it
	// the answer is 413.
	MaxBodyBytes int64
	// Now is the clock of key expiry, key caching and the failure
	// throttle; nil means time.Now.
	Now func() time.Time
	// TileCacheBytes is the memory kept for encoded vector tiles
	// (DefaultTileCache when 0; negative turns the cache off).
	TileCacheBytes int64
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
	chain   echo.HandlerFunc // the middleware around every route (NewServer)
	metrics *metrics
	started time.Time
	limiter *clientLimiter
	dbState dbState

	verifier *auth.Verifier
	throttle *auth.Throttle
	streams  atomic.Int64  // open change streams
	tiles    *tileCache    // nil: tiles are not cached
	crs      crsCache      // the CRSs offered (crs.go)
	sizes    downloadSizes // sizes of whole-layer downloads (pages.go)
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
	cfg.Limits = cfg.Limits.withDefaults()
	cfg.Timeouts = cfg.Timeouts.withDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	s := &Server{store: st, cfg: cfg, log: log, echo: e, metrics: newMetrics(), started: time.Now()}
	if cfg.TileCacheBytes == 0 {
		cfg.TileCacheBytes = DefaultTileCache
	}
	s.tiles = newTileCache(cfg.TileCacheBytes)
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor = ipExtractor(cfg.TrustedProxies)
	s.limiter = newClientLimiter(s.cfg.Limits.ClientConcurrency)
	s.setupAuth()
	// What every request goes through, composed once here: Echo's own Use
	// would compose the chain again for every request.
	s.chain = chain(func(c echo.Context) error { return c.Handler()(c) },
		s.requestID,
		s.requestLog,
		middleware.Recover(),
		s.securityHeaders,
		s.hostCheck,
		s.authenticate,
		middleware.CORSWithConfig(middleware.CORSConfig{
			AllowOrigins:  []string{"*"},
			AllowMethods:  []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions},
			AllowHeaders:  []string{echo.HeaderAuthorization, echo.HeaderContentType, "If-Match", "If-None-Match", "Last-Event-ID"},
			ExposeHeaders: []string{"ETag", "Link", "Content-Crs", "X-Request-Id", "Retry-After", "Location"},
		}),
		middleware.GzipWithConfig(middleware.GzipConfig{Level: 1, MinLength: 1024, Skipper: binaryDownload}),
	)
	s.routes()
	if cfg.Extra != nil {
		cfg.Extra(e)
	}
	return s
}

// Echo returns the underlying router, for tests and for adding routes.
// Its routes run inside the server's middleware; middleware added to it
// with Use is not run (the server composes its own chain once).
func (s *Server) Echo() *echo.Echo { return s.echo }

// chain returns h inside the middleware mw, the first outermost, as Echo
// applies route middleware; composed once, not for every request.
func chain(h echo.HandlerFunc, mw ...echo.MiddlewareFunc) echo.HandlerFunc {
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h
}

// ipExtractor believes X-Forwarded-For only from the trusted proxies.
func ipExtractor(trusted []netip.Prefix) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range trusted {
		_, n, err := net.ParseCIDR(p.Masked().String())
		if err == nil {
			opts = append(opts, echo.TrustIPRange(n))
		}
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// fromTrustedProxy reports whether the request came straight from one of
// the trusted proxies.
func (s *Server) fromTrustedProxy(r *http.Request) bool {
	if len(s.cfg.TrustedProxies) == 0 {
		return false
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(ap.Addr().Unmap()) {
			return true
		}
	}
	return false
}
