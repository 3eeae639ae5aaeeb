package postgis

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/cityatlas/cityatlas/store"
)

// normalizeProperties checks p against the collection's schema and returns
// its canonical encoding (what is stored). Empty p is the empty object.
// Errors wrap store.ErrInvalid.
func normalizeProperties(c *store.Collection, p store.Properties) (store.Properties, error) {
	if len(p) == 0 {
		return store.EncodeProperties(c, nil)
	}
	d := json.NewDecoder(bytes.NewReader(p))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, store.Invalidf("properties are not a JSON object: %v", err)
	}
	if d.More() {
		return nil, store.Invalidf("properties have data after the JSON object")
	}
	for k, v := range m {
		// jsonb keeps no negative zero: store 0, so that the properties
		// read back are the ones returned now.
		if n, ok := v.(json.Number); ok {
			if x, err := n.Float64(); err == nil && x == 0 {
				m[k] = json.Number("0")
			}
		}
	}
	return store.EncodeProperties(c, m)
}

// canonicalProperties turns jsonb as PostgreSQL returns it (keys reordered,
// spaces added) back into the canonical form of the collection's schema.
func canonicalProperties(c *store.Collection, raw []byte) (store.Properties, error) {
	if len(raw) == 0 || bytes.Equal(raw, []byte("{}")) {
		return store.EncodeProperties(c, nil)
	}
	values, err := store.Properties(raw).Values(c)
	if err != nil {
		return nil, fmt.Errorf("stored properties: %w", err)
	}
	p, err := store.EncodeProperties(c, values)
	if err != nil {
		return nil, fmt.Errorf("stored properties: %w", err)
	}
	return p, nil
}
