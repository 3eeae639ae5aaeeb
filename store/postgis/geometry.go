package postgis

import (
	"encoding/binary"
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
	if p, ok := g.(*geom.Point); ok && !p.Empty() {
		if d, ok := geo.Dims(p.Layout()); ok && finiteCoords(p.FlatCoords()) {
			return pointWKB(p, d), nil // the common case, without the generic writer
		}
	}
	if err := geo.CheckStorable(g); err != nil {
		return nil, store.Invalidf("%s geometry: %v", t, err)
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

// finiteCoords reports whether every coordinate is a finite number.
func finiteCoords(flat []float64) bool {
	for _, x := range flat {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// decodeGeometry decodes ISO WKB from ST_AsBinary, setting SRID 4326. nil
// decodes as nil. It allocates only after geo.CheckWKB, and refuses what
// geo.CheckStorable does: such a row was written past the database's
// constraint (or before it), and the index skips it.
func decodeGeometry(b []byte) (geom.T, error) {
	if b == nil {
		return nil, nil
	}
	if err := geo.CheckWKB(b); err != nil {
		return nil, fmt.Errorf("decode geometry: %w", err)
	}
	g, err := wkb.Unmarshal(b, emptyPointAsNaN)
	if err == nil {
		err = geo.CheckStorable(g)
	}
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
