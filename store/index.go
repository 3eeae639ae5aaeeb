package store

import (
	"time"

	"github.com/paulmach/orb"
	"github.com/tidwall/btree"
	"github.com/tidwall/rtree"
	"github.com/twpayne/go-geom"

	"github.com/cityatlas/cityatlas/geo"
)

// item is the in-memory form of a feature: immutable once indexed, shared
// by every snapshot that holds it. It is smaller than Feature (no collection
// name, no created time) so that a million of them fit in memory.
type item struct {
	id       int64
	version  int64
	updated  int64 // unix microseconds
	extID    string
	geometry geom.T
	props    Properties
	// shape is the geometry in orb form for exact tests, nil for points
	// (their bounds are the point) and for features without geometry.
	shape orb.Geometry
	bound [4]float64
	hasGeom bool
}

func newItem(f *Feature) (*item, error) {
	it := &item{
		id: f.ID, version: f.Version, updated: f.Updated.UnixMicro(),
		extID: f.ExternalID, geometry: f.Geometry, props: f.Properties,
	}
	if b, ok := geo.Bounds(f.Geometry); ok {
		it.bound, it.hasGeom = b, true
		if _, isPoint := f.Geometry.(*geom.Point); !isPoint {
			s, err := geo.ToOrb(f.Geometry)
			if err != nil {
				return nil, err
			}
			it.shape = s
		}
	}
	return it, nil
}

// feature returns the item as a Feature of collection coll. Created is not
// kept in memory and is zero.
func (it *item) feature(coll string) Feature {
	return Feature{
		ID: it.id, Collection: coll, ExternalID: it.extID, Geometry: it.geometry,
		Properties: it.props, Version: it.version, Updated: time.UnixMicro(it.updated).UTC(),
	}
}

// intersects reports whether the item's geometry intersects rectangle b
// exactly (not only its bounds).
func (it *item) intersects(b orb.Bound) bool {
	if !it.hasGeom {
		return false
	}
	if it.shape == nil {
		return b.Contains(orb.Point{it.bound[0], it.bound[1]})
	}
	return geo.IntersectsBound(it.shape, b)
}

// within reports whether the item's geometry intersects the area (polygon
// or multipolygon).
func (it *item) within(area orb.Geometry) bool {
	if !it.hasGeom {
		return false
	}
	if it.shape == nil {
		return geo.Intersects(orb.Point{it.bound[0], it.bound[1]}, area)
	}
	return geo.Intersects(it.shape, area)
}

func byID(a, b *item) bool { return a.id < b.id }

// layer is the index of one collection. A published layer is never
// modified: the writer mutates its own master copy and publishes O(1)
// copy-on-write snapshots of it.
type layer struct {
	coll Collection
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
	return &layer{
		coll: c,
		tree: &rtree.RTreeG[*item]{},
		ids:  btree.NewBTreeGOptions(byID, btree.Options{NoLocks: true}),
	}
}

// snapshot returns an immutable copy of l for readers.
func (l *layer) snapshot() *layer {
	return &layer{coll: l.coll, tree: l.tree.Copy(), ids: l.ids.Copy(), seq: l.seq, gen: l.gen}
}

func (l *layer) get(id int64) (*item, bool) {
	return l.ids.Get(&item{id: id})
}

func (l *layer) put(it *item) {
	if old, ok := l.ids.Set(it); ok && old.hasGeom {
		mn, mx := minmax(old.bound)
		l.tree.Delete(mn, mx, old)
	}
	if it.hasGeom {
		mn, mx := minmax(it.bound)
		l.tree.Insert(mn, mx, it)
	}
}

func (l *layer) remove(id int64) {
	if old, ok := l.ids.Delete(&item{id: id}); ok && old.hasGeom {
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
