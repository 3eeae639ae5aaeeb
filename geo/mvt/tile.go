// Package mvt encodes Mapbox Vector Tiles (MVT, specification 2.1) directly
// as protocol buffers: tile math for the Web Mercator tile matrix
// (WebMercatorQuad, EPSG:3857), projection of WGS84 lon/lat into tile
// units, clipping with a buffer, simplification by zoom, and grid
// clustering of dense point layers with the true count kept as a property.
//
// It is pure: no I/O, no context, no logging. Input coordinates are WGS84
// lon/lat (EPSG:4326); tile coordinates are integers in [0, extent) with the
// origin at the tile's top-left corner, y down.
package mvt

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// MaxZoom is the deepest zoom level served. Tile numbers at zoom z run from
// 0 to 2^z - 1.
const MaxZoom = 24

// DefaultExtent is the number of tile units along a tile's side.
const DefaultExtent = 4096

// DefaultBuffer is how far, in tile units, geometry is kept beyond a
// tile's edges so that lines and polygons join seamlessly.
const DefaultBuffer = 64

// maxLat is the latitude where Web Mercator's square world ends, degrees.
const maxLat = 85.0511287798066

// ErrRange is wrapped by the error of Check for a tile outside the tile
// matrix.
var ErrRange = fmt.Errorf("tile out of range")

// Check returns an error wrapping ErrRange, which says the valid range, if
// z/x/y is not a tile of WebMercatorQuad with z in 0..MaxZoom.
func Check(z, x, y int) error {
	if z < 0 || z > MaxZoom {
		return fmt.Errorf("%w: zoom %d is outside 0..%d", ErrRange, z, MaxZoom)
	}
	n := 1 << z
	if x < 0 || x >= n {
		return fmt.Errorf("%w: column x=%d at zoom %d is outside 0..%d", ErrRange, x, z, n-1)
	}
	if y < 0 || y >= n {
		return fmt.Errorf("%w: row y=%d at zoom %d is outside 0..%d", ErrRange, y, z, n-1)
	}
	return nil
}

// Tile returns the maptile of z/x/y; call Check first.
func Tile(z, x, y int) maptile.Tile {
	return maptile.New(uint32(x), uint32(y), maptile.Zoom(z))
}

// Projection maps WGS84 lon/lat to the tile units of one tile.
type Projection struct {
	scale  float64 // tile units across the world
	x0, y0 float64 // world position of the tile's top-left corner, tile units
	extent float64
}

// NewProjection returns the projection of tile t with extent units on a
// side (DefaultExtent when 0).
func NewProjection(t maptile.Tile, extent uint32) Projection {
	if extent == 0 {
		extent = DefaultExtent
	}
	e := float64(extent)
	return Projection{
		scale:  e * float64(uint64(1)<<t.Z),
		x0:     float64(t.X) * e,
		y0:     float64(t.Y) * e,
		extent: e,
	}
}

// Extent returns the tile's size in tile units.
func (p Projection) Extent() float64 { return p.extent }

// Point returns lon/lat in tile units (not rounded). Latitudes beyond
// Web Mercator's ±85.05113° are clamped.
func (p Projection) Point(lon, lat float64) (x, y float64) {
	if lat > maxLat {
		lat = maxLat
	} else if lat < -maxLat {
		lat = -maxLat
	}
	s := math.Sin(lat * (math.Pi / 180))
	x = (lon+180)/360*p.scale - p.x0
	y = (0.5-math.Log((1+s)/(1-s))/(4*math.Pi))*p.scale - p.y0
	return x, y
}

// LonLat is the inverse of Point.
func (p Projection) LonLat(x, y float64) (lon, lat float64) {
	lon = (x+p.x0)/p.scale*360 - 180
	n := math.Pi * (1 - 2*(y+p.y0)/p.scale)
	lat = math.Atan(math.Sinh(n)) * 180 / math.Pi
	return lon, lat
}

// Bound returns the lon/lat rectangle [minLon, minLat, maxLon, maxLat] of
// the tile grown by buffer tile units on every side: every geometry that
// reaches into the buffered tile has bounds that intersect it.
func (p Projection) Bound(buffer float64) [4]float64 {
	minLon, maxLat := p.LonLat(-buffer, -buffer)
	maxLon, minLat := p.LonLat(p.extent+buffer, p.extent+buffer)
	return [4]float64{max(minLon, -180), max(minLat, -90), min(maxLon, 180), min(maxLat, 90)}
}

// project returns g projected into tile units as a fresh geometry: g itself
// is never modified (it may be shared with an index).
func (p Projection) project(g orb.Geometry) orb.Geometry {
	switch g := g.(type) {
	case orb.Point:
		x, y := p.Point(g[0], g[1])
		return orb.Point{x, y}
	case orb.MultiPoint:
		out := make(orb.MultiPoint, len(g))
		for i, q := range g {
			x, y := p.Point(q[0], q[1])
			out[i] = orb.Point{x, y}
		}
		return out
	case orb.LineString:
		return orb.LineString(p.points(g))
	case orb.MultiLineString:
		out := make(orb.MultiLineString, len(g))
		for i, l := range g {
			out[i] = p.points(l)
		}
		return out
	case orb.Ring:
		return orb.Ring(p.points(g))
	case orb.Polygon:
		return p.polygon(g)
	case orb.MultiPolygon:
		out := make(orb.MultiPolygon, len(g))
		for i, pg := range g {
			out[i] = p.polygon(pg)
		}
		return out
	case orb.Bound:
		return p.polygon(g.ToPolygon())
	case orb.Collection:
		out := make(orb.Collection, len(g))
		for i, c := range g {
			out[i] = p.project(c)
		}
		return out
	}
	return nil
}

func (p Projection) points(ps []orb.Point) []orb.Point {
	out := make([]orb.Point, len(ps))
	for i, q := range ps {
		x, y := p.Point(q[0], q[1])
		out[i] = orb.Point{x, y}
	}
	return out
}

func (p Projection) polygon(pg orb.Polygon) orb.Polygon {
	out := make(orb.Polygon, len(pg))
	for i, r := range pg {
		out[i] = p.points(r)
	}
	return out
}
