package geo

import (
	"encoding/binary"
)

// CheckWKB walks the ISO WKB geometry b (the form PostGIS's ST_AsBinary
// and GeoPackage blobs hold) without allocating, so that a decoder run
// after it allocates only for elements that are there and cityatlas can
// hold. It fails, wrapping ErrGeometry, if the bytes run out, a count
// announces more elements than the bytes left can hold, a Multi geometry
// holds a member of another type or layout, a collection holds a
// collection (MaxCollectionDepth), or the geometry has more than
// MaxPositions positions. Bytes after the geometry are not looked at.
func CheckWKB(b []byte) error {
	w := wkbWalk{b: b}
	_, err := w.geometry(0, 0, 0)
	return err
}

type wkbWalk struct {
	b         []byte
	positions int
}

// geometry checks the geometry at off and returns where it ends. want, if
// not 0, is the ISO type code (with its thousands) that it must have, as
// a member of a Multi geometry; depth counts the collections around it.
func (w *wkbWalk) geometry(off int, want uint32, depth int) (int, error) {
	b := w.b
	if len(b)-off < 5 {
		return 0, geomErr("WKB truncated at byte %d", off)
	}
	var bo binary.ByteOrder
	switch b[off] {
	case 0:
		bo = binary.BigEndian
	case 1:
		bo = binary.LittleEndian
	default:
		return 0, geomErr("WKB byte order %d at byte %d", b[off], off)
	}
	t := bo.Uint32(b[off+1:])
	if want != 0 && t != want {
		return 0, geomErr("WKB geometry type %d at byte %d in a geometry of members of type %d", t, off, want)
	}
	off += 5
	var dims int
	switch t / 1000 {
	case 0:
		dims = 2
	case 1, 2:
		dims = 3
	case 3:
		dims = 4
	default:
		return 0, geomErr("WKB geometry type %d", t)
	}
	point := 8 * dims
	// count reads a count of elements of at least size bytes each.
	count := func(size int) (int, error) {
		if len(b)-off < 4 {
			return 0, geomErr("WKB truncated at byte %d", off)
		}
		n := int(bo.Uint32(b[off:]))
		off += 4
		if n > (len(b)-off)/size {
			return 0, geomErr("WKB announces %d elements at byte %d with %d bytes left", n, off-4, len(b)-off)
		}
		return n, nil
	}
	positions := func(n int) error {
		if w.positions += n; w.positions > MaxPositions {
			return geomErr("WKB geometry of more than %d positions", MaxPositions)
		}
		return nil
	}
	switch t % 1000 {
	case 1: // point
		if len(b)-off < point {
			return 0, geomErr("WKB point truncated at byte %d", off)
		}
		return off + point, positions(1)
	case 2: // linestring
		n, err := count(point)
		if err != nil {
			return 0, err
		}
		return off + n*point, positions(n)
	case 3: // polygon
		rings, err := count(4)
		if err != nil {
			return 0, err
		}
		for range rings {
			n, err := count(point)
			if err != nil {
				return 0, err
			}
			if err := positions(n); err != nil {
				return 0, err
			}
			off += n * point
		}
		return off, nil
	case 4, 5, 6: // multipoint, multilinestring, multipolygon
		n, err := count(5)
		if err != nil {
			return 0, err
		}
		member := t - 3
		for range n {
			if off, err = w.geometry(off, member, depth); err != nil {
				return 0, err
			}
		}
		return off, nil
	case 7: // geometry collection
		if depth >= MaxCollectionDepth {
			return 0, geomErr("a GeometryCollection inside a GeometryCollection is not supported")
		}
		n, err := count(5)
		if err != nil {
			return 0, err
		}
		for range n {
			if off, err = w.geometry(off, 0, depth+1); err != nil {
				return 0, err
			}
		}
		return off, nil
	}
	return 0, geomErr("WKB geometry type %d", t)
}
