package store

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/paulmach/orb"

	"github.com/cityatlas/cityatlas/cql2"
	"github.com/cityatlas/cityatlas/geo"
)

// Filter selects features from the index. Every set condition must hold.
type Filter struct {
	// BBox keeps features whose geometry intersects [minLon, minLat,
	// maxLon, maxLat] (exactly, not only by bounds); minLon > maxLon is a
	// box that crosses the antimeridian.
	BBox *[4]float64
	// Area keeps features whose geometry intersects this Polygon or
	// MultiPolygon (WGS84, planar test).
	Area orb.Geometry
	// Circle keeps features within its radius of its centre, measured on
	// the WGS84 ellipsoid (as PostGIS's ST_DWithin on geography).
	Circle *geo.Disc
	// Props keeps features whose property equals the value, compared by
	// the field's type (see PropFilter).
	Props []PropFilter
	// Time keeps features whose time (the collection's TimeField, or the
	// feature's Updated time) lies in the interval.
	Time *Interval
	// Where keeps the features a CQL2 filter selects. It is checked
	// against the collection's schema (and its geometry, "geometry"): an
	// unknown property or an incompatible comparison is ErrInvalid naming
	// the property.
	Where cql2.Expr
	// SortBy orders the matches by these keys, then by id (which is the
	// whole order when SortBy is empty).
	SortBy []SortKey
	// Limit caps the page (0: no limit); Offset skips that many matches.
	Limit, Offset int
}

// PropFilter is property Name equal to Value. Value is parsed by the field's
// type: numbers numerically, booleans as true/false, strings exactly.
type PropFilter struct {
	Name  string
	Value string
}

// Interval is a closed time interval; a nil end is open.
type Interval struct {
	Start, End *time.Time
}

// Page is a page of features in id order.
type Page struct {
	Features []Feature
	// Matched counts every feature that passed the filter, before limit and
	// offset.
	Matched int
}

// Items returns the features of a collection that pass f, ordered by id.
// Errors: ErrNotFound for an unknown collection, ErrInvalid for a filter on a
// property the schema doesn't have or a value that doesn't parse as its type.
func (s *Store) Items(ctx context.Context, collection string, f Filter) (Page, error) {
	sel, err := s.Select(ctx, collection, f)
	if err != nil {
		return Page{}, err
	}
	page := Page{Matched: sel.Matched, Features: make([]Feature, 0, len(sel.items))}
	for _, it := range sel.items {
		page.Features = append(page.Features, sel.l.feature(it))
	}
	return page, nil
}

// Selection is a page of features chosen by Select, to be read with Each
// without copying them out of the index.
type Selection struct {
	// Matched counts every feature that passed the filter, before limit
	// and offset.
	Matched int
	items   []*item
	l       *layer
}

// Len is the number of features in the page.
func (sel *Selection) Len() int { return len(sel.items) }

// Each calls fn for the page's features in id order until fn returns false.
// The Hit is valid only during the call.
func (sel *Selection) Each(fn func(h *Hit) bool) {
	var h Hit
	for _, it := range sel.items {
		h = Hit{ID: it.id, Bound: sel.l.bound(it), Shape: sel.l.exact(it), it: it, l: sel.l}
		if !fn(&h) {
			return
		}
	}
}

// Select is Items without the copies: it picks the page of features that
// pass f (ordered by id) and lets the caller read them in place. Errors as
// for Items.
func (s *Store) Select(ctx context.Context, collection string, f Filter) (*Selection, error) {
	l, err := s.layer(collection)
	if err != nil {
		return nil, err
	}
	m, err := newMatcher(l, f)
	if err != nil {
		return nil, err
	}
	if len(f.SortBy) > 0 {
		return s.selectSorted(ctx, l, f, m)
	}
	sel := &Selection{l: l}
	keep := func(it *item) {
		if sel.Matched >= f.Offset && (f.Limit == 0 || len(sel.items) < f.Limit) {
			sel.items = append(sel.items, it)
		}
		sel.Matched++
	}
	if !m.spatial(f) {
		if m.empty() {
			sel.Matched = l.ids.Len()
			if f.Offset >= sel.Matched {
				return sel, nil
			}
			// Sized up front: a whole layer (a download) would otherwise
			// leave twice its size of slices behind for the collector.
			n := sel.Matched - f.Offset
			if f.Limit > 0 {
				n = min(n, f.Limit)
			}
			sel.items = make([]*item, 0, n)
			first, _ := l.ids.GetAt(f.Offset)
			l.ids.Ascend(first, func(e entry) bool {
				sel.items = append(sel.items, l.item(e.ref))
				return f.Limit == 0 || len(sel.items) < f.Limit
			})
			return sel, nil
		}
		n := 0
		var cerr error
		l.ids.Scan(func(e entry) bool {
			it := l.item(e.ref)
			if n++; n%4096 == 0 {
				if cerr = ctx.Err(); cerr != nil {
					return false
				}
			}
			if m.match(it) {
				keep(it)
			}
			return true
		})
		return sel, cerr
	}
	hits := s.search(l, f, m)
	if k := f.Offset + f.Limit; f.Limit > 0 && k < len(hits)/2 {
		// A page of a large match: only its first k ids need ordering.
		sel.Matched = len(hits)
		first := smallestByID(hits, k)
		sel.items = first[min(f.Offset, len(first)):]
		return sel, ctx.Err()
	}
	slices.SortFunc(hits, func(a, b *item) int { return cmpInt(a.id, b.id) })
	sel.Matched = len(hits)
	end := len(hits)
	if f.Limit > 0 {
		end = min(end, f.Offset+f.Limit)
	}
	sel.items = hits[min(f.Offset, end):end] // the page, in place
	return sel, ctx.Err()
}

// smallestByID returns the k items of hits with the smallest ids, in id
// order, keeping a max-heap of the best k seen (hits is reordered).
func smallestByID(hits []*item, k int) []*item {
	h := hits[:k]
	down := func(i int) {
		for {
			c := 2*i + 1
			if c >= len(h) {
				return
			}
			if c+1 < len(h) && h[c+1].id > h[c].id {
				c++
			}
			if h[i].id >= h[c].id {
				return
			}
			h[i], h[c] = h[c], h[i]
			i = c
		}
	}
	for i := k/2 - 1; i >= 0; i-- {
		down(i)
	}
	for _, it := range hits[k:] {
		if k > 0 && it.id < h[0].id {
			h[0] = it
			down(0)
		}
	}
	slices.SortFunc(h, func(a, b *item) int { return cmpInt(a.id, b.id) })
	return h
}

// Count returns the number of features of a collection that pass f (limit
// and offset are ignored).
func (s *Store) Count(ctx context.Context, collection string, f Filter) (int, error) {
	l, err := s.layer(collection)
	if err != nil {
		return 0, err
	}
	m, err := newMatcher(l, f)
	if err != nil {
		return 0, err
	}
	if !m.spatial(f) {
		if m.empty() {
			return l.ids.Len(), nil
		}
		n := 0
		l.ids.Scan(func(e entry) bool {
			if m.match(l.item(e.ref)) {
				n++
			}
			return true
		})
		return n, ctx.Err()
	}
	if g := gridFor(l, f, m); g != nil {
		return g.count(), ctx.Err()
	}
	n := 0
	s.scan(l, f, m, func(*item) { n++ })
	return n, ctx.Err()
}

// search returns the items that intersect f's bbox and area and pass m, in
// no particular order.
func (s *Store) search(l *layer, f Filter, m *matcher) []*item {
	hits := make([]*item, 0, 16) // a small page's, in one allocation
	s.scan(l, f, m, func(it *item) { hits = append(hits, it) })
	return hits
}

// scan calls fn for each item that intersects f's bbox and area and passes
// m, once, in no particular order. The R-tree is searched in the
// intersection of the bbox, the area's bounds and the envelope of m's CQL2
// filter. A bbox whose minLon is greater than its maxLon crosses the
// antimeridian: it is the two boxes on either side of it.
func (s *Store) scan(l *layer, f Filter, m *matcher, fn func(*item)) {
	if f.BBox != nil && f.BBox[0] > f.BBox[2] {
		if f.BBox[0] > 180 || f.BBox[2] < -180 {
			return // no longitude is in it: splitting would not end
		}
		east, west := *f.BBox, *f.BBox
		east[2], west[0] = 180, -180
		fe, fw := f, f
		fe.BBox, fw.BBox = &east, &west
		seen := map[*item]bool{}
		s.scan(l, fe, m, func(it *item) {
			seen[it] = true
			fn(it)
		})
		s.scan(l, fw, m, func(it *item) {
			if !seen[it] {
				fn(it)
			}
		})
		return
	}
	var boxes []orb.Bound
	if f.BBox != nil {
		boxes = append(boxes, orb.Bound{Min: orb.Point{f.BBox[0], f.BBox[1]}, Max: orb.Point{f.BBox[2], f.BBox[3]}})
	}
	var area *geo.Area
	if f.Area != nil {
		a, ok := geo.Prepare(f.Area)
		if !ok {
			return // not an area: nothing is inside it
		}
		area = a
		defer a.Release()
		boxes = append(boxes, a.Bound())
	}
	if f.Circle != nil {
		boxes = append(boxes, f.Circle.Bound())
	}
	if m.box != nil {
		boxes = append(boxes, orb.Bound{Min: orb.Point{m.box[0], m.box[1]}, Max: orb.Point{m.box[2], m.box[3]}})
	}
	box := boxes[0] // the bbox when there is one: the exact test below uses it
	for _, b := range boxes[1:] {
		box = orb.Bound{
			Min: orb.Point{max(box.Min[0], b.Min[0]), max(box.Min[1], b.Min[1])},
			Max: orb.Point{min(box.Max[0], b.Max[0]), min(box.Max[1], b.Max[1])},
		}
	}
	b4 := [4]float64{box.Min[0], box.Min[1], box.Max[0], box.Max[1]}
	mn, mx := outward(b4)
	l.tree.Search(mn, mx, func(_, _ [2]float32, r ref) bool {
		it := l.item(r)
		if !l.boundsMeet(it, b4) {
			return true // found by the tree's rounded rectangle only
		}
		if f.BBox != nil && it.shape >= 0 && !l.intersects(it, boxes[0]) {
			return true
		}
		if area != nil && !l.within(it, area) {
			return true
		}
		if f.Circle != nil && !l.near(it, f.Circle) {
			return true
		}
		if m.match(it) {
			fn(it)
		}
		return true
	})
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// matcher tests the attribute conditions of a filter.
type matcher struct {
	l         *layer
	rec       record // the record the filter sees (one, reused: no allocation a match)
	props     []propTest
	timeIdx   int
	timeField string
	dateOnly  bool   // the time field is a date: compare as text
	start     string // the interval as dates, for a date field
	end       string
	startT    *time.Time
	endT      *time.Time
	where     *cql2.Filter // the compiled CQL2 filter, nil for none
	box       *[4]float64  // its envelope, when it has one
}

type propTest struct {
	name string
	idx  int // position in the schema
	typ  FieldType
	str  string // the value as JSON text, for strings and dates
	num  float64
	b    bool
}

func newMatcher(l *layer, f Filter) (*matcher, error) {
	c := &l.coll
	m := &matcher{l: l, timeIdx: -1}
	for _, p := range f.Props {
		fd, ok := c.Field(p.Name)
		if !ok {
			return nil, Invalidf("collection %q has no property %q (known: %s)", c.ID, p.Name, fieldNames(c))
		}
		pt := propTest{name: p.Name, idx: l.fieldIndex(p.Name), typ: fd.Type, str: jsonString(p.Value)}
		switch fd.Type {
		case TypeInteger, TypeNumber:
			x, err := strconv.ParseFloat(p.Value, 64)
			if err != nil {
				return nil, Invalidf("property %q is a number; %q is not", p.Name, p.Value)
			}
			pt.num = x
		case TypeBoolean:
			b, err := strconv.ParseBool(p.Value)
			if err != nil {
				return nil, Invalidf("property %q is true or false; %q is neither", p.Name, p.Value)
			}
			pt.b = b
		}
		m.props = append(m.props, pt)
	}
	if f.Where != nil {
		w, err := cql2.Compile(f.Where, Queryables(c))
		if err != nil {
			return nil, Invalidf("filter: %s", err)
		}
		m.where = w
		if box, ok := w.Envelope(); ok {
			m.box = &box
		}
	}
	if f.Time != nil {
		m.timeField = c.TimeField
		m.timeIdx = l.fieldIndex(c.TimeField)
		m.startT, m.endT = f.Time.Start, f.Time.End
		fd, _ := c.Field(c.TimeField)
		m.dateOnly = fd.Type == TypeDate
		if m.startT != nil {
			m.start = m.startT.UTC().Format(time.DateOnly)
		}
		if m.endT != nil {
			m.end = m.endT.UTC().Format(time.DateOnly)
		}
	}
	return m, nil
}

func (m *matcher) empty() bool {
	return len(m.props) == 0 && m.startT == nil && m.endT == nil && m.where == nil
}

// spatial reports whether the filter narrows the search to a box, so that
// the R-tree finds the candidates.
func (m *matcher) spatial(f Filter) bool {
	return f.BBox != nil || f.Area != nil || f.Circle != nil || m.box != nil
}

func (m *matcher) match(it *item) bool {
	if m.where != nil && !m.where.Match(m.record(it)) {
		return false
	}
	for _, p := range m.props {
		v := m.l.value(it, p.idx)
		if v == "" {
			return false
		}
		switch p.typ {
		case TypeInteger, TypeNumber:
			if x, err := strconv.ParseFloat(v, 64); err != nil || x != p.num {
				return false
			}
		case TypeBoolean:
			if (v == "true") != p.b {
				return false
			}
		default:
			if v != p.str {
				return false
			}
		}
	}
	if m.startT == nil && m.endT == nil {
		return true
	}
	if m.timeField == "" {
		return m.inTime(time.UnixMicro(it.updated))
	}
	raw := m.l.value(it, m.timeIdx)
	if len(raw) < 2 {
		return false
	}
	v := raw[1 : len(raw)-1] // dates and datetimes are plain JSON strings
	if !m.dateOnly {
		t, err := time.Parse(time.RFC3339Nano, v)
		return err == nil && m.inTime(t)
	}
	// A date is the whole day: it matches when the day overlaps the
	// interval. Dates in YYYY-MM-DD sort as text.
	if m.start != "" && v < m.start {
		return false
	}
	if m.end != "" && v > m.end {
		return false
	}
	return true
}

func (m *matcher) inTime(t time.Time) bool {
	return (m.startT == nil || !t.Before(*m.startT)) && (m.endT == nil || !t.After(*m.endT))
}

// jsonString returns s as JSON text, escaped as EncodeProperties does.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// GeometryQueryable is the name CQL2 filters give a feature's geometry.
const GeometryQueryable = "geometry"

// Queryables are what a CQL2 filter on the collection may name: its
// fields, in schema order, and its geometry (GeometryQueryable).
func Queryables(c *Collection) cql2.Queryables {
	q := cql2.Queryables{Geometry: GeometryQueryable}
	for _, f := range c.Fields {
		q.Fields = append(q.Fields, cql2.Field{Name: f.Name, Type: cql2.Type(f.Type)})
	}
	return q
}

// record returns the reused record of item it, as a cql2 record.
func (m *matcher) record(it *item) *record {
	m.rec = record{m.l, it}
	return &m.rec
}

// record shows an item to a compiled CQL2 filter.
type record struct {
	l  *layer
	it *item
}

func (r record) Value(i int) string { return r.l.value(r.it, i) }

// ValueID is the interned id of field i's value, 0 when unset
// (cql2.ValueIDRecord).
func (r record) ValueID(i int) uint32 { return r.l.valueID(r.it, i) }

// Point gives a point feature's position from its bound, without making
// a geometry (cql2.PointRecord).
func (r record) Point() (x, y float64, ok bool) {
	if !r.it.hasGeom() || r.it.shape >= 0 {
		return 0, 0, false
	}
	return r.it.x, r.it.y, true
}

func (r record) Geometry() orb.Geometry {
	if !r.it.hasGeom() {
		return nil
	}
	if o := r.l.exact(r.it); o != nil {
		return o
	}
	return orb.Point{r.it.x, r.it.y}
}
