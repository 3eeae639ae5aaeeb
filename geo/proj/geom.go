package proj

import (
	"fmt"

	"github.com/twpayne/go-geom"
)

// TransformGeom rewrites g's coordinates in place from the CRS to WGS84
// longitude/latitude in degrees, keeping Z and M untouched. Geometry
// collections are transformed member by member. It is all or nothing: when
// a coordinate fails (NaN, outside the projection's domain) it returns an
// error wrapping ErrDomain that gives the coordinate's index, and g is left
// unchanged. A nil geometry is an error; an empty one is left as it is.
func (c *CRS) TransformGeom(g geom.T) error {
	return transformFlat(g, "TransformGeom", c.ToWGS84)
}

// FromWGS84Geom rewrites g's coordinates in place from WGS84 longitude and
// latitude in degrees to the CRS's x, y (easting and northing in its unit,
// or its longitude and latitude), keeping Z and M untouched; the inverse of
// TransformGeom, with the same all-or-nothing rule and errors (a point
// outside the projection's domain wraps ErrDomain, g is left unchanged).
func (c *CRS) FromWGS84Geom(g geom.T) error {
	return transformFlat(g, "FromWGS84Geom", c.FromWGS84)
}

// transformFlat applies fn to every x, y of g, all or nothing; op names the
// caller in errors.
func transformFlat(g geom.T, op string, fn func(x, y float64) (float64, float64, error)) error {
	if g == nil {
		return fmt.Errorf("proj: %s: nil geometry", op)
	}
	var flats [][]float64
	var strides []int
	if err := collectFlat(g, &flats, &strides); err != nil {
		return err
	}
	out := make([][]float64, len(flats))
	for i, flat := range flats {
		stride := strides[i]
		next := make([]float64, 2*(len(flat)/max(stride, 1)))
		for j, k := 0, 0; j+1 < len(flat); j, k = j+stride, k+2 {
			x, y, err := fn(flat[j], flat[j+1])
			if err != nil {
				return fmt.Errorf("proj: %s: coordinate %d: %w", op, j/stride, err)
			}
			next[k], next[k+1] = x, y
		}
		out[i] = next
	}
	for i, flat := range flats {
		stride := strides[i]
		for j, k := 0, 0; j+1 < len(flat); j, k = j+stride, k+2 {
			flat[j], flat[j+1] = out[i][k], out[i][k+1]
		}
	}
	return nil
}

// collectFlat gathers the flat coordinate slices of g and its members.
func collectFlat(g geom.T, flats *[][]float64, strides *[]int) error {
	if gc, ok := g.(*geom.GeometryCollection); ok {
		for _, m := range gc.Geoms() {
			if m == nil {
				return fmt.Errorf("proj: TransformGeom: nil member in geometry collection")
			}
			if err := collectFlat(m, flats, strides); err != nil {
				return err
			}
		}
		return nil
	}
	stride := g.Stride()
	flat := g.FlatCoords()
	if len(flat) == 0 {
		return nil
	}
	if stride < 2 || len(flat)%stride != 0 {
		return fmt.Errorf("proj: TransformGeom: %T has %d coordinates for stride %d", g, len(flat), stride)
	}
	*flats = append(*flats, flat)
	*strides = append(*strides, stride)
	return nil
}
