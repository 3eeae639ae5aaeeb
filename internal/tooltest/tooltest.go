// Package tooltest finds the command-line tools that tests drive (GDAL,
// psql, Chromium): under CI (CI=true) a missing tool fails the test, which
// must run there; elsewhere the test is skipped, naming the Debian package
// to install.
package tooltest

import (
	"os"
	"os/exec"
	"testing"
)

// Need returns the path of tool name, which Debian package pkg installs.
func Need(tb testing.TB, name, pkg string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s not found: install the Debian package %s (scripts/test does this as root)", name, pkg)
		}
		tb.Skipf("%s not found: install the Debian package %s", name, pkg)
	}
	return p
}
