package postgis

import (
	"fmt"
	"math"

	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkb"
	"github.com/twpayne/go-geom/encoding/wkbcommon"

	"github.com/cityatlas/cityatlas/store"
)

var emptyPointAsNaN = wkbcommon.WKBOptionEmptyPointHandling(wkbcommon.EmptyPointHandlingNaN)

// geometryType returns the GeoJSON type name of g.
func geometryType(g geom.T) string {
	switch g.(type) {
	case *geom.Point:
		return "Point"
	case *geom.LineString:
		return "LineString"
	case *geom.Polygon:
		return "Polygon"
	case *geom.MultiPoint:
		return "MultiPoint"
	case *geom.MultiLineString:
		return "MultiLineString"
	case *geom.MultiPolygon:
		return "MultiPolygon"
	case *geom.GeometryCollection:
		return "GeometryCollection"
	}
	return fmt.Sprintf("%T", g)
}

// encodeGeometry checks that collection c takes g and returns g as ISO WKB
// (little-endian, Z and M kept, SRID left out: it is always 4326). A nil
// geometry encodes as nil (SQL NULL). Errors wrap store.ErrInvalid.
func encodeGeometry(c *store.Collection, g geom.T) ([]byte, error) {
	if g == nil {
		return nil, nil
	}
	t := geometryType(g)
	if !store.GeometryAllowed(c.Geometry, t) {
		return nil, store.Invalidf("collection %q takes %s geometries, not %s", c.ID, c.Geometry, t)
	}
	if !finite(g) {
		return nil, store.Invalidf("%s geometry has a coordinate that is not a finite number", t)
	}
	b, err := wkb.Marshal(g, wkb.NDR, emptyPointAsNaN)
	if err != nil {
		return nil, store.Invalidf("%s geometry cannot be encoded: %v", t, err)
	}
	return b, nil
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
