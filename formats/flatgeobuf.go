package formats

import (
	"bufio"
	"io"
	"strings"

	"github.com/cityatlas/cityatlas/formats/fgb"
	"github.com/cityatlas/cityatlas/store"
)

type fgbWriter struct {
	bw     *bufio.Writer
	w      *fgb.Writer
	fields []store.Field
	vals   []fgb.Value
}

// NewFlatGeobuf returns a writer of a FlatGeobuf file without a spatial
// index (so it streams): the feature id in an "id" column, then one column
// a property (dates as text, datetimes as DateTime). Geometries are
// written in 2D.
func NewFlatGeobuf(w io.Writer, l Layer) (Writer, error) {
	bw := bufio.NewWriterSize(w, flushAt)
	h := fgb.Header{Name: l.Name, Title: l.Title, Description: l.Description, Envelope: l.Extent, EPSG: 4326, GeometryType: fgbType(l.Geometry), Metadata: metaJSON(l.metaExcept(MetaTitle, MetaDescription), strings.ToUpper)}
	if l.CRS != nil {
		h.EPSG = int32(l.CRS.EPSG)
	}
	if l.Count >= 0 {
		h.Count = uint64(l.Count)
	}
	h.Columns = append(h.Columns, fgb.Column{Name: "id", Type: fgb.Long})
	for _, f := range l.Fields {
		h.Columns = append(h.Columns, fgb.Column{Name: f.Name, Type: fgbColumn(f.Type), Title: f.Title})
	}
	fw, err := fgb.NewWriter(bw, h)
	if err != nil {
		return nil, errorf("flatgeobuf", "%w", err)
	}
	return &fgbWriter{bw: bw, w: fw, fields: l.Fields, vals: make([]fgb.Value, 0, len(h.Columns))}, nil
}

func fgbType(t store.GeometryType) fgb.GeometryType {
	switch t {
	case store.GeometryPoint:
		return fgb.Point
	case store.GeometryLineString:
		return fgb.LineString
	case store.GeometryPolygon:
		return fgb.Polygon
	case store.GeometryMultiPoint:
		return fgb.MultiPoint
	case store.GeometryMultiLineString:
		return fgb.MultiLineString
	case store.GeometryMultiPolygon:
		return fgb.MultiPolygon
	case store.GeometryGeometryCollection:
		return fgb.GeometryCollection
	}
	return fgb.Unknown
}

func fgbColumn(t store.FieldType) fgb.ColumnType {
	switch t {
	case store.TypeInteger:
		return fgb.Long
	case store.TypeNumber:
		return fgb.Double
	case store.TypeBoolean:
		return fgb.Bool
	case store.TypeDateTime:
		return fgb.DateTime
	}
	return fgb.String
}

func (w *fgbWriter) Write(f *Feature) error {
	vals := append(w.vals[:0], fgb.Value{Col: 0, Int: f.ID})
	for i, raw := range f.Values {
		if raw == "" || raw == "null" {
			continue
		}
		v := fgb.Value{Col: i + 1}
		switch w.fields[i].Type {
		case store.TypeInteger:
			v.Int, _ = integer(raw)
		case store.TypeNumber:
			v.Num, _ = number(raw)
		case store.TypeBoolean:
			v.Bool = raw == "true"
		default:
			v.Text = text(raw)
		}
		vals = append(vals, v)
	}
	w.vals = vals
	if err := w.w.Write(f.Geometry, vals); err != nil {
		return errorf("flatgeobuf", "feature %d: %w", f.ID, err)
	}
	return nil
}

func (w *fgbWriter) Close() error { return w.bw.Flush() }

func (w *fgbWriter) Abort() {}
