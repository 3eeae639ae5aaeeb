package store

import (
	"fmt"
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
	// bound is [minLon, minLat, maxLon, maxLat]; for a 2D point, the point.
	bound [4]float64
	// props is the first of len(schema) slots in the props arena, each the
	// index in vals of the field's value (0: not set); noProps when the
	// feature has no properties.
	props uint32
	// ext, extLen locate the external id in the ext arena.
	ext    uint32
	extLen uint32
	// shape indexes layer.shapes for a geometry other than a 2D point; -1
	// for a 2D point or no geometry.
	shape int32
	flags uint8
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

// slice returns the k elements from position i (all in one chunk).
func (a *arena[T]) slice(i, k uint32) []T {
	c := a.chunks[i>>chunkBits]
	o := i & (chunkSize - 1)
	return c[o : o+k : o+k]
}

// entry is the B-tree's element: a feature id and its item.
type entry struct {
	id  int64
	ref ref
}

func byID(a, b entry) bool { return a.id < b.id }

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
	// feature's properties is one copy per property. vals[0] is unused. It
	// only grows: a snapshot keeps the slice header it was published with,
	// and the writer appends past it.
	vals []string
	// intern maps a value to its index in vals; only the master (writer)
	// layer has it, and it is dropped after loading (rebuildIntern).
	intern map[string]uint32
	items  arena[item]
	props  arena[uint32]
	ext    arena[byte]
	shapes []*shape // append-only like vals
	tree   *rtree.RTreeG[ref]
	ids    *btree.BTreeG[entry]
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
		tree:   &rtree.RTreeG[ref]{},
		ids:    btree.NewBTreeGOptions(byID, btree.Options{NoLocks: true}),
		vals:   []string{""},
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
	it := item{
		id: f.ID, version: f.Version, updated: f.Updated.UnixMicro(),
		props: l.encode(f.Properties), shape: -1,
	}
	if n := uint32(len(f.ExternalID)); n > 0 {
		it.ext, it.extLen = l.ext.alloc(n), n
		copy(l.ext.slice(it.ext, n), f.ExternalID)
	}
	b, ok := geo.Bounds(f.Geometry)
	switch {
	case !ok:
		if f.Geometry != nil {
			it.shape = l.addShape(&shape{geometry: f.Geometry})
		}
	default:
		it.bound, it.flags = b, hasGeom
		if p, isPoint := f.Geometry.(*geom.Point); isPoint {
			if p.Layout() != geom.XY {
				it.shape = l.addShape(&shape{geometry: f.Geometry})
			}
			break
		}
		o, err := geo.ToOrb(f.Geometry)
		if err != nil {
			return 0, err
		}
		it.shape = l.addShape(&shape{geometry: f.Geometry, orb: o})
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
	return geom.NewPointFlat(geom.XY, []float64{it.bound[0], it.bound[1]}).SetSRID(4326)
}

func (l *layer) extID(it *item) string {
	if it.extLen == 0 {
		return ""
	}
	return string(l.ext.slice(it.ext, it.extLen))
}

// slots returns the property slots of an item (nil when it has none).
func (l *layer) slots(it *item) []uint32 {
	if it.props == noProps {
		return nil
	}
	return l.props.slice(it.props, uint32(len(l.keys)))
}

// feature returns the item as a Feature. Created is not kept in memory and
// is zero.
func (l *layer) feature(it *item) Feature {
	return Feature{
		ID: it.id, Collection: l.coll.ID, ExternalID: l.extID(it), Geometry: l.geometry(it),
		Properties: l.decode(l.slots(it)), Version: it.version, Updated: time.UnixMicro(it.updated).UTC(),
	}
}

// valueID returns the index in vals of field i's value, 0 when unset.
func (l *layer) valueID(it *item, i int) uint32 {
	if it.props == noProps || i < 0 || i >= len(l.keys) {
		return 0
	}
	return *l.props.at(it.props + uint32(i))
}

// value returns the JSON text of field i of the item, or "" when unset.
func (l *layer) value(it *item, i int) string {
	if it.props == noProps || i < 0 || i >= len(l.keys) {
		return ""
	}
	id := *l.props.at(it.props + uint32(i))
	if id == 0 {
		return ""
	}
	return l.vals[id][len(l.keys[i]):]
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
	return b.Contains(orb.Point{it.bound[0], it.bound[1]})
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
	return area.ContainsPoint(orb.Point{it.bound[0], it.bound[1]})
}

// near reports whether the item's geometry comes within the circle.
func (l *layer) near(it *item, c *geo.Disc) bool {
	if !it.hasGeom() {
		return false
	}
	if o := l.exact(it); o != nil {
		return c.Intersects(o)
	}
	return c.ContainsPoint(orb.Point{it.bound[0], it.bound[1]})
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

// encode interns the values of canonical properties p into new slots of
// the props arena. Only the writer calls it.
func (l *layer) encode(p Properties) uint32 {
	if len(p) <= 2 || len(l.keys) == 0 {
		return noProps
	}
	if l.intern == nil {
		l.rebuildIntern()
	}
	n := uint32(len(l.keys))
	start := l.props.alloc(n)
	out := l.props.slice(start, n)
	clear(out)
	gjson.ParseBytes(p).ForEach(func(k, v gjson.Result) bool {
		i := l.fieldIndex(k.Str)
		if i < 0 {
			return true
		}
		member := l.keys[i] + v.Raw // a new string: v.Raw points into a copy of p
		id, ok := l.intern[member]
		if !ok {
			id = uint32(len(l.vals))
			l.vals = append(l.vals, member)
			l.intern[member] = id
		}
		out[i] = id
		return true
	})
	return start
}

// rebuildIntern makes the value → index map again from vals.
func (l *layer) rebuildIntern() {
	l.intern = make(map[string]uint32, len(l.vals))
	for i, v := range l.vals[1:] {
		l.intern[v] = uint32(i + 1)
	}
}

// decode rebuilds the canonical JSON of interned properties.
func (l *layer) decode(props []uint32) Properties {
	n := 2
	for _, id := range props {
		n += len(l.vals[id])
	}
	return Properties(l.appendProps(make([]byte, 0, n), props))
}

// appendProps appends the canonical JSON of interned properties to buf.
func (l *layer) appendProps(buf []byte, props []uint32) []byte {
	start := len(buf)
	for _, id := range props {
		if id != 0 {
			buf = append(buf, l.vals[id]...)
		}
	}
	if len(buf) == start {
		return append(buf, "{}"...)
	}
	buf[start] = '{' // the first member's comma
	return append(buf, '}')
}

func (l *layer) get(id int64) (*item, bool) {
	e, ok := l.ids.Get(entry{id: id})
	if !ok {
		return nil, false
	}
	return l.item(e.ref), true
}

// put indexes the item at r, replacing the feature's previous item.
func (l *layer) put(r ref) {
	it := l.item(r)
	if old, ok := l.ids.Set(entry{id: it.id, ref: r}); ok {
		if o := l.item(old.ref); o.hasGeom() {
			mn, mx := minmax(o.bound)
			l.tree.Delete(mn, mx, old.ref)
		}
	}
	if it.hasGeom() {
		mn, mx := minmax(it.bound)
		l.tree.Insert(mn, mx, r)
	}
}

func (l *layer) remove(id int64) {
	if old, ok := l.ids.Delete(entry{id: id}); ok {
		if o := l.item(old.ref); o.hasGeom() {
			mn, mx := minmax(o.bound)
			l.tree.Delete(mn, mx, old.ref)
		}
	}
}

func minmax(b [4]float64) (min, max [2]float64) {
	return [2]float64{b[0], b[1]}, [2]float64{b[2], b[3]}
}

// extent returns the bounds of every geometry in the layer.
func (l *layer) extent() ([4]float64, bool) {
	if l.tree.Len() == 0 {
		return [4]float64{}, false
	}
	mn, mx := l.tree.Bounds()
	return [4]float64{mn[0], mn[1], mx[0], mx[1]}, true
}
