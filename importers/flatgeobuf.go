package importers

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"time"
)

// The FlatGeobuf reader (format version 3, flatgeobuf.org) streams a
// .fgb: the magic bytes, the header (name, geometry type, Z/M, columns,
// feature count, index node size, CRS), the packed R-tree index when there
// is one (skipped), then size-prefixed features. It is written here (see
// fbTable for why) and bounded: a header over maxFGBHeader, a feature over
// maxFGBFeature and collections nested deeper than maxWKBDepth are refused.
//
// Column types: Byte, UByte, Short, UShort, Int, UInt, Long → integer
// (ULong too, when it fits in 63 bits); Bool → boolean; Float, Double →
// number; String, Json → string; DateTime → datetime (ISO 8601 text; one
// without an offset is in Options.Location, UTC when nil); Binary →
// string (hexadecimal). The CRS is "EPSG:n" from the header's crs code
// (organisation EPSG or none), else its WKT.

const (
	maxFGBHeader  = 16 << 20
	maxFGBFeature = 64 << 20
	fgbNodeItem   = 40 // bytes of one R-tree node
)

var fgbMagic = []byte{'f', 'g', 'b', 3, 'f', 'g', 'b'}

// FlatGeobuf column types.
const (
	fgbByte = iota
	fgbUByte
	fgbBool
	fgbShort
	fgbUShort
	fgbInt
	fgbUInt
	fgbLong
	fgbULong
	fgbFloat
	fgbDouble
	fgbString
	fgbJSON
	fgbDateTime
	fgbBinary
)

type fgbColumn struct {
	name string
	typ  uint8
}

// flatGeobufReader streams one FlatGeobuf file.
type flatGeobufReader struct {
	name   string
	in     *bufio.Reader
	closer io.Closer
	gtype  uint8
	hasZ   bool
	hasM   bool
	cols   []fgbColumn
	fields []Field
	srs    string
	count  uint64
	loc    *time.Location
	values bool
	record int
	naive  int
	budget int // of geometry tables and positions, for the feature being read
	err    error
	buf    bytes.Buffer
}

func openFlatGeobufFile(path string, opts Options) (Reader, error) {
	in, err := fileOpener(path)()
	if err != nil {
		return nil, fmt.Errorf("importers: %w", err)
	}
	r, err := newFlatGeobufReader(filepath.Base(path), in, opts)
	if err != nil {
		in.Close()
		return nil, err
	}
	return r, nil
}

func newFlatGeobufReader(name string, in io.ReadCloser, opts Options) (*flatGeobufReader, error) {
	r := &flatGeobufReader{name: name, in: bufio.NewReaderSize(in, 64<<10), closer: in, loc: opts.Location, values: opts.Values}
	head := make([]byte, 12)
	if _, err := io.ReadFull(r.in, head); err != nil || !bytes.Equal(head[:7], fgbMagic) {
		return nil, fmt.Errorf("importers: %s: %w: not a FlatGeobuf file (version 3 magic bytes)", name, ErrFormat)
	}
	n := binary.LittleEndian.Uint32(head[8:])
	if n > maxFGBHeader {
		return nil, fmt.Errorf("importers: %s: %w: header of %d bytes, more than %d MB", name, ErrFormat, n, maxFGBHeader>>20)
	}
	hb, err := readN(r.in, &r.buf, int(n))
	if err != nil {
		return nil, fmt.Errorf("importers: %s: %w: header truncated", name, ErrFormat)
	}
	nodeSize, err := r.header(hb)
	if err != nil {
		return nil, fmt.Errorf("importers: %s: %w", name, err)
	}
	if opts.SRS != "" {
		r.srs = opts.SRS
	}
	if nodeSize > 0 && r.count > 0 {
		size, ok := fgbIndexSize(r.count, nodeSize)
		if !ok {
			return nil, fmt.Errorf("importers: %s: %w: %d features do not make an index", name, ErrFormat, r.count)
		}
		if _, err := io.CopyN(io.Discard, r.in, int64(size)); err != nil {
			return nil, fmt.Errorf("importers: %s: %w: index truncated", name, ErrFormat)
		}
	}
	return r, nil
}

// fgbIndexSize is the byte size of the packed Hilbert R-tree of n items.
func fgbIndexSize(n uint64, nodeSize uint16) (uint64, bool) {
	if nodeSize < 2 || n > 1<<40 {
		return 0, false
	}
	nodes, level := n, n
	for {
		level = (level + uint64(nodeSize) - 1) / uint64(nodeSize)
		nodes += level
		if level == 1 {
			break
		}
	}
	return nodes * fgbNodeItem, true
}

// header reads the header table and returns the index node size.
func (r *flatGeobufReader) header(b []byte) (uint16, error) {
	h, err := fbRoot(b)
	if err != nil {
		return 0, err
	}
	if r.gtype, err = h.uint8(2, 0); err != nil {
		return 0, err
	}
	z, err := h.uint8(3, 0)
	if err != nil {
		return 0, err
	}
	m, err := h.uint8(4, 0)
	if err != nil {
		return 0, err
	}
	r.hasZ, r.hasM = z != 0, m != 0
	cols, err := h.tables(7)
	if err != nil {
		return 0, err
	}
	for _, c := range cols {
		name, err := c.string(0)
		if err != nil {
			return 0, err
		}
		typ, err := c.uint8(1, 0)
		if err != nil {
			return 0, err
		}
		ft, ok := fgbFieldType(typ)
		if !ok {
			return 0, fmt.Errorf("%w column type %d of %q", ErrUnsupported, typ, name)
		}
		r.cols = append(r.cols, fgbColumn{name: name, typ: typ})
		r.fields = append(r.fields, Field{Name: name, Type: ft})
	}
	if r.count, err = h.uint64(8, 0); err != nil {
		return 0, err
	}
	nodeSize, err := h.uint16(9, 16)
	if err != nil {
		return 0, err
	}
	if crs, ok, err := h.table(10); err != nil {
		return 0, err
	} else if ok {
		if r.srs, err = fgbCRS(crs); err != nil {
			return 0, err
		}
	}
	return nodeSize, nil
}

// fgbCRS is "EPSG:n" for an EPSG code, else the WKT.
func fgbCRS(crs fbTable) (string, error) {
	org, err := crs.string(0)
	if err != nil {
		return "", err
	}
	code, err := crs.int32(1, 0)
	if err != nil {
		return "", err
	}
	if code > 0 && (org == "" || org == "EPSG" || org == "epsg") {
		return "EPSG:" + strconv.Itoa(int(code)), nil
	}
	return crs.string(4)
}

func fgbFieldType(t uint8) (string, bool) {
	switch t {
	case fgbByte, fgbUByte, fgbShort, fgbUShort, fgbInt, fgbUInt, fgbLong, fgbULong:
		return TypeInteger, true
	case fgbBool:
		return TypeBoolean, true
	case fgbFloat, fgbDouble:
		return TypeNumber, true
	case fgbString, fgbJSON, fgbBinary:
		return TypeString, true
	case fgbDateTime:
		return TypeDateTime, true
	}
	return "", false
}

// readN reads n bytes into buf (grown as they arrive, so a size that the
// file does not hold allocates only what it does).
func readN(in io.Reader, buf *bytes.Buffer, n int) ([]byte, error) {
	buf.Reset()
	m, err := buf.ReadFrom(io.LimitReader(in, int64(n)))
	if err != nil {
		return nil, err
	}
	if int(m) != n {
		return nil, io.ErrUnexpectedEOF
	}
	return buf.Bytes(), nil
}

func (r *flatGeobufReader) Name() string        { return r.name }
func (r *flatGeobufReader) Fields() []Field     { return r.fields }
func (r *flatGeobufReader) SRS() string         { return r.srs }
func (r *flatGeobufReader) NaiveDateTimes() int { return r.naive }
func (r *flatGeobufReader) Close() error        { return r.closer.Close() }

// GeometryType is the header's geometry type in GeoJSON's words.
func (r *flatGeobufReader) GeometryType() string {
	switch r.gtype {
	case 1:
		return "Point"
	case 2:
		return "LineString"
	case 3:
		return "Polygon"
	case 4:
		return "MultiPoint"
	case 5:
		return "MultiLineString"
	case 6:
		return "MultiPolygon"
	case 7:
		return "GeometryCollection"
	}
	return "Geometry"
}

func (r *flatGeobufReader) Next() (Feature, error) {
	if r.err != nil {
		return Feature{}, r.err
	}
	var sz [4]byte
	if _, err := io.ReadFull(r.in, sz[:]); err != nil {
		if errors.Is(err, io.EOF) {
			r.err = io.EOF
		} else {
			r.err = fmt.Errorf("importers: %s: %w: after record %d: truncated", r.name, ErrFormat, r.record)
		}
		return Feature{}, r.err
	}
	r.record++
	n := binary.LittleEndian.Uint32(sz[:])
	if n > maxFGBFeature {
		r.err = fmt.Errorf("importers: %s: %w: record %d: %d bytes, more than %d MB", r.name, ErrFormat, r.record, n, maxFGBFeature>>20)
		return Feature{}, r.err
	}
	b, err := readN(r.in, &r.buf, int(n))
	if err != nil {
		r.err = fmt.Errorf("importers: %s: %w: record %d truncated", r.name, ErrFormat, r.record)
		return Feature{}, r.err
	}
	f, err := r.feature(b)
	if err != nil {
		return Feature{}, &RecordError{File: r.name, Record: r.record, Err: err}
	}
	return f, nil
}

// feature decodes one feature table.
func (r *flatGeobufReader) feature(b []byte) (Feature, error) {
	f := Feature{Record: r.record}
	r.budget = len(b)
	t, err := fbRoot(b)
	if err != nil {
		return f, err
	}
	if _, ok, err := t.field(2, 4); err != nil || ok {
		if err == nil {
			err = fmt.Errorf("%w: a feature with columns of its own", ErrUnsupported)
		}
		return f, err
	}
	if g, ok, err := t.table(0); err != nil {
		return f, err
	} else if ok {
		if f.Geometry, err = r.geometry(g, r.gtype, 0); err != nil {
			return f, err
		}
	}
	props, _, err := t.bytes(1)
	if err != nil {
		return f, err
	}
	vals := make([]any, len(r.cols))
	if err := r.properties(props, vals); err != nil {
		return f, err
	}
	if r.values {
		f.Values = vals
	} else {
		f.Properties = make(map[string]any, len(vals))
		for i, c := range r.cols {
			f.Properties[c.name] = vals[i]
		}
	}
	return f, nil
}
