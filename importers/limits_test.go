package importers

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// bomb is a generated input: head, then n bytes of fill repeated, then
// tail. It is streamed into the file a test reads, never held whole.
type bomb struct {
	head, fill, tail string
	n                int64
}

func (b bomb) reader() io.Reader {
	return io.MultiReader(strings.NewReader(b.head), io.LimitReader(repeat(b.fill), b.n), strings.NewReader(b.tail))
}

// repeat is an endless reader of s.
func repeat(s string) io.Reader {
	return &repeater{s: strings.Repeat(s, max(1, 4096/len(s)))}
}

type repeater struct {
	s   string
	off int
}

func (r *repeater) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.s[r.off:])
		n += c
		r.off = (r.off + c) % len(r.s)
	}
	return n, nil
}

// writeBomb streams b into a file named name in a temporary folder.
func writeBomb(t *testing.T, name string, b bomb) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(f, b.reader()); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// readPath opens path and reads every record of every source until the
// first final error, which it returns (nil at the end), with the record
// errors met.
func readPath(t *testing.T, path string, opts Options) (final error, records []*RecordError) {
	t.Helper()
	rs, err := Open(path, opts)
	if err != nil {
		return err, nil
	}
	defer func() {
		for _, r := range rs {
			r.Close()
		}
	}()
	for _, r := range rs {
		r.Fields()
		for {
			_, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			var re *RecordError
			if errors.As(err, &re) {
				records = append(records, re)
				continue
			}
			if err != nil {
				return err, records
			}
		}
	}
	return nil, records
}

// allocated runs fn and returns how many bytes it allocated on the heap
// (runtime.MemStats.TotalAlloc: every allocation counts, freed or not, so
// reading a 32 MiB record whole cannot stay under it).
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

const (
	testBudget = 1 << 20  // the record limit the bombs are read with
	bombSize   = 32 << 20 // how big each bomb's record is
	// allocBound is what reading a bomb may allocate: a few times the
	// budget, far below the bomb.
	allocBound = 12 << 20
)

// TestBombs reads generated files whose one record is 32 times the
// configured record limit: a CSV line, a quoted CSV cell of many lines, a
// GeoJSON string. Each fails with an error wrapping ErrLimit that names the
// flag and the record, having allocated a few times the limit, not the
// record.
func TestBombs(t *testing.T) {
	cases := []struct {
		name, file string
		b          bomb
		record     string
	}{
		{"csv line", "line.csv", bomb{head: "id,name,lon,lat\n1,a,1,2\n2,", fill: "x", n: bombSize, tail: ",1,2\n3,c,1,2\n"}, "record 2"},
		{"csv quoted cell", "cell.csv", bomb{head: "id,name,lon,lat\n1,a,1,2\n2,\"", fill: "ab\n", n: bombSize, tail: "\",1,2\n3,c,1,2\n"}, "record 2"},
		{"geojson string", "string.geojson", bomb{
			head: `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"s":"a"},"geometry":null},{"type":"Feature","properties":{"s":"`,
			fill: "x", n: bombSize, tail: `"},"geometry":null}]}`}, "record 2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := writeBomb(t, tc.file, tc.b)
			var err error
			n := allocated(func() {
				err, _ = readPath(t, path, Options{SRS: "EPSG:4326", Limits: Limits{RecordBytes: testBudget}})
			})
			if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "--max-record-bytes") || !strings.Contains(err.Error(), tc.record) {
				t.Fatalf("err %v: want ErrLimit naming --max-record-bytes and %s", err, tc.record)
			}
			t.Logf("%v; allocated %d KiB", err, n>>10)
			if n > allocBound {
				t.Errorf("allocated %d MiB reading a %d MiB record with a limit of %d MiB", n>>20, bombSize>>20, testBudget>>20)
			}
		})
	}
}

// TestRecordWithinLimit: a record just under the limit is read.
func TestRecordWithinLimit(t *testing.T) {
	for _, name := range []string{"a.csv", "a.geojson"} {
		var b bomb
		if strings.HasSuffix(name, ".csv") {
			b = bomb{head: "id,name,lon,lat\n1,", fill: "x", n: testBudget - 64, tail: ",1,2\n"}
		} else {
			b = bomb{head: `{"type":"Feature","properties":{"s":"`, fill: "x", n: testBudget - 128, tail: `"},"geometry":null}`}
		}
		path := writeBomb(t, name, b)
		if err, recs := readPath(t, path, Options{SRS: "EPSG:4326", Limits: Limits{RecordBytes: testBudget}}); err != nil || len(recs) > 0 {
			t.Errorf("%s: %v %v", name, err, recs)
		}
	}
}

// TestGeoJSONDepthAndVertices: a feature nested deeper than Limits.Depth,
// or with more positions than Limits.Vertices, is a record error naming
// the flag, and the next feature is read.
func TestGeoJSONDepthAndVertices(t *testing.T) {
	deep := strings.Repeat("[", 100) + strings.Repeat("]", 100)
	line := `[0,0]` + strings.Repeat(`,[1,1]`, 200)
	doc := `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"a":` + deep + `},"geometry":null},
{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[` + line + `]}},
{"type":"Feature","properties":{},"geometry":{"type":"MultiPoint","coordinates":[` + line + `]}},
{"type":"Feature","properties":{"ok":true},"geometry":{"type":"Point","coordinates":[1,2]}}]}`
	path := filepath.Join(t.TempDir(), "deep.geojson")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	err, recs := readPath(t, path, Options{Limits: Limits{Depth: 64, Vertices: 100}})
	if err != nil || len(recs) != 3 {
		t.Fatalf("final %v, record errors %v", err, recs)
	}
	for i, want := range []string{"--max-depth", "--max-vertices", "--max-vertices"} {
		re := recs[i]
		if re.Record != i+1 || !errors.Is(re, ErrLimit) || !strings.Contains(re.Error(), want) {
			t.Errorf("record error %v: want record %d, ErrLimit, %s", re, i+1, want)
		}
	}
}

// shpHeader100 is a 100-byte .shp header of a point file (type 1).
func shpHeader100() []byte {
	h := make([]byte, 100)
	binary.BigEndian.PutUint32(h[0:], 9994)
	binary.BigEndian.PutUint32(h[24:], 50)
	binary.LittleEndian.PutUint32(h[28:], 1000)
	binary.LittleEndian.PutUint32(h[32:], 1)
	return h
}

// nullRecord is a .shp record of a null shape (record number 1, content of
// 2 words: shape type 0), 12 bytes that repeat into a well-formed file of
// any size.
const nullRecord = "\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x00"

// zipBomb writes a zip holding bomb.shp: a point header and n bytes of
// null records, deflated as they are generated.
func zipBomb(t *testing.T, n int64) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "bomb.zip")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	w, err := zw.Create("bomb.shp")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(w, io.MultiReader(bytes.NewReader(shpHeader100()), io.LimitReader(repeat(nullRecord), n))); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestZipBomb: a small zip whose .shp (of null shapes, well formed)
// inflates a few hundred times fails on the ratio limit, and with the
// ratio allowed, on the inflated size limit; a .shp of zeros stops at its
// first record.
func TestZipBomb(t *testing.T) {
	path := zipBomb(t, 64<<20)
	st, _ := os.Stat(path)
	t.Logf("%s: %d KiB holding 64 MiB", path, st.Size()>>10)
	err, _ := readPath(t, path, Options{SRS: "EPSG:4326", Limits: Limits{ZipRatio: 20}})
	if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "--max-zip-ratio") || !strings.Contains(err.Error(), "bomb.shp") {
		t.Errorf("ratio: %v", err)
	}
	err, _ = readPath(t, path, Options{SRS: "EPSG:4326", Limits: Limits{ZipRatio: 1 << 20, UnzippedBytes: 2 << 20}})
	if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "--max-unzipped-bytes") {
		t.Errorf("size: %v", err)
	}
	zeros := writeBomb(t, "zeros.shp", bomb{head: string(shpHeader100()), fill: "\x00", n: 64 << 20})
	err, recs := readPath(t, zeros, Options{SRS: "EPSG:4326"})
	if !errors.Is(err, ErrFormat) || len(recs) != 0 || !strings.Contains(err.Error(), "record 1 ") {
		t.Errorf("zeros: %v after %d record errors, want a final error at record 1", err, len(recs))
	}
}

// TestNotRegular: a FIFO, a device and a directory are refused at once
// (a FIFO would block the open until a writer came, or never end).
func TestNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "folder.geojson")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	for path, what := range map[string]string{fifo: "a FIFO", "/dev/zero": "a device", sub: "a directory"} {
		_, err := Open(path, Options{})
		if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), what) {
			t.Errorf("%s: %v, want ErrNotRegular saying %s", path, err, what)
		}
	}
}
