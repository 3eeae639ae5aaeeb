package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"
)

// config is every setting of the program, from flags and environment
// variables (a flag wins over its variable). Every variable is checked
// once, by validate, with a message naming it and what it accepts.
type config struct {
	Addr         string
	DatabaseURL  string
	DataPath     string
	Demo         bool
	DemoSeed     int64
	Scale        float64
	BaseURL      string
	DefaultLimit int
	MaxLimit     int
	LogFormat    string
	LogLevel     string
	SyncInterval time.Duration
	// SnapshotDir holds the index snapshot; "off" turns it off.
	SnapshotDir      string
	SnapshotInterval time.Duration
	Basemap          string
	Title            string
	PprofAddr        string
	PprofRemote      bool

	AllowedHosts   []string
	TrustedProxies []string
	AccessLog      bool

	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration

	MaxQueryVertices  int
	MaxQueryAreaKm2   float64
	ClientConcurrency int
	TileCacheMiB      int

	// The data catalog's publisher and contact (/data.json).
	Publisher    string
	ContactName  string
	ContactEmail string

	fs     *flag.FlagSet
	envErr []envError
}

// envError is an environment variable that did not parse, kept until
// validate (it does not count when its flag is given).
type envError struct{ flag, msg string }

// flagSet declares the flags of a command on fs, with defaults taken from
// the environment.
func (c *config) flagSet(name string, getenv func(string) string, stderr io.Writer, which ...string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.fs = fs
	has := func(n string) bool { return slices.Contains(which, n) }
	def := func(v flag.Value, flagName, key, usage string) {
		if raw := getenv(key); raw != "" {
			if err := v.Set(raw); err != nil {
				c.envErr = append(c.envErr, envError{flagName, fmt.Sprintf("%s=%q: %v", key, raw, err)})
			}
		}
		fs.Var(v, flagName, usage+" (env "+key+")")
	}
	str := func(p *string, flagName, key, d, usage string) {
		*p = d
		def((*stringValue)(p), flagName, key, usage)
	}
	// Storage, common to every command.
	str(&c.DatabaseURL, "database-url", "CITYATLAS_DATABASE_URL", "", "PostgreSQL/PostGIS URL, or CITYATLAS_DATABASE_URL_FILE naming a file that holds it; empty: the embedded GeoPackage store")
	if path := getenv("CITYATLAS_DATABASE_URL_FILE"); path != "" && c.DatabaseURL != "" {
		c.envErr = append(c.envErr, envError{"database-url", "CITYATLAS_DATABASE_URL and CITYATLAS_DATABASE_URL_FILE are both set: set one"})
	} else if path != "" {
		if err := readSecretFile(path, &c.DatabaseURL); err != nil {
			c.envErr = append(c.envErr, envError{"database-url", fmt.Sprintf("CITYATLAS_DATABASE_URL_FILE=%q: %v", path, err)})
		}
	}
	if path := getenv("CITYATLAS_DATABASE_PASSWORD_FILE"); path != "" {
		if err := addPassword(&c.DatabaseURL, path); err != nil {
			c.envErr = append(c.envErr, envError{"database-url", fmt.Sprintf("CITYATLAS_DATABASE_PASSWORD_FILE=%q: %v", path, err)})
		}
	}
	fs.Lookup("database-url").DefValue = "" // -h must not print a password
	str(&c.DataPath, "data", "CITYATLAS_DATA", "cityatlas.gpkg", "GeoPackage file of the embedded store")
	str(&c.LogFormat, "log-format", "CITYATLAS_LOG_FORMAT", "text", "log format: text or json")
	str(&c.LogLevel, "log-level", "CITYATLAS_LOG_LEVEL", "info", "log level: debug, info, warn, error")
	if has("serve") || has("healthcheck") {
		str(&c.Addr, "addr", "CITYATLAS_ADDR", ":8080", "listen address")
	}
	if has("serve") {
		str(&c.BaseURL, "base-url", "CITYATLAS_BASE_URL", "", "public URL prefix for links, e.g. https://gis.example.org; empty: from each request's Host, which must then be one of --allowed-hosts")
		c.DefaultLimit, c.MaxLimit = 10, 10000
		def((*intValue)(&c.DefaultLimit), "default-limit", "CITYATLAS_DEFAULT_LIMIT", "items per page when limit is not given")
		def((*intValue)(&c.MaxLimit), "max-limit", "CITYATLAS_MAX_LIMIT", "largest limit a client may ask for")
		c.SyncInterval = 2 * time.Second
		def((*durationValue)(&c.SyncInterval), "sync-interval", "CITYATLAS_SYNC_INTERVAL", "how often to catch up with writes made by other instances")
		str(&c.SnapshotDir, "snapshot-dir", "CITYATLAS_SNAPSHOT_DIR", "", "directory of the index snapshot, read at start-up to be ready in seconds; empty: the GeoPackage's directory, or the user cache directory with PostGIS; off: none")
		c.SnapshotInterval = time.Minute
		def((*durationValue)(&c.SnapshotInterval), "snapshot-interval", "CITYATLAS_SNAPSHOT_INTERVAL", "write the index snapshot this long after writes settle (0: only at shutdown)")
		str(&c.Basemap, "basemap", "CITYATLAS_BASEMAP", "", "web map basemap: a MapLibre style URL or a raster tile URL template; empty: offline basemap")
		str(&c.Title, "title", "CITYATLAS_TITLE", "cityatlas", "service title")
		str(&c.PprofAddr, "pprof-addr", "CITYATLAS_PPROF_ADDR", "", "serve Go profiling (net/http/pprof) on this loopback address, e.g. 127.0.0.1:6060; empty: off")
		def((*boolValue)(&c.PprofRemote), "pprof-allow-remote", "CITYATLAS_PPROF_ALLOW_REMOTE", "allow --pprof-addr off loopback (profiles show memory contents: keep them private)")
		def((*boolValue)(&c.Demo), "demo", "CITYATLAS_DEMO", "seed the Imperial, CA demo dataset when the store lacks it")
		def((*listValue)(&c.AllowedHosts), "allowed-hosts", "CITYATLAS_ALLOWED_HOSTS", "without --base-url, the Host names answered, comma-separated (\"*\" any, \".example.org\" a domain); default: localhost, 127.0.0.1, ::1")
		def((*listValue)(&c.TrustedProxies), "trusted-proxies", "CITYATLAS_TRUSTED_PROXIES", "addresses or CIDR ranges of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed, comma-separated")
		c.AccessLog = true
		def((*boolValue)(&c.AccessLog), "access-log", "CITYATLAS_ACCESS_LOG", "log one line per request")
		c.ReadHeaderTimeout, c.ReadTimeout, c.WriteTimeout, c.IdleTimeout = 10*time.Second, 30*time.Second, 30*time.Second, 2*time.Minute
		def((*durationValue)(&c.ReadHeaderTimeout), "read-header-timeout", "CITYATLAS_READ_HEADER_TIMEOUT", "longest time to read a request's headers")
		def((*durationValue)(&c.ReadTimeout), "read-timeout", "CITYATLAS_READ_TIMEOUT", "longest time to read a whole request, body included")
		def((*durationValue)(&c.WriteTimeout), "write-timeout", "CITYATLAS_WRITE_TIMEOUT", "drop a client that takes no data for this long (per write: long downloads that keep going are not cut)")
		def((*durationValue)(&c.IdleTimeout), "idle-timeout", "CITYATLAS_IDLE_TIMEOUT", "close a kept-alive connection idle for this long")
		c.MaxQueryVertices, c.MaxQueryAreaKm2, c.ClientConcurrency = 10_000, 100_000, 16
		def((*intValue)(&c.MaxQueryVertices), "max-query-vertices", "CITYATLAS_MAX_QUERY_VERTICES", "most vertices of a polygon posted to /count")
		def((*floatValue)(&c.MaxQueryAreaKm2), "max-query-area", "CITYATLAS_MAX_QUERY_AREA", "largest area of a polygon posted to /count, in km²")
		def((*intValue)(&c.ClientConcurrency), "client-concurrency", "CITYATLAS_CLIENT_CONCURRENCY", "expensive requests (counts, stats, tiles, pages over 1000) one client may run at once; more get 429")
		c.TileCacheMiB = 32
		def((*intValue)(&c.TileCacheMiB), "tile-cache", "CITYATLAS_TILE_CACHE", "memory for encoded vector tiles, in MiB (0: no cache); a write to a layer drops its tiles")
		str(&c.Publisher, "publisher", "CITYATLAS_PUBLISHER", "", "organisation that publishes the data, named in /data.json; default: the title")
		str(&c.ContactName, "contact-name", "CITYATLAS_CONTACT_NAME", "", "the datasets' contact in /data.json; default: the publisher")
		str(&c.ContactEmail, "contact-email", "CITYATLAS_CONTACT_EMAIL", "", "the contact's e-mail address in /data.json; default: opendata@example.org")
	}
	if has("serve") || has("seed") {
		c.DemoSeed = 1
		def((*int64Value)(&c.DemoSeed), "seed", "CITYATLAS_DEMO_SEED", "random seed of the demo generator")
	}
	if has("seed") {
		fs.Float64Var(&c.Scale, "scale", 1, "size of the generated city: 1 is Imperial; larger grows the street grid (benchmarks)")
	}
	return fs
}

// readSecretFile reads a secret (a URL with a password) from a file, as
// Docker and Kubernetes secrets are mounted, without its final newline.
func readSecretFile(path string, dst *string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	*dst = strings.TrimRight(string(b), "\r\n")
	if *dst == "" {
		return fmt.Errorf("the file is empty")
	}
	return nil
}

// addPassword puts the password held in the file at path into the
// postgres:// URL *dbURL (as POSTGRES_PASSWORD_FILE gives one to the
// PostGIS image, so that both containers read one secret).
func addPassword(dbURL *string, path string) error {
	var pw string
	if err := readSecretFile(path, &pw); err != nil {
		return err
	}
	u, err := url.Parse(*dbURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return fmt.Errorf("it needs CITYATLAS_DATABASE_URL as a postgres:// URL without the password, such as postgres://cityatlas@db:5432/cityatlas")
	}
	if _, has := u.User.Password(); has {
		return fmt.Errorf("CITYATLAS_DATABASE_URL already has a password")
	}
	u.User = url.UserPassword(u.User.Username(), pw)
	*dbURL = u.String()
	return nil
}

// validate checks the configuration once, with messages naming the setting.
func (c *config) validate(getenv func(string) string) error {
	set := map[string]bool{}
	if c.fs != nil {
		c.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	}
	for _, e := range c.envErr {
		if !set[e.flag] {
			return usageError{e.msg}
		}
	}
	if c.MaxLimit < 0 || c.DefaultLimit < 0 {
		return usageError{"--default-limit and --max-limit must be positive"}
	}
	if c.MaxLimit > 0 && c.DefaultLimit > c.MaxLimit {
		return usageError{fmt.Sprintf("--default-limit %d is above --max-limit %d", c.DefaultLimit, c.MaxLimit)}
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return usageError{fmt.Sprintf("--log-format %q: use text or json", c.LogFormat)}
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return err
	}
	if c.DatabaseURL == "" && c.DataPath == "" {
		return usageError{"give --data (a GeoPackage path) or --database-url"}
	}
	if c.ContactEmail != "" && !strings.Contains(c.ContactEmail, "@") {
		return usageError{fmt.Sprintf("--contact-email %q is not an e-mail address", c.ContactEmail)}
	}
	if c.Scale < 0 {
		return usageError{"--scale must be positive"}
	}
	return c.validateServe()
}

// validateServe checks the settings of serve.
func (c *config) validateServe() error {
	for name, d := range map[string]time.Duration{"--sync-interval": c.SyncInterval, "--read-header-timeout": c.ReadHeaderTimeout,
		"--read-timeout": c.ReadTimeout, "--write-timeout": c.WriteTimeout, "--idle-timeout": c.IdleTimeout} {
		if d < 0 || (c.fs != nil && c.fs.Lookup(strings.TrimPrefix(name, "--")) != nil && d == 0) {
			return usageError{fmt.Sprintf("%s %s: give a positive duration such as 30s", name, d)}
		}
	}
	if c.SnapshotInterval < 0 {
		return usageError{fmt.Sprintf("--snapshot-interval %s: give 0 or a positive duration such as 1m", c.SnapshotInterval)}
	}
	if c.fs != nil && c.fs.Lookup("max-query-vertices") != nil {
		if c.MaxQueryVertices < 4 || c.MaxQueryAreaKm2 <= 0 || c.ClientConcurrency < 1 {
			return usageError{"--max-query-vertices must be at least 4, --max-query-area and --client-concurrency positive"}
		}
		if c.TileCacheMiB < 0 || c.TileCacheMiB > 1<<16 {
			return usageError{fmt.Sprintf("--tile-cache %d: give the MiB of tiles to keep, from 0 (no cache) to 65536", c.TileCacheMiB)}
		}
	}
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usageError{fmt.Sprintf("--base-url %q: give an absolute http or https URL, such as https://gis.example.org/atlas", c.BaseURL)}
		}
	}
	if _, err := c.trustedProxies(); err != nil {
		return err
	}
	if c.PprofAddr != "" && !c.PprofRemote {
		host, _, err := net.SplitHostPort(c.PprofAddr)
		if err != nil {
			return usageError{fmt.Sprintf("--pprof-addr %q: give host:port, such as 127.0.0.1:6060", c.PprofAddr)}
		}
		if !isLoopback(host) {
			return usageError{fmt.Sprintf("--pprof-addr %q is not a loopback address: profiles expose the process's memory; use 127.0.0.1:PORT, or --pprof-allow-remote to mean it", c.PprofAddr)}
		}
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// trustedProxies parses --trusted-proxies: addresses or CIDR ranges.
func (c *config) trustedProxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range c.TrustedProxies {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, usageError{fmt.Sprintf("--trusted-proxies: %q is neither an IP address nor a CIDR range such as 10.0.0.0/8", s)}
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(s))); err != nil {
		return 0, usageError{fmt.Sprintf("--log-level %q: use debug, info, warn or error", s)}
	}
	return l, nil
}

func (c *config) logger(w io.Writer) *slog.Logger {
	lvl, _ := parseLevel(c.LogLevel)
	opts := &slog.HandlerOptions{Level: lvl}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
