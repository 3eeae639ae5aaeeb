package importers

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"

	"github.com/twpayne/go-geom"
)

// properties decodes a feature's property bytes: pairs of a uint16 column
// index and the value, little endian; strings, JSON, date-times and
// binaries are a uint32 length and the bytes. Columns absent are nil.
func (r *flatGeobufReader) properties(b []byte, vals []any) error {
	for pos := 0; pos < len(b); {
		if len(b)-pos < 2 {
			return fmt.Errorf("%w: properties truncated", ErrFormat)
		}
		i := int(binary.LittleEndian.Uint16(b[pos:]))
		pos += 2
		if i >= len(r.cols) {
			return fmt.Errorf("%w: property of column %d, the header has %d", ErrFormat, i, len(r.cols))
		}
		c := r.cols[i]
		size := fgbValueSize(c.typ)
		if size == 0 { // length-prefixed
			if len(b)-pos < 4 {
				return fmt.Errorf("%w: property %q truncated", ErrFormat, c.name)
			}
			size = int(binary.LittleEndian.Uint32(b[pos:]))
			pos += 4
		}
		if size < 0 || size > len(b)-pos {
			return fmt.Errorf("%w: property %q truncated", ErrFormat, c.name)
		}
		v, err := r.value(c, b[pos:pos+size])
		if err != nil {
			return err
		}
		vals[i] = v
		pos += size
	}
	return nil
}

// fgbValueSize is the size of a fixed-size value, 0 for one with a length.
func fgbValueSize(t uint8) int {
	switch t {
	case fgbByte, fgbUByte, fgbBool:
		return 1
	case fgbShort, fgbUShort:
		return 2
	case fgbInt, fgbUInt, fgbFloat:
		return 4
	case fgbLong, fgbULong, fgbDouble:
		return 8
	}
	return 0
}

func (r *flatGeobufReader) value(c fgbColumn, b []byte) (any, error) {
	le := binary.LittleEndian
	switch c.typ {
	case fgbByte:
		return int64(int8(b[0])), nil
	case fgbUByte:
		return int64(b[0]), nil
	case fgbBool:
		return b[0] != 0, nil
	case fgbShort:
		return int64(int16(le.Uint16(b))), nil
	case fgbUShort:
		return int64(le.Uint16(b)), nil
	case fgbInt:
		return int64(int32(le.Uint32(b))), nil
	case fgbUInt:
		return int64(le.Uint32(b)), nil
	case fgbLong:
		return int64(le.Uint64(b)), nil
	case fgbULong:
		u := le.Uint64(b)
		if u > math.MaxInt64 {
			return nil, fmt.Errorf("%w: property %q: %d does not fit in 63 bits", ErrValue, c.name, u)
		}
		return int64(u), nil
	case fgbFloat:
		return finite(c.name, float64(math.Float32frombits(le.Uint32(b))))
	case fgbDouble:
		return finite(c.name, math.Float64frombits(le.Uint64(b)))
	case fgbString, fgbJSON:
		return string(b), nil
	case fgbBinary:
		return hex.EncodeToString(b), nil
	case fgbDateTime:
		t, naive, ok := ParseDateTime(string(b), r.loc)
		if !ok {
			return nil, fmt.Errorf("%w: property %q: %s is not a datetime", ErrValue, c.name, strconv.Quote(string(b)))
		}
		if naive {
			r.naive++
		}
		return t, nil
	}
	return nil, fmt.Errorf("%w column type %d", ErrUnsupported, c.typ)
}

func finite(name string, x float64) (any, error) {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil, nil // GDAL writes NaN for a null real in some versions
	}
	return x, nil
}

// geometry decodes a Geometry table of type typ (the table's own type
// field wins when it has one); an empty one gives nil.
func (r *flatGeobufReader) geometry(t fbTable, typ uint8, depth int) (geom.T, error) {
	if depth > maxWKBDepth {
		return nil, fmt.Errorf("%w: geometry collections nested deeper than %d", ErrGeometry, maxWKBDepth)
	}
	// Tables may share their parts (offsets can point anywhere): the work
	// a feature may cost is bounded by its size.
	if r.budget--; r.budget < 0 {
		return nil, fmt.Errorf("%w: geometry parts repeat more than the feature's size allows", ErrGeometry)
	}
	own, err := t.uint8(6, 0)
	if err != nil {
		return nil, err
	}
	if own != 0 {
		typ = own
	}
	if typ == 7 && depth > 0 {
		// go-geom's Bounds panics on one; GeoJSON advises against them.
		return nil, fmt.Errorf("%w: a geometry collection inside a collection", ErrUnsupported)
	}
	switch typ {
	case 6, 7: // MultiPolygon, GeometryCollection: parts
		parts, err := t.tables(7)
		if err != nil {
			return nil, err
		}
		var out geom.T
		if typ == 6 {
			mp := geom.NewMultiPolygon(geom.XY)
			for _, p := range parts {
				g, err := r.geometry(p, 3, depth+1)
				if err != nil {
					return nil, err
				}
				poly, ok := g.(*geom.Polygon)
				if g == nil || !ok {
					continue
				}
				if mp.NumPolygons() == 0 {
					mp = geom.NewMultiPolygon(poly.Layout())
				}
				if err := mp.Push(poly); err != nil {
					return nil, fmt.Errorf("%w: %v", ErrGeometry, err)
				}
			}
			out = mp
		} else {
			gc := geom.NewGeometryCollection()
			for _, p := range parts {
				g, err := r.geometry(p, 0, depth+1)
				if err != nil {
					return nil, err
				}
				if g == nil {
					continue
				}
				if err := gc.Push(g); err != nil {
					return nil, fmt.Errorf("%w: %v", ErrGeometry, err)
				}
			}
			out = gc
		}
		if out.Empty() {
			return nil, nil
		}
		return out, nil
	}
	flat, layout, err := fgbCoords(t)
	if err != nil {
		return nil, err
	}
	if r.budget -= len(flat); r.budget < 0 {
		return nil, fmt.Errorf("%w: geometry parts repeat more than the feature's size allows", ErrGeometry)
	}
	if len(flat) == 0 {
		return nil, nil
	}
	stride := layout.Stride()
	npts := len(flat) / stride
	switch typ {
	case 1:
		if npts != 1 {
			return nil, fmt.Errorf("%w: a point with %d positions", ErrGeometry, npts)
		}
		return geom.NewPointFlat(layout, flat), nil
	case 2:
		return geom.NewLineStringFlat(layout, flat), nil
	case 4:
		return geom.NewMultiPointFlat(layout, flat), nil
	case 3, 5:
		ends, err := fgbEnds(t, npts, stride)
		if err != nil {
			return nil, err
		}
		if typ == 3 {
			return geom.NewPolygonFlat(layout, flat, ends), nil
		}
		return geom.NewMultiLineStringFlat(layout, flat, ends), nil
	case 0:
		return nil, fmt.Errorf("%w: a geometry without a type", ErrGeometry)
	}
	return nil, fmt.Errorf("%w geometry type %d (curves, surfaces and TINs are not supported)", ErrUnsupported, typ)
}

// fgbCoords interleaves the xy, z and m vectors.
func fgbCoords(t fbTable) ([]float64, geom.Layout, error) {
	xy, err := t.float64s(1)
	if err != nil {
		return nil, geom.NoLayout, err
	}
	z, err := t.float64s(2)
	if err != nil {
		return nil, geom.NoLayout, err
	}
	m, err := t.float64s(3)
	if err != nil {
		return nil, geom.NoLayout, err
	}
	if len(xy)%2 != 0 {
		return nil, geom.NoLayout, fmt.Errorf("%w: an odd number of xy values", ErrGeometry)
	}
	n := len(xy) / 2
	if len(z) != 0 && len(z) != n || len(m) != 0 && len(m) != n {
		return nil, geom.NoLayout, fmt.Errorf("%w: %d positions but %d z and %d m values", ErrGeometry, n, len(z), len(m))
	}
	layout := geom.XY
	switch {
	case len(z) > 0 && len(m) > 0:
		layout = geom.XYZM
	case len(z) > 0:
		layout = geom.XYZ
	case len(m) > 0:
		layout = geom.XYM
	}
	if layout == geom.XY {
		for _, c := range xy {
			if math.IsNaN(c) || math.IsInf(c, 0) {
				return nil, geom.NoLayout, fmt.Errorf("%w: a coordinate is not a finite number", ErrGeometry)
			}
		}
		return xy, layout, nil
	}
	stride := layout.Stride()
	flat := make([]float64, 0, n*stride)
	for i := range n {
		flat = append(flat, xy[2*i], xy[2*i+1])
		if len(z) > 0 {
			flat = append(flat, z[i])
		}
		if len(m) > 0 {
			flat = append(flat, m[i])
		}
	}
	for _, c := range flat {
		if math.IsInf(c, 0) || math.IsNaN(c) {
			return nil, geom.NoLayout, fmt.Errorf("%w: a coordinate is not a finite number", ErrGeometry)
		}
	}
	return flat, layout, nil
}

// fgbEnds turns the ends vector (position counts) into go-geom's ends
// (offsets in flat coordinates); none means one ring or line of all.
func fgbEnds(t fbTable, npts, stride int) ([]int, error) {
	es, err := t.uint32s(0)
	if err != nil {
		return nil, err
	}
	if len(es) == 0 {
		return []int{npts * stride}, nil
	}
	ends := make([]int, len(es))
	prev := 0
	for i, e := range es {
		if int(e) <= prev || int(e) > npts {
			return nil, fmt.Errorf("%w: %d part ends do not fit %d positions", ErrGeometry, len(es), npts)
		}
		prev = int(e)
		ends[i] = prev * stride
	}
	if prev != npts {
		return nil, fmt.Errorf("%w: %d part ends do not fit %d positions", ErrGeometry, len(es), npts)
	}
	return ends, nil
}
