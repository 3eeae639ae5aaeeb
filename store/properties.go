package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"
)

// Properties is a feature's properties as a canonical JSON object: keys in
// schema order, nulls left out, integers without a fraction, dates as
// "YYYY-MM-DD". It is immutable once built; the in-memory index shares it.
type Properties []byte

var emptyObject = Properties("{}")

// Get returns the raw JSON value of property name, and whether it is set.
func (p Properties) Get(name string) (gjson.Result, bool) {
	if len(p) == 0 {
		return gjson.Result{}, false
	}
	r := gjson.GetBytes(p, gjsonEscape(name))
	return r, r.Exists()
}

func gjsonEscape(name string) string {
	var b []byte
	for i := 0; i < len(name); i++ {
		switch c := name[i]; c {
		case '.', '*', '?', '|', '#', '@', '\\', ':', '!', '=', '<', '>', '%':
			b = append(b, '\\', c)
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

// Values decodes p into Go values typed by the collection's schema:
// string, int64, float64, bool; dates and datetimes as strings.
// Properties absent from p are absent from the map.
func (p Properties) Values(c *Collection) (map[string]any, error) {
	m := map[string]any{}
	if len(p) == 0 {
		return m, nil
	}
	d := json.NewDecoder(bytes.NewReader(p))
	d.UseNumber()
	var raw map[string]any
	if err := d.Decode(&raw); err != nil {
		return nil, fmt.Errorf("decode properties: %w", err)
	}
	for _, f := range c.Fields {
		v, ok := raw[f.Name]
		if !ok || v == nil {
			continue
		}
		tv, err := coerce(f, v)
		if err != nil {
			return nil, err
		}
		m[f.Name] = tv
	}
	return m, nil
}

var (
	fieldNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)
	dateRe      = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
)

// ValidFieldName reports whether name can be a property name: a letter or
// underscore, then letters, digits and underscores, at most 63 characters.
func ValidFieldName(name string) bool { return fieldNameRe.MatchString(name) }

// EncodeProperties checks values against the collection's schema and returns
// their canonical encoding. A value may be given as its Go type or as the
// JSON-decoded form (float64 or json.Number for numbers); strings are
// accepted for numbers, integers, booleans and dates when they parse.
// A name not in the schema, a value of the wrong type, or an encoding
// longer than MaxPropertiesBytes is an error wrapping ErrInvalid that
// names the property.
func EncodeProperties(c *Collection, values map[string]any) (Properties, error) {
	for name := range values {
		if _, ok := c.Field(name); !ok {
			return nil, Invalidf("property %q is not in the schema of collection %q (known: %s)", name, c.ID, fieldNames(c))
		}
	}
	return encode(c, len(values), func(i int) any { return values[c.Fields[i].Name] })
}

// EncodeValues is EncodeProperties for values given in the order of the
// collection's fields (vals[i] for c.Fields[i]; nil or missing for none).
func EncodeValues(c *Collection, vals []any) (Properties, error) {
	return encode(c, len(vals), func(i int) any {
		if i < len(vals) {
			return vals[i]
		}
		return nil
	})
}

// encode writes the canonical properties of field values that value gives
// by field index; n is a hint of how many there are.
func encode(c *Collection, n int, value func(i int) any) (Properties, error) {
	buf := make([]byte, 0, 32*n+2)
	buf = append(buf, '{')
	first := true
	for i := range c.Fields {
		v := value(i)
		if v == nil {
			continue
		}
		f := c.Fields[i]
		tv, err := coerce(f, v)
		if err != nil {
			return nil, err
		}
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = append(buf, '"') // field names need no escapes
		buf = append(buf, f.Name...)
		buf = append(buf, '"', ':')
		buf = appendJSONValue(buf, tv)
	}
	buf = append(buf, '}')
	if len(buf) == 2 {
		return emptyObject, nil
	}
	if len(buf) > MaxPropertiesBytes {
		return nil, Invalidf("properties of %d bytes; at most %d", len(buf), MaxPropertiesBytes)
	}
	return Properties(buf), nil
}

func fieldNames(c *Collection) string {
	var b bytes.Buffer
	for i, f := range c.Fields {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(f.Name)
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}

func appendJSONValue(buf []byte, v any) []byte {
	switch v := v.(type) {
	case string:
		if plainASCII(v) {
			buf = append(buf, '"')
			buf = append(buf, v...)
			return append(buf, '"')
		}
		b, _ := json.Marshal(v) // escapes <, >, & like encoding/json
		return append(buf, b...)
	case int64:
		return strconv.AppendInt(buf, v, 10)
	case float64:
		return strconv.AppendFloat(buf, v, 'g', -1, 64)
	case bool:
		return strconv.AppendBool(buf, v)
	case jsonArray:
		return append(buf, v...)
	}
	panic(fmt.Sprintf("store: unexpected property value %T", v))
}

// plainASCII reports whether encoding/json writes s as it is, between
// quotes: printable ASCII but ", \, <, > and &.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if !plainByte(s[i]) {
			return false
		}
	}
	return true
}

// plainByte reports whether encoding/json writes c as it is in a string.
func plainByte(c byte) bool {
	return c >= 0x20 && c <= 0x7e && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
}

// coerce converts v to the Go type of field f.
func coerce(f Field, v any) (any, error) {
	bad := func(want string) error {
		return Invalidf("property %q must be %s, got %s", f.Name, want, describe(v))
	}
	switch f.Type {
	case TypeString:
		var str string
		switch v := v.(type) {
		case string:
			str = v
		case json.RawMessage: // an array read for an array field, into a text one
			str = string(v)
		case json.Number:
			str = v.String()
		case int64, int, float64, bool:
			str = fmt.Sprint(v)
		default:
			return nil, bad("a string")
		}
		if len(f.Values) > 0 && !contains(f.Values, str) {
			return nil, Invalidf("property %q must be one of %q, got %q", f.Name, f.Values, str)
		}
		return str, nil
	case TypeInteger:
		switch v := v.(type) {
		case int64:
			return v, nil
		case int:
			return int64(v), nil
		case int32:
			return int64(v), nil
		case float64:
			if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
				return int64(v), nil
			}
		case json.Number:
			if n, err := strconv.ParseInt(v.String(), 10, 64); err == nil {
				return n, nil
			}
			if fl, err := v.Float64(); err == nil && fl == math.Trunc(fl) && math.Abs(fl) < 1<<53 {
				return int64(fl), nil
			}
		case string:
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				return n, nil
			}
		}
		return nil, bad("an integer")
	case TypeNumber:
		var x float64
		switch v := v.(type) {
		case float64:
			x = v
		case float32:
			x = float64(v)
		case int64:
			x = float64(v)
		case int:
			x = float64(v)
		case json.Number:
			fl, err := v.Float64()
			if err != nil {
				return nil, bad("a number")
			}
			x = fl
		case string:
			fl, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil, bad("a number")
			}
			x = fl
		default:
			return nil, bad("a number")
		}
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, bad("a finite number")
		}
		if x == 0 {
			x = 0 // no negative zero: jsonb and SQLite would not keep it
		}
		return x, nil
	case TypeBoolean:
		switch v := v.(type) {
		case bool:
			return v, nil
		case string:
			if b, err := strconv.ParseBool(v); err == nil {
				return b, nil
			}
		}
		return nil, bad("true or false")
	case TypeDate:
		switch v := v.(type) {
		case string:
			if dateRe.MatchString(v) {
				if _, err := time.Parse(time.DateOnly, v); err == nil {
					return v, nil
				}
			}
			if t, err := time.Parse(time.RFC3339, v); err == nil {
				return t.UTC().Format(time.DateOnly), nil
			}
		case time.Time:
			return v.UTC().Format(time.DateOnly), nil
		}
		return nil, bad("a date YYYY-MM-DD")
	case TypeDateTime:
		// To the microsecond, which is what PostgreSQL keeps.
		switch v := v.(type) {
		case string:
			if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
				return t.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano), nil
			}
			if t, err := time.Parse(time.DateOnly, v); err == nil {
				return t.UTC().Format(time.RFC3339Nano), nil
			}
		case time.Time:
			return v.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano), nil
		}
		return nil, bad("an RFC 3339 date-time")
	case TypeArray:
		return coerceArray(v, bad)
	}
	return nil, Invalidf("property %q has unknown type %q", f.Name, f.Type)
}

// jsonArray is an array value in its canonical JSON encoding.
type jsonArray []byte

// coerceArray takes a list of strings, numbers and booleans, or the JSON
// text of one (a CSV cell, a GeoPackage TEXT column), and returns its
// canonical encoding.
func coerceArray(v any, bad func(string) error) (any, error) {
	const want = "an array of strings, numbers and booleans"
	if raw, ok := v.(json.RawMessage); ok {
		v = string(raw)
	}
	if s, ok := v.(string); ok {
		d := json.NewDecoder(strings.NewReader(s))
		d.UseNumber()
		var x any
		if err := d.Decode(&x); err != nil || d.More() {
			return nil, bad(want)
		}
		v = x
	}
	var items []any
	switch x := v.(type) {
	case []any:
		items = x
	case []string:
		for _, s := range x {
			items = append(items, s)
		}
	default:
		return nil, bad(want)
	}
	buf := []byte{'['}
	for i, it := range items {
		if i > 0 {
			buf = append(buf, ',')
		}
		switch e := it.(type) {
		case string, bool:
			buf = appendJSONValue(buf, e)
		case json.Number:
			fl, err := e.Float64()
			if err != nil || math.IsInf(fl, 0) {
				return nil, bad(want)
			}
			buf = appendJSONValue(buf, fl+0) // +0: no negative zero
		case float64:
			if math.IsNaN(e) || math.IsInf(e, 0) {
				return nil, bad(want)
			}
			buf = appendJSONValue(buf, e+0)
		case int64:
			buf = appendJSONValue(buf, float64(e))
		case int:
			buf = appendJSONValue(buf, float64(e))
		default:
			return nil, bad(want)
		}
	}
	return jsonArray(append(buf, ']')), nil
}

func describe(v any) string {
	switch v := v.(type) {
	case string:
		return strconv.Quote(v)
	case json.Number:
		return v.String()
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	}
	return fmt.Sprintf("%v", v)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
