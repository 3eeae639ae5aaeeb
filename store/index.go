package store

import (
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/paulmach/orb"
	"github.com/tidwall/btree"
	"github.com/tidwall/gjson"
	"github.com/tidwall/rtree"
	"github.com/twpayne/go-geom"

	"github.com/cityatlas/cityatlas/geo"
)

// The index keeps a million features in a few hundred megabytes and out of
// the garbage collector's way: items, their property slots and external ids
// live in append-only chunked arenas of pointer-free values, and the R-tree
// and B-tree hold 32-bit references into them. The collector then has
// almost nothing to scan, however large the layer.

// ref is the position of an item in its layer's item arena.
type ref = uint32

// item is the in-memory form of a feature: immutable once indexed, shared
// by every snapshot that holds it. It holds no pointers.
type item struct {
	id      int64
	version int64
	updated int64 // unix microseconds
	// x, y is a 2D point's position; other geometries keep their bounds
	// in their shape (layer.bound gives either). 56 bytes an item, not 80
	// with the bounds of every point.
	x, y float64
	// props is where the item's row starts in the props arena: for each
	// field of the schema in order, the index in vals of its value (0: not
	// set) in slotBytes bytes; noProps when the feature has no properties.
	props uint32
	// ext, extLen locate the external id in the ext arena.
	ext uint32
	// shape indexes layer.shapes for a geometry other than a 2D point; -1
	// for a 2D point or no geometry.
	shape  int32
	extLen uint16 // at most MaxExternalID
	flags  uint8
}

const (
	hasGeom uint8 = 1 << iota // the feature has a non-empty geometry
)

const noProps = ^uint32(0)

// MaxExternalID is the longest external id, in bytes, a feature may have.
const MaxExternalID = 1024

// shape is what an item keeps of a geometry other than a 2D point.
type shape struct {
	geometry geom.T       // as stored, with Z
	orb      orb.Geometry // 2D, for exact tests; nil for a 3D point
	bound    [4]float64   // [minLon, minLat, maxLon, maxLat] when the item hasGeom
}

// arena is an append-only array in fixed-size chunks. Elements never move,
// so a reader may hold an arena value (a snapshot of the chunk list) while
// the writer appends: it only reads elements that existed when it got it.
type arena[T any] struct {
	chunks [][]T
	n      uint32 // next free position
}

const (
	chunkBits = 12
	chunkSize = 1 << chunkBits
)

func (a *arena[T]) at(i uint32) *T { return &a.chunks[i>>chunkBits][i&(chunkSize-1)] }

// alloc reserves k consecutive elements (k <= chunkSize) and returns the
// first position; the rest of a chunk too small for them is skipped.
func (a *arena[T]) alloc(k uint32) uint32 {
	chunk, off := a.n>>chunkBits, a.n&(chunkSize-1)
	switch {
	case int(chunk) >= len(a.chunks):
		a.chunks = append(a.chunks, make([]T, chunkSize))
	case off+k > chunkSize:
		a.n = (chunk + 1) << chunkBits
		a.chunks = append(a.chunks, make([]T, chunkSize))
	}
	i := a.n
	a.n += k
	return i
}

// tail returns the elements from position i to the end of its chunk.
func (a *arena[T]) tail(i uint32) []T {
	return a.chunks[i>>chunkBits][i&(chunkSize-1):]
}

// slice returns the k elements from position i (all in one chunk).
func (a *arena[T]) slice(i, k uint32) []T {
	c := a.chunks[i>>chunkBits]
	o := i & (chunkSize - 1)
	return c[o : o+k : o+k]
}

// entry is the B-tree's element: a feature id, in two 32-bit halves so
// that an entry takes 12 bytes instead of 16, and its item.
type entry struct {
	hi  int32
	lo  uint32
	ref ref
}

func idEntry(id int64, r ref) entry { return entry{hi: int32(id >> 32), lo: uint32(id), ref: r} }

func byID(a, b entry) bool { return a.hi < b.hi || a.hi == b.hi && a.lo < b.lo }

// layer is the index of one collection. A published layer is never
// modified: the writer mutates its own master copy and publishes O(1)
// copy-on-write snapshots of it.
type layer struct {
	coll Collection
	// keys are the schema's field names as JSON object members with a
	// leading comma (`,"name":`).
	keys []string
	// vals is the dictionary of property members: each the field's key
	// and the value's JSON text (`,"condition":"good"`), so that writing a
	// feature's properties is one copy per property (vals.go).
	vals valTable
	// intern maps a value to its index in vals; only the master (writer)
	// layer has it, and it is dropped after loading (rebuildIntern).
	intern map[string]uint32
	items  arena[item]
	// props holds the items' rows of value indexes, slotBytes each (a row
	// of the demo's 16 stop-sign properties is 48 bytes, against 64 as
	// uint32s).
	props arena[byte]
	ext   arena[byte]
	// scratch and member are the writer's row of value indexes and
	// member text (encode).
	scratch []uint32
	member  []byte
	shapes  []*shape // append-only like vals
	tree    *boxTree
	ids     *btree.BTreeG[entry]
	// seq is the change-log sequence number of the last write to this
	// collection seen by this index; with the count it makes the
	// collection's ETag.
	seq int64
	// gen changes on every published change, even one the change log
	// doesn't number (a collection dropped and made again).
	gen int64
	// times computes the temporal extent of a published layer once, on
	// first use (it scans every feature); nil on the master.
	times func() timeSpan
	// bounds is the extent of a published layer, computed on first use;
	// nil on the master.
	bounds func() ([4]float64, bool)
	// modified is when this index last published a change to the layer
	// (zero for a layer unchanged since it was loaded).
	modified time.Time
	// grid counts points in areas fast (countgrid.go); nil on the master.
	grid *gridSlot
	// span, on a master read from a snapshot, is the time span the
	// snapshot saved, for its first publication (then it is computed again
	// when needed).
	span *timeSpan
}

type timeSpan struct {
	span [2]time.Time
	ok   bool
	// updated is the latest Updated time of the layer's features.
	updated time.Time
}

func newLayer(c Collection) *layer {
	l := &layer{
		coll:   c,
		tree:   &boxTree{},
		ids:    newIDs(),
		vals:   newValTable(),
		intern: map[string]uint32{},
	}
	for _, f := range c.Fields {
		l.keys = append(l.keys, ","+strconv.Quote(f.Name)+":")
	}
	return l
}

// snapshot returns an immutable copy of l for readers.
func (l *layer) snapshot() *layer {
	snap := &layer{
		coll: l.coll, keys: l.keys, vals: l.vals, items: l.items, props: l.props, ext: l.ext, shapes: l.shapes,
		tree: l.tree.Copy(), ids: l.ids.Copy(), seq: l.seq, gen: l.gen, modified: l.modified,
	}
	snap.times = sync.OnceValue(snap.timeSpan)
	snap.bounds = sync.OnceValues(snap.exactExtent)
	if ts := l.span; ts != nil {
		snap.times = func() timeSpan { return *ts }
		l.span = nil
	}
	snap.grid = &gridSlot{}
	return snap
}

// timeSpan scans the layer for the earliest and latest time.
func (l *layer) timeSpan() timeSpan {
	var ts timeSpan
	type parsedTime struct {
		t  time.Time
		ok bool
	}
	parsed := map[uint32]parsedTime{}
	field := -1
	if l.coll.TimeField != "" {
		field = l.fieldIndex(l.coll.TimeField)
	}
	l.ids.Scan(func(e entry) bool {
		it := l.item(e.ref)
		if u := time.UnixMicro(it.updated).UTC(); u.After(ts.updated) {
			ts.updated = u
		}
		var t time.Time
		if field < 0 {
			t = time.UnixMicro(it.updated).UTC()
		} else {
			// Values are interned: each is parsed once.
			id := l.valueID(it, field)
			p, ok := parsed[id]
			if !ok {
				p.t, p.ok = parseTimeValue(l.value(it, field))
				parsed[id] = p
			}
			if !p.ok {
				return true
			}
			t = p.t
		}
		if !ts.ok || t.Before(ts.span[0]) {
			ts.span[0] = t
		}
		if !ts.ok || t.After(ts.span[1]) {
			ts.span[1] = t
		}
		ts.ok = true
		return true
	})
	return ts
}

// parseTimeValue parses the JSON text of a date or datetime value.
func parseTimeValue(raw string) (time.Time, bool) {
	if len(raw) < 2 {
		return time.Time{}, false
	}
	v := raw[1 : len(raw)-1]
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		if t, err = time.Parse(time.DateOnly, v); err != nil {
			return time.Time{}, false
		}
	}
	return t, true
}

// item returns the item at r.
func (l *layer) item(r ref) *item { return l.items.at(r) }

// newItem stores f in the layer's arenas (the writer only) and returns its
// reference.
func (l *layer) newItem(f *Feature) (ref, error) {
	if err := geo.CheckStorable(f.Geometry); err != nil {
		return 0, fmt.Errorf("%w: feature %d: %w", ErrBadData, f.ID, err)
	}
	if n := len(f.Properties); n > MaxPropertiesBytes {
		return 0, fmt.Errorf("%w: properties of feature %d are %d bytes long; at most %d", ErrBadData, f.ID, n, MaxPropertiesBytes)
	}
	if n := len(f.ExternalID); n > MaxExternalID {
		return 0, fmt.Errorf("%w: external id of feature %d is %d bytes long; at most %d", ErrBadData, f.ID, n, MaxExternalID)
	}
	props, err := l.encode(f.Properties)
	if err != nil {
		return 0, fmt.Errorf("%w: feature %d: %w", ErrBadData, f.ID, err)
	}
	it := item{id: f.ID, version: f.Version, updated: f.Updated.UnixMicro(), props: props, shape: -1}
	if n := uint32(len(f.ExternalID)); n > 0 {
		it.ext, it.extLen = l.ext.alloc(n), uint16(n)
		copy(l.ext.slice(it.ext, n), f.ExternalID)
	}
	b, ok := geo.Bounds(f.Geometry)
	switch {
	case !ok:
		if f.Geometry != nil {
			it.shape = l.addShape(&shape{geometry: f.Geometry})
		}
	default:
		it.x, it.y, it.flags = b[0], b[1], hasGeom
		if p, isPoint := f.Geometry.(*geom.Point); isPoint {
			if p.Layout() != geom.XY {
				it.shape = l.addShape(&shape{geometry: f.Geometry, bound: b})
			}
			break
		}
		o, err := geo.ToOrb(f.Geometry)
		if err != nil {
			return 0, err
		}
		it.shape = l.addShape(&shape{geometry: f.Geometry, orb: o, bound: b})
	}
	r := l.items.alloc(1)
	*l.items.at(r) = it
	return r, nil
}

func (l *layer) addShape(s *shape) int32 {
	l.shapes = append(l.shapes, s)
	return int32(len(l.shapes) - 1)
}

func (it *item) hasGeom() bool { return it.flags&hasGeom != 0 }

// exact returns the 2D orb geometry for exact tests, nil for a point
// (whose bound is exact).
func (l *layer) exact(it *item) orb.Geometry {
	if it.shape < 0 {
		return nil
	}
	return l.shapes[it.shape].orb
}

// geometry returns the feature's geometry as stored.
func (l *layer) geometry(it *item) geom.T {
	if it.shape >= 0 {
		return l.shapes[it.shape].geometry
	}
	if !it.hasGeom() {
		return nil
	}
	return geom.NewPointFlat(geom.XY, []float64{it.x, it.y}).SetSRID(4326)
}

func (l *layer) extID(it *item) string {
	if it.extLen == 0 {
		return ""
	}
	return string(l.ext.slice(it.ext, uint32(it.extLen)))
}

// row returns the item's row of value indexes (nil when it has none).
func (l *layer) row(it *item) []byte {
	if it.props == noProps {
		return nil
	}
	return l.props.slice(it.props, uint32(slotBytes*len(l.keys)))
}

// slotBytes is the size of a value index in a row: a layer holds at most
// maxVals distinct values.
const (
	slotBytes = 3
	maxVals   = 1<<(8*slotBytes) - 1
)

// slot returns the value index at row[k:].
func slot(row []byte, k int) uint32 {
	b := row[k : k+slotBytes : k+slotBytes]
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16
}

// feature returns the item as a Feature. Created is not kept in memory and
// is zero.
func (l *layer) feature(it *item) Feature {
	return Feature{
		ID: it.id, Collection: l.coll.ID, ExternalID: l.extID(it), Geometry: l.geometry(it),
		Properties: l.decode(l.row(it)), Version: it.version, Updated: time.UnixMicro(it.updated).UTC(),
	}
}

// valueID returns the index in vals of field i's value, 0 when unset.
func (l *layer) valueID(it *item, i int) uint32 {
	if it.props == noProps || i < 0 || i >= len(l.keys) {
		return 0
	}
	return slot(l.props.slice(it.props+uint32(slotBytes*i), slotBytes), 0)
}

// value returns the JSON text of field i of the item, or "" when unset.
func (l *layer) value(it *item, i int) string {
	id := l.valueID(it, i)
	if id == 0 {
		return ""
	}
	return l.vals.at(id)[len(l.keys[i]):]
}

// intersects reports whether the item's geometry intersects rectangle b
// exactly (not only its bounds).
func (l *layer) intersects(it *item, b orb.Bound) bool {
	if !it.hasGeom() {
		return false
	}
	if o := l.exact(it); o != nil {
		return geo.IntersectsBound(o, b)
	}
	return b.Contains(orb.Point{it.x, it.y})
}

// within reports whether the item's geometry intersects the area (polygon
// or multipolygon), prepared once for the query.
func (l *layer) within(it *item, area *geo.Area) bool {
	if !it.hasGeom() {
		return false
	}
	if o := l.exact(it); o != nil {
		return area.Intersects(o)
	}
	return area.ContainsPoint(orb.Point{it.x, it.y})
}

// near reports whether the item's geometry comes within the circle.
func (l *layer) near(it *item, c *geo.Disc) bool {
	if !it.hasGeom() {
		return false
	}
	if o := l.exact(it); o != nil {
		return c.Intersects(o)
	}
	return c.ContainsPoint(orb.Point{it.x, it.y})
}

// fieldIndex returns the position of field name in the schema, or -1.
func (l *layer) fieldIndex(name string) int {
	for i, f := range l.coll.Fields {
		if f.Name == name {
			return i
		}
	}
	return -1
}

// encode interns the values of canonical properties p and writes their
// row in the props arena. Only the writer calls it.
func (l *layer) encode(p Properties) (uint32, error) {
	if len(p) <= 2 || len(l.keys) == 0 {
		return noProps, nil
	}
	if l.intern == nil {
		l.rebuildIntern()
	}
	if l.vals.len()+len(l.keys) > maxVals+1 {
		return 0, fmt.Errorf("the collection holds %d distinct property values; at most %d", l.vals.len(), maxVals)
	}
	if len(l.scratch) != len(l.keys) {
		l.scratch = make([]uint32, len(l.keys))
	}
	out := l.scratch
	clear(out)
	gjson.ParseBytes(p).ForEach(func(k, v gjson.Result) bool {
		i := l.fieldIndex(k.Str)
		if i < 0 {
			return true
		}
		l.member = append(append(l.member[:0], l.keys[i]...), v.Raw...)
		id, ok := l.intern[string(l.member)]
		if !ok {
			var key string
			id, key = l.vals.add(l.member)
			l.intern[key] = id
		}
		out[i] = id
		return true
	})
	n := uint32(slotBytes * len(out))
	start := l.props.alloc(n)
	row := l.props.slice(start, n)
	for k, id := range out {
		row[slotBytes*k], row[slotBytes*k+1], row[slotBytes*k+2] = byte(id), byte(id>>8), byte(id>>16)
	}
	return start, nil
}

// rebuildIntern makes the value → index map again from vals.
func (l *layer) rebuildIntern() {
	l.intern = make(map[string]uint32, l.vals.len())
	for id := uint32(1); id < uint32(l.vals.len()); id++ {
		l.intern[l.vals.at(id)] = id
	}
}

// decode rebuilds the canonical JSON of a row of interned properties.
func (l *layer) decode(row []byte) Properties {
	n := 2
	for k := 0; k < len(row); k += slotBytes {
		n += len(l.vals.at(slot(row, k)))
	}
	return Properties(l.appendProps(make([]byte, 0, n), row))
}

// appendProps appends the canonical JSON of a row of interned properties
// to buf.
func (l *layer) appendProps(buf []byte, row []byte) []byte {
	start := len(buf)
	for k := 0; k < len(row); k += slotBytes {
		if id := slot(row, k); id != 0 {
			buf = append(buf, l.vals.at(id)...)
		}
	}
	if len(buf) == start {
		return append(buf, "{}"...)
	}
	buf[start] = '{' // the first member's comma
	return append(buf, '}')
}

func (l *layer) get(id int64) (*item, bool) {
	e, ok := l.ids.Get(idEntry(id, 0))
	if !ok {
		return nil, false
	}
	return l.item(e.ref), true
}

// put indexes the item at r, replacing the feature's previous item.
func (l *layer) put(r ref) {
	it := l.item(r)
	if old, ok := l.ids.Set(idEntry(it.id, r)); ok {
		l.unindex(old.ref)
	}
	if it.hasGeom() {
		mn, mx := outward(l.bound(it))
		l.tree.Insert(mn, mx, r)
	}
}

func (l *layer) remove(id int64) {
	if old, ok := l.ids.Delete(idEntry(id, 0)); ok {
		l.unindex(old.ref)
	}
}

// unindex takes the item at r out of the R-tree.
func (l *layer) unindex(r ref) {
	if o := l.item(r); o.hasGeom() {
		mn, mx := outward(l.bound(o))
		l.tree.Delete(mn, mx, r)
	}
}

// extent returns the bounds of every geometry in the layer, exactly (once
// a snapshot): the tree's float32 bounds name the few items on each side
// that can hold the exact one.
func (l *layer) extent() ([4]float64, bool) {
	if l.bounds != nil {
		return l.bounds()
	}
	return l.exactExtent()
}

func (l *layer) exactExtent() ([4]float64, bool) {
	if l.tree.Len() == 0 {
		return [4]float64{}, false
	}
	mn, mx := l.tree.Bounds()
	inf := float32(math.Inf(1))
	ext := [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	side := func(lo, hi [2]float32, k int, better func(a, b float64) bool) {
		l.tree.Search(lo, hi, func(_, _ [2]float32, r ref) bool {
			if v := l.bound(l.item(r))[k]; better(v, ext[k]) {
				ext[k] = v
			}
			return true
		})
	}
	less := func(a, b float64) bool { return a < b }
	more := func(a, b float64) bool { return a > b }
	side([2]float32{mn[0], -inf}, [2]float32{mn[0], inf}, 0, less)
	side([2]float32{-inf, mn[1]}, [2]float32{inf, mn[1]}, 1, less)
	side([2]float32{mx[0], -inf}, [2]float32{mx[0], inf}, 2, more)
	side([2]float32{-inf, mx[1]}, [2]float32{inf, mx[1]}, 3, more)
	for _, v := range ext {
		if math.IsInf(v, 0) { // not reached: the bounds are an item's
			ext = [4]float64{float64(mn[0]), float64(mn[1]), float64(mx[0]), float64(mx[1])}
			break
		}
	}
	return ext, true
}

// boxTree is the R-tree of a layer's bounds. It holds float32 rectangles,
// rounded outwards (outward), which halves its nodes next to float64: a
// search finds a superset of the items whose float64 bounds meet the box,
// and callers test the item's own bound (intersectsBox) or geometry.
type boxTree = rtree.RTreeGN[float32, ref]

// outward returns the float32 rectangle that holds bound b.
func outward(b [4]float64) (min, max [2]float32) {
	return [2]float32{down32(b[0]), down32(b[1])}, [2]float32{up32(b[2]), up32(b[3])}
}

// down32 is the largest float32 at most x; up32 the smallest at least x.
func down32(x float64) float32 {
	f := float32(x)
	if float64(f) > x {
		f = math.Nextafter32(f, float32(math.Inf(-1)))
	}
	return f
}

func up32(x float64) float32 {
	f := float32(x)
	if float64(f) < x {
		f = math.Nextafter32(f, float32(math.Inf(1)))
	}
	return f
}

// bound returns the bounds of an item with a geometry: [minLon, minLat,
// maxLon, maxLat], for a 2D point the point.
func (l *layer) bound(it *item) [4]float64 {
	if it.shape >= 0 {
		return l.shapes[it.shape].bound
	}
	return [4]float64{it.x, it.y, it.x, it.y}
}

// boundsMeet reports whether the bounds of an item with a geometry
// intersect b (edges included), in float64.
func (l *layer) boundsMeet(it *item, b [4]float64) bool {
	if it.shape < 0 {
		return it.x >= b[0] && it.x <= b[2] && it.y >= b[1] && it.y <= b[3]
	}
	ib := &l.shapes[it.shape].bound
	return ib[0] <= b[2] && ib[2] >= b[0] && ib[1] <= b[3] && ib[3] >= b[1]
}
