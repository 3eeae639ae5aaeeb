package importers

import (
	"errors"
	"io"
	"testing"

	"github.com/twpayne/go-geom"
)

// readAll drains r, returning the features and the record errors; a final
// error fails the test.
func readAll(tb testing.TB, r Reader) ([]Feature, []*RecordError) {
	tb.Helper()
	var fs []Feature
	var errs []*RecordError
	for {
		f, err := r.Next()
		if errors.Is(err, io.EOF) {
			return fs, errs
		}
		var re *RecordError
		if errors.As(err, &re) {
			errs = append(errs, re)
			continue
		}
		if err != nil {
			tb.Fatalf("%s: final error after %d features: %v", r.Name(), len(fs), err)
		}
		fs = append(fs, f)
	}
}

// openOne opens path and expects exactly one reader.
func openOne(tb testing.TB, path string, opts Options) Reader {
	tb.Helper()
	rs, err := Open(path, opts)
	if err != nil {
		tb.Fatalf("Open(%s): %v", path, err)
	}
	if len(rs) != 1 {
		tb.Fatalf("Open(%s): %d readers, want 1", path, len(rs))
	}
	tb.Cleanup(func() { rs[0].Close() })
	return rs[0]
}

// nestedCoords returns g's coordinates as nested []any ending in []any of
// float64 with the first dims ordinates, the shape GeoJSON decodes to.
func nestedCoords(g geom.T, dims int) any {
	pos := func(c geom.Coord) any {
		out := make([]any, 0, dims)
		for i := 0; i < dims && i < len(c); i++ {
			out = append(out, c[i])
		}
		return out
	}
	line := func(cs []geom.Coord) any {
		out := make([]any, len(cs))
		for i, c := range cs {
			out[i] = pos(c)
		}
		return out
	}
	poly := func(rs [][]geom.Coord) any {
		out := make([]any, len(rs))
		for i, r := range rs {
			out[i] = line(r)
		}
		return out
	}
	switch g := g.(type) {
	case *geom.Point:
		return pos(g.Coords())
	case *geom.LineString:
		return line(g.Coords())
	case *geom.MultiPoint:
		return line(g.Coords())
	case *geom.Polygon:
		return poly(g.Coords())
	case *geom.MultiLineString:
		return poly(g.Coords())
	case *geom.MultiPolygon:
		cs := g.Coords()
		out := make([]any, len(cs))
		for i, p := range cs {
			out[i] = poly(p)
		}
		return out
	}
	return nil
}
