package postgis

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/cityatlas/cityatlas/geo"

	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkb"
	"github.com/twpayne/go-geom/encoding/wkbcommon"

	"github.com/cityatlas/cityatlas/store"
)

var emptyPointAsNaN = wkbcommon.WKBOptionEmptyPointHandling(wkbcommon.EmptyPointHandlingNaN)

// encodeGeometry checks that collection c takes g and returns g as ISO WKB
// (little-endian, Z and M kept, SRID left out: it is always 4326). A nil
// geometry encodes as nil (SQL NULL). Errors wrap store.ErrInvalid.
func encodeGeometry(c *store.Collection, g geom.T) ([]byte, error) {
	if g == nil {
		return nil, nil
	}
	t := geo.TypeName(g)
	if !store.GeometryAllowed(c.Geometry, t) {
		return nil, store.Invalidf("collection %q takes %s geometries, not %s", c.ID, c.Geometry, t)
	}
	if !finite(g) {
		return nil, store.Invalidf("%s geometry has a coordinate that is not a finite number", t)
	}
	if p, ok := g.(*geom.Point); ok && !p.Empty() {
		if d, ok := geo.Dims(p.Layout()); ok {
			return pointWKB(p, d), nil // the common case, without the generic writer
		}
	}
	b, err := wkb.Marshal(g, wkb.NDR, emptyPointAsNaN)
	if err != nil {
		return nil, store.Invalidf("%s geometry cannot be encoded: %v", t, err)
	}
	return b, nil
}

// pointWKB is wkb.Marshal(p, wkb.NDR) for a point that is not empty, of
// dimensions d (geo.Dims): ISO type code, little-endian.
func pointWKB(p *geom.Point, d int) []byte {
	flat := p.FlatCoords()
	b := make([]byte, 5, 5+8*len(flat))
	b[0] = 1
	binary.LittleEndian.PutUint32(b[1:], uint32(1000*d+1))
	for _, x := range flat {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	}
	return b
}

// finite reports whether every coordinate of g is a finite number (an empty
// point, encoded with NaN coordinates, counts as finite).
func finite(g geom.T) bool {
	if gc, ok := g.(*geom.GeometryCollection); ok {
		for i := range gc.NumGeoms() {
			if !finite(gc.Geom(i)) {
				return false
			}
		}
		return true
	}
	if g.Empty() {
		return true
	}
	for _, x := range g.FlatCoords() {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// decodeGeometry decodes ISO WKB from ST_AsBinary, setting SRID 4326. nil
// decodes as nil.
func decodeGeometry(b []byte) (geom.T, error) {
	if b == nil {
		return nil, nil
	}
	if _, err := checkWKB(b, 0, 0); err != nil {
		return nil, fmt.Errorf("decode geometry: %w", err)
	}
	g, err := wkb.Unmarshal(b, emptyPointAsNaN)
	if err != nil {
		return nil, fmt.Errorf("decode geometry: %w", err)
	}
	setSRID(g, 4326)
	return g, nil
}

func setSRID(g geom.T, srid int) {
	switch g := g.(type) {
	case *geom.Point:
		g.SetSRID(srid)
	case *geom.LineString:
		g.SetSRID(srid)
	case *geom.Polygon:
		g.SetSRID(srid)
	case *geom.MultiPoint:
		g.SetSRID(srid)
	case *geom.MultiLineString:
		g.SetSRID(srid)
	case *geom.MultiPolygon:
		g.SetSRID(srid)
	case *geom.GeometryCollection:
		g.SetSRID(srid)
	}
}

var errBadWKB = errors.New("malformed WKB")

// checkWKB walks the ISO WKB geometry at b[off:] and returns where it
// ends. It fails if the bytes run out or a count announces more elements
// than the bytes left can hold, so that the decoder never allocates for
// elements that are not there, and if collections nest deeper than 32.
func checkWKB(b []byte, off, depth int) (int, error) {
	if depth > 32 {
		return 0, fmt.Errorf("%w: collections nested too deep", errBadWKB)
	}
	if len(b)-off < 5 {
		return 0, fmt.Errorf("%w: truncated at byte %d", errBadWKB, off)
	}
	var bo binary.ByteOrder
	switch b[off] {
	case 0:
		bo = binary.BigEndian
	case 1:
		bo = binary.LittleEndian
	default:
		return 0, fmt.Errorf("%w: byte order %d at byte %d", errBadWKB, b[off], off)
	}
	t := bo.Uint32(b[off+1:])
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
		return 0, fmt.Errorf("%w: geometry type %d", errBadWKB, t)
	}
	point := 8 * dims
	// count reads a count of elements of at least size bytes each.
	count := func(size int) (int, error) {
		if len(b)-off < 4 {
			return 0, fmt.Errorf("%w: truncated at byte %d", errBadWKB, off)
		}
		n := int(bo.Uint32(b[off:]))
		off += 4
		if n > (len(b)-off)/size {
			return 0, fmt.Errorf("%w: %d elements announced at byte %d, %d bytes left", errBadWKB, n, off-4, len(b)-off)
		}
		return n, nil
	}
	switch t % 1000 {
	case 1: // point
		if len(b)-off < point {
			return 0, fmt.Errorf("%w: truncated point at byte %d", errBadWKB, off)
		}
		return off + point, nil
	case 2: // linestring
		n, err := count(point)
		if err != nil {
			return 0, err
		}
		return off + n*point, nil
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
			off += n * point
		}
		return off, nil
	case 4, 5, 6, 7: // multi and collection
		n, err := count(5)
		if err != nil {
			return 0, err
		}
		for range n {
			if off, err = checkWKB(b, off, depth+1); err != nil {
				return 0, err
			}
		}
		return off, nil
	}
	return 0, fmt.Errorf("%w: geometry type %d", errBadWKB, t)
}
