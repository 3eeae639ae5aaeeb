package mvt

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/simplify"
)

// Value is a property value of a tile feature. The zero Value is the empty
// string.
type Value struct {
	kind uint8
	s    string
	n    uint64 // int64, float64 bits or bool, by kind
}

const (
	kindString uint8 = iota
	kindInt
	kindFloat
	kindBool
)

// String returns a string value.
func String(s string) Value { return Value{kind: kindString, s: s} }

// Int returns an integer value (encoded as sint64).
func Int(i int64) Value { return Value{kind: kindInt, n: uint64(i)} }

// Float returns a double value.
func Float(f float64) Value { return Value{kind: kindFloat, n: math.Float64bits(f)} }

// Bool returns a boolean value.
func Bool(b bool) Value {
	v := Value{kind: kindBool}
	if b {
		v.n = 1
	}
	return v
}

// Prop is one property of a tile feature.
type Prop struct {
	Key   string
	Value Value
}

// Options tune an Encoder.
type Options struct {
	// Extent is the tile's size in tile units (DefaultExtent when 0).
	Extent uint32
	// Buffer is how far geometry reaches beyond the tile's edges, tile
	// units (0 means none; DefaultBuffer is usual).
	Buffer uint32
	// Tolerance is the Douglas-Peucker simplification tolerance for lines
	// and polygons, tile units (0: no simplification beyond rounding to
	// whole units).
	Tolerance float64
}

// Encoder writes one tile at a time. It keeps its buffers between tiles, so
// reuse it (through a sync.Pool, say); it is not safe for concurrent use.
//
// Use: Reset, then for each layer StartLayer, Add* per feature, EndLayer;
// then Bytes. A layer with no feature is left out of the tile.
type Encoder struct {
	proj    Projection
	opts    Options
	box     orb.Bound // clip box, tile units
	tile    []byte
	layer   []byte // encoded features of the current layer
	name    string
	nfeat   int
	total   int
	keys    map[string]uint32
	keyList []string
	vals    map[Value]uint32
	valList []Value
	tags    []uint32
	geom    []uint32
	ring    [][2]int64
	cx, cy  int64 // the pen's position across a feature's commands
	recent  [][]recentValue
}

// NewEncoder returns an encoder; call Reset before the first tile.
func NewEncoder() *Encoder {
	return &Encoder{keys: map[string]uint32{}, vals: map[Value]uint32{}}
}

// Reset starts tile t, forgetting the previous one.
func (e *Encoder) Reset(t maptile.Tile, opts Options) {
	if opts.Extent == 0 {
		opts.Extent = DefaultExtent
	}
	e.opts = opts
	e.proj = NewProjection(t, opts.Extent)
	b := float64(opts.Buffer)
	e.box = orb.Bound{Min: orb.Point{-b, -b}, Max: orb.Point{float64(opts.Extent) + b, float64(opts.Extent) + b}}
	e.tile = e.tile[:0]
	e.total = 0
	e.name = ""
}

// Projection returns the projection of the current tile.
func (e *Encoder) Projection() Projection { return e.proj }

// Bound returns the lon/lat rectangle of the current tile and its buffer:
// the box to look features up with.
func (e *Encoder) Bound() [4]float64 { return e.proj.Bound(float64(e.opts.Buffer)) }

// StartLayer begins layer name.
func (e *Encoder) StartLayer(name string) {
	e.name = name
	e.layer = e.layer[:0]
	e.nfeat = 0
	clear(e.keys)
	clear(e.vals)
	e.keyList = e.keyList[:0]
	e.valList = e.valList[:0]
	for i := range e.recent {
		e.recent[i] = e.recent[i][:0]
	}
}

// Features returns the number of features in the current tile so far.
func (e *Encoder) Features() int { return e.total + e.nfeat }

// LayerFeatures returns the number of features in the current layer.
func (e *Encoder) LayerFeatures() int { return e.nfeat }

// AddLonLat adds a point feature at WGS84 lon/lat. It reports false, and
// adds nothing, if the point lies outside the tile and its buffer. id 0
// means the feature has no id.
func (e *Encoder) AddLonLat(id uint64, lon, lat float64, props []Prop) bool {
	x, y := e.proj.Point(lon, lat)
	return e.AddPoint(id, x, y, props)
}

// AddPoint adds a point feature at tile units x, y (rounded to whole
// units); false, and nothing added, outside the tile and its buffer.
func (e *Encoder) AddPoint(id uint64, x, y float64, props []Prop) bool {
	if x < e.box.Min[0] || x > e.box.Max[0] || y < e.box.Min[1] || y > e.box.Max[1] || x != x || y != y {
		return false
	}
	e.geom = append(e.geom[:0], command(1, 1), zigzag(int64(math.Round(x))), zigzag(int64(math.Round(y))))
	e.feature(id, 1, props)
	return true
}

// AddGeometry adds a feature with geometry g in WGS84 lon/lat: projected
// into a fresh copy (g is never modified), clipped to the tile and its
// buffer, simplified by the tolerance and rounded. It reports false, and
// adds nothing, when nothing of g is left. A GeometryCollection becomes one
// feature per member.
func (e *Encoder) AddGeometry(id uint64, g orb.Geometry, props []Prop) bool {
	if g == nil {
		return false
	}
	if p, ok := g.(orb.Point); ok {
		return e.AddLonLat(id, p[0], p[1], props)
	}
	if c, ok := g.(orb.Collection); ok {
		added := false
		for _, m := range c {
			if e.AddGeometry(id, m, props) {
				added = true
			}
		}
		return added
	}
	pg := e.proj.project(g)
	pg = clip.Geometry(e.box, pg)
	if pg == nil {
		return false
	}
	if e.opts.Tolerance > 0 {
		switch pg.(type) {
		case orb.LineString, orb.MultiLineString, orb.Polygon, orb.MultiPolygon, orb.Ring:
			pg = simplify.DouglasPeucker(e.opts.Tolerance).Simplify(pg)
		}
	}
	e.geom = e.geom[:0]
	e.cx, e.cy = 0, 0
	var typ uint32
	switch pg := pg.(type) {
	case orb.MultiPoint:
		typ = 1
		e.geom = append(e.geom, command(1, len(pg)))
		var cx, cy int64
		for _, p := range pg {
			x, y := int64(math.Round(p[0])), int64(math.Round(p[1]))
			e.geom = append(e.geom, zigzag(x-cx), zigzag(y-cy))
			cx, cy = x, y
		}
		if len(pg) == 0 {
			return false
		}
	case orb.LineString:
		typ = 2
		e.line(pg)
	case orb.MultiLineString:
		typ = 2
		for _, l := range pg {
			e.line(l)
		}
	case orb.Ring:
		typ = 3
		e.polygon(orb.Polygon{pg})
	case orb.Polygon:
		typ = 3
		e.polygon(pg)
	case orb.MultiPolygon:
		typ = 3
		for _, p := range pg {
			e.polygon(p)
		}
	default:
		return false
	}
	if len(e.geom) == 0 {
		return false
	}
	e.feature(id, typ, props)
	return true
}

// round fills e.ring with ps rounded to whole units, without consecutive
// duplicates.
func (e *Encoder) round(ps []orb.Point) [][2]int64 {
	r := e.ring[:0]
	for _, p := range ps {
		q := [2]int64{int64(math.Round(p[0])), int64(math.Round(p[1]))}
		if len(r) > 0 && r[len(r)-1] == q {
			continue
		}
		r = append(r, q)
	}
	e.ring = r
	return r
}

func (e *Encoder) line(l orb.LineString) {
	r := e.round(l)
	if len(r) < 2 {
		return
	}
	e.geom = append(e.geom, command(1, 1), zigzag(r[0][0]-e.cx), zigzag(r[0][1]-e.cy), command(2, len(r)-1))
	for i := 1; i < len(r); i++ {
		e.geom = append(e.geom, zigzag(r[i][0]-r[i-1][0]), zigzag(r[i][1]-r[i-1][1]))
	}
	e.cx, e.cy = r[len(r)-1][0], r[len(r)-1][1]
}

func (e *Encoder) polygon(p orb.Polygon) {
	for i, ring := range p {
		r := e.round(ring)
		if len(r) > 1 && r[0] == r[len(r)-1] {
			r = r[:len(r)-1]
		}
		if len(r) < 3 {
			if i == 0 {
				return // the exterior vanished: so do its holes
			}
			continue
		}
		a := area2(r)
		if a == 0 {
			if i == 0 {
				return
			}
			continue
		}
		// Exterior rings have positive area in tile coordinates (clockwise
		// on screen, y down), interior rings negative.
		if (i == 0) != (a > 0) {
			for j, k := 0, len(r)-1; j < k; j, k = j+1, k-1 {
				r[j], r[k] = r[k], r[j]
			}
		}
		e.geom = append(e.geom, command(1, 1), zigzag(r[0][0]-e.cx), zigzag(r[0][1]-e.cy), command(2, len(r)-1))
		for j := 1; j < len(r); j++ {
			e.geom = append(e.geom, zigzag(r[j][0]-r[j-1][0]), zigzag(r[j][1]-r[j-1][1]))
		}
		e.cx, e.cy = r[len(r)-1][0], r[len(r)-1][1]
		e.geom = append(e.geom, command(7, 1))
	}
}

// area2 is twice the signed area of ring r (surveyor's formula).
func area2(r [][2]int64) int64 {
	var s int64
	for i := range r {
		j := (i + 1) % len(r)
		s += r[i][0]*r[j][1] - r[j][0]*r[i][1]
	}
	return s
}

func command(id uint32, count int) uint32 { return id&7 | uint32(count)<<3 }

func zigzag(v int64) uint32 { return uint32((v << 1) ^ (v >> 63)) }

// key returns the index of key k in the layer's keys. Features of a layer
// usually repeat the same few keys: a short linear scan beats hashing.
func (e *Encoder) key(k string) uint32 {
	if len(e.keyList) <= 16 {
		for i, s := range e.keyList {
			if s == k {
				return uint32(i)
			}
		}
	}
	i, ok := e.keys[k]
	if !ok {
		i = uint32(len(e.keyList))
		e.keys[k] = i
		e.keyList = append(e.keyList, k)
	}
	return i
}

// value returns the index of v in the layer's values, through a small
// per-key cache of recent values (enumerations hit it every time).
func (e *Encoder) value(key uint32, v Value) uint32 {
	for int(key) >= len(e.recent) {
		e.recent = append(e.recent, nil)
	}
	rc := e.recent[key]
	for _, r := range rc {
		if r.v == v {
			return r.i
		}
	}
	i, ok := e.vals[v]
	if !ok {
		i = uint32(len(e.valList))
		e.vals[v] = i
		e.valList = append(e.valList, v)
	}
	if len(rc) < 8 {
		e.recent[key] = append(rc, recentValue{v, i})
	}
	return i
}

type recentValue struct {
	v Value
	i uint32
}

// feature appends a feature with e.geom to the current layer.
func (e *Encoder) feature(id uint64, typ uint32, props []Prop) {
	e.tags = e.tags[:0]
	for _, p := range props {
		k := e.key(p.Key)
		e.tags = append(e.tags, k, e.value(k, p.Value))
	}
	size := 0
	if id != 0 {
		size += 1 + varintLen(id)
	}
	tagsLen := packedLen(e.tags)
	if len(e.tags) > 0 {
		size += 1 + varintLen(uint64(tagsLen)) + tagsLen
	}
	size += 2 // type
	geomLen := packedLen(e.geom)
	size += 1 + varintLen(uint64(geomLen)) + geomLen

	b := e.layer
	b = append(b, 2<<3|2) // Layer.features
	b = appendVarint(b, uint64(size))
	if id != 0 {
		b = append(b, 1<<3|0)
		b = appendVarint(b, id)
	}
	if len(e.tags) > 0 {
		b = append(b, 2<<3|2)
		b = appendVarint(b, uint64(tagsLen))
		for _, t := range e.tags {
			b = appendVarint(b, uint64(t))
		}
	}
	b = append(b, 3<<3|0, byte(typ))
	b = append(b, 4<<3|2)
	b = appendVarint(b, uint64(geomLen))
	for _, g := range e.geom {
		b = appendVarint(b, uint64(g))
	}
	e.layer = b
	e.nfeat++
}

// EndLayer finishes the current layer and adds it to the tile, unless it
// has no feature.
func (e *Encoder) EndLayer() {
	if e.nfeat == 0 {
		return
	}
	// Header: version 2, name, extent; then features, keys, values.
	head := 2 + 1 + varintLen(uint64(len(e.name))) + len(e.name) + 1 + varintLen(uint64(e.opts.Extent))
	tail := 0
	for _, k := range e.keyList {
		tail += 1 + varintLen(uint64(len(k))) + len(k)
	}
	for _, v := range e.valList {
		n := valueLen(v)
		tail += 1 + varintLen(uint64(n)) + n
	}
	size := head + len(e.layer) + tail
	b := e.tile
	b = append(b, 3<<3|2) // Tile.layers
	b = appendVarint(b, uint64(size))
	b = append(b, 15<<3|0, 2)
	b = append(b, 1<<3|2)
	b = appendVarint(b, uint64(len(e.name)))
	b = append(b, e.name...)
	b = append(b, 5<<3|0)
	b = appendVarint(b, uint64(e.opts.Extent))
	b = append(b, e.layer...)
	for _, k := range e.keyList {
		b = append(b, 3<<3|2)
		b = appendVarint(b, uint64(len(k)))
		b = append(b, k...)
	}
	for _, v := range e.valList {
		b = append(b, 4<<3|2)
		b = appendVarint(b, uint64(valueLen(v)))
		b = appendValue(b, v)
	}
	e.tile = b
	e.total += e.nfeat
	e.nfeat = 0
	e.layer = e.layer[:0]
}

// Bytes returns the encoded tile (empty when no layer has a feature). The
// slice is the encoder's own: copy or write it before the next Reset.
func (e *Encoder) Bytes() []byte { return e.tile }

func valueLen(v Value) int {
	switch v.kind {
	case kindInt:
		return 1 + varintLen(zigzag64(int64(v.n)))
	case kindFloat:
		return 1 + 8
	case kindBool:
		return 2
	}
	return 1 + varintLen(uint64(len(v.s))) + len(v.s)
}

func appendValue(b []byte, v Value) []byte {
	switch v.kind {
	case kindInt:
		b = append(b, 6<<3|0) // sint_value
		return appendVarint(b, zigzag64(int64(v.n)))
	case kindFloat:
		b = append(b, 3<<3|1) // double_value
		x := v.n
		return append(b, byte(x), byte(x>>8), byte(x>>16), byte(x>>24), byte(x>>32), byte(x>>40), byte(x>>48), byte(x>>56))
	case kindBool:
		return append(b, 7<<3|0, byte(v.n))
	}
	b = append(b, 1<<3|2) // string_value
	b = appendVarint(b, uint64(len(v.s)))
	return append(b, v.s...)
}

func zigzag64(v int64) uint64 { return uint64((v << 1) ^ (v >> 63)) }

func appendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func varintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

func packedLen(vs []uint32) int {
	n := 0
	for _, v := range vs {
		n += varintLen(uint64(v))
	}
	return n
}
