// Package shp writes ESRI shapefiles: the .shp geometry file, its .shx
// index and the .dbf attribute table (dBase III with UTF-8 text).
//
// It is hand-written because no maintained Go shapefile writer is
// available as a module. It writes 2D shapes (Point, MultiPoint, PolyLine,
// Polygon, and null shapes); polygons are reoriented to the shapefile's
// rule (outer rings clockwise, holes counter-clockwise). The .dbf columns'
// widths are known only once every value has been seen (text loses its
// NUL characters, and readers trim the spaces around it), so values are
// spooled to a temporary file and the table written by Close.
package shp

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/twpayne/go-geom"
)

// Shape types (2D).
const (
	Null       = 0
	Point      = 1
	PolyLine   = 3
	Polygon    = 5
	MultiPoint = 8
)

// Kind is a dBase field type.
type Kind byte

// dBase field types.
const (
	Character Kind = 'C'
	Number    Kind = 'N' // integers and decimals, as text
	Logical   Kind = 'L'
	Date      Kind = 'D'
)

// Field is one column of the .dbf table.
type Field struct {
	// Name is at most 10 bytes of ASCII (see Names).
	Name string
	Kind Kind
}

// MaxText is the widest text a .dbf column holds, in bytes; longer values
// are cut at a character boundary.
const MaxText = 254

// ErrShapeType is returned when a geometry does not fit the file's shape
// type (a shapefile holds one type).
var ErrShapeType = errors.New("shapefile: geometry does not match the file's shape type")

// Writer writes one shapefile.
type Writer struct {
	shp, shx io.WriteSeeker
	bshp     *bufio.Writer
	bshx     *bufio.Writer
	dbf      io.Writer
	spool    io.ReadWriteSeeker
	bspool   *bufio.Writer
	fields   []Field
	width    []int // widest value of each field, in bytes
	decimals []int // most decimals of each Number field
	typ      int32 // 0 until the first geometry decides it
	offset   int64 // of the next record in .shp, in bytes
	n        int
	box      [4]float64
	hasBox   bool
	rec      []byte
	// Truncated counts the text values cut at MaxText.
	Truncated int
}

// NewWriter returns a writer of a shapefile of shapeType (0: decided by the
// first geometry) to shp, shx and dbf; spool holds the attribute values
// until Close (an empty temporary file).
func NewWriter(shp, shx io.WriteSeeker, dbf io.Writer, spool io.ReadWriteSeeker, shapeType int32, fields []Field) (*Writer, error) {
	w := &Writer{
		shp: shp, shx: shx, dbf: dbf, spool: spool, fields: fields, typ: shapeType,
		bshp: bufio.NewWriterSize(shp, 64<<10), bshx: bufio.NewWriterSize(shx, 16<<10), bspool: bufio.NewWriterSize(spool, 64<<10),
		width: make([]int, len(fields)), decimals: make([]int, len(fields)), offset: 100,
	}
	for i, f := range fields {
		if f.Name == "" || len(f.Name) > 10 {
			return nil, fmt.Errorf("shapefile: field name %q must be 1 to 10 bytes", f.Name)
		}
		w.width[i] = 1
	}
	// Headers are written again with the real lengths by Close.
	var h [100]byte
	if _, err := w.bshp.Write(h[:]); err != nil {
		return nil, err
	}
	if _, err := w.bshx.Write(h[:]); err != nil {
		return nil, err
	}
	return w, nil
}

// ShapeType returns the shape type for a geometry type, 0 for none.
func ShapeType(g geom.T) int32 {
	switch g.(type) {
	case *geom.Point:
		return Point
	case *geom.MultiPoint:
		return MultiPoint
	case *geom.LineString, *geom.MultiLineString:
		return PolyLine
	case *geom.Polygon, *geom.MultiPolygon:
		return Polygon
	}
	return Null
}

// Write adds one record: its geometry (nil or empty for a null shape) and
// one value a field, as text ("" for none): numbers in decimal, booleans
// "true"/"false", dates "YYYY-MM-DD".
func (w *Writer) Write(g geom.T, values []string) error {
	if len(values) != len(w.fields) {
		return fmt.Errorf("shapefile: %d values for %d fields", len(values), len(w.fields))
	}
	rec, err := w.shape(g)
	if err != nil {
		return err
	}
	var hdr [8]byte
	binary.BigEndian.PutUint32(hdr[0:], uint32(w.n+1))
	binary.BigEndian.PutUint32(hdr[4:], uint32(len(rec)/2))
	var idx [8]byte
	binary.BigEndian.PutUint32(idx[0:], uint32(w.offset/2))
	binary.BigEndian.PutUint32(idx[4:], uint32(len(rec)/2))
	if w.offset+8+int64(len(rec)) > math.MaxInt32*2 {
		return errors.New("shapefile: the .shp file would pass 4 GB")
	}
	w.bshp.Write(hdr[:])
	if _, err := w.bshp.Write(rec); err != nil {
		return err
	}
	if _, err := w.bshx.Write(idx[:]); err != nil {
		return err
	}
	w.offset += 8 + int64(len(rec))
	w.n++
	return w.spoolValues(values)
}

func (w *Writer) spoolValues(values []string) error {
	var lb [binary.MaxVarintLen64]byte
	for i, v := range values {
		f := w.fields[i]
		switch f.Kind {
		case Character:
			if strings.IndexByte(v, 0) >= 0 {
				v = strings.ReplaceAll(v, "\x00", "") // a NUL ends text in .dbf readers
			}
			if len(v) > MaxText {
				v = cut(v, MaxText)
				w.Truncated++
			}
		case Number:
			if v != "" {
				x, err := strconv.ParseFloat(v, 64)
				if err != nil {
					return fmt.Errorf("shapefile: field %s: %q is not a number", f.Name, v)
				}
				v = strconv.FormatFloat(x, 'f', -1, 64)
				ip := len(v)
				if dot := strings.IndexByte(v, '.'); dot >= 0 {
					w.decimals[i] = max(w.decimals[i], len(v)-dot-1)
					ip = dot
				}
				w.width[i] = max(w.width[i], ip) // the integer part
			}
		}
		if f.Kind != Number {
			w.width[i] = max(w.width[i], len(v))
		}
		n := binary.PutUvarint(lb[:], uint64(len(v)))
		w.bspool.Write(lb[:n])
		if _, err := w.bspool.WriteString(v); err != nil {
			return err
		}
	}
	return nil
}

// cut returns the longest prefix of s of at most n bytes that ends on a
// character boundary.
func cut(s string, n int) string {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Close writes the headers and the .dbf table. It closes none of the
// writers it was given.
func (w *Writer) Close() error {
	if err := w.bshp.Flush(); err != nil {
		return err
	}
	if err := w.bshx.Flush(); err != nil {
		return err
	}
	if err := w.bspool.Flush(); err != nil {
		return err
	}
	if err := w.header(w.shp, w.offset); err != nil {
		return err
	}
	if err := w.header(w.shx, 100+8*int64(w.n)); err != nil {
		return err
	}
	return w.writeDBF()
}

func (w *Writer) header(f io.WriteSeeker, length int64) error {
	var h [100]byte
	binary.BigEndian.PutUint32(h[0:], 9994)
	binary.BigEndian.PutUint32(h[24:], uint32(length/2))
	binary.LittleEndian.PutUint32(h[28:], 1000)
	binary.LittleEndian.PutUint32(h[32:], uint32(w.typ))
	for i, v := range w.box {
		binary.LittleEndian.PutUint64(h[36+8*i:], math.Float64bits(v))
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err := f.Write(h[:])
	return err
}
