package formats

import (
	"bufio"
	"encoding/csv"
	"io"
	"strconv"

	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkt"

	"github.com/cityatlas/cityatlas/store"
)

type csvWriter struct {
	bw     *bufio.Writer
	w      *csv.Writer
	row    []string
	lonLat bool
}

// NewCSV returns a writer of UTF-8 CSV with a header row: id, the
// properties, then longitude and latitude (for a layer of points, or of
// any geometry, filled for points) and the geometry as WKT.
func NewCSV(w io.Writer, l Layer) (Writer, error) {
	bw := bufio.NewWriterSize(w, flushAt)
	cw := &csvWriter{bw: bw, w: csv.NewWriter(bw)}
	cw.lonLat = l.Geometry == store.GeometryPoint || l.Geometry == store.GeometryAny
	head := []string{"id"}
	for _, f := range l.Fields {
		head = append(head, f.Name)
	}
	if cw.lonLat && l.CRS != nil {
		head = append(head, l.CRS.Axes[0], l.CRS.Axes[1])
	} else if cw.lonLat {
		head = append(head, "longitude", "latitude")
	}
	head = append(head, "wkt")
	cw.row = make([]string, 0, len(head))
	return cw, cw.w.Write(head)
}

func (cw *csvWriter) Write(f *Feature) error {
	row := append(cw.row[:0], strconv.FormatInt(f.ID, 10))
	for _, v := range f.Values {
		row = append(row, text(v))
	}
	if cw.lonLat {
		if p, ok := f.Geometry.(*geom.Point); ok && !p.Empty() {
			row = append(row, strconv.FormatFloat(p.X(), 'f', -1, 64), strconv.FormatFloat(p.Y(), 'f', -1, 64))
		} else {
			row = append(row, "", "")
		}
	}
	s := ""
	if f.Geometry != nil {
		var err error
		if s, err = wkt.Marshal(f.Geometry); err != nil {
			return errorf("csv", "feature %d: %w", f.ID, err)
		}
	}
	cw.row = append(row, s)
	return cw.w.Write(cw.row)
}

func (cw *csvWriter) Close() error {
	cw.w.Flush()
	if err := cw.w.Error(); err != nil {
		return err
	}
	return cw.bw.Flush()
}

func (cw *csvWriter) Abort() {}
