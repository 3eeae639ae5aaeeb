package api

import (
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/cityatlas/cityatlas/store"
)

// parseSortBy reads sortby=KEY[,KEY...], each key a property of the
// schema or id, with + (ascending, the default) or - (descending) before
// it. A + left unencoded in a URL arrives as a space, which reads as +.
func parseSortBy(q url.Values, ci store.CollectionInfo) ([]store.SortKey, error) {
	v, ok, err := single(q, "sortby")
	if err != nil || !ok {
		return nil, err
	}
	var keys []store.SortKey
	for _, part := range strings.Split(v, ",") {
		k := store.SortKey{}
		name := strings.TrimLeft(part, " ")
		switch {
		case strings.HasPrefix(name, "-"):
			k.Desc, name = true, name[1:]
		case strings.HasPrefix(name, "+"):
			name = name[1:]
		}
		if _, known := ci.Field(name); !known && name != "id" {
			return nil, badParam("sortby", "sortby: collection %q has no property %q; sort by id or by: %s", ci.ID, name, strings.Join(fieldList(ci.Fields), ", "))
		}
		k.Name = name
		keys = append(keys, k)
	}
	if len(keys) > 8 {
		return nil, badParam("sortby", "sortby takes at most 8 keys, got %d", len(keys))
	}
	return keys, nil
}

// fieldPick is the selection of properties=: the positions in the schema
// of the properties to write and their JSON keys.
type fieldPick struct {
	idx  []int
	keys []string
}

// parseProperties reads properties=NAME[,NAME...] (empty: none). It
// returns nil when every property is wanted, and ci with only the chosen
// fields, in the order asked, for the CSV and HTML writers.
func parseProperties(q url.Values, ci store.CollectionInfo) (*fieldPick, store.CollectionInfo, error) {
	v, ok, err := single(q, "properties")
	if err != nil || !ok {
		return nil, ci, err
	}
	pick := &fieldPick{}
	var fields []store.Field
	if v != "" {
		for _, name := range strings.Split(v, ",") {
			i := -1
			for j, fd := range ci.Fields {
				if fd.Name == name {
					i = j
				}
			}
			if i < 0 {
				return nil, ci, badParam("properties", "properties: collection %q has no property %q; choose from: %s", ci.ID, name, strings.Join(fieldList(ci.Fields), ", "))
			}
			if slices.Contains(pick.idx, i) {
				return nil, ci, badParam("properties", "properties names %q twice", name)
			}
			pick.idx = append(pick.idx, i)
			pick.keys = append(pick.keys, strconv.Quote(name)+":")
			fields = append(fields, ci.Fields[i])
		}
	}
	picked := ci
	picked.Fields = fields
	return pick, picked, nil
}

// appendProps appends the JSON object of the chosen properties of h.
func (p *fieldPick) appendProps(buf []byte, h *store.Hit) []byte {
	buf = append(buf, '{')
	first := true
	for j, i := range p.idx {
		v := h.Value(i)
		if v == "" {
			continue
		}
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = append(buf, p.keys[j]...)
		buf = append(buf, v...)
	}
	return append(buf, '}')
}
