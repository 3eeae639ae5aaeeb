package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cityatlas/cityatlas/store/postgis/pgtest"
)

// TestPostGISDeployment is the README's "Deploying with PostGIS" path:
// migrate (twice: the second run changes nothing), seed, then serve with
// --database-url, and the collections answer with the demo's counts.
func TestPostGISDeployment(t *testing.T) {
	url := pgtest.URL(t, "cityatlas_cmd_")
	env := func(string) string { return "" }
	ctx := context.Background()
	for range 2 {
		var out bytes.Buffer
		if err := run(ctx, []string{"migrate", "--database-url", url}, env, &out, io.Discard); err != nil {
			t.Fatalf("migrate: %v", err)
		}
		if !strings.Contains(out.String(), "up to date") {
			t.Errorf("migrate printed %q", out.String())
		}
	}
	if err := run(ctx, []string{"seed", "--database-url", url, "--log-level", "warn"}, env, io.Discard, io.Discard); err != nil {
		t.Fatalf("seed: %v", err)
	}
	base := startServer(t, "--database-url", url)
	var cols struct {
		Collections []struct {
			ID    string `json:"id"`
			Count int    `json:"numberOfFeatures"`
		} `json:"collections"`
	}
	getJSON(t, base+"/collections", &cols)
	got := map[string]int{}
	for _, c := range cols.Collections {
		got[c.ID] = c.Count
	}
	want := map[string]int{"parks": 21, "stop_signs": 1432, "traffic_signals": 39, "wifi_towers": 22}
	for id, n := range want {
		if got[id] != n {
			t.Errorf("%s: %d features over PostGIS, want %d (the demo with seed 1)", id, got[id], n)
		}
	}
	// A whole-layer download and an export over PostGIS, read by GDAL.
	dir := t.TempDir()
	res, err := http.Get(base + "/collections/stop_signs/download?f=gpkg")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != 200 || res.Header.Get("X-Number-Matched") != "1432" || res.Header.Get("ETag") == "" {
		t.Fatalf("download: %v, status %d, headers %v", err, res.StatusCode, res.Header)
	}
	gpkgPath := filepath.Join(dir, "stop_signs.gpkg")
	os.WriteFile(gpkgPath, body, 0o644)
	fgbPath := filepath.Join(dir, "stop_signs.fgb")
	if err := run(ctx, []string{"export", "--database-url", url, "--log-level", "warn", "--collection", "stop_signs", "--output", fgbPath}, env, io.Discard, io.Discard); err != nil {
		t.Fatalf("export: %v", err)
	}
	ogrinfo, err := exec.LookPath("ogrinfo")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("ogrinfo not found (gdal-bin)")
		}
		return
	}
	for _, p := range []string{gpkgPath, fgbPath} {
		out, err := exec.Command(ogrinfo, "-so", "-al", p).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Feature Count: 1432") {
			t.Errorf("%s: %v\n%s", p, err, out)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	env := func(k string) string {
		if k == "CITYATLAS_MAX_LIMIT" {
			return "lots"
		}
		return ""
	}
	cases := []struct {
		name string
		args []string
		env  func(string) string
		want string
	}{
		{"no command", nil, func(string) string { return "" }, "no command"},
		{"unknown command", []string{"frobnicate"}, func(string) string { return "" }, "unknown command"},
		{"bad environment variable", []string{"serve"}, env, "CITYATLAS_MAX_LIMIT"},
		{"bad log format", []string{"serve", "--log-format", "xml"}, func(string) string { return "" }, "--log-format"},
		{"migrate without a database", []string{"migrate"}, func(string) string { return "" }, "--database-url"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := run(context.Background(), tc.args, tc.env, io.Discard, io.Discard)
			var u usageError
			if !errors.As(err, &u) || exitCode(err) != 2 || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v (exit %d), want a usage error mentioning %q", err, exitCode(err), tc.want)
			}
		})
	}
}
