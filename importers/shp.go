package importers

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/twpayne/go-geom"
)

// Shape types of the ESRI shapefile specification (July 1998).
const (
	shapeNull        = 0
	shapePoint       = 1
	shapePolyLine    = 3
	shapePolygon     = 5
	shapeMultiPoint  = 8
	shapePointZ      = 11
	shapePolyLineZ   = 13
	shapePolygonZ    = 15
	shapeMultiPointZ = 18
	shapePointM      = 21
	shapePolyLineM   = 23
	shapePolygonM    = 25
	shapeMultiPointM = 28
	shapeMultiPatch  = 31
)

const shpHeaderLen = 100

// noDataM reports whether m is the shapefile "no data" value (any number
// below -10^38).
func noDataM(m float64) bool { return m < -1e38 || math.IsNaN(m) }

// shapeFamily is the base shape type (Point, PolyLine, Polygon, MultiPoint)
// of t, 0 for null, -1 for unknown types.
func shapeFamily(t uint32) int {
	switch t {
	case shapeNull:
		return 0
	case shapePoint, shapePointZ, shapePointM:
		return shapePoint
	case shapePolyLine, shapePolyLineZ, shapePolyLineM:
		return shapePolyLine
	case shapePolygon, shapePolygonZ, shapePolygonM:
		return shapePolygon
	case shapeMultiPoint, shapeMultiPointZ, shapeMultiPointM:
		return shapeMultiPoint
	case shapeMultiPatch:
		return shapeMultiPatch
	}
	return -1
}

func hasZ(t uint32) bool {
	return t == shapePointZ || t == shapePolyLineZ || t == shapePolygonZ || t == shapeMultiPointZ
}
func hasM(t uint32) bool {
	return t == shapePointM || t == shapePolyLineM || t == shapePolygonM || t == shapeMultiPointM
}

// shapeTypeName names a shapefile's header shape type as a GeoJSON family.
func shapeTypeName(t uint32) string {
	switch shapeFamily(t) {
	case shapePoint:
		return "Point"
	case shapeMultiPoint:
		return "MultiPoint"
	case shapePolyLine:
		return "MultiLineString"
	case shapePolygon:
		return "MultiPolygon"
	}
	return ""
}

var errMultiPatch = fmt.Errorf("%w shape type MultiPatch (3D surfaces of triangle strips and fans): convert it first, for example with ogr2ogr -nlt MULTIPOLYGONZ", ErrUnsupported)

// shpHeader checks a .shp header and returns its shape type.
func shpHeader(h []byte) (uint32, error) {
	if len(h) < shpHeaderLen {
		return 0, fmt.Errorf("%w: .shp header is %d bytes, want 100", ErrFormat, len(h))
	}
	if code := binary.BigEndian.Uint32(h[0:4]); code != 9994 {
		return 0, fmt.Errorf("%w: not a shapefile (file code %d, want 9994)", ErrFormat, code)
	}
	t := binary.LittleEndian.Uint32(h[32:36])
	switch shapeFamily(t) {
	case -1:
		return 0, fmt.Errorf("%w shape type %d", ErrUnsupported, t)
	case shapeMultiPatch:
		return 0, errMultiPatch
	}
	return t, nil
}

// parseShape decodes the content of one .shp record (after the 8-byte
// record header). A null shape gives a nil geometry. Errors wrap ErrGeometry,
// ErrUnsupported or ErrFormat.
func parseShape(c []byte) (geom.T, error) {
	if len(c) < 4 {
		return nil, fmt.Errorf("%w: record content is %d bytes", ErrFormat, len(c))
	}
	t := binary.LittleEndian.Uint32(c)
	le := func(off int) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(c[off:])) }
	switch shapeFamily(t) {
	case 0:
		return nil, nil
	case shapeMultiPatch:
		return nil, errMultiPatch
	case -1:
		return nil, fmt.Errorf("%w shape type %d", ErrUnsupported, t)
	case shapePoint:
		switch {
		case hasZ(t) && len(c) >= 36:
			if m := le(28); !noDataM(m) {
				return geom.NewPointFlat(geom.XYZM, []float64{le(4), le(12), le(20), m}), nil
			}
			return geom.NewPointFlat(geom.XYZ, []float64{le(4), le(12), le(20)}), nil
		case hasZ(t) && len(c) >= 28:
			return geom.NewPointFlat(geom.XYZ, []float64{le(4), le(12), le(20)}), nil
		case hasM(t) && len(c) >= 28 && !noDataM(le(20)):
			return geom.NewPointFlat(geom.XYM, []float64{le(4), le(12), le(20)}), nil
		case len(c) >= 20 && !hasZ(t):
			return geom.NewPointFlat(geom.XY, []float64{le(4), le(12)}), nil
		}
		return nil, fmt.Errorf("%w: point record of %d bytes is too short", ErrFormat, len(c))
	}

	// MultiPoint, PolyLine, Polygon: box, [numParts], numPoints, [parts], points.
	fam := shapeFamily(t)
	off := 36
	numParts := 1
	if len(c) < 40 {
		return nil, fmt.Errorf("%w: record of %d bytes is too short", ErrFormat, len(c))
	}
	if fam != shapeMultiPoint {
		if len(c) < 44 {
			return nil, fmt.Errorf("%w: record of %d bytes is too short", ErrFormat, len(c))
		}
		numParts = int(binary.LittleEndian.Uint32(c[36:]))
		off = 40
	}
	numPoints := int(binary.LittleEndian.Uint32(c[off:]))
	off += 4
	// Bound the counts by the bytes there are before allocating anything.
	if uint64(numPoints)*16 > uint64(len(c)) || uint64(numParts)*4 > uint64(len(c)) {
		return nil, fmt.Errorf("%w: record claims %d parts and %d points in %d bytes", ErrFormat, numParts, numPoints, len(c))
	}
	var parts []int
	if fam != shapeMultiPoint {
		if numParts == 0 {
			return nil, fmt.Errorf("%w: a %s record has no parts", ErrGeometry, shapeTypeName(t))
		}
		if off+4*numParts > len(c) {
			return nil, fmt.Errorf("%w: record of %d bytes is too short for %d parts", ErrFormat, len(c), numParts)
		}
		parts = make([]int, numParts)
		for i := range parts {
			parts[i] = int(binary.LittleEndian.Uint32(c[off+4*i:]))
			switch {
			case i == 0 && parts[i] != 0:
				return nil, fmt.Errorf("%w: first part starts at point %d, not 0", ErrFormat, parts[i])
			case i > 0 && (parts[i] < parts[i-1] || parts[i] > numPoints):
				return nil, fmt.Errorf("%w: part %d starts at point %d, out of order or past the %d points", ErrFormat, i+1, parts[i], numPoints)
			}
		}
		off += 4 * numParts
	}
	xyEnd := off + 16*numPoints
	if xyEnd > len(c) {
		return nil, fmt.Errorf("%w: record of %d bytes is too short for %d points", ErrFormat, len(c), numPoints)
	}
	// Optional Z block (Z types) then optional M block (Z and M types),
	// each a [min, max] range then one value per point.
	blockLen := 16 + 8*numPoints
	zOff, mOff := -1, -1
	next := xyEnd
	if hasZ(t) {
		if next+blockLen > len(c) {
			return nil, fmt.Errorf("%w: record of %d bytes is too short for the Z values of %d points", ErrFormat, len(c), numPoints)
		}
		zOff = next + 16
		next += blockLen
	}
	if (hasZ(t) || hasM(t)) && next+blockLen <= len(c) {
		mOff = next + 16
		if numPoints > 0 {
			allNoData := true
			for i := 0; i < numPoints; i++ {
				if !noDataM(le(mOff + 8*i)) {
					allNoData = false
					break
				}
			}
			if allNoData {
				mOff = -1
			}
		}
	}
	layout := geom.XY
	switch {
	case zOff >= 0 && mOff >= 0:
		layout = geom.XYZM
	case zOff >= 0:
		layout = geom.XYZ
	case mOff >= 0:
		layout = geom.XYM
	}
	stride := layout.Stride()
	flat := make([]float64, stride*numPoints)
	for i := 0; i < numPoints; i++ {
		p := flat[i*stride:]
		p[0] = le(off + 16*i)
		p[1] = le(off + 16*i + 8)
		k := 2
		if zOff >= 0 {
			p[k] = le(zOff + 8*i)
			k++
		}
		if mOff >= 0 {
			m := le(mOff + 8*i)
			if noDataM(m) {
				m = math.NaN()
			}
			p[k] = m
		}
	}

	switch fam {
	case shapeMultiPoint:
		if numPoints == 0 {
			return nil, nil
		}
		return geom.NewMultiPointFlat(layout, flat), nil
	case shapePolyLine:
		ends := partEnds(parts, numPoints, stride)
		for i, e := range ends {
			start := 0
			if i > 0 {
				start = ends[i-1]
			}
			if n := (e - start) / stride; n < 2 {
				return nil, fmt.Errorf("%w: line part %d has %d point(s), a line needs at least 2", ErrGeometry, i+1, n)
			}
		}
		if len(ends) == 1 {
			return geom.NewLineStringFlat(layout, flat), nil
		}
		return geom.NewMultiLineStringFlat(layout, flat, ends), nil
	default:
		return assembleRings(layout, flat, partEnds(parts, numPoints, stride))
	}
}

// partEnds converts part start indexes into go-geom end offsets.
func partEnds(parts []int, numPoints, stride int) []int {
	ends := make([]int, len(parts))
	for i := range parts {
		if i+1 < len(parts) {
			ends[i] = parts[i+1] * stride
		} else {
			ends[i] = numPoints * stride
		}
	}
	return ends
}

// ringArea2 is twice the signed area of a ring (positive when
// counter-clockwise with y up).
func ringArea2(flat []float64, stride int) float64 {
	var a float64
	n := len(flat) / stride
	for i := 0; i+1 < n; i++ {
		x0, y0 := flat[i*stride], flat[i*stride+1]
		x1, y1 := flat[(i+1)*stride], flat[(i+1)*stride+1]
		a += x0*y1 - x1*y0
	}
	return a
}

// pointInRing tells whether (x, y) is inside (1), on the boundary (0) or
// outside (-1) of a closed ring.
func pointInRing(flat []float64, stride int, x, y float64) int {
	n := len(flat) / stride
	inside := false
	for i, j := 0, n-1; i < n; j, i = i, i+1 {
		xi, yi := flat[i*stride], flat[i*stride+1]
		xj, yj := flat[j*stride], flat[j*stride+1]
		// On the segment?
		if (x-xi)*(yj-yi) == (y-yi)*(xj-xi) &&
			math.Min(xi, xj) <= x && x <= math.Max(xi, xj) &&
			math.Min(yi, yj) <= y && y <= math.Max(yi, yj) {
			return 0
		}
		if (yi > y) != (yj > y) && x < (xj-xi)*(y-yi)/(yj-yi)+xi {
			inside = !inside
		}
	}
	if inside {
		return 1
	}
	return -1
}

type ring struct {
	flat                   []float64
	area                   float64 // twice the signed area
	minX, minY, maxX, maxY float64
}

func (r ring) boxContains(o ring) bool {
	return r.minX <= o.minX && r.minY <= o.minY && o.maxX <= r.maxX && o.maxY <= r.maxY
}

// contains tells whether ring o lies inside r, testing o's vertices until
// one is clearly inside or outside.
func (r ring) contains(o ring, stride int) bool {
	if !r.boxContains(o) {
		return false
	}
	for i := 0; i+stride <= len(o.flat); i += stride {
		switch pointInRing(r.flat, stride, o.flat[i], o.flat[i+1]) {
		case 1:
			return true
		case -1:
			return false
		}
	}
	return true // every vertex on r's boundary
}

// assembleRings groups shapefile polygon rings into polygons: clockwise
// rings are outer rings, counter-clockwise rings are holes, each hole goes
// to the smallest outer ring that contains it (rings need not be in order).
// A hole inside no outer ring becomes a polygon of its own. Ring
// orientation is kept as in the file. One polygon gives a Polygon, more a
// MultiPolygon.
func assembleRings(layout geom.Layout, flat []float64, ends []int) (geom.T, error) {
	stride := layout.Stride()
	rings := make([]ring, len(ends))
	start := 0
	for i, e := range ends {
		f := flat[start:e]
		start = e
		n := len(f) / stride
		if n < 4 {
			return nil, fmt.Errorf("%w: ring %d has %d point(s), a ring needs at least 4", ErrGeometry, i+1, n)
		}
		for k := 0; k < 2; k++ {
			if f[k] != f[len(f)-stride+k] {
				return nil, fmt.Errorf("%w: ring %d is not closed (first point (%g %g), last (%g %g))", ErrGeometry, i+1, f[0], f[1], f[len(f)-stride], f[len(f)-stride+1])
			}
		}
		r := ring{flat: f, area: ringArea2(f, stride), minX: math.Inf(1), minY: math.Inf(1), maxX: math.Inf(-1), maxY: math.Inf(-1)}
		for k := 0; k < len(f); k += stride {
			r.minX, r.maxX = math.Min(r.minX, f[k]), math.Max(r.maxX, f[k])
			r.minY, r.maxY = math.Min(r.minY, f[k+1]), math.Max(r.maxY, f[k+1])
		}
		rings[i] = r
	}
	var outers []int
	isOuter := make([]bool, len(rings))
	for i, r := range rings {
		if r.area <= 0 { // clockwise (or degenerate): an outer ring
			outers = append(outers, i)
			isOuter[i] = true
		}
	}
	owner := make([]int, len(rings)) // outer ring index for each hole
	for i, r := range rings {
		owner[i] = i
		if isOuter[i] {
			continue
		}
		best := -1
		for _, o := range outers {
			if rings[o].contains(r, stride) && (best < 0 || math.Abs(rings[o].area) < math.Abs(rings[best].area)) {
				best = o
			}
		}
		if best < 0 { // an orphan hole: a polygon of its own
			outers = append(outers, i)
			isOuter[i] = true
			continue
		}
		owner[i] = best
	}
	// Order polygons as their outer rings appear in the file.
	polys := make([][]int, 0, len(outers))
	index := map[int]int{}
	for i := range rings {
		if isOuter[i] {
			index[i] = len(polys)
			polys = append(polys, []int{i})
		}
	}
	for i := range rings {
		if !isOuter[i] {
			p := index[owner[i]]
			polys[p] = append(polys[p], i)
		}
	}
	out := make([]float64, 0, len(flat))
	endss := make([][]int, len(polys))
	for p, members := range polys {
		for _, i := range members {
			out = append(out, rings[i].flat...)
			endss[p] = append(endss[p], len(out))
		}
	}
	if len(polys) == 1 {
		return geom.NewPolygonFlat(layout, out, endss[0]), nil
	}
	if len(polys) == 0 {
		return nil, errors.New("no rings")
	}
	return geom.NewMultiPolygonFlat(layout, out, endss), nil
}
