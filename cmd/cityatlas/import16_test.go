package main

import (
	"context"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cityatlas/cityatlas/ingest"
	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/gpkg"
)

// TestImportHelp: asking for help is not a mistake.
func TestImportHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}} {
		_, err := runImport(t, args...)
		if !errors.Is(err, flag.ErrHelp) || exitCode(err) != 0 {
			t.Errorf("import %v: %v, exit status %d; want help and 0", args, err, exitCode(err))
		}
	}
	if _, err := runImport(t, "--nope"); exitCode(err) != 2 {
		t.Errorf("an unknown flag: exit status %d, want 2", exitCode(err))
	}
}

// TestImportIDFieldChange: the README's first import has no --id-field; a
// later one with --id-field ID matches none of its features and would
// double the layer. The dry run says so, with the counts, and the import
// refuses without --force.
func TestImportIDFieldChange(t *testing.T) {
	data := filepath.Join(t.TempDir(), "atlas.gpkg")
	steps := []struct {
		name string
		args []string
		want []string
		code int
	}{
		{"first import", []string{testLandmarks, "--collection", "landmarks", "--create"}, []string{"inserted 317"}, 0},
		{"same file, dry run", []string{testLandmarks, "--collection", "landmarks", "--dry-run"},
			[]string{"would insert 0, update 0, leave 317 unchanged"}, 0},
		{"new id field, dry run", []string{testLandmarks, "--collection", "landmarks", "--id-field", "ID", "--map", "ID=id_1", "--map", "LANDMARK NAME=landmark_name", "--skip-invalid", "--dry-run"},
			[]string{"read 317, valid 317, rejected 0; would insert 317, update 0, leave 0 unchanged"}, 1},
		{"new id field", []string{testLandmarks, "--collection", "landmarks", "--id-field", "ID", "--map", "ID=id_1", "--map", "LANDMARK NAME=landmark_name", "--skip-invalid"},
			[]string{`nothing written to "landmarks"`}, 1},
		{"still 317", []string{testLandmarks, "--collection", "landmarks"}, []string{"inserted 0, updated 0, unchanged 317"}, 0},
		{"new id field, forced", []string{testLandmarks, "--collection", "landmarks", "--id-field", "ID", "--map", "ID=id_1", "--map", "LANDMARK NAME=landmark_name", "--skip-invalid", "--force"},
			[]string{"inserted 316, updated 1, unchanged 0"}, 0},
	}
	for _, st := range steps {
		out, err := runImport(t, append(st.args, "--data", data)...)
		if code := exitCode(err); code != st.code {
			t.Fatalf("%s: exit status %d (%v), want %d\n%s", st.name, code, err, st.code, out)
		}
		for _, w := range st.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %q:\n%s", st.name, w, out)
			}
		}
		if st.code == 1 {
			msg := userMessage(err)
			if !errors.Is(err, ingest.ErrWouldDouble) || !strings.Contains(msg, `rows would be new features beside the 317 that "landmarks" has`) ||
				!strings.Contains(msg, `ids such as "Individual_Landmarks.csv#1"`) || !strings.Contains(msg, "--force") {
				t.Errorf("%s: error %q, want ErrWouldDouble naming the counts, the stored ids and --force", st.name, msg)
			}
		}
	}
}

// TestImportMessages: what a person is told about a CSV without
// coordinates, a .prj in the wrong unit, and errors from inside.
func TestImportMessages(t *testing.T) {
	data := filepath.Join(t.TempDir(), "atlas.gpkg")
	nocoords := filepath.Join(t.TempDir(), "nocoords.csv")
	if err := os.WriteFile(nocoords, []byte("name,street\nA,Main St\nB,Elm St\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := runImport(t, nocoords, "--collection", "x", "--create", "--data", data)
	msg := userMessage(err)
	if err == nil || strings.Contains(msg, "does not say which CRS") || !strings.Contains(msg, "no columns named lon, lng, long, longitude, x") || !strings.Contains(msg, "--lon-column") {
		t.Errorf("CSV without coordinates: %q, want the columns looked for and the flags", msg)
	}
	if strings.Contains(msg, "ingest:") || strings.Contains(msg, "importers:") {
		t.Errorf("internal package names in %q", msg)
	}

	// Bangor's parking shapefile: the .prj says metres, the numbers are US
	// feet.
	parking := "../../importers/testdata/bangor-me/OnStreetParking/OnStreetParking.shp"
	out, err := runImport(t, parking, "--collection", "parking", "--create", "--data", data)
	msg = userMessage(err)
	if !errors.Is(err, ingest.ErrRejected) || !strings.Contains(msg, "--srs EPSG:26847") || strings.Contains(msg, "use --skip-invalid to import") {
		t.Errorf("wrong .prj: %q, want --srs EPSG:26847 suggested, not --skip-invalid", msg)
	}
	lines := strings.Count(out, "far outside the expected area: geometry at")
	if lines != 1 || !strings.Contains(out, "903 rows: ../../importers/testdata/bangor-me/OnStreetParking/OnStreetParking.shp: far outside the expected area") || !strings.Contains(out, "(first at record 1)") {
		t.Errorf("wrong .prj: %d lines of output, want the 903 rows on one line:\n%s", lines, out)
	}
	if !strings.Contains(out, "EPSG:26847") {
		t.Errorf("the note does not name EPSG:26847:\n%s", out)
	}
	// The suggestion is right.
	out, err = runImport(t, parking, "--collection", "parking", "--create", "--srs", "EPSG:26847", "--data", data)
	if err != nil {
		t.Errorf("with --srs EPSG:26847: %v\n%s", err, out)
	}

	if got := userMessage(errors.New("import: ingest: gpkg: apply stream: importers: x.csv: bad (store: y)")); got != "import: apply stream: x.csv: bad (y)" {
		t.Errorf("userMessage: %q", got)
	}
}

// TestImportGeoPackageAndFlatGeobuf imports the files ogr2ogr writes from
// a GeoJSON with every geometry type, with the metadata flags, and checks
// the naive date-times note.
func TestImportGeoPackageAndFlatGeobuf(t *testing.T) {
	ogr, err := exec.LookPath("ogr2ogr")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("ogr2ogr not found: install gdal-bin")
		}
		t.Skip("ogr2ogr not found")
	}
	dir := t.TempDir()
	src := "../../importers/testdata/gdal/types.geojson"
	gp, fgb := filepath.Join(dir, "types.gpkg"), filepath.Join(dir, "types.fgb")
	for _, args := range [][]string{{"-f", "GPKG", gp, src}, {"-f", "FlatGeobuf", fgb, src}} {
		if out, err := exec.Command(ogr, args...).CombinedOutput(); err != nil {
			t.Fatalf("ogr2ogr %v: %v\n%s", args, err, out)
		}
	}
	data := filepath.Join(dir, "atlas.gpkg")
	out, err := runImport(t, gp, "--collection", "assets", "--create", "--title", "Assets", "--description", "Every kind of asset",
		"--license", "CC-BY-4.0", "--keywords", "assets, test ,gdal", "--data", data)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, w := range []string{"inserted 8", "inspected (datetime)", "working (boolean)", "installed (date)", "7 date-time values had no UTC offset: read as UTC"} {
		if !strings.Contains(out, w) {
			t.Errorf("gpkg import: output lacks %q:\n%s", w, out)
		}
	}
	out, err = runImport(t, fgb, "--collection", "assets_fgb", "--create", "--timezone", "America/Chicago", "--data", data)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "inserted 7") || !strings.Contains(out, "date-time values had no UTC offset: read as the time zone America/Chicago") {
		t.Errorf("fgb import:\n%s", out)
	}
	if _, err := runImport(t, gp, "--collection", "x", "--license", "CC0-1.0", "--data", data); exitCode(err) != 2 {
		t.Errorf("--license without --create: exit status %d, want 2", exitCode(err))
	}
	if _, err := runImport(t, gp, "--collection", "x", "--create", "--timezone", "Mars/Olympus", "--data", data); exitCode(err) != 2 {
		t.Errorf("unknown --timezone: exit status %d, want 2", exitCode(err))
	}

	b, err := gpkg.Open(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	cs, err := b.Collections(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.ID != "assets" {
			continue
		}
		if c.Title != "Assets" || c.Description != "Every kind of asset" || c.License != "CC-BY-4.0" || !reflect.DeepEqual(c.Keywords, []string{"assets", "test", "gdal"}) {
			t.Errorf("metadata %q %q %q %q", c.Title, c.Description, c.License, c.Keywords)
		}
		fs, _, err := b.Query(context.Background(), "assets", store.Query{})
		if err != nil || len(fs) != 8 {
			t.Fatalf("%d features, %v", len(fs), err)
		}
		if got := string(fs[0].Properties); !strings.Contains(got, `"inspected":"2022-04-16T10:15:10Z"`) || !strings.Contains(got, `"working":true`) {
			t.Errorf("first feature's properties %s", got)
		}
		return
	}
	t.Error("no collection assets")
}
