package geo

import (
	"math"

	"github.com/twpayne/go-geom"
)

// What cityatlas can hold. Every way in (GeoJSON, WKB from PostGIS,
// GeoPackage blobs) is held to these bounds before it allocates, every
// write is refused past them, and a stored geometry past them is
// quarantined: the index skips it.
const (
	// MaxPositions is the most positions one geometry may have, all its
	// parts together. A detailed city boundary has tens of thousands.
	MaxPositions = 1_000_000
	// MaxCollectionDepth is how deep geometry collections may nest: 1
	// means a GeometryCollection holds single and Multi geometries, never
	// another collection (RFC 7946 section 3.1.8 advises against nesting,
	// and the index, tiles and GeoPackage readers do not take it).
	MaxCollectionDepth = 1
)

// CheckStorable reports whether cityatlas can hold g: a layout of XY, XYZ,
// XYM or XYZM, no geometry collection inside another, at most
// MaxPositions positions, and every coordinate a finite number (an empty
// point has none). nil is storable (no geometry). Errors wrap ErrGeometry.
// Unlike Validate it does not check RFC 7946 rules (ring closure, the
// WGS84 range): a stored geometry that breaks those is still served.
func CheckStorable(g geom.T) error {
	if g == nil {
		return nil
	}
	n := 0
	return checkStorable(g, 0, &n)
}

func checkStorable(g geom.T, depth int, n *int) error {
	switch g := g.(type) {
	case *geom.Point, *geom.LineString, *geom.Polygon, *geom.MultiPoint, *geom.MultiLineString, *geom.MultiPolygon:
	case *geom.GeometryCollection:
		if depth >= MaxCollectionDepth {
			return geomErr("a GeometryCollection inside a GeometryCollection is not supported")
		}
		for i := range g.NumGeoms() {
			if err := checkStorable(g.Geom(i), depth+1, n); err != nil {
				return err
			}
		}
		return nil
	default:
		return geomErr("unsupported geometry type %T", g)
	}
	flat, stride := g.FlatCoords(), g.Stride()
	if len(flat) == 0 {
		return nil // empty: nothing to hold
	}
	if _, ok := Dims(g.Layout()); !ok {
		return geomErr("unsupported coordinate layout %v", g.Layout())
	}
	if stride < 2 || len(flat)%stride != 0 {
		return geomErr("malformed coordinates")
	}
	*n += len(flat) / stride
	if *n > MaxPositions {
		return geomErr("more than %d positions", MaxPositions)
	}
	for i, x := range flat {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return geomErr("coordinate %d is not a finite number", i/stride)
		}
	}
	return nil
}
