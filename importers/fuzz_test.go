package importers

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cityatlas/cityatlas/geo"
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
			geo.Bounds(f.Geometry) // go-geom's own Bounds panics on nested collections
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

// maxGeoJSONFuzz bounds FuzzGeoJSON's inputs. The fuzzer minimizes every
// input that finds new coverage for up to a minute (-fuzzminimizetime),
// reporting no progress meanwhile, and minimizing takes a number of runs
// that grows with the square of the input's length: with inputs of 8 KiB
// the run stalled after its first new input. Small inputs cover the same
// code.
const maxGeoJSONFuzz = 1 << 10

func FuzzGeoJSON(f *testing.F) {
	seedFiles(f, "testdata", maxGeoJSONFuzz, ".json", ".geojson")
	f.Add([]byte("\x1e{\"type\":\"Point\",\"coordinates\":[1,2]}\n\x1e{\"type\":\"Feature\",\"properties\":{},\"geometry\":null}"))
	f.Add([]byte(`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::2230"}},"features":[{"type":"Feature","properties":{"a":[1,{"b":2}]},"geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[0,1],[1,1],[0,0]]]]}}]}`))
	f.Add([]byte(`[{"type":"Feature","properties":null,"geometry":{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2,3]}]}}]`))
	f.Add([]byte(`{"type":"Feature","bbox":[0,0,1,1],"properties":{"a":[[[{}]]]},"geometry":{"type":"GeometryCollection","geometries":[{"type":"GeometryCollection","geometries":[{"type":"Polygon","coordinates":[[[0,0],[0,1],[1,1],[0,0]]]}]}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxGeoJSONFuzz {
			return
		}
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

// csvRow is one Next of a CSV reader, for comparing two readers.
type csvRow struct {
	record int
	err    string
	props  map[string]any
	geom   string
}

// readRows drains r; guessWrong tells whether it stopped on ErrGuess.
func readRows(t *testing.T, r Reader, budget int) (rows []csvRow, guessWrong bool) {
	t.Helper()
	defer r.Close()
	fields := r.Fields()
	for i := 0; i <= budget; i++ {
		f, err := r.Next()
		if errors.Is(err, io.EOF) {
			return rows, false
		}
		if errors.Is(err, ErrGuess) {
			return rows, true
		}
		var re *RecordError
		if err != nil && !errors.As(err, &re) {
			return append(rows, csvRow{err: err.Error()}), false
		}
		row := csvRow{record: f.Record, props: f.Properties}
		if re != nil {
			row = csvRow{record: re.Record, err: re.Error()}
		}
		if f.Values != nil {
			row.props = map[string]any{}
			for j, fd := range fields {
				row.props[fd.Name] = f.Values[j]
			}
		}
		if f.Geometry != nil {
			row.geom = fmt.Sprintf("%T %v %v", f.Geometry, f.Geometry.Layout(), f.Geometry.FlatCoords())
		}
		rows = append(rows, row)
	}
	t.Fatalf("no end after %d calls to Next", budget)
	return nil, false
}

// FuzzCSVGuess: reading a CSV in one pass, its layout guessed from the
// first rows (Options.SurveyRows, values in field order), gives exactly
// what the two-pass reader gives, or stops with ErrGuess.
func FuzzCSVGuess(f *testing.F) {
	seedFiles(f, "testdata/fuzz-seeds", 8<<10, ".csv")
	f.Add([]byte("id,code,name,lon,lat\n1,5,a,-115.5,32.8\n2,6,b,-115.6,32.9\n3,007,c,-115.7,33\n"))
	f.Add([]byte("id,wkt\n1,POINT (1 2)\n2,POINT (3 4)\n3,LINESTRING (0 0, 1 1)\n"))
	f.Add([]byte("a,b\n1,\n2,\n3,x\n4,5\n"))
	f.Add([]byte("x,y\n1,2\n3,4\n500000,4000000\n"))
	f.Add([]byte("a;b\n1;2\n3;4\n5;6;7\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 16<<10 {
			return
		}
		full, ferr := newCSVReader("fuzz.csv", bytesOpener(data), Options{})
		quick, qerr := newCSVReader("fuzz.csv", bytesOpener(data), Options{Values: true, SurveyRows: 2})
		if ferr == nil && qerr != nil {
			full.Close()
			t.Fatalf("the guessing reader fails to open (%v) where the full survey does not", qerr)
		}
		if qerr != nil {
			return
		}
		qrows, wrong := readRows(t, quick, len(data)+2)
		if wrong {
			if ferr == nil {
				full.Close()
			}
			return
		}
		if ferr != nil {
			t.Fatalf("the full survey fails (%v), the guess read %d rows without ErrGuess", ferr, len(qrows))
		}
		if !reflect.DeepEqual(full.Fields(), quick.Fields()) || full.SRS() != quick.SRS() || full.GeometryType() != quick.GeometryType() {
			t.Fatalf("layout: full %v %q %q, guessed %v %q %q", full.Fields(), full.SRS(), full.GeometryType(), quick.Fields(), quick.SRS(), quick.GeometryType())
		}
		frows, _ := readRows(t, full, len(data)+2)
		if !reflect.DeepEqual(frows, qrows) {
			t.Fatalf("rows differ:\nfull    %+v\nguessed %+v", frows, qrows)
		}
	})
}
