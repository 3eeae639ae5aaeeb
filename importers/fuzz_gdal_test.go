package importers

import (
	"bytes"
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzFlatGeobuf feeds arbitrary bytes to the FlatGeobuf reader, seeded
// with the files GDAL wrote in testdata/gdal (see its README).
func FuzzFlatGeobuf(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "gdal", "*.fgb"))
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("fgb\x03fgb\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := newFlatGeobufReader("fuzz.fgb", io.NopCloser(bytes.NewReader(b)), Options{})
		if err != nil {
			return
		}
		exercise(t, r, len(b)/4+2)
	})
}

// FuzzGeoPackageGeometry feeds arbitrary bytes to the GeoPackage geometry
// decoder, seeded with every blob of a GeoPackage ogr2ogr writes from
// testdata/gdal/types.geojson.
func FuzzGeoPackageGeometry(f *testing.F) {
	gp := filepath.Join(f.TempDir(), "types.gpkg")
	ogr2ogr(f, "GPKG", gp, filepath.Join("testdata", "gdal", "types.geojson"))
	db, err := sql.Open("sqlite", "file:"+gp+"?mode=ro")
	if err != nil {
		f.Fatal(err)
	}
	rows, err := db.Query(`SELECT geom FROM types WHERE geom IS NOT NULL`)
	if err != nil {
		f.Fatal(err)
	}
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	rows.Close()
	db.Close()
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := decodeGeoPackageGeometry(b)
		if err == nil && g != nil {
			g.Bounds()
		}
	})
}

// FuzzGeoPackage opens arbitrary bytes as a GeoPackage file, seeded with
// one ogr2ogr writes (reading the file is SQLite's work; this checks that
// what SQLite hands over never panics the reader).
func FuzzGeoPackage(f *testing.F) {
	gp := filepath.Join(f.TempDir(), "types.gpkg")
	ogr2ogr(f, "GPKG", gp, filepath.Join("testdata", "gdal", "types.geojson"))
	b, err := os.ReadFile(gp)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "fuzz.gpkg")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		rs, err := Open(p, Options{})
		if err != nil {
			return
		}
		for _, r := range rs {
			exercise(t, r, 1<<20)
		}
	})
}
