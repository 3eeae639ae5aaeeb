package store

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"
)

// SortKey is one key of a sort: a property of the schema, or "id".
type SortKey struct {
	Name string
	Desc bool
}

// sortVal is an item's value for one key, decoded once for the sort.
type sortVal struct {
	null bool
	n    float64
	s    string
}

// sortable pairs an item with its keys' values.
type sortable struct {
	it   *item
	vals []sortVal
}

// selectSorted is Select for a filter with SortBy: every match is found,
// decorated with its keys' values, sorted (nulls last ascending, first
// descending, as PostgreSQL orders them; id breaks ties), then paged.
func (s *Store) selectSorted(ctx context.Context, l *layer, f Filter, m *matcher) (*Selection, error) {
	type keyField struct {
		idx int
		typ FieldType
		key SortKey
	}
	var keys []keyField
	for _, k := range f.SortBy {
		if k.Name == "id" {
			keys = append(keys, keyField{idx: -1, key: k})
			continue
		}
		fd, ok := l.coll.Field(k.Name)
		if !ok {
			return nil, Invalidf("collection %q has no property %q to sort by (known: id, %s)", l.coll.ID, k.Name, fieldNames(&l.coll))
		}
		keys = append(keys, keyField{idx: l.fieldIndex(k.Name), typ: fd.Type, key: k})
	}
	var matches []*item
	if m.spatial(f) {
		matches = s.search(l, f, m)
	} else {
		n := 0
		var cerr error
		l.ids.Scan(func(e entry) bool {
			if n++; n%4096 == 0 {
				if cerr = ctx.Err(); cerr != nil {
					return false
				}
			}
			if it := l.item(e.ref); m.empty() || m.match(it) {
				matches = append(matches, it)
			}
			return true
		})
		if cerr != nil {
			return nil, cerr
		}
	}
	rows := make([]sortable, len(matches))
	for i, it := range matches {
		vals := make([]sortVal, len(keys))
		for j, k := range keys {
			if k.idx < 0 {
				vals[j] = sortVal{n: float64(it.id)}
			} else {
				vals[j] = decodeSortVal(l.value(it, k.idx), k.typ)
			}
		}
		rows[i] = sortable{it: it, vals: vals}
	}
	slices.SortFunc(rows, func(a, b sortable) int {
		for j, k := range keys {
			if c := cmpSortVal(a.vals[j], b.vals[j], k.typ); c != 0 {
				if k.key.Desc {
					return -c
				}
				return c
			}
		}
		return cmp.Compare(a.it.id, b.it.id)
	})
	sel := &Selection{l: l, Matched: len(rows)}
	for i := f.Offset; i < len(rows) && (f.Limit == 0 || len(sel.items) < f.Limit); i++ {
		sel.items = append(sel.items, rows[i].it)
	}
	return sel, ctx.Err()
}

// decodeSortVal reads a property's JSON text as a sort value of type t.
func decodeSortVal(raw string, t FieldType) sortVal {
	if raw == "" || raw == "null" {
		return sortVal{null: true}
	}
	switch t {
	case TypeInteger, TypeNumber:
		n, err := strconv.ParseFloat(raw, 64)
		return sortVal{n: n, null: err != nil}
	case TypeBoolean:
		if raw == "true" {
			return sortVal{n: 1}
		}
		return sortVal{}
	case TypeDateTime:
		ts, err := time.Parse(time.RFC3339Nano, gjson.Parse(raw).String())
		return sortVal{n: float64(ts.UnixMicro()), null: err != nil}
	}
	return sortVal{s: gjson.Parse(raw).String()}
}

// cmpSortVal orders two values of one key; a null is greater than any
// value (last in ascending order).
func cmpSortVal(a, b sortVal, t FieldType) int {
	switch {
	case a.null && b.null:
		return 0
	case a.null:
		return 1
	case b.null:
		return -1
	}
	switch t {
	case TypeString, TypeDate:
		return strings.Compare(a.s, b.s)
	}
	return cmp.Compare(a.n, b.n)
}
