package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cityatlas/cityatlas/ingest"
)

const testLandmarks = "../../importers/testdata/chicago/Individual_Landmarks.csv"

// runImport runs "cityatlas import args..." and returns stdout and the
// error.
func runImport(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := func(string) string { return "" }
	err := run(context.Background(), append([]string{"import", "--log-level", "warn"}, args...), env, &out, &errOut)
	if errOut.Len() > 0 {
		t.Logf("stderr: %s", errOut.String())
	}
	return out.String(), err
}

func TestImportCommand(t *testing.T) {
	data := filepath.Join(t.TempDir(), "atlas.gpkg")
	bad := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(bad, []byte("LANDMARK NAME,ID,lon,lat\nA,L-1,-87.6,41.9\nB,L-2,-87.6,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		args []string
		// want are substrings of stdout; code is the exit code (0: no error).
		want []string
		code int
	}{
		{"dry run", []string{testLandmarks, "--collection", "landmarks", "--create", "--dry-run"},
			[]string{"would be created", `"LANDMARK NAME" -> landmark_name`, "dry run, nothing written: read 317, valid 317, rejected 0"}, 0},
		{"create", []string{testLandmarks, "--collection", "landmarks", "--create", "--title", "Chicago landmarks"},
			[]string{"collection \"landmarks\": created, geometry Point", "read 317, inserted 317, updated 0, unchanged 0, rejected 0"}, 0},
		{"flags first", []string{"--collection", "landmarks", testLandmarks},
			[]string{"read 317, inserted 0, updated 0, unchanged 317, rejected 0"}, 0},
		{"bad row", []string{bad, "--collection=landmarks", "--map", "LANDMARK NAME=landmark_name", "--map", "ID=id_1", "--id-field", "ID"},
			[]string{"problems (1 rows):", `bad.csv: line 3: record 2: field "lat"`, "nothing written to \"landmarks\": read 2, rejected 1"}, 1},
		{"skip invalid", []string{bad, "--collection=landmarks", "--map", "LANDMARK NAME=landmark_name", "--map", "ID=id_1", "--id-field", "ID", "--skip-invalid"},
			[]string{"inserted 1, updated 0, unchanged 0, rejected 1"}, 0},
		{"delete missing, dry run", []string{testLandmarks, "--collection", "landmarks", "--delete-missing", "--dry-run"},
			[]string{"dry run, nothing written: read 317, valid 317, rejected 0, would delete 1"}, 0},
		{"delete missing", []string{testLandmarks, "--collection", "landmarks", "--delete-missing"},
			[]string{"read 317, inserted 0, updated 0, unchanged 317, rejected 0, deleted 1"}, 0},
		{"delete missing, skip invalid", []string{testLandmarks, "--collection", "landmarks", "--delete-missing", "--skip-invalid"}, nil, 2},
		{"no collection", []string{testLandmarks}, nil, 2},
		{"no file", []string{"--collection", "x"}, nil, 2},
		{"bad header flag", []string{testLandmarks, "--collection", "x", "--header", "maybe"}, nil, 2},
		{"bad map flag", []string{testLandmarks, "--collection", "x", "--map", "nothing"}, nil, 2},
		{"missing collection", []string{testLandmarks, "--collection", "nope"}, nil, 1},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			out, err := runImport(t, append(st.args, "--data", data)...)
			code := 0
			if err != nil {
				code = exitCode(err)
			}
			if code != st.code {
				t.Fatalf("exit code %d (err %v), want %d\n%s", code, err, st.code, out)
			}
			for _, w := range st.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestParseInterspersed(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want []string
		coll string
	}{
		{"files first", []string{"a.csv", "b.shp", "--collection", "x"}, []string{"a.csv", "b.shp"}, "x"},
		{"flags first", []string{"--collection", "x", "a.csv"}, []string{"a.csv"}, "x"},
		{"mixed", []string{"a.csv", "--collection=x", "b.csv"}, []string{"a.csv", "b.csv"}, "x"},
		{"double dash", []string{"--collection", "x", "--", "-odd.csv"}, []string{"-odd.csv"}, "x"},
		{"none", []string{"--collection", "x"}, nil, "x"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			coll := fs.String("collection", "", "")
			got, err := parseInterspersed(fs, tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") || *coll != tc.coll {
				t.Errorf("got %q collection %q, want %q %q", got, *coll, tc.want, tc.coll)
			}
		})
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(&bytes.Buffer{})
	if _, err := parseInterspersed(fs, []string{"a.csv", "--nope"}); err == nil {
		t.Error("unknown flag accepted")
	}
}

func TestProgressBar(t *testing.T) {
	cases := []struct {
		name string
		p    ingest.Progress
		want string
	}{
		{"half", ingest.Progress{Read: 500_000, Total: 1_000_000, Elapsed: 5 * time.Second},
			"[===============>              ]  50% 500,000/1,000,000 rows  100,000 rows/s  ETA 0:05"},
		{"unknown total", ingest.Progress{Read: 1234, Elapsed: 2 * time.Second}, "1,234 rows  617 rows/s  0:02"},
		{"done", ingest.Progress{Read: 1_000_000, Total: 1_000_000, Elapsed: 61 * time.Second, Done: true}, "1,000,000 rows read in 1:01; writing..."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			(&progressBar{w: &b}).update(tc.p)
			got := strings.TrimPrefix(b.String(), "\r\033[K")
			if got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
	if isTerminal(&bytes.Buffer{}) {
		t.Error("a buffer is not a terminal")
	}
}
