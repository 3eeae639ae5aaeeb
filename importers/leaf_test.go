package importers

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestLeaf guards the dependency direction: importers never imports store
// (or any cityatlas package but the pure geo and geo/proj: the GeoPackage
// reader asks geo/proj whether it knows an EPSG code, else it gives the
// file's WKT).
func TestLeaf(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(p, "github.com/cityatlas/cityatlas/") && p != "github.com/cityatlas/cityatlas/geo" && p != "github.com/cityatlas/cityatlas/geo/proj" && !strings.HasSuffix(p, "/importers") {
				t.Errorf("%s imports %s; importers may import only geo and geo/proj of cityatlas's packages", name, p)
			}
		}
	}
}
