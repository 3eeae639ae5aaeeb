package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/cityatlas/cityatlas/api"
	"github.com/cityatlas/cityatlas/demo"
	"github.com/cityatlas/cityatlas/internal/onewrite"
	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/gpkg"
	"github.com/cityatlas/cityatlas/store/postgis"
	"github.com/cityatlas/cityatlas/web"
)

// openBackend opens PostGIS when a database URL is configured, the embedded
// GeoPackage store otherwise.
func openBackend(ctx context.Context, cfg *config, log *slog.Logger) (store.Backend, error) {
	if cfg.DatabaseURL != "" {
		b, err := postgis.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("open PostGIS: %w", err)
		}
		log.Info("store: PostGIS")
		return b, nil
	}
	b, err := gpkg.Open(ctx, cfg.DataPath)
	if err != nil {
		return nil, fmt.Errorf("open GeoPackage %s: %w", cfg.DataPath, err)
	}
	log.Info("store: GeoPackage", "path", cfg.DataPath)
	return b, nil
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg config
	fs := cfg.flagSet("serve", getenv, stderr, "serve")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("serve takes no arguments, got %q", fs.Args())}
	}
	if err := cfg.validate(getenv); err != nil {
		return err
	}
	log := cfg.logger(stderr)
	b, err := openBackend(ctx, &cfg, log)
	if err != nil {
		return err
	}
	defer b.Close()
	if cfg.Demo {
		if err := seedDemo(ctx, b, demo.Options{Seed: cfg.DemoSeed, Scale: 1}, log); err != nil {
			return err
		}
	}
	if cfg.PprofAddr != "" {
		go servePprof(cfg.PprofAddr, log) // before the load: it can be profiled
	}
	// Listen before the load: /healthz answers at once and /readyz says
	// "loading" (503) until the index is built; then the service takes
	// over the same server.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	starting := api.NewStarting()
	hs := starting.HTTPServer(api.Timeouts{ReadHeader: cfg.ReadHeaderTimeout, Read: cfg.ReadTimeout,
		Write: cfg.WriteTimeout, Idle: cfg.IdleTimeout}, log)
	// Pages and tiles go out in one write with their headers (onewrite).
	ln = onewrite.Listener(ln)
	log.Info("listening", "addr", ln.Addr().String(), "url", "http://"+displayAddr(ln.Addr()), "ready", false)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	defer hs.Close() // on an error below; after a shutdown, a no-op
	// A full load makes many times the index in garbage: collect often.
	// Reading the snapshot makes next to none, and collecting often would
	// only slow it down (a quarter of its CPU).
	opts := snapshotOptions(ctx, &cfg, b, getenv, log)
	if getenv("GOGC") == "" {
		pct := 10
		if _, err := os.Stat(opts.Snapshot); opts.Snapshot != "" && err == nil {
			pct = 100
		}
		debug.SetGCPercent(pct)
	}
	start := time.Now()
	st, err := store.OpenWith(ctx, b, log, opts)
	if err != nil {
		return err
	}
	if getenv("GOGC") == "" {
		debug.SetGCPercent(10)
	}
	n := 0
	for _, ci := range st.Collections() {
		n += ci.Count
	}
	// The index is the bulk of the heap and lives as long as the process;
	// it holds almost no pointers, so collections are cheap and the heap's
	// headroom can be kept small. Return the garbage of loading it
	// (FreeOSMemory collects first).
	debug.FreeOSMemory()
	log.Info("index built", "collections", len(st.Collections()), "features", n, "took", time.Since(start).Round(time.Millisecond))

	wake := make(chan struct{}, 1)
	syncCtx, stopSync := context.WithCancel(ctx)
	defer stopSync()
	if pg, ok := b.(*postgis.Store); ok {
		go func() {
			err := pg.Listen(syncCtx, func() {
				select {
				case wake <- struct{}{}:
				default:
				}
			})
			if err != nil && syncCtx.Err() == nil {
				log.Warn("LISTEN stopped; catching up by polling only", "err", err)
			}
		}()
	}
	go st.Follow(syncCtx, cfg.SyncInterval, wake)
	if !st.Start().FromSnapshot {
		go writeSnapshot(syncCtx, st, log) // the next start needs it, crash or not
	}
	if cfg.SnapshotInterval > 0 {
		go st.KeepSnapshot(syncCtx, cfg.SnapshotInterval)
	}

	webMap := web.New(web.Config{Basemap: cfg.Basemap, Attribution: getenv("CITYATLAS_BASEMAP_ATTRIBUTION"),
		DataAttribution: getenv("CITYATLAS_ATTRIBUTION"), Title: cfg.Title})
	proxies, _ := cfg.trustedProxies() // validated
	srv := api.NewServer(st, api.Config{
		Title:            cfg.Title,
		Description:      "Street and park assets: stop signs, traffic signals, parks, Wi-Fi towers and more, as OGC API - Features.",
		BaseURL:          cfg.BaseURL,
		DefaultLimit:     cfg.DefaultLimit,
		MaxLimit:         cfg.MaxLimit,
		Version:          version(),
		Database:         func(ctx context.Context) error { _, err := b.LastSeq(ctx); return err },
		AllowedHosts:     cfg.AllowedHosts,
		TrustedProxies:   proxies,
		DisableAccessLog: !cfg.AccessLog,
		Timeouts: api.Timeouts{ReadHeader: cfg.ReadHeaderTimeout, Read: cfg.ReadTimeout,
			Write: cfg.WriteTimeout, Idle: cfg.IdleTimeout},
		Limits:         api.Limits{MaxVertices: cfg.MaxQueryVertices, MaxAreaKm2: cfg.MaxQueryAreaKm2, ClientConcurrency: cfg.ClientConcurrency},
		TileCacheBytes: tileCacheBytes(cfg.TileCacheMiB),
		ContentSources: basemapSources(cfg.Basemap),
		Map:            webMap,
		Extra:          webMap.Register,
		Catalog:        api.Catalog{Publisher: cfg.Publisher, ContactName: cfg.ContactName, ContactEmail: cfg.ContactEmail},
		Keys:           keysOf(b),
	}, log)
	starting.Ready(srv)
	log.Info("ready", "addr", ln.Addr().String())
	fmt.Fprintf(stdout, "cityatlas is serving on http://%s/\n", displayAddr(ln.Addr()))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	stopSync()
	writeSnapshot(shutCtx, st, log)
	return nil
}

func writeSnapshot(ctx context.Context, st *store.Store, log *slog.Logger) {
	if err := st.WriteSnapshot(ctx); err != nil && ctx.Err() == nil {
		log.Warn("index snapshot not written", "err", err)
	}
}

// keysOf returns the backend's key store, nil when it keeps none (then
// every request is anonymous and writes are refused).
func keysOf(b store.Backend) api.KeyStore {
	if ks, ok := b.(api.KeyStore); ok {
		return ks
	}
	return nil
}

// servePprof serves Go's profiles on addr (loopback unless
// --pprof-allow-remote), until the process ends.
func servePprof(addr string, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	// A CPU profile or trace takes ?seconds=N (30 by default) to write.
	ps := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 5 * time.Minute, IdleTimeout: time.Minute}
	if err := ps.ListenAndServe(); err != nil {
		log.Warn("pprof server stopped", "err", err)
	}
}

// basemapSources returns the origins the web map's basemap loads from, for
// the pages' Content-Security-Policy: the basemap URL's own, and for a
// MapLibre style (which names its tiles, sprites and glyphs elsewhere) any
// https origin.
func basemapSources(basemap string) []string {
	if basemap == "" {
		return nil
	}
	u, err := url.Parse(basemap)
	if err != nil || u.Host == "" {
		return nil
	}
	out := []string{u.Scheme + "://" + u.Host}
	if !strings.Contains(basemap, "{z}") {
		out = append(out, "https:")
	}
	return out
}

func displayAddr(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	if ta.IP == nil || ta.IP.IsUnspecified() {
		return fmt.Sprintf("localhost:%d", ta.Port)
	}
	return ta.String()
}

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg config
	fs := cfg.flagSet("migrate", getenv, stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := cfg.validate(getenv); err != nil {
		return err
	}
	if cfg.DatabaseURL == "" {
		return usageError{"migrate needs --database-url (or CITYATLAS_DATABASE_URL); the embedded GeoPackage store creates its schema itself"}
	}
	if err := postgis.Migrate(ctx, cfg.DatabaseURL); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "schema is up to date")
	return nil
}

// tileCacheBytes is the api's tile cache size for --tile-cache MiB: 0
// turns the cache off.
func tileCacheBytes(mib int) int64 {
	if mib == 0 {
		return -1
	}
	return int64(mib) << 20
}
