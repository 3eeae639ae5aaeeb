package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"time"
)

// healthcheck asks a running server on this machine whether it is alive
// (/healthz) or ready (/readyz with --ready), for container health checks
// (the distroless image has no curl): exit status 0 when it answers 200,
// 1 otherwise.
func healthcheck(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg config
	fs := cfg.flagSet("healthcheck", getenv, stderr, "healthcheck")
	ready := fs.Bool("ready", false, "ask /readyz (the index serves) instead of /healthz (the process answers)")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("healthcheck takes no arguments, got %q", fs.Args())}
	}
	if err := cfg.validate(getenv); err != nil {
		return err
	}
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return usageError{fmt.Sprintf("--addr %q: want host:port or :port", cfg.Addr)}
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1" // the server listens on every address
	}
	path := "/healthz"
	if *ready {
		path = "/readyz"
	}
	u := "http://" + net.JoinHostPort(host, port) + path
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s: %s", u, res.Status, body)
	}
	fmt.Fprintf(stdout, "%s: %s", u, body)
	return nil
}

// version is the program's version: the module version it was built as
// ("dev" for a build from a checkout).
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// versionCmd prints the version, the Go version and the VCS revision.
func versionCmd(stdout io.Writer) error {
	rev, modified := "unknown", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					modified = " (modified)"
				}
			}
		}
	}
	fmt.Fprintf(stdout, "cityatlas %s %s revision %s%s\n", version(), runtime.Version(), rev, modified)
	return nil
}
