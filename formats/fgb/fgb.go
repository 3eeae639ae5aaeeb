// Package fgb writes FlatGeobuf files (version 3): the magic bytes, a
// header table and one size-prefixed Feature table a feature, encoded with
// the FlatBuffers builder. It writes no spatial index (index_node_size 0,
// which the format allows), so a file streams front to back.
//
// It is hand-written over github.com/google/flatbuffers because the
// FlatGeobuf project's generated Go code is not served as a module; the
// table layouts follow FlatGeobuf's header.fbs and feature.fbs.
package fgb

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"

	flatbuffers "github.com/google/flatbuffers/go"
	"github.com/twpayne/go-geom"
)

// Magic opens every FlatGeobuf file.
var Magic = []byte{'f', 'g', 'b', 3, 'f', 'g', 'b', 0}

// GeometryType is FlatGeobuf's geometry type enumeration.
type GeometryType byte

// Geometry types.
const (
	Unknown GeometryType = iota
	Point
	LineString
	Polygon
	MultiPoint
	MultiLineString
	MultiPolygon
	GeometryCollection
)

// ColumnType is FlatGeobuf's column type enumeration.
type ColumnType byte

// Column types used by this package.
const (
	Bool     ColumnType = 2
	Long     ColumnType = 7
	Double   ColumnType = 10
	String   ColumnType = 11
	DateTime ColumnType = 13
)

// Column is one property column.
type Column struct {
	Name  string
	Type  ColumnType
	Title string
}

// Header is the file's header.
type Header struct {
	Name         string
	Title        string
	Description  string
	Envelope     *[4]float64 // minx, miny, maxx, maxy
	GeometryType GeometryType
	Columns      []Column
	// Count is the number of features, 0 when unknown.
	Count uint64
	// EPSG is the CRS code (4326 for WGS 84), 0 for none.
	EPSG int32
	// Metadata is the header's metadata string: a JSON object of
	// key-value items, as GDAL writes and reads it ("" for none).
	Metadata string
}

// Writer writes one FlatGeobuf file.
type Writer struct {
	w     io.Writer
	b     *flatbuffers.Builder
	cols  []Column
	props []byte
	parts []flatbuffers.UOffsetT
}

// NewWriter writes the magic bytes and the header to w.
func NewWriter(w io.Writer, h Header) (*Writer, error) {
	fw := &Writer{w: w, b: flatbuffers.NewBuilder(4096), cols: h.Columns}
	if _, err := w.Write(Magic); err != nil {
		return nil, err
	}
	b := fw.b
	cols := make([]flatbuffers.UOffsetT, len(h.Columns))
	for i, c := range h.Columns {
		name := b.CreateString(c.Name)
		var title flatbuffers.UOffsetT
		if c.Title != "" {
			title = b.CreateString(c.Title)
		}
		b.StartObject(11)
		b.PrependUOffsetTSlot(0, name, 0)
		b.PrependByteSlot(1, byte(c.Type), 0)
		if title != 0 {
			b.PrependUOffsetTSlot(2, title, 0)
		}
		cols[i] = b.EndObject()
	}
	b.StartVector(4, len(cols), 4)
	for i := len(cols) - 1; i >= 0; i-- {
		b.PrependUOffsetT(cols[i])
	}
	colVec := b.EndVector(len(cols))
	var env flatbuffers.UOffsetT
	if h.Envelope != nil {
		b.StartVector(8, 4, 8)
		for i := 3; i >= 0; i-- {
			b.PrependFloat64(h.Envelope[i])
		}
		env = b.EndVector(4)
	}
	var crs flatbuffers.UOffsetT
	if h.EPSG != 0 {
		org := b.CreateString("EPSG")
		b.StartObject(6)
		b.PrependUOffsetTSlot(0, org, 0)
		b.PrependInt32Slot(1, h.EPSG, 0)
		crs = b.EndObject()
	}
	name := b.CreateString(h.Name)
	var title, desc flatbuffers.UOffsetT
	if h.Title != "" {
		title = b.CreateString(h.Title)
	}
	if h.Description != "" {
		desc = b.CreateString(h.Description)
	}
	var meta flatbuffers.UOffsetT
	if h.Metadata != "" {
		meta = b.CreateString(h.Metadata)
	}
	b.StartObject(14)
	b.PrependUOffsetTSlot(0, name, 0)
	if env != 0 {
		b.PrependUOffsetTSlot(1, env, 0)
	}
	b.PrependByteSlot(2, byte(h.GeometryType), 0)
	b.PrependUOffsetTSlot(7, colVec, 0)
	b.PrependUint64Slot(8, h.Count, 0)
	b.PrependUint16Slot(9, 0, 16) // no spatial index
	if crs != 0 {
		b.PrependUOffsetTSlot(10, crs, 0)
	}
	if title != 0 {
		b.PrependUOffsetTSlot(11, title, 0)
	}
	if desc != 0 {
		b.PrependUOffsetTSlot(12, desc, 0)
	}
	if meta != 0 {
		b.PrependUOffsetTSlot(13, meta, 0)
	}
	b.FinishSizePrefixed(b.EndObject())
	_, err := w.Write(b.FinishedBytes())
	return fw, err
}

// Value is one property value; Col indexes Header.Columns. Set the field
// that the column's type uses.
type Value struct {
	Col  int
	Bool bool
	Int  int64
	Num  float64
	Text string
}

// Write writes one feature: its geometry (nil for none, 2D: Z and M are
// dropped) and its present property values in column order.
func (fw *Writer) Write(g geom.T, values []Value) error {
	b := fw.b
	b.Reset()
	props := fw.props[:0]
	for _, v := range values {
		if v.Col < 0 || v.Col >= len(fw.cols) {
			return fmt.Errorf("fgb: column %d of %d", v.Col, len(fw.cols))
		}
		props = binary.LittleEndian.AppendUint16(props, uint16(v.Col))
		switch fw.cols[v.Col].Type {
		case Bool:
			if v.Bool {
				props = append(props, 1)
			} else {
				props = append(props, 0)
			}
		case Long:
			props = binary.LittleEndian.AppendUint64(props, uint64(v.Int))
		case Double:
			props = binary.LittleEndian.AppendUint64(props, math.Float64bits(v.Num))
		default:
			props = binary.LittleEndian.AppendUint32(props, uint32(len(v.Text)))
			props = append(props, v.Text...)
		}
	}
	fw.props = props
	var gOff flatbuffers.UOffsetT
	if g != nil && !g.Empty() {
		var err error
		if gOff, err = fw.geometry(g); err != nil {
			return err
		}
	}
	var pOff flatbuffers.UOffsetT
	if len(props) > 0 {
		pOff = b.CreateByteVector(props)
	}
	b.StartObject(3)
	if gOff != 0 {
		b.PrependUOffsetTSlot(0, gOff, 0)
	}
	if pOff != 0 {
		b.PrependUOffsetTSlot(1, pOff, 0)
	}
	b.FinishSizePrefixed(b.EndObject())
	_, err := fw.w.Write(b.FinishedBytes())
	return err
}

// geometry builds the Geometry table of g.
func (fw *Writer) geometry(g geom.T) (flatbuffers.UOffsetT, error) {
	b := fw.b
	switch g := g.(type) {
	case *geom.Point, *geom.LineString, *geom.MultiPoint:
		return fw.simple(typeOf(g), g.FlatCoords(), g.Stride(), nil), nil
	case *geom.Polygon:
		return fw.simple(Polygon, g.FlatCoords(), g.Stride(), g.Ends()), nil
	case *geom.MultiLineString:
		return fw.simple(MultiLineString, g.FlatCoords(), g.Stride(), g.Ends()), nil
	case *geom.MultiPolygon:
		parts := make([]flatbuffers.UOffsetT, 0, g.NumPolygons())
		for i := 0; i < g.NumPolygons(); i++ {
			p := g.Polygon(i)
			parts = append(parts, fw.simple(Polygon, p.FlatCoords(), p.Stride(), p.Ends()))
		}
		return fw.collection(MultiPolygon, parts), nil
	case *geom.GeometryCollection:
		parts := make([]flatbuffers.UOffsetT, 0, g.NumGeoms())
		for i := 0; i < g.NumGeoms(); i++ {
			p, err := fw.geometry(g.Geom(i))
			if err != nil {
				return 0, err
			}
			parts = append(parts, p)
		}
		return fw.collection(GeometryCollection, parts), nil
	}
	_ = b
	return 0, fmt.Errorf("fgb: unsupported geometry %T", g)
}

func typeOf(g geom.T) GeometryType {
	switch g.(type) {
	case *geom.Point:
		return Point
	case *geom.LineString:
		return LineString
	case *geom.MultiPoint:
		return MultiPoint
	}
	return Unknown
}

// simple builds a Geometry table with xy and, when there are several
// rings or lines, their ends (in points).
func (fw *Writer) simple(t GeometryType, flat []float64, stride int, ends []int) flatbuffers.UOffsetT {
	b := fw.b
	n := len(flat) / stride
	var endsOff flatbuffers.UOffsetT
	if len(ends) > 1 {
		b.StartVector(4, len(ends), 4)
		for i := len(ends) - 1; i >= 0; i-- {
			b.PrependUint32(uint32(ends[i] / stride))
		}
		endsOff = b.EndVector(len(ends))
	}
	b.StartVector(8, 2*n, 8)
	for i := n - 1; i >= 0; i-- {
		b.PrependFloat64(flat[i*stride+1])
		b.PrependFloat64(flat[i*stride])
	}
	xy := b.EndVector(2 * n)
	b.StartObject(8)
	if endsOff != 0 {
		b.PrependUOffsetTSlot(0, endsOff, 0)
	}
	b.PrependUOffsetTSlot(1, xy, 0)
	b.PrependByteSlot(6, byte(t), 0)
	return b.EndObject()
}

func (fw *Writer) collection(t GeometryType, parts []flatbuffers.UOffsetT) flatbuffers.UOffsetT {
	b := fw.b
	b.StartVector(4, len(parts), 4)
	for i := len(parts) - 1; i >= 0; i-- {
		b.PrependUOffsetT(parts[i])
	}
	vec := b.EndVector(len(parts))
	b.StartObject(8)
	b.PrependByteSlot(6, byte(t), 0)
	b.PrependUOffsetTSlot(7, vec, 0)
	return b.EndObject()
}
