package store

import "github.com/cityatlas/cityatlas/geo"

// MaxPropertiesBytes is the longest a feature's canonical properties
// (see EncodeProperties) may be: 1 MiB. Longer ones are refused on the way
// in and quarantined when found stored.
const MaxPropertiesBytes = 1 << 20

// maxRawProperties bounds properties JSON as a client or a database gives
// it, before it is parsed: twice MaxPropertiesBytes leaves room for the
// spaces jsonb adds.
const maxRawProperties = 2 * MaxPropertiesBytes

// CheckPropertiesJSON bounds properties JSON before it is parsed, without
// allocating: at most twice MaxPropertiesBytes long (room for whitespace),
// and arrays and objects nested at most two deep (the object of values,
// and a value that is an array or object, which the schema then refuses
// by name). Errors wrap ErrInvalid.
func CheckPropertiesJSON(p []byte) error {
	if len(p) > maxRawProperties {
		return Invalidf("properties of %d bytes; at most %d", len(p), maxRawProperties)
	}
	if geo.JSONDepth(p) > 2 {
		return Invalidf("properties nest arrays or objects; a property's value must be a string, number, boolean or null")
	}
	return nil
}
