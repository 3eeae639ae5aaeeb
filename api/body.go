package api

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/cityatlas/cityatlas/geo"
	"github.com/cityatlas/cityatlas/store"
)

// decodeFeature reads a GeoJSON Feature written to collection c and checks
// it with the rules of the importers: its geometry (RFC 7946, the WGS84
// range, OGC validity, the collection's geometry type) and its properties (each in the
// schema, of its type). A body that is not a Feature is a 400; a Feature
// that breaks a rule, a 422 naming the member at fault. Its id, if any, is
// not read: the path or the store decides it.
func decodeFeature(c *store.Collection, body []byte) (store.Feature, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil {
		return store.Feature{}, badBody("", "the body is not a JSON object: %v", err)
	}
	var typ string
	if err := json.Unmarshal(doc["type"], &typ); err != nil || typ != "Feature" {
		return store.Feature{}, badBody("type", `the body must be a GeoJSON Feature ("type": "Feature")`)
	}
	var f store.Feature
	if raw, ok := doc["geometry"]; ok && !isNull(raw) {
		g, err := geo.DecodeGeoJSON(raw)
		if err != nil {
			return f, unprocessable("geometry", "geometry: %v", err)
		}
		// The importers' rule (ingest): the OGC simple-feature validity
		// rules, so that a self-intersecting polygon is refused here too.
		if err := geo.CheckValid(g); err != nil {
			return f, unprocessable("geometry", "geometry: %v", err)
		}
		if t := geo.TypeName(g); !store.GeometryAllowed(c.Geometry, t) {
			return f, unprocessable("geometry", "collection %q takes %s geometries, not %s", c.ID, c.Geometry, t)
		}
		f.Geometry = g
	}
	props, err := decodeProperties(c, doc["properties"])
	if err != nil {
		return f, err
	}
	f.Properties = props
	return f, nil
}

// decodeProperties checks a Feature's properties member against the
// schema of c, naming the first property at fault (in name order), and
// returns their canonical encoding. A null value is no value.
func decodeProperties(c *store.Collection, raw json.RawMessage) (store.Properties, error) {
	vals := map[string]any{}
	if len(raw) > 0 && !isNull(raw) {
		v, err := decodeJSON(raw)
		if err != nil {
			return nil, badBody("properties", "properties: %v", err)
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, unprocessable("properties", "properties must be a JSON object")
		}
		names := make([]string, 0, len(m))
		for k := range m {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			if m[k] == nil {
				continue
			}
			if _, err := store.EncodeProperties(c, map[string]any{k: m[k]}); err != nil {
				return nil, unprocessable(k, "%s", trimSentinel(err))
			}
			vals[k] = m[k]
		}
	}
	p, err := store.EncodeProperties(c, vals)
	if err != nil {
		return nil, unprocessable("properties", "%s", trimSentinel(err))
	}
	return p, nil
}

func isNull(raw json.RawMessage) bool { return strings.TrimSpace(string(raw)) == "null" }
