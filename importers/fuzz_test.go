package importers

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The fuzz tests feed arbitrary bytes to each reader and check that it
// neither panics nor loops: every call to Next consumes input, so a reader
// must stop within len(input)+2 calls.

func bytesOpener(b []byte) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
}

// exercise drains r and checks the invariants every reader keeps.
func exercise(t *testing.T, r Reader, budget int) {
	t.Helper()
	defer r.Close()
	r.Fields()
	r.SRS()
	r.GeometryType()
	for i := 0; ; i++ {
		if i > budget {
			t.Fatalf("no end after %d calls to Next", i)
		}
		f, err := r.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		var re *RecordError
		if errors.As(err, &re) {
			if re.Error() == "" || re.Err == nil {
				t.Fatalf("empty record error %#v", re)
			}
			continue
		}
		if err != nil {
			if _, again := r.Next(); again == nil {
				t.Fatalf("Next succeeded after the final error %v", err)
			}
			return
		}
		if f.Properties == nil {
			t.Fatal("nil Properties")
		}
		if f.Geometry != nil {
			f.Geometry.Bounds()
		}
	}
}

// seedFiles adds every file under dir whose name ends with one of exts and
// is at most max bytes.
func seedFiles(f *testing.F, dir string, max int64, exts ...string) {
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		for _, ext := range exts {
			if strings.HasSuffix(p, ext) {
				info, err := d.Info()
				if err != nil || info.Size() > max {
					return err
				}
				b, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				f.Add(b)
			}
		}
		return nil
	})
	if err != nil {
		f.Fatal(err)
	}
}

func FuzzGeoJSON(f *testing.F) {
	seedFiles(f, "testdata", 8<<10, ".json", ".geojson")
	f.Add([]byte("\x1e{\"type\":\"Point\",\"coordinates\":[1,2]}\n\x1e{\"type\":\"Feature\",\"properties\":{},\"geometry\":null}"))
	f.Add([]byte(`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::2230"}},"features":[{"type":"Feature","properties":{"a":[1,{"b":2}]},"geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[0,1],[1,1],[0,0]]]]}}]}`))
	f.Add([]byte(`[{"type":"Feature","properties":null,"geometry":{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2,3]}]}}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := newGeoJSONReader("fuzz.geojson", bytesOpener(data), Options{})
		if err != nil {
			return
		}
		exercise(t, r, len(data)+2)
	})
}

func FuzzCSV(f *testing.F) {
	seedFiles(f, "testdata/fuzz-seeds", 8<<10, ".csv")
	landmarks, err := os.ReadFile("testdata/chicago/Individual_Landmarks.csv")
	if err != nil {
		f.Fatal(err)
	}
	lines := bytes.SplitAfter(landmarks, []byte("\n"))
	f.Add(bytes.Join(lines[:12], nil))
	f.Add([]byte("name;Longitude;Latitude\r\nA;1,5;2\r\n\"B\r\nC\";3;4\r"))
	f.Add([]byte("id\twkt\n1\tPOLYGON ((0 0, 1 0, 1 1, 0 0))\n2\tSRID=4326;POINT (1 2)\n"))
	f.Add([]byte("\xff\xfea\x00,\x00b\x00\n\x001\x00,\x002\x00"))
	f.Add([]byte("d,b,loc\n4/24/2012,yes,\"(41.5, -87.5)\"\n2012-04-24T10:00:00Z,no,\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := newCSVReader("fuzz.csv", bytesOpener(data), Options{})
		if err != nil {
			return
		}
		exercise(t, r, len(data)+2)
	})
}

func FuzzShapefile(f *testing.F) {
	shps, err := filepath.Glob("testdata/shapefile-suite/*.shp")
	if err != nil {
		f.Fatal(err)
	}
	for _, shp := range shps {
		s, err := os.ReadFile(shp)
		if err != nil {
			f.Fatal(err)
		}
		d, _ := os.ReadFile(strings.TrimSuffix(shp, ".shp") + ".dbf") // may be missing
		f.Add(s, d)
	}
	f.Fuzz(func(t *testing.T, shp, dbf []byte) {
		open := func(ext string) (io.ReadCloser, int64, error) {
			switch ext {
			case ".shp":
				return io.NopCloser(bytes.NewReader(shp)), int64(len(shp)), nil
			case ".dbf":
				if dbf != nil {
					return io.NopCloser(bytes.NewReader(dbf)), int64(len(dbf)), nil
				}
			}
			return nil, 0, fs.ErrNotExist
		}
		r, err := newShapefileReader("fuzz.shp", open, Options{})
		if err != nil {
			return
		}
		exercise(t, r, len(shp)+2)
	})
}
