package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func runExport(t *testing.T, data string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := func(string) string { return "" }
	err := run(context.Background(), append([]string{"export", "--log-level", "warn", "--data", data}, args...), env, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestExportCommand(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "atlas.gpkg")
	if _, err := runImport(t, testLandmarks, "--data", data, "--collection", "landmarks", "--create"); err != nil {
		t.Fatal(err)
	}
	// stdout, GeoJSON by default
	out, _, err := runExport(t, data, "--collection", "landmarks")
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []json.RawMessage `json:"features"`
	}
	if err := json.Unmarshal([]byte(out), &fc); err != nil || len(fc.Features) != 317 {
		t.Fatalf("stdout: %d features, %v", len(fc.Features), err)
	}
	// every format to a file, the format from the extension, read by GDAL
	ogrinfo, err := exec.LookPath("ogrinfo")
	if err != nil && os.Getenv("CI") == "true" {
		t.Fatal("ogrinfo not found (gdal-bin)")
	}
	count := regexp.MustCompile(`Feature Count: (\d+)`)
	for _, ext := range []string{"geojson", "csv", "gpkg", "shp.zip", "fgb", "kml", "ndjson", "parquet"} {
		path := filepath.Join(dir, "landmarks."+ext)
		_, stderr, err := runExport(t, data, "--collection", "landmarks", "--output", path, "--progress", "always")
		if err != nil {
			t.Fatalf("%s: %v", ext, err)
		}
		if !strings.Contains(stderr, "317 features of landmarks written") || !strings.Contains(stderr, "rows") {
			t.Errorf("%s: stderr %q", ext, stderr)
		}
		if ogrinfo == "" || ext == "parquet" {
			continue
		}
		src := path
		switch ext {
		case "shp.zip":
			src = "/vsizip/" + path
		case "ndjson":
			src = "GeoJSONSeq:" + path
		}
		b, err := exec.Command(ogrinfo, "-so", "-al", src).CombinedOutput()
		m := count.FindSubmatch(b)
		if err != nil || m == nil || string(m[1]) != "317" {
			t.Errorf("%s: GDAL: %v\n%s", ext, err, b)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".partial") {
			t.Errorf("left %s behind", e.Name())
		}
	}
	// a query
	out, _, err = runExport(t, data, "--collection", "landmarks", "--format", "csv", "--bbox", "-87.64,41.88,-87.62,41.9", "--properties", "landmark_name")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.HasPrefix(lines[0], "id,landmark_name,longitude,latitude,wkt") || len(lines) < 2 || len(lines) > 317 {
		t.Errorf("bbox CSV: %d lines, header %q", len(lines), lines[0])
	}
	// mistakes: exit code 2; a failure: 1, and no file
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"--collection", "nope"}, 2},
		{[]string{"--collection", "landmarks", "--format", "xlsx"}, 2},
		{[]string{"--collection", "landmarks", "--output", "x.xlsx"}, 2},
		{[]string{"--collection", "landmarks", "--bbox", "1,2,3"}, 2},
		{[]string{"--collection", "landmarks", "--where", "colour=red"}, 2},
		{[]string{"--collection", "landmarks", "--properties", "colour"}, 2},
		{[]string{"--collection", "landmarks", "--output", filepath.Join(dir, "missing", "x.gpkg")}, 1},
	} {
		_, _, err := runExport(t, data, tc.args...)
		if code := exitCode(err); err == nil || code != tc.code {
			t.Errorf("%v: exit %d (%v), want %d", tc.args, code, err, tc.code)
		}
	}
}
