package store

import (
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/tidwall/btree"
	"github.com/tidwall/gjson"
	"github.com/tidwall/rtree"
	"github.com/twpayne/go-geom"

	"github.com/cityatlas/cityatlas/geo"
)

// item is the in-memory form of a feature: immutable once indexed, shared
// by every snapshot that holds it. It is much smaller than Feature so that a
// million of them fit in a few hundred megabytes: no collection name, no
// created time, properties interned (see layer.vals), and for a 2D point no
// geometry object at all (the point is its bound).
type item struct {
	id      int64
	version int64
	updated int64 // unix microseconds
	extID   string
	props   []uint32 // per schema field, index into layer.vals; 0: not set
	// bound is [minLon, minLat, maxLon, maxLat]; for a 2D point, the point.
	bound [4]float64
	// shape is nil for a 2D point and for a feature without geometry.
	shape *shape
	flags uint8
}

const (
	hasGeom uint8 = 1 << iota // the feature has a non-empty geometry
)

// shape is what an item keeps of a geometry other than a 2D point.
type shape struct {
	geometry geom.T       // as stored, with Z
	orb      orb.Geometry // 2D, for exact tests; nil for a 3D point
}

func newItem(f *Feature, l *layer) (*item, error) {
	it := l.alloc()
	*it = item{
		id: f.ID, version: f.Version, updated: f.Updated.UnixMicro(),
		extID: f.ExternalID, props: l.encode(f.Properties),
	}
	b, ok := geo.Bounds(f.Geometry)
	if !ok {
		if f.Geometry != nil {
			it.shape = &shape{geometry: f.Geometry}
		}
		return it, nil
	}
	it.bound, it.flags = b, hasGeom
	if p, isPoint := f.Geometry.(*geom.Point); isPoint {
		if p.Layout() != geom.XY {
			it.shape = &shape{geometry: f.Geometry}
		}
		return it, nil
	}
	o, err := geo.ToOrb(f.Geometry)
	if err != nil {
		return nil, err
	}
	it.shape = &shape{geometry: f.Geometry, orb: o}
	return it, nil
}

func (it *item) hasGeom() bool { return it.flags&hasGeom != 0 }

// exact returns the 2D orb geometry for exact tests, nil for a point
// (whose bound is exact).
func (it *item) exact() orb.Geometry {
	if it.shape == nil {
		return nil
	}
	return it.shape.orb
}

// geometry returns the feature's geometry as stored.
func (it *item) geometry() geom.T {
	if it.shape != nil {
		return it.shape.geometry
	}
	if !it.hasGeom() {
		return nil
	}
	return geom.NewPointFlat(geom.XY, []float64{it.bound[0], it.bound[1]}).SetSRID(4326)
}

// feature returns the item as a Feature of layer l. Created is not kept in
// memory and is zero.
func (it *item) feature(l *layer) Feature {
	return Feature{
		ID: it.id, Collection: l.coll.ID, ExternalID: it.extID, Geometry: it.geometry(),
		Properties: l.decode(it.props), Version: it.version, Updated: time.UnixMicro(it.updated).UTC(),
	}
}

// value returns the JSON text of field i of the item, or "" when unset.
func (l *layer) value(it *item, i int) string {
	if i >= len(it.props) {
		return ""
	}
	return l.vals[it.props[i]]
}

// intersects reports whether the item's geometry intersects rectangle b
// exactly (not only its bounds).
func (it *item) intersects(b orb.Bound) bool {
	if !it.hasGeom() {
		return false
	}
	if o := it.exact(); o != nil {
		return geo.IntersectsBound(o, b)
	}
	return b.Contains(orb.Point{it.bound[0], it.bound[1]})
}

// within reports whether the item's geometry intersects the area (polygon
// or multipolygon).
func (it *item) within(area orb.Geometry) bool {
	if !it.hasGeom() {
		return false
	}
	if o := it.exact(); o != nil {
		return geo.Intersects(o, area)
	}
	return geo.Intersects(orb.Point{it.bound[0], it.bound[1]}, area)
}

func byID(a, b *item) bool { return a.id < b.id }

// layer is the index of one collection. A published layer is never
// modified: the writer mutates its own master copy and publishes O(1)
// copy-on-write snapshots of it.
type layer struct {
	coll Collection
	// keys are the schema's field names as JSON object keys (`"name":`).
	keys []string
	// vals is the dictionary of property values (JSON text); vals[0] is
	// unused. It only grows: a snapshot keeps the slice header it was
	// published with, and the writer appends past it.
	vals []string
	// intern maps a value to its index in vals; only the master (writer)
	// layer has it.
	intern map[string]uint32
	// items and props are the writer's slabs: items and their property
	// slices are carved from large arrays, so that a million small
	// objects don't fragment the heap between the garbage of loading them.
	items []item
	props []uint32
	tree *rtree.RTreeG[*item]
	ids  *btree.BTreeG[*item]
	// seq is the change-log sequence number of the last write to this
	// collection seen by this index (0 if none since start-up); with the
	// count it makes the collection's ETag.
	seq int64
	// gen changes on every published change, even one the change log
	// doesn't number (a collection dropped and made again).
	gen int64
}

func newLayer(c Collection) *layer {
	l := &layer{
		coll:   c,
		tree:   &rtree.RTreeG[*item]{},
		ids:    btree.NewBTreeGOptions(byID, btree.Options{NoLocks: true}),
		vals:   []string{""},
		intern: map[string]uint32{},
	}
	for _, f := range c.Fields {
		l.keys = append(l.keys, strconv.Quote(f.Name)+":")
	}
	return l
}

// snapshot returns an immutable copy of l for readers.
func (l *layer) snapshot() *layer {
	return &layer{coll: l.coll, keys: l.keys, vals: l.vals, tree: l.tree.Copy(), ids: l.ids.Copy(), seq: l.seq, gen: l.gen}
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

// slab sizes, in items and in property slots.
const (
	itemSlab = 4096
	propSlab = 1 << 16
)

// alloc returns a new zero item from the writer's slab. A slab is freed
// when none of its items is referenced any more.
func (l *layer) alloc() *item {
	if len(l.items) == cap(l.items) {
		l.items = make([]item, 0, itemSlab)
	}
	l.items = l.items[:len(l.items)+1]
	return &l.items[len(l.items)-1]
}

// encode interns the values of canonical properties p. Only the writer
// calls it.
func (l *layer) encode(p Properties) []uint32 {
	if len(p) <= 2 {
		return nil
	}
	if l.intern == nil {
		l.rebuildIntern()
	}
	n := len(l.coll.Fields)
	if cap(l.props)-len(l.props) < n {
		l.props = make([]uint32, 0, max(propSlab, n))
	}
	start := len(l.props)
	l.props = l.props[:start+n]
	out := l.props[start : start+n : start+n]
	gjson.ParseBytes(p).ForEach(func(k, v gjson.Result) bool {
		i := l.fieldIndex(k.Str)
		if i < 0 {
			return true
		}
		id, ok := l.intern[v.Raw]
		if !ok {
			// v.Raw points into a copy of the whole object: clone it, or
			// every interned value would keep its object alive.
			raw := strings.Clone(v.Raw)
			id = uint32(len(l.vals))
			l.vals = append(l.vals, raw)
			l.intern[raw] = id
		}
		out[i] = id
		return true
	})
	return out
}

// rebuildIntern makes the value → index map again from vals (see
// Store.compact, which drops it after loading).
func (l *layer) rebuildIntern() {
	l.intern = make(map[string]uint32, len(l.vals))
	for i, v := range l.vals[1:] {
		l.intern[v] = uint32(i + 1)
	}
}

// decode rebuilds the canonical JSON of interned properties.
func (l *layer) decode(props []uint32) Properties {
	n := 2
	for i, id := range props {
		if id != 0 {
			n += len(l.keys[i]) + len(l.vals[id]) + 1
		}
	}
	return Properties(l.appendProps(make([]byte, 0, n), props))
}

// appendProps appends the canonical JSON of interned properties to buf.
func (l *layer) appendProps(buf []byte, props []uint32) []byte {
	buf = append(buf, '{')
	first := true
	for i, id := range props {
		if id == 0 {
			continue
		}
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = append(buf, l.keys[i]...)
		buf = append(buf, l.vals[id]...)
	}
	return append(buf, '}')
}

func (l *layer) get(id int64) (*item, bool) {
	return l.ids.Get(&item{id: id})
}

func (l *layer) put(it *item) {
	if old, ok := l.ids.Set(it); ok && old.hasGeom() {
		mn, mx := minmax(old.bound)
		l.tree.Delete(mn, mx, old)
	}
	if it.hasGeom() {
		mn, mx := minmax(it.bound)
		l.tree.Insert(mn, mx, it)
	}
}

func (l *layer) remove(id int64) {
	if old, ok := l.ids.Delete(&item{id: id}); ok && old.hasGeom() {
		mn, mx := minmax(old.bound)
		l.tree.Delete(mn, mx, old)
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
