package importers

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkb"
	"github.com/twpayne/go-geom/encoding/wkbcommon"
)

// The GeoPackage reader decodes WKB with go-geom's wkb package, which
// allocates what the counts in the bytes say and follows collections to any
// depth. checkWKB walks the bytes first, without allocating, so that every
// count is met by the bytes that follow and nesting stays shallow: only a
// blob that passes is handed to go-geom.

// maxWKBDepth is how deep geometries may nest (a collection holds no
// collection; the bound is for the walk).
const maxWKBDepth = 16

// checkWKB returns the length of the ISO WKB geometry at the start of b,
// or an error wrapping ErrGeometry when it is truncated, too deep, of an
// unknown type, or counts more elements than its bytes hold.
func checkWKB(b []byte, depth int) (int, error) {
	if depth > maxWKBDepth {
		return 0, fmt.Errorf("%w: geometry collections nested deeper than %d", ErrGeometry, maxWKBDepth)
	}
	if len(b) < 5 {
		return 0, fmt.Errorf("%w: WKB truncated", ErrGeometry)
	}
	var bo binary.ByteOrder
	switch b[0] {
	case 0:
		bo = binary.BigEndian
	case 1:
		bo = binary.LittleEndian
	default:
		return 0, fmt.Errorf("%w: WKB byte order %d", ErrGeometry, b[0])
	}
	t := bo.Uint32(b[1:5])
	stride := 2
	switch t / 1000 {
	case 0:
	case 1, 2:
		stride = 3
	case 3:
		stride = 4
	default:
		return 0, fmt.Errorf("%w: WKB geometry type %d (want ISO WKB)", ErrGeometry, t)
	}
	pos := 5
	count := func() (int, error) {
		if len(b)-pos < 4 {
			return 0, fmt.Errorf("%w: WKB truncated", ErrGeometry)
		}
		n := int(bo.Uint32(b[pos:]))
		pos += 4
		return n, nil
	}
	points := func() error {
		n, err := count()
		if err != nil {
			return err
		}
		if n > (len(b)-pos)/(8*stride) {
			return fmt.Errorf("%w: WKB counts %d positions, more than its bytes hold", ErrGeometry, n)
		}
		pos += n * 8 * stride
		return nil
	}
	switch t % 1000 {
	case wkbcommon.PointID:
		if len(b)-pos < 8*stride {
			return 0, fmt.Errorf("%w: WKB truncated", ErrGeometry)
		}
		pos += 8 * stride
	case wkbcommon.LineStringID:
		if err := points(); err != nil {
			return 0, err
		}
	case wkbcommon.PolygonID:
		n, err := count()
		if err != nil {
			return 0, err
		}
		if n > (len(b)-pos)/4 {
			return 0, fmt.Errorf("%w: WKB counts %d rings, more than its bytes hold", ErrGeometry, n)
		}
		for range n {
			if err := points(); err != nil {
				return 0, err
			}
		}
	case wkbcommon.MultiPointID, wkbcommon.MultiLineStringID, wkbcommon.MultiPolygonID, wkbcommon.GeometryCollectionID:
		if t%1000 == wkbcommon.GeometryCollectionID && depth > 0 {
			// go-geom's Bounds panics on one; GeoJSON advises against them.
			return 0, fmt.Errorf("%w: a geometry collection inside a collection", ErrUnsupported)
		}
		n, err := count()
		if err != nil {
			return 0, err
		}
		if n > (len(b)-pos)/5 {
			return 0, fmt.Errorf("%w: WKB counts %d parts, more than its bytes hold", ErrGeometry, n)
		}
		for range n {
			l, err := checkWKB(b[pos:], depth+1)
			if err != nil {
				return 0, err
			}
			pos += l
		}
	default:
		return 0, fmt.Errorf("%w geometry type %d (curves, surfaces and TINs are not supported)", ErrUnsupported, t)
	}
	return pos, nil
}

// decodeWKB decodes one ISO WKB geometry, bounded by checkWKB. An empty
// point (NaN coordinates) and any empty geometry give nil.
func decodeWKB(b []byte) (geom.T, error) {
	n, err := checkWKB(b, 0)
	if err != nil {
		return nil, err
	}
	g, err := wkb.Unmarshal(b[:n], wkbcommon.WKBOptionEmptyPointHandling(wkbcommon.EmptyPointHandlingNaN))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrGeometry, err)
	}
	if g.Empty() {
		return nil, nil
	}
	if !finiteGeom(g) {
		return nil, fmt.Errorf("%w: a coordinate is not a finite number", ErrGeometry)
	}
	return g, nil
}

// finiteGeom reports whether every coordinate of g is a finite number.
func finiteGeom(g geom.T) bool {
	if gc, ok := g.(*geom.GeometryCollection); ok {
		for _, p := range gc.Geoms() {
			if !finiteGeom(p) {
				return false
			}
		}
		return true
	}
	for _, c := range g.FlatCoords() {
		if math.IsNaN(c) || math.IsInf(c, 0) {
			return false
		}
	}
	return true
}

// GeoPackage binary geometry header (GeoPackage 1.3, clause 2.1.3): "GP",
// version 0, a flags byte, the srs_id, an optional envelope, then ISO WKB.
const (
	gpFlagLittle   = 0x01
	gpFlagEnvelope = 0x0e
	gpFlagEmpty    = 0x10
	gpFlagExtended = 0x20
)

// gpkgEnvelopeBytes is the envelope's size for each contents indicator.
var gpkgEnvelopeBytes = [...]int{0, 32, 48, 48, 64}

// decodeGeoPackageGeometry decodes a GeoPackage geometry blob; an empty
// one gives nil.
func decodeGeoPackageGeometry(b []byte) (geom.T, error) {
	if len(b) < 8 || b[0] != 'G' || b[1] != 'P' {
		return nil, fmt.Errorf("%w: not a GeoPackage geometry (no \"GP\" header)", ErrGeometry)
	}
	if b[2] != 0 {
		return nil, fmt.Errorf("%w: GeoPackage geometry version %d", ErrUnsupported, b[2])
	}
	flags := b[3]
	if flags&gpFlagExtended != 0 {
		return nil, fmt.Errorf("%w: extended GeoPackage geometry", ErrUnsupported)
	}
	ind := int(flags&gpFlagEnvelope) >> 1
	if ind >= len(gpkgEnvelopeBytes) {
		return nil, fmt.Errorf("%w: GeoPackage envelope indicator %d", ErrGeometry, ind)
	}
	start := 8 + gpkgEnvelopeBytes[ind]
	if len(b) < start {
		return nil, fmt.Errorf("%w: GeoPackage geometry truncated", ErrGeometry)
	}
	if flags&gpFlagEmpty != 0 && len(b) == start {
		return nil, nil
	}
	return decodeWKB(b[start:])
}
