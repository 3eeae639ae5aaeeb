package postgis

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"github.com/cityatlas/cityatlas/store"
)

// normalizeProperties checks p against the collection's schema and returns
// its canonical encoding (what is stored). Empty p is the empty object.
// Errors wrap store.ErrInvalid. It parses with gjson, several times faster
// than encoding/json into a map, which matters for bulk loads and scans.
func normalizeProperties(c *store.Collection, p []byte) (store.Properties, error) {
	if len(p) == 0 {
		return store.EncodeProperties(c, nil)
	}
	if store.Canonical(c, p) {
		return store.Properties(p), nil // encoded already: nothing to redo
	}
	if err := store.CheckPropertiesJSON(p); err != nil {
		return nil, err // before gjson, whose parsing recurses and allocates
	}
	if !gjson.ValidBytes(p) {
		return nil, store.Invalidf("properties are not valid JSON")
	}
	if !utf8.Valid(p) {
		return nil, store.Invalidf("properties are not valid UTF-8")
	}
	r := gjson.ParseBytes(p)
	if !r.IsObject() {
		return nil, store.Invalidf("properties are not a JSON object")
	}
	m := make(map[string]any, 8)
	r.ForEach(func(k, v gjson.Result) bool {
		switch v.Type {
		case gjson.Null:
			m[k.String()] = nil
		case gjson.False, gjson.True, gjson.Number:
			if f, ok := c.Field(k.String()); ok && f.Type == store.TypeString && len(f.Values) > 0 {
				// As a string, so that EncodeProperties checks the
				// enumeration (it lets other types through unchecked).
				m[k.String()] = v.Raw
				break
			}
			if v.Type != gjson.Number {
				m[k.String()] = v.Bool()
				break
			}
			n := json.Number(v.Raw)
			// jsonb keeps no negative zero: store 0, so that the
			// properties read back are the ones returned now.
			if x, err := n.Float64(); err == nil && x == 0 {
				n = "0"
			}
			m[k.String()] = n
		case gjson.String:
			m[k.String()] = v.String()
		default: // an array for an array field; else EncodeProperties names the property
			if v.IsArray() {
				m[k.String()] = json.RawMessage(v.Raw)
			} else {
				m[k.String()] = map[string]any{}
			}
		}
		return true
	})
	return store.EncodeProperties(c, m)
}

// canonicalProperties turns jsonb as PostgreSQL returns it (keys reordered,
// spaces added) back into the canonical form of the collection's schema.
func canonicalProperties(c *store.Collection, raw []byte) (store.Properties, error) {
	p, err := normalizeProperties(c, raw)
	if err != nil {
		return nil, fmt.Errorf("stored properties: %w", err)
	}
	return p, nil
}
