package api

import (
	"net/url"
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
		fd, known := ci.Field(name)
		if !known && name != "id" {
			return nil, badParam("sortby", "sortby: collection %q has no property %q; sort by id or by: %s", ci.ID, name, strings.Join(fieldList(ci.Fields), ", "))
		}
		if known && fd.Type == store.TypeArray {
			return nil, badParam("sortby", "sortby: %q is an array: lists have no order to sort by", name)
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

// parseProperties reads properties=NAME[,NAME...] (empty: none) as the
// downloads do (pickProperties: schema order). It returns nil when every
// property is wanted, and ci with only the chosen fields, for the CSV and
// HTML writers.
func parseProperties(q url.Values, ci store.CollectionInfo) (*fieldPick, store.CollectionInfo, error) {
	v, ok, err := single(q, "properties")
	if err != nil || !ok {
		return nil, ci, err
	}
	idx, err := pickProperties(v, true, ci)
	if err != nil {
		return nil, ci, err
	}
	pick := &fieldPick{idx: idx}
	picked := ci
	picked.Fields = nil
	for _, i := range idx {
		pick.keys = append(pick.keys, strconv.Quote(ci.Fields[i].Name)+":")
		picked.Fields = append(picked.Fields, ci.Fields[i])
	}
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
