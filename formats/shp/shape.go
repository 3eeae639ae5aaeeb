package shp

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/twpayne/go-geom"
)

// shape encodes a record's content (little endian) into w.rec and
// returns it.
func (w *Writer) shape(g geom.T) ([]byte, error) {
	rec := w.rec[:0]
	if g == nil || g.Empty() {
		rec = binary.LittleEndian.AppendUint32(rec, Null)
		w.rec = rec
		return rec, nil
	}
	t := ShapeType(g)
	if t == Null {
		return nil, fmt.Errorf("%w: a shapefile cannot hold a %T", ErrShapeType, g)
	}
	if w.typ == 0 {
		w.typ = t
	}
	if t != w.typ {
		return nil, fmt.Errorf("%w: %s in a %s file", ErrShapeType, typeName(t), typeName(w.typ))
	}
	b := g.Bounds()
	box := [4]float64{b.Min(0), b.Min(1), b.Max(0), b.Max(1)}
	w.grow(box)
	stride := g.Stride()
	rec = binary.LittleEndian.AppendUint32(rec, uint32(t))
	if t == Point {
		c := g.FlatCoords()
		rec = appendF(rec, c[0])
		rec = appendF(rec, c[1])
		w.rec = rec
		return rec, nil
	}
	for _, v := range box {
		rec = appendF(rec, v)
	}
	if t == MultiPoint {
		flat := g.FlatCoords()
		rec = binary.LittleEndian.AppendUint32(rec, uint32(len(flat)/stride))
		rec = appendXY(rec, flat, stride, false)
		w.rec = rec
		return rec, nil
	}
	parts := partsOf(g)
	rec = binary.LittleEndian.AppendUint32(rec, uint32(len(parts)))
	rec = binary.LittleEndian.AppendUint32(rec, uint32(len(g.FlatCoords())/stride))
	start := 0
	for _, p := range parts {
		rec = binary.LittleEndian.AppendUint32(rec, uint32(start))
		start += len(p.flat) / stride
	}
	for _, p := range parts {
		rec = appendXY(rec, p.flat, stride, p.reverse)
	}
	w.rec = rec
	return rec, nil
}

type part struct {
	flat    []float64
	reverse bool
}

// partsOf returns the lines or rings of g; for polygons each ring is
// marked for reversal when it does not run the shapefile's way (outer
// rings clockwise, holes counter-clockwise).
func partsOf(g geom.T) []part {
	flat, stride := g.FlatCoords(), g.Stride()
	var out []part
	add := func(ends []int, off int, polygon bool) {
		s := off
		for i, e := range ends {
			p := part{flat: flat[s:e]}
			if polygon {
				a := area2(p.flat, stride)
				p.reverse = (i == 0 && a > 0) || (i > 0 && a < 0)
			}
			out = append(out, p)
			s = e
		}
	}
	switch g := g.(type) {
	case *geom.LineString:
		out = append(out, part{flat: flat})
	case *geom.MultiLineString:
		add(g.Ends(), 0, false)
	case *geom.Polygon:
		add(g.Ends(), 0, true)
	case *geom.MultiPolygon:
		s := 0
		for _, ends := range g.Endss() {
			add(ends, s, true)
			if len(ends) > 0 {
				s = ends[len(ends)-1]
			}
		}
	}
	return out
}

// area2 is twice the signed area of a ring (positive counter-clockwise).
func area2(flat []float64, stride int) float64 {
	var a float64
	n := len(flat) / stride
	for i := 0; i < n; i++ {
		j := (i + 1) % n
		a += flat[i*stride]*flat[j*stride+1] - flat[j*stride]*flat[i*stride+1]
	}
	return a
}

func appendXY(rec []byte, flat []float64, stride int, reverse bool) []byte {
	n := len(flat) / stride
	for k := 0; k < n; k++ {
		i := k
		if reverse {
			i = n - 1 - k
		}
		rec = appendF(rec, flat[i*stride])
		rec = appendF(rec, flat[i*stride+1])
	}
	return rec
}

func appendF(b []byte, v float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
}

func (w *Writer) grow(b [4]float64) {
	if !w.hasBox {
		w.box, w.hasBox = b, true
		return
	}
	w.box = [4]float64{min(w.box[0], b[0]), min(w.box[1], b[1]), max(w.box[2], b[2]), max(w.box[3], b[3])}
}

func typeName(t int32) string {
	switch t {
	case Point:
		return "Point"
	case PolyLine:
		return "PolyLine"
	case Polygon:
		return "Polygon"
	case MultiPoint:
		return "MultiPoint"
	}
	return "Null"
}
