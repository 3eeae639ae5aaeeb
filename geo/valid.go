package geo

import (
	"encoding/binary"
	"errors"
	"fmt"

	sf "github.com/peterstace/simplefeatures/geom"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkb"
)

// ErrInvalid is wrapped by the error of a geometry that breaks the OGC
// simple-feature validity rules (a self-intersecting ring, a hole outside
// its shell, overlapping polygons of a MultiPolygon, a line of one distinct
// position...). Ring winding is not among them: see Rewind.
var ErrInvalid = errors.New("invalid geometry (OGC simple features)")

// ErrUnrepairable is wrapped by MakeValid's error when the repair would
// lose part of the geometry.
var ErrUnrepairable = errors.New("cannot be repaired without losing part of it")

// CheckValid checks g against the OGC simple-feature validity rules (with
// github.com/peterstace/simplefeatures), in the plane of its coordinates.
// Points and multipoints are always valid. The error wraps ErrInvalid and
// says what is wrong and where.
func CheckValid(g geom.T) error {
	if g == nil {
		return nil
	}
	switch g.(type) {
	case *geom.Point, *geom.MultiPoint:
		return nil
	}
	s, err := toSF(g)
	if err != nil {
		return err
	}
	if err := s.Validate(); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return nil
}

// MakeValid repairs an invalid polygonal geometry (Polygon, MultiPolygon)
// by taking the union of its parts (simplefeatures' UnaryUnion): the
// overlapping polygons of a MultiPolygon merge, repeated and touching holes
// and rings that double back are cleaned up. The result is valid, 2D (Z is
// dropped: a repaired outline has new vertices without heights) and wound
// by the RFC 7946 right-hand rule. A repair that would lose part of the
// geometry (a position of the input outside the result, as for a bow-tie
// ring, whose union keeps one of its two lobes) is refused with an error
// wrapping ErrUnrepairable, as is any other type of geometry.
func MakeValid(g geom.T) (geom.T, error) {
	switch g.(type) {
	case *geom.Polygon, *geom.MultiPolygon:
	default:
		return nil, fmt.Errorf("%w: only polygons are repaired, not a %s", ErrUnrepairable, TypeName(g))
	}
	s, err := toSF(g)
	if err != nil {
		return nil, err
	}
	u, err := sf.UnaryUnion(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnrepairable, err)
	}
	if u.IsEmpty() || u.Validate() != nil || (u.Type() != sf.TypePolygon && u.Type() != sf.TypeMultiPolygon) {
		return nil, fmt.Errorf("%w: the union of its rings is not a polygon", ErrUnrepairable)
	}
	// Every position of the input must be in the repaired polygon or on
	// its boundary, or the repair dropped part of it.
	seq := s.DumpCoordinates()
	for i := range seq.Length() {
		xy := seq.GetXY(i)
		if !sf.Intersects(xy.AsPoint().AsGeometry(), u) {
			return nil, fmt.Errorf("%w: position [%g, %g] would fall outside the repaired outline", ErrUnrepairable, xy.X, xy.Y)
		}
	}
	out, err := wkb.Unmarshal(u.AsBinary())
	if err != nil {
		return nil, fmt.Errorf("geo: make valid: %w", err)
	}
	Rewind(out)
	return out, nil
}

// toSF converts g to a simplefeatures geometry without validating it.
func toSF(g geom.T) (sf.Geometry, error) {
	b, err := wkb.Marshal(g, binary.LittleEndian)
	if err != nil {
		return sf.Geometry{}, fmt.Errorf("geo: %s: %w", TypeName(g), err)
	}
	s, err := sf.UnmarshalWKB(b, sf.NoValidate{})
	if err != nil {
		return sf.Geometry{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return s, nil
}

// Flatten returns g with nested geometry collections replaced by their
// members, in order (RFC 7946 3.1.8 asks producers to avoid nesting them);
// other geometries are returned as they are.
func Flatten(g geom.T) geom.T {
	gc, ok := g.(*geom.GeometryCollection)
	if !ok {
		return g
	}
	nested := false
	for _, m := range gc.Geoms() {
		if _, ok := m.(*geom.GeometryCollection); ok {
			nested = true
		}
	}
	if !nested {
		return g
	}
	out := geom.NewGeometryCollection()
	var walk func(g *geom.GeometryCollection)
	walk = func(g *geom.GeometryCollection) {
		for _, m := range g.Geoms() {
			if c, ok := m.(*geom.GeometryCollection); ok {
				walk(c)
				continue
			}
			// A collection without a layout (NewGeometryCollection's) takes
			// members of any layout: MustPush cannot fail here.
			out.MustPush(m)
		}
	}
	walk(gc)
	return out.SetSRID(gc.SRID())
}
