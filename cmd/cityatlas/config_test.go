package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func envOf(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

// serveConfig parses serve's flags and environment as serve does.
func serveConfig(t *testing.T, env func(string) string, args ...string) (config, error) {
	t.Helper()
	var cfg config
	fs := cfg.flagSet("serve", env, io.Discard, "serve")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	return cfg, cfg.validate(env)
}

// TestConfigBooleans: yes/no, on/off, 1/0 and true/false all count, for
// flags and variables alike; anything else is refused naming the variable.
func TestConfigBooleans(t *testing.T) {
	for _, v := range []string{"yes", "YES", "on", "1", "true", "True"} {
		cfg, err := serveConfig(t, envOf("CITYATLAS_DEMO", v))
		if err != nil || !cfg.Demo {
			t.Errorf("CITYATLAS_DEMO=%s: demo %v, %v", v, cfg.Demo, err)
		}
	}
	for _, v := range []string{"no", "off", "0", "false"} {
		cfg, err := serveConfig(t, envOf("CITYATLAS_DEMO", v, "CITYATLAS_ACCESS_LOG", v))
		if err != nil || cfg.Demo || cfg.AccessLog {
			t.Errorf("=%s: demo %v, access log %v, %v", v, cfg.Demo, cfg.AccessLog, err)
		}
	}
	if cfg, err := serveConfig(t, envOf()); err != nil || cfg.Demo || !cfg.AccessLog {
		t.Errorf("defaults: demo %v, access log %v, %v", cfg.Demo, cfg.AccessLog, err)
	}
	if cfg, err := serveConfig(t, envOf(), "--access-log=no"); err != nil || cfg.AccessLog {
		t.Errorf("--access-log=no: %v %v", cfg.AccessLog, err)
	}
}

// TestConfigErrorsNameTheVariable: every kind of bad value is refused at
// start-up with the variable's name and what it accepts; a flag given on
// the command line wins over a bad variable.
func TestConfigErrorsNameTheVariable(t *testing.T) {
	cases := []struct{ key, value, want string }{
		{"CITYATLAS_DEMO", "sure", "use true or false"},
		{"CITYATLAS_ACCESS_LOG", "maybe", "use true or false"},
		{"CITYATLAS_MAX_LIMIT", "lots", "not a whole number"},
		{"CITYATLAS_DEFAULT_LIMIT", "1.5", "not a whole number"},
		{"CITYATLAS_DEMO_SEED", "x", "not a whole number"},
		{"CITYATLAS_SYNC_INTERVAL", "2", "not a duration"},
		{"CITYATLAS_WRITE_TIMEOUT", "soon", "not a duration"},
		{"CITYATLAS_READ_TIMEOUT", "-1s", "positive duration"},
		{"CITYATLAS_MAX_QUERY_AREA", "big", "not a number"},
		{"CITYATLAS_MAX_QUERY_VERTICES", "2", "at least 4"},
		{"CITYATLAS_CLIENT_CONCURRENCY", "0", "positive"},
		{"CITYATLAS_TRUSTED_PROXIES", "10.0.0.0/8,proxy.local", "neither an IP address nor a CIDR"},
		{"CITYATLAS_BASE_URL", "gis.example.org", "absolute http or https URL"},
		{"CITYATLAS_LOG_FORMAT", "xml", "text or json"},
		{"CITYATLAS_PPROF_ADDR", "0.0.0.0:6060", "not a loopback address"},
		{"CITYATLAS_PPROF_ADDR", ":6060", "not a loopback address"},
		{"CITYATLAS_DATABASE_URL_FILE", "/nonexistent/secret", "CITYATLAS_DATABASE_URL_FILE"},
	}
	for _, tc := range cases {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			err := run(context.Background(), []string{"serve"}, envOf(tc.key, tc.value), io.Discard, io.Discard)
			var u usageError
			if !errors.As(err, &u) || exitCode(err) != 2 || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want a usage error saying %q", err, tc.want)
			}
			name := strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(tc.key, "CITYATLAS_"), "_", "-"))
			if !strings.Contains(err.Error(), tc.key) && !strings.Contains(err.Error(), "--"+name) {
				t.Errorf("%v names neither %s nor --%s", err, tc.key, name)
			}
		})
	}
	if cfg, err := serveConfig(t, envOf("CITYATLAS_MAX_LIMIT", "lots"), "--max-limit", "500"); err != nil || cfg.MaxLimit != 500 {
		t.Errorf("a flag over a bad variable: %d %v", cfg.MaxLimit, err)
	}
	if _, err := serveConfig(t, envOf("CITYATLAS_PPROF_ADDR", "0.0.0.0:6060", "CITYATLAS_PPROF_ALLOW_REMOTE", "yes")); err != nil {
		t.Errorf("--pprof-allow-remote: %v", err)
	}
	if _, err := serveConfig(t, envOf("CITYATLAS_PPROF_ADDR", "127.0.0.1:6060")); err != nil {
		t.Errorf("pprof on loopback: %v", err)
	}
}

// TestConfigValues: the new settings reach the config.
func TestConfigValues(t *testing.T) {
	cfg, err := serveConfig(t, envOf("CITYATLAS_ALLOWED_HOSTS", "gis.example.org, .city.example", "CITYATLAS_TRUSTED_PROXIES", "10.0.0.1,192.168.0.0/16",
		"CITYATLAS_WRITE_TIMEOUT", "1m", "CITYATLAS_MAX_QUERY_AREA", "5000"), "--idle-timeout", "30s")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(cfg.AllowedHosts, "|") != "gis.example.org|.city.example" || cfg.WriteTimeout != time.Minute || cfg.IdleTimeout != 30*time.Second || cfg.MaxQueryAreaKm2 != 5000 {
		t.Errorf("%+v", cfg)
	}
	p, err := cfg.trustedProxies()
	if err != nil || len(p) != 2 || p[0].String() != "10.0.0.1/32" || p[1].String() != "192.168.0.0/16" {
		t.Errorf("trusted proxies %v %v", p, err)
	}
	if cfg.ReadTimeout != 30*time.Second || cfg.ReadHeaderTimeout != 10*time.Second || cfg.ClientConcurrency != 16 || cfg.MaxQueryVertices != 10000 {
		t.Errorf("defaults: %+v", cfg)
	}
}

// TestDatabaseURLFile: the URL (with its password) can come from a file,
// as Docker and Kubernetes mount secrets; not both ways at once.
func TestDatabaseURLFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "url")
	if err := os.WriteFile(path, []byte("postgres://u:secret@db/cityatlas\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := serveConfig(t, envOf("CITYATLAS_DATABASE_URL_FILE", path))
	if err != nil || cfg.DatabaseURL != "postgres://u:secret@db/cityatlas" {
		t.Errorf("from the file: %q %v", cfg.DatabaseURL, err)
	}
	if _, err := serveConfig(t, envOf("CITYATLAS_DATABASE_URL_FILE", path, "CITYATLAS_DATABASE_URL", "postgres://x")); err == nil || !strings.Contains(err.Error(), "both set") {
		t.Errorf("both: %v", err)
	}
	var help bytes.Buffer
	var c config
	fs := c.flagSet("serve", envOf("CITYATLAS_DATABASE_URL", "postgres://u:secret@db/x"), &help, "serve")
	fs.PrintDefaults()
	if strings.Contains(help.String(), "secret") {
		t.Error("-h prints the database password")
	}
}

// TestHealthcheckAndVersion: healthcheck exits 0 against a running server
// (alive and ready), 1 when nothing listens; version names the Go version.
func TestHealthcheckAndVersion(t *testing.T) {
	base := startServer(t, "--data", filepath.Join(t.TempDir(), "h.gpkg"))
	addr := strings.TrimPrefix(base, "http://")
	for _, args := range [][]string{{"healthcheck", "--addr", addr}, {"healthcheck", "--addr", addr, "--ready"}} {
		var out bytes.Buffer
		if err := run(context.Background(), args, envOf(), &out, io.Discard); err != nil {
			t.Errorf("%v: %v", args, err)
		}
		if !strings.Contains(out.String(), `"status"`) {
			t.Errorf("%v printed %q", args, out.String())
		}
	}
	// Through CITYATLAS_ADDR, as the Docker image runs it.
	_, port, _ := strings.Cut(addr, ":")
	if err := run(context.Background(), []string{"healthcheck"}, envOf("CITYATLAS_ADDR", ":"+port), io.Discard, io.Discard); err != nil {
		t.Errorf("healthcheck with CITYATLAS_ADDR=:%s: %v", port, err)
	}
	err := run(context.Background(), []string{"healthcheck", "--addr", "127.0.0.1:1"}, envOf(), io.Discard, io.Discard)
	if err == nil || exitCode(err) != 1 {
		t.Errorf("nothing listening: %v (exit %d)", err, exitCode(err))
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, envOf(), &out, io.Discard); err != nil || !strings.HasPrefix(out.String(), "cityatlas ") || !strings.Contains(out.String(), "go1.") {
		t.Errorf("version: %q %v", out.String(), err)
	}
}

// TestDatabasePasswordFile: the password alone from a file (the PostGIS
// image's POSTGRES_PASSWORD_FILE secret), into a URL without one.
func TestDatabasePasswordFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(path, []byte("s3cr/t@x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := serveConfig(t, envOf("CITYATLAS_DATABASE_URL", "postgres://cityatlas@db:5432/cityatlas?sslmode=disable", "CITYATLAS_DATABASE_PASSWORD_FILE", path))
	if err != nil || cfg.DatabaseURL != "postgres://cityatlas:s3cr%2Ft%40x@db:5432/cityatlas?sslmode=disable" {
		t.Errorf("%q %v", cfg.DatabaseURL, err)
	}
	for _, u := range []string{"host=db user=x", "postgres://u:pw@db/x", ""} {
		if _, err := serveConfig(t, envOf("CITYATLAS_DATABASE_URL", u, "CITYATLAS_DATABASE_PASSWORD_FILE", path)); err == nil || !strings.Contains(err.Error(), "CITYATLAS_DATABASE_PASSWORD_FILE") {
			t.Errorf("URL %q: %v", u, err)
		}
	}
}

// TestBasemapSources: the pages' Content-Security-Policy lets the map
// load its configured basemap.
func TestBasemapSources(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"},
		{"http://tiles.city.example:8081/{z}/{x}/{y}.png", "http://tiles.city.example:8081"},
		{"https://demotiles.maplibre.org/style.json", "https://demotiles.maplibre.org https:"},
	} {
		if got := strings.Join(basemapSources(tc.in), " "); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.in, got, tc.want)
		}
	}
}
