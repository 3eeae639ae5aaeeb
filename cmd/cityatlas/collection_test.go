package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/postgis/pgtest"
)

// TestCollectionCommand: import --create takes the metadata flags;
// collection list shows them, set changes only what it is given (and
// logs a 'collection' change), bad values are usage errors, delete drops
// the collection; on both stores.
func TestCollectionCommand(t *testing.T) {
	t.Run("gpkg", func(t *testing.T) {
		testCollectionCommand(t, []string{"--data", filepath.Join(t.TempDir(), "c.gpkg")})
	})
	t.Run("postgis", func(t *testing.T) {
		testCollectionCommand(t, []string{"--database-url", pgtest.URL(t, "cityatlas_collcmd_")})
	})
}

func testCollectionCommand(t *testing.T, storeArgs []string) {
	do := func(args ...string) (string, error) {
		t.Helper()
		var out, errOut bytes.Buffer
		err := run(context.Background(), append(append(args, "--log-level", "warn"), storeArgs...), func(string) string { return "" }, &out, &errOut)
		return out.String(), err
	}
	list := func() []store.Collection {
		t.Helper()
		out, err := do("collection", "list", "--json")
		if err != nil {
			t.Fatal(err)
		}
		var cs []store.Collection
		if err := json.Unmarshal([]byte(out), &cs); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		return cs
	}
	if _, err := do("import", testLandmarks, "--collection", "landmarks", "--publisher", "Parks"); exitCode(err) != 2 {
		t.Errorf("metadata without --create: %v, want a usage error", err)
	}
	if _, err := do("import", testLandmarks, "--collection", "landmarks", "--create", "--update-frequency", "now and then"); exitCode(err) != 2 {
		t.Errorf("bad --update-frequency: %v, want a usage error", err)
	}
	if _, err := do("import", testLandmarks, "--collection", "landmarks", "--create", "--license", "CC-BY-4.0",
		"--publisher", "Landmarks Commission", "--contact-name", "Records desk", "--contact-email", "records@example.org",
		"--update-frequency", "monthly", "--theme", "heritage, planning", "--attribution", "City of Chicago",
		"--license-url", "https://creativecommons.org/licenses/by/4.0/"); err != nil {
		t.Fatal(err)
	}
	want := store.Metadata{LicenseURL: "https://creativecommons.org/licenses/by/4.0/", Publisher: "Landmarks Commission",
		ContactName: "Records desk", ContactEmail: "records@example.org", AccrualPeriodicity: "R/P1M",
		Theme: []string{"heritage", "planning"}, Attribution: "City of Chicago"}
	if cs := list(); len(cs) != 1 || !equalMeta(cs[0].Metadata, want) || cs[0].License != "CC-BY-4.0" {
		t.Fatalf("after import: %+v", cs)
	}
	out, err := do("collection", "list")
	if err != nil || !strings.Contains(out, "landmarks") || !strings.Contains(out, "Landmarks Commission") || !strings.Contains(out, "R/P1M") {
		t.Errorf("collection list: %v\n%s", err, out)
	}
	if _, err := do("collection", "set", "landmarks", "--title", "Chicago landmarks", "--update-frequency", "R/P1Y", "--attribution", ""); err != nil {
		t.Fatal(err)
	}
	want.AccrualPeriodicity, want.Attribution = "R/P1Y", ""
	cs := list()
	if cs[0].Title != "Chicago landmarks" || !equalMeta(cs[0].Metadata, want) || cs[0].License != "CC-BY-4.0" {
		t.Errorf("after set: %+v", cs[0])
	}
	for name, args := range map[string][]string{
		"no flags":    {"collection", "set", "landmarks"},
		"no id":       {"collection", "set", "--title", "x"},
		"bad e-mail":  {"collection", "set", "landmarks", "--contact-email", "nobody"},
		"empty title": {"collection", "set", "landmarks", "--title", ""},
		"unknown sub": {"collection", "move", "landmarks"},
		"rename one":  {"collection", "rename", "landmarks"},
		"rename bad":  {"collection", "rename", "landmarks", "Land Marks"},
	} {
		if _, err := do(args...); exitCode(err) != 2 {
			t.Errorf("%s: %v, want a usage error", name, err)
		}
	}
	if _, err := do("collection", "set", "nope", "--title", "x"); err == nil || !strings.Contains(err.Error(), `no collection "nope"`) {
		t.Errorf("set on a missing collection: %v", err)
	}
	if _, err := do("collection", "rename", "landmarks", "chicago_landmarks"); err != nil {
		t.Fatal(err)
	}
	if cs := list(); len(cs) != 1 || cs[0].ID != "chicago_landmarks" || cs[0].Title != "Chicago landmarks" || !equalMeta(cs[0].Metadata, want) {
		t.Fatalf("after rename: %+v", cs)
	}
	if _, err := do("collection", "rename", "landmarks", "x"); err == nil || !strings.Contains(err.Error(), `no collection "landmarks"`) {
		t.Errorf("renaming a missing collection: %v", err)
	}
	if _, err := do("collection", "delete", "chicago_landmarks"); err != nil {
		t.Fatal(err)
	}
	if cs := list(); len(cs) != 0 {
		t.Errorf("after delete: %+v", cs)
	}
	if _, err := do("collection", "delete", "landmarks"); err == nil {
		t.Error("deleting a missing collection succeeded")
	}
}

func equalMeta(a, b store.Metadata) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}
