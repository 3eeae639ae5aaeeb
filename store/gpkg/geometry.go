package gpkg

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkb"
	"github.com/twpayne/go-geom/encoding/wkbcommon"

	"github.com/cityatlas/cityatlas/geo"
)

// GeoPackage binary geometry (GeoPackage 1.3, clause 2.1.3): a header
// "GP", version 0, a flags byte, the srs_id and an optional envelope, then
// ISO WKB.
const (
	gpMagic0  = 'G'
	gpMagic1  = 'P'
	gpVersion = 0

	flagLittleEndian = 0x01
	flagEnvelopeMask = 0x0e // bits 1-3: envelope contents indicator
	flagEmpty        = 0x10
	flagExtended     = 0x20

	srsWGS84 = 4326
)

// errGeometry marks a geometry blob that is not GeoPackage binary.
var errGeometry = errors.New("bad GeoPackage geometry")

// envelopeDoubles gives the number of float64 values in the envelope for
// each envelope contents indicator (0: none, 1: xy, 2: xyz, 3: xym, 4: xyzm).
var envelopeDoubles = [...]int{0, 4, 6, 6, 8}

var emptyPointNaN = wkbcommon.WKBOptionEmptyPointHandling(wkbcommon.EmptyPointHandlingNaN)

// encodeGeometry returns g as a GeoPackage binary geometry in EPSG:4326,
// little endian, with an envelope matching g's layout (none when g is empty).
func encodeGeometry(g geom.T) ([]byte, error) {
	empty := g.Empty()
	ind := 0
	if !empty {
		d, ok := geo.Dims(g.Layout())
		if !ok {
			return nil, fmt.Errorf("%w: unsupported layout %v", errGeometry, g.Layout())
		}
		ind = d + 1
	}
	flags := byte(flagLittleEndian | ind<<1)
	if empty {
		flags |= flagEmpty
	}
	var buf bytes.Buffer
	buf.Grow(8 + 8*envelopeDoubles[ind] + 9 + 8*numCoords(g))
	buf.Write([]byte{gpMagic0, gpMagic1, gpVersion, flags})
	var b [8]byte
	binary.LittleEndian.PutUint32(b[:4], srsWGS84)
	buf.Write(b[:4])
	if ind > 0 {
		bounds := g.Bounds()
		put := func(v float64) {
			binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
			buf.Write(b[:])
		}
		// Order per the spec: minx, maxx, miny, maxy[, minz, maxz][, minm, maxm].
		for i := 0; i < bounds.Layout().Stride(); i++ {
			put(bounds.Min(i))
			put(bounds.Max(i))
		}
	}
	if err := wkb.Write(&buf, wkb.NDR, g, emptyPointNaN); err != nil {
		return nil, fmt.Errorf("encode geometry: %w", err)
	}
	return buf.Bytes(), nil
}

// gpHeader is the parsed header of a GeoPackage binary geometry.
type gpHeader struct {
	empty    bool
	envelope []float64 // minx, maxx, miny, maxy, ... as stored; nil when absent
	wkb      []byte
}

// parseHeader splits a GeoPackage binary geometry into header fields and WKB.
func parseHeader(b []byte) (gpHeader, error) {
	var h gpHeader
	if len(b) < 8 || b[0] != gpMagic0 || b[1] != gpMagic1 {
		return h, fmt.Errorf("%w: no GP magic", errGeometry)
	}
	if b[2] != gpVersion {
		return h, fmt.Errorf("%w: version %d", errGeometry, b[2])
	}
	flags := b[3]
	if flags&flagExtended != 0 {
		return h, fmt.Errorf("%w: extended geometry types are not supported", errGeometry)
	}
	var order binary.ByteOrder = binary.BigEndian
	if flags&flagLittleEndian != 0 {
		order = binary.LittleEndian
	}
	ind := int(flags&flagEnvelopeMask) >> 1
	if ind >= len(envelopeDoubles) {
		return h, fmt.Errorf("%w: envelope indicator %d", errGeometry, ind)
	}
	n := envelopeDoubles[ind]
	end := 8 + 8*n
	if len(b) < end {
		return h, fmt.Errorf("%w: truncated envelope", errGeometry)
	}
	if n > 0 {
		h.envelope = make([]float64, n)
		for i := range n {
			h.envelope[i] = math.Float64frombits(order.Uint64(b[8+8*i:]))
		}
	}
	h.empty = flags&flagEmpty != 0
	h.wkb = b[end:]
	return h, nil
}

// decodeGeometry parses a GeoPackage binary geometry. Its WKB is walked
// by geo.CheckWKB before anything is allocated for it, and what decodes is
// held to geo.CheckStorable: a blob that another program wrote, or that
// is corrupt, gives an error, never a huge allocation.
func decodeGeometry(b []byte) (geom.T, error) {
	h, err := parseHeader(b)
	if err != nil {
		return nil, err
	}
	g, err := unmarshalWKB(h.wkb)
	if err != nil {
		return nil, err
	}
	if err := geo.CheckStorable(g); err != nil {
		return nil, fmt.Errorf("%w: %w", errGeometry, err)
	}
	return g, nil
}

// unmarshalWKB decodes ISO WKB after geo.CheckWKB.
func unmarshalWKB(b []byte) (geom.T, error) {
	if err := geo.CheckWKB(b); err != nil {
		return nil, fmt.Errorf("%w: %w", errGeometry, err)
	}
	g, err := wkb.Unmarshal(b, emptyPointNaN)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errGeometry, err)
	}
	return g, nil
}

// envelope2D returns the 2D bounds [minx, maxx, miny, maxy] of a GeoPackage
// binary geometry, reading the header envelope when there is one and the
// WKB otherwise. ok is false for an empty geometry.
func envelope2D(b []byte) (env [4]float64, ok bool, err error) {
	h, err := parseHeader(b)
	if err != nil {
		return env, false, err
	}
	if h.empty {
		return env, false, nil
	}
	if h.envelope != nil {
		copy(env[:], h.envelope[:4])
		return env, true, nil
	}
	g, err := unmarshalWKB(h.wkb)
	if err != nil {
		return env, false, err
	}
	bd, ok := geo.Bounds(g)
	if !ok {
		return env, false, nil
	}
	return [4]float64{bd[0], bd[2], bd[1], bd[3]}, true, nil
}

// numCoords returns the number of float64 values in g, collections included.
func numCoords(g geom.T) int {
	if gc, ok := g.(*geom.GeometryCollection); ok {
		n := 0
		for _, m := range gc.Geoms() {
			n += numCoords(m)
		}
		return n
	}
	return len(g.FlatCoords())
}
