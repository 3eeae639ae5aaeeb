package formats

import (
	"bytes"
	"encoding/json"
	"io"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkb"

	"github.com/cityatlas/cityatlas/geo"
	"github.com/cityatlas/cityatlas/store"
)

// parquetRowGroup bounds the rows the Parquet writer buffers in memory.
const parquetRowGroup = 64 << 10

type parquetWriter struct {
	w       *parquet.Writer
	fields  []store.Field
	col     []int // column index of each field
	idCol   int
	geomCol int
	row     parquet.Row
	rows    []parquet.Row
	wkb     bytes.Buffer
	types   map[string]bool
	box     [4]float64
	hasBox  bool
}

// NewGeoParquet returns a writer of GeoParquet 1.1: an "id" column, a
// "geometry" column of WKB, one optional column a property (dates as
// DATE, datetimes as TIMESTAMP in microseconds, UTC), and the "geo" file
// metadata with the geometry types and bounding box. It buffers at most
// 65,536 rows (one row group) in memory, Snappy-compressed.
func NewGeoParquet(w io.Writer, l Layer) (Writer, error) {
	g := parquet.Group{
		"id":       parquet.Int(64),
		"geometry": parquet.Optional(parquet.Leaf(parquet.ByteArrayType)),
	}
	for _, f := range l.Fields {
		g[f.Name] = parquet.Optional(parquetNode(f.Type))
	}
	schema := parquet.NewSchema(l.Name, g)
	pw := &parquetWriter{
		w: parquet.NewWriter(w, schema, parquet.Compression(&parquet.Snappy), parquet.MaxRowsPerRowGroup(parquetRowGroup),
			parquet.CreatedBy("cityatlas", "", "")),
		fields: l.Fields, types: map[string]bool{},
	}
	// Readers show the file's key-value metadata (pyarrow's
	// schema.metadata, DuckDB's parquet_kv_metadata).
	for _, it := range l.Meta {
		pw.w.SetKeyValueMetadata(it.Key, it.Value)
	}
	index := map[string]int{}
	for i, path := range schema.Columns() {
		index[path[0]] = i
	}
	pw.idCol, pw.geomCol = index["id"], index["geometry"]
	for _, f := range l.Fields {
		pw.col = append(pw.col, index[f.Name])
	}
	pw.row = make(parquet.Row, len(index))
	return pw, nil
}

func parquetNode(t store.FieldType) parquet.Node {
	switch t {
	case store.TypeInteger:
		return parquet.Int(64)
	case store.TypeNumber:
		return parquet.Leaf(parquet.DoubleType)
	case store.TypeBoolean:
		return parquet.Leaf(parquet.BooleanType)
	case store.TypeDate:
		return parquet.Date()
	case store.TypeDateTime:
		return parquet.TimestampAdjusted(parquet.Microsecond, true)
	}
	return parquet.String()
}

func (pw *parquetWriter) Write(f *Feature) error {
	row := make(parquet.Row, len(pw.row))
	row[pw.idCol] = parquet.Int64Value(f.ID).Level(0, 0, pw.idCol)
	row[pw.geomCol] = parquet.NullValue().Level(0, 0, pw.geomCol)
	if f.Geometry != nil {
		pw.wkb.Reset()
		if err := wkb.Write(&pw.wkb, wkb.NDR, f.Geometry); err != nil {
			return errorf("parquet", "feature %d: %w", f.ID, err)
		}
		row[pw.geomCol] = parquet.ByteArrayValue(bytes.Clone(pw.wkb.Bytes())).Level(0, 1, pw.geomCol)
		pw.note(f.Geometry)
	}
	for i, raw := range f.Values {
		c := pw.col[i]
		row[c] = pw.value(pw.fields[i].Type, raw).Level(0, 1, c)
		if row[c].IsNull() {
			row[c] = row[c].Level(0, 0, c)
		}
	}
	pw.rows = append(pw.rows, row)
	if len(pw.rows) >= 1024 {
		return pw.flushRows()
	}
	return nil
}

func (pw *parquetWriter) flushRows() error {
	if _, err := pw.w.WriteRows(pw.rows); err != nil {
		return errorf("parquet", "%w", err)
	}
	pw.rows = pw.rows[:0]
	return nil
}

func (pw *parquetWriter) value(t store.FieldType, raw string) parquet.Value {
	if raw == "" || raw == "null" {
		return parquet.NullValue()
	}
	switch t {
	case store.TypeInteger:
		if n, ok := integer(raw); ok {
			return parquet.Int64Value(n)
		}
	case store.TypeNumber:
		if x, ok := number(raw); ok {
			return parquet.DoubleValue(x)
		}
	case store.TypeBoolean:
		return parquet.BooleanValue(raw == "true")
	case store.TypeDate:
		if d, err := time.Parse(time.DateOnly, text(raw)); err == nil {
			return parquet.Int32Value(int32(d.Unix() / 86400))
		}
	case store.TypeDateTime:
		if d, err := time.Parse(time.RFC3339Nano, text(raw)); err == nil {
			return parquet.Int64Value(d.UnixMicro())
		}
	default:
		return parquet.ByteArrayValue([]byte(text(raw)))
	}
	return parquet.NullValue()
}

func (pw *parquetWriter) note(g geom.T) {
	if g.Empty() {
		return
	}
	name := geoParquetType(g)
	if g.Layout() == geom.XYZ || g.Layout() == geom.XYZM {
		name += " Z"
	}
	pw.types[name] = true
	b := g.Bounds()
	e := [4]float64{b.Min(0), b.Min(1), b.Max(0), b.Max(1)}
	if !pw.hasBox {
		pw.box, pw.hasBox = e, true
		return
	}
	pw.box = [4]float64{min(pw.box[0], e[0]), min(pw.box[1], e[1]), max(pw.box[2], e[2]), max(pw.box[3], e[3])}
}

// geoParquetType is g's type as GeoParquet's geometry_types lists it: its
// GeoJSON name (geo.TypeName).
func geoParquetType(g geom.T) string {
	if name := geo.TypeName(g); name != "" {
		return name
	}
	return "GeometryCollection"
}

func (pw *parquetWriter) Close() error {
	if err := pw.flushRows(); err != nil {
		return err
	}
	types := []string{}
	for _, name := range []string{"Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon", "GeometryCollection"} {
		for _, z := range []string{"", " Z"} {
			if pw.types[name+z] {
				types = append(types, name+z)
			}
		}
	}
	col := map[string]any{"encoding": "WKB", "geometry_types": types}
	if pw.hasBox {
		col["bbox"] = pw.box
	}
	meta, _ := json.Marshal(map[string]any{"version": "1.1.0", "primary_column": "geometry", "columns": map[string]any{"geometry": col}})
	pw.w.SetKeyValueMetadata("geo", string(meta))
	if err := pw.w.Close(); err != nil {
		return errorf("parquet", "%w", err)
	}
	return nil
}

func (pw *parquetWriter) Abort() { pw.rows = nil }
