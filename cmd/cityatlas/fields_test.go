package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/postgis/pgtest"
)

// TestFieldCommands: an import whose file has a column the collection
// lacks fails without --add-fields and adds it with; collection add-field
// and drop-field change the schema in place; on both stores.
func TestFieldCommands(t *testing.T) {
	t.Run("gpkg", func(t *testing.T) {
		testFieldCommands(t, []string{"--data", filepath.Join(t.TempDir(), "f.gpkg")})
	})
	t.Run("postgis", func(t *testing.T) {
		testFieldCommands(t, []string{"--database-url", pgtest.URL(t, "cityatlas_fieldcmd_")})
	})
}

func testFieldCommands(t *testing.T, storeArgs []string) {
	do := func(args ...string) (string, error) {
		t.Helper()
		var out, errOut bytes.Buffer
		err := run(context.Background(), append(append(args, "--log-level", "warn"), storeArgs...), func(string) string { return "" }, &out, &errOut)
		return out.String() + errOut.String(), err
	}
	fields := func() (names []string, types []string) {
		t.Helper()
		out, err := do("collection", "list", "--json")
		if err != nil {
			t.Fatal(err)
		}
		var cs []store.Collection
		if err := json.Unmarshal([]byte(out[:strings.LastIndex(out, "]")+1]), &cs); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		for _, f := range cs[0].Fields {
			names, types = append(names, f.Name), append(types, string(f.Type))
		}
		return names, types
	}
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	v1 := write("v1.csv", "id,name,lon,lat\n1,Main,-115.56,32.85\n2,Oak,-115.57,32.86\n")
	v2 := write("v2.csv", "id,name,lon,lat,ward,Install Date\n1,Main,-115.56,32.85,3,2021-04-05\n2,Oak,-115.57,32.86,4,2020-01-02\n3,Elm,-115.58,32.87,,\n")
	if out, err := do("import", v1, "--collection", "signs", "--create", "--id-field", "id"); err != nil {
		t.Fatalf("import v1: %v\n%s", err, out)
	}
	if out, err := do("import", v2, "--collection", "signs", "--id-field", "id"); err == nil || !strings.Contains(err.Error()+out, "ward") {
		t.Errorf("import of new columns without --add-fields: %v\n%s", err, out)
	}
	if names, _ := fields(); strings.Join(names, ",") != "id_1,name" {
		t.Fatalf("fields after the refused import: %v", names)
	}
	out, err := do("import", v2, "--collection", "signs", "--id-field", "id", "--add-fields")
	if err != nil {
		t.Fatalf("import --add-fields: %v\n%s", err, out)
	}
	if !strings.Contains(out, "2 properties added: ward (integer), install_date (date)") {
		t.Errorf("the report does not name the fields added:\n%s", out)
	}
	names, types := fields()
	if strings.Join(names, ",") != "id_1,name,ward,install_date" || strings.Join(types, ",") != "integer,string,integer,date" {
		t.Errorf("fields after --add-fields: %v %v", names, types)
	}
	if out, err := do("export", "--collection", "signs", "--format", "csv"); err != nil || !strings.Contains(out, "2021-04-05") {
		t.Errorf("export after --add-fields: %v\n%s", err, out)
	}

	if out, err := do("collection", "add-field", "signs", "status", "string", "--values", "good,poor", "--title", "Status"); err != nil {
		t.Fatalf("add-field: %v\n%s", err, out)
	}
	if out, err := do("collection", "drop-field", "signs", "ward"); err != nil {
		t.Fatalf("drop-field: %v\n%s", err, out)
	}
	if names, _ := fields(); strings.Join(names, ",") != "id_1,name,install_date,status" {
		t.Errorf("fields after add-field and drop-field: %v", names)
	}
	for name, args := range map[string][]string{
		"bad type":       {"collection", "add-field", "signs", "colour", "paint"},
		"existing field": {"collection", "add-field", "signs", "name", "string"},
		"missing field":  {"collection", "drop-field", "signs", "nothing"},
		"no type":        {"collection", "add-field", "signs", "x"},
	} {
		if out, err := do(args...); exitCode(err) != 2 {
			t.Errorf("%s: %v, want a usage error\n%s", name, err, out)
		}
	}
	if _, err := do("collection", "drop-field", "nowhere", "name"); err == nil || !strings.Contains(err.Error(), `no collection "nowhere"`) {
		t.Errorf("drop-field on a missing collection: %v", err)
	}
}
