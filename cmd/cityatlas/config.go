package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// config is every setting of the program, from flags and environment
// variables (a flag wins over its variable).
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
	Basemap      string
	Title        string
	PprofAddr    string
	// The data catalog's publisher and contact (/data.json).
	Publisher    string
	ContactName  string
	ContactEmail string
}

// flagSet declares the flags of a command on fs, with defaults taken from
// the environment.
func (c *config) flagSet(name string, getenv func(string) string, stderr io.Writer, which ...string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	has := func(n string) bool {
		for _, w := range which {
			if w == n {
				return true
			}
		}
		return false
	}
	// Storage, common to every command.
	fs.StringVar(&c.DatabaseURL, "database-url", env("CITYATLAS_DATABASE_URL", ""), "PostgreSQL/PostGIS URL (env CITYATLAS_DATABASE_URL); empty: the embedded GeoPackage store")
	fs.StringVar(&c.DataPath, "data", env("CITYATLAS_DATA", "cityatlas.gpkg"), "GeoPackage file of the embedded store (env CITYATLAS_DATA)")
	fs.StringVar(&c.LogFormat, "log-format", env("CITYATLAS_LOG_FORMAT", "text"), "log format: text or json (env CITYATLAS_LOG_FORMAT)")
	fs.StringVar(&c.LogLevel, "log-level", env("CITYATLAS_LOG_LEVEL", "info"), "log level: debug, info, warn, error (env CITYATLAS_LOG_LEVEL)")
	if has("serve") {
		fs.StringVar(&c.Addr, "addr", env("CITYATLAS_ADDR", ":8080"), "listen address (env CITYATLAS_ADDR)")
		fs.StringVar(&c.BaseURL, "base-url", env("CITYATLAS_BASE_URL", ""), "public URL prefix for links, e.g. https://gis.example.org (env CITYATLAS_BASE_URL); default: from each request")
		fs.IntVar(&c.DefaultLimit, "default-limit", envInt(getenv, "CITYATLAS_DEFAULT_LIMIT", 10), "items per page when limit is not given (env CITYATLAS_DEFAULT_LIMIT)")
		fs.IntVar(&c.MaxLimit, "max-limit", envInt(getenv, "CITYATLAS_MAX_LIMIT", 10000), "largest limit a client may ask for (env CITYATLAS_MAX_LIMIT)")
		fs.DurationVar(&c.SyncInterval, "sync-interval", envDuration(getenv, "CITYATLAS_SYNC_INTERVAL", 2*time.Second), "how often to catch up with writes made by other instances (env CITYATLAS_SYNC_INTERVAL)")
		fs.StringVar(&c.Basemap, "basemap", env("CITYATLAS_BASEMAP", ""), "web map basemap: a MapLibre style URL or a raster tile URL template (env CITYATLAS_BASEMAP); empty: offline basemap")
		fs.StringVar(&c.Title, "title", env("CITYATLAS_TITLE", "cityatlas"), "service title (env CITYATLAS_TITLE)")
		fs.StringVar(&c.Publisher, "publisher", env("CITYATLAS_PUBLISHER", ""), "organisation that publishes the data, named in /data.json (env CITYATLAS_PUBLISHER); default: the title")
		fs.StringVar(&c.ContactName, "contact-name", env("CITYATLAS_CONTACT_NAME", ""), "the datasets' contact in /data.json (env CITYATLAS_CONTACT_NAME); default: the publisher")
		fs.StringVar(&c.ContactEmail, "contact-email", env("CITYATLAS_CONTACT_EMAIL", ""), "the contact's e-mail address in /data.json (env CITYATLAS_CONTACT_EMAIL); default: opendata@example.org")
		fs.StringVar(&c.PprofAddr, "pprof-addr", env("CITYATLAS_PPROF_ADDR", ""), "serve Go profiling (net/http/pprof) on this address, e.g. 127.0.0.1:6060 (env CITYATLAS_PPROF_ADDR); empty: off")
		fs.BoolVar(&c.Demo, "demo", env("CITYATLAS_DEMO", "") == "true" || env("CITYATLAS_DEMO", "") == "1", "seed the Imperial, CA demo dataset when the store lacks it (env CITYATLAS_DEMO=true)")
	}
	if has("serve") || has("seed") {
		fs.Int64Var(&c.DemoSeed, "seed", int64(envInt(getenv, "CITYATLAS_DEMO_SEED", 1)), "random seed of the demo generator (env CITYATLAS_DEMO_SEED)")
	}
	if has("seed") {
		fs.Float64Var(&c.Scale, "scale", 1, "size of the generated city: 1 is Imperial; larger grows the street grid (benchmarks)")
	}
	return fs
}

func envInt(getenv func(string) string, key string, def int) int {
	if v := getenv(key); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return def
}

func envDuration(getenv func(string) string, key string, def time.Duration) time.Duration {
	if v := getenv(key); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
	}
	return def
}

// validate checks the configuration once, with messages naming the setting.
func (c *config) validate(getenv func(string) string) error {
	for _, key := range []string{"CITYATLAS_DEFAULT_LIMIT", "CITYATLAS_MAX_LIMIT"} {
		if v := getenv(key); v != "" {
			if _, err := strconv.Atoi(v); err != nil {
				return usageError{fmt.Sprintf("%s=%q is not a whole number", key, v)}
			}
		}
	}
	if v := getenv("CITYATLAS_SYNC_INTERVAL"); v != "" {
		if _, err := time.ParseDuration(v); err != nil {
			return usageError{fmt.Sprintf("CITYATLAS_SYNC_INTERVAL=%q is not a duration such as 2s", v)}
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
	return nil
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
