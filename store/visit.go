package store

import (
	"context"
	"slices"

	"github.com/paulmach/orb"
	"github.com/tidwall/gjson"
	"github.com/twpayne/go-geom"

	"github.com/cityatlas/cityatlas/geo"
)

// Hit is a feature found by Visit. It refers to the index's own immutable
// data: read it during the callback, never modify it or keep it.
type Hit struct {
	ID int64
	// Bound is the geometry's bounding box [minLon, minLat, maxLon, maxLat];
	// for a point, Bound[0], Bound[1] is the point.
	Bound [4]float64
	// Shape is the geometry in orb form (WGS84, 2D), nil for a point.
	Shape orb.Geometry
	it    *item
	l     *layer
}

// Value returns the JSON text of property i of the collection's schema
// (CollectionInfo.Fields order): `"good"`, `36`, `true`; "" when the
// feature does not have it. It does not allocate.
func (h *Hit) Value(i int) string { return h.l.value(h.it, i) }

// Properties returns all the properties as canonical JSON (it allocates;
// prefer Value or AppendProperties on hot paths).
func (h *Hit) Properties() Properties { return h.l.decode(h.l.row(h.it)) }

// AppendProperties appends the canonical JSON object of the properties.
func (h *Hit) AppendProperties(buf []byte) []byte { return h.l.appendProps(buf, h.l.row(h.it)) }

// AppendGeoJSON appends the GeoJSON geometry (with Z where stored).
func (h *Hit) AppendGeoJSON(buf []byte) []byte {
	if h.it.shape < 0 && h.it.hasGeom() {
		buf = append(buf, `{"type":"Point","coordinates":[`...)
		buf = geo.AppendFloat(buf, h.Bound[0])
		buf = append(buf, ',')
		buf = geo.AppendFloat(buf, h.Bound[1])
		return append(buf, "]}"...)
	}
	return geo.AppendGeoJSON(buf, h.l.geometry(h.it))
}

// Geom returns the geometry as stored (WGS84 lon/lat, with Z where the
// source had it), nil when the feature has none. A point is built anew on
// each call; other geometries are the index's own: never modify them.
func (h *Hit) Geom() geom.T { return h.l.geometry(h.it) }

// GeomInto is Geom without an allocation for a 2D point: it sets p (a 2D
// point the caller owns and reuses) to the point and returns it. Other
// geometries are the index's own, as from Geom.
func (h *Hit) GeomInto(p *geom.Point) geom.T {
	if h.it.shape >= 0 || !h.it.hasGeom() {
		return h.Geom()
	}
	c := p.FlatCoords()
	c[0], c[1] = h.Bound[0], h.Bound[1]
	return p
}

// Feature copies the hit out as a Feature.
func (h *Hit) Feature() Feature { return h.l.feature(h.it) }

// Point reports whether the hit is a single point (at Bound[0], Bound[1]).
func (h *Hit) Point() bool { return h.Shape == nil }

// Geometry returns the hit's geometry in orb form.
func (h *Hit) Geometry() orb.Geometry {
	if h.Shape == nil {
		return orb.Point{h.Bound[0], h.Bound[1]}
	}
	return h.Shape
}

// Visit calls fn for every feature of the collection whose bounds intersect
// box and that passes the attribute conditions of f (f.BBox, f.Area, Limit
// and Offset are ignored: the caller does its own exact test, as a tile
// clips). Order is unspecified; fn returns false to stop. Errors:
// ErrNotFound, ErrInvalid as for Items.
func (s *Store) Visit(ctx context.Context, collection string, box [4]float64, f Filter, fn func(h *Hit) bool) error {
	l, err := s.layer(collection)
	if err != nil {
		return err
	}
	m, err := newMatcher(l, f)
	if err != nil {
		return err
	}
	var h Hit
	all := m.empty()
	mn, mx := outward(box)
	l.tree.Search(mn, mx, func(_, _ [2]float32, r ref) bool {
		it := l.item(r)
		if !l.boundsMeet(it, box) || !all && !m.match(it) {
			return true
		}
		h = Hit{ID: it.id, Bound: l.bound(it), Shape: l.exact(it), it: it, l: l}
		return fn(&h)
	})
	return ctx.Err()
}

// Group is one value of a group-by and how many features have it.
type Group struct {
	// Value is the property's value as text ("" when the feature lacks
	// the property).
	Value string `json:"value"`
	Count int    `json:"count"`
}

// Stats counts the features of a collection that pass f and, when groupBy
// names a property, how many have each of its values (sorted by count,
// then value). Errors: ErrNotFound; ErrInvalid for a groupBy property the
// schema doesn't have, or a bad filter.
func (s *Store) Stats(ctx context.Context, collection string, f Filter, groupBy string) (int, []Group, error) {
	l, err := s.layer(collection)
	if err != nil {
		return 0, nil, err
	}
	if groupBy == "" {
		// A plain count: the count grid answers areas without visiting most points.
		n, err := s.Count(ctx, collection, f)
		return n, nil, err
	}
	if _, ok := l.coll.Field(groupBy); !ok {
		return 0, nil, Invalidf("collection %q has no property %q to group by (known: %s)", collection, groupBy, fieldNames(&l.coll))
	}
	m, err := newMatcher(l, f)
	if err != nil {
		return 0, nil, err
	}
	counts := map[string]int{}
	total := 0
	gi := l.fieldIndex(groupBy)
	add := func(it *item) {
		total++
		counts[l.value(it, gi)]++
	}
	if !m.spatial(f) {
		l.ids.Scan(func(e entry) bool {
			if it := l.item(e.ref); m.match(it) {
				add(it)
			}
			return true
		})
	} else {
		s.scan(l, f, m, add)
	}
	if err := ctx.Err(); err != nil {
		return 0, nil, err
	}
	groups := make([]Group, 0, len(counts))
	for raw, n := range counts {
		groups = append(groups, Group{Value: gjson.Parse(raw).String(), Count: n})
	}
	slices.SortFunc(groups, func(a, b Group) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		if a.Value < b.Value {
			return -1
		}
		if a.Value > b.Value {
			return 1
		}
		return 0
	})
	return total, groups, nil
}
