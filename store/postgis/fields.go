package postgis

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/tidwall/gjson"

	"github.com/cityatlas/cityatlas/store"
)

// Properties travel to the typed columns as one value a field: a string,
// int64, float64, bool, time.Time (dates at midnight UTC) or, for an array,
// its JSON text; nil for a property the feature does not have.

// values returns the field values of canonical properties p of collection
// c, in the order of its fields.
func values(c *store.Collection, p store.Properties) ([]any, error) {
	vals := make([]any, len(c.Fields))
	err := walk(c, p, func(i int, v gjson.Result) error {
		x, err := value(&c.Fields[i], v)
		vals[i] = x
		return err
	})
	return vals, err
}

// walk calls fn with the index of the field and the value of each property
// of canonical properties p, in the order of the fields.
func walk(c *store.Collection, p store.Properties, fn func(i int, v gjson.Result) error) error {
	next := 0
	var err error
	gjson.ParseBytes(p).ForEach(func(k, v gjson.Result) bool {
		name := k.Str
		for next < len(c.Fields) && c.Fields[next].Name != name {
			next++
		}
		if next == len(c.Fields) {
			err = fmt.Errorf("property %q is not in the schema or out of order", name)
			return false
		}
		err = fn(next, v)
		next++
		return err == nil
	})
	return err
}

// value is the value of field f held in JSON value v.
func value(f *store.Field, v gjson.Result) (any, error) {
	if v.Type == gjson.Null {
		return nil, nil
	}
	switch f.Type {
	case store.TypeInteger:
		return v.Int(), nil
	case store.TypeNumber:
		return v.Float(), nil
	case store.TypeBoolean:
		return v.Bool(), nil
	case store.TypeDate:
		return time.Parse(time.DateOnly, v.Str)
	case store.TypeDateTime:
		return time.Parse(time.RFC3339Nano, v.Str)
	case store.TypeArray:
		return v.Raw, nil
	}
	return v.String(), nil
}

// pgEpoch is 2000-01-01T00:00:00Z, PostgreSQL's epoch.
var pgEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// appendBinary appends field value x (see values) as a binary COPY field
// of its column's type: the length, then the value.
func appendBinary(b []byte, ft store.FieldType, x any) []byte {
	be := binary.BigEndian
	if x == nil {
		return be.AppendUint32(b, 0xffffffff)
	}
	switch x := x.(type) {
	case int64:
		b = be.AppendUint32(b, 8)
		return be.AppendUint64(b, uint64(x))
	case float64:
		b = be.AppendUint32(b, 8)
		return be.AppendUint64(b, math.Float64bits(x))
	case bool:
		b = be.AppendUint32(b, 1)
		if x {
			return append(b, 1)
		}
		return append(b, 0)
	case time.Time:
		if ft == store.TypeDate {
			b = be.AppendUint32(b, 4)
			days := (x.Unix() - pgEpoch.Unix()) / 86400 // midnight UTC: exact
			return be.AppendUint32(b, uint32(int32(days)))
		}
		b = be.AppendUint32(b, 8)
		return be.AppendUint64(b, uint64(x.UnixMicro()-pgEpochMicros))
	case string:
		if ft == store.TypeArray { // jsonb: a version byte, the text
			b = be.AppendUint32(b, uint32(len(x)+1))
			b = append(b, 1)
			return append(b, x...)
		}
		b = be.AppendUint32(b, uint32(len(x)))
		return append(b, x...)
	}
	panic(fmt.Sprintf("postgis: unexpected field value %T", x))
}

// appendFields appends the values of canonical properties p of collection
// c as the binary COPY fields of its columns (NULL for a property p does
// not have), without the values in between that values makes.
func appendFields(b []byte, c *store.Collection, p store.Properties) ([]byte, error) {
	be := binary.BigEndian
	next := 0 // the first field not written yet
	nulls := func(upto int) {
		for ; next < upto; next++ {
			b = be.AppendUint32(b, 0xffffffff)
		}
	}
	err := walk(c, p, func(i int, v gjson.Result) error {
		nulls(i)
		next = i + 1
		f := &c.Fields[i]
		switch {
		case v.Type == gjson.Null:
			b = be.AppendUint32(b, 0xffffffff)
		case f.Type == store.TypeInteger:
			b = be.AppendUint32(b, 8)
			b = be.AppendUint64(b, uint64(v.Int()))
		case f.Type == store.TypeNumber:
			b = be.AppendUint32(b, 8)
			b = be.AppendUint64(b, math.Float64bits(v.Float()))
		case f.Type == store.TypeString:
			b = be.AppendUint32(b, uint32(len(v.Str)))
			b = append(b, v.Str...)
		default: // rarer types: through the value
			x, err := value(f, v)
			if err != nil {
				return err
			}
			b = appendBinary(b, f.Type, x)
		}
		return nil
	})
	nulls(len(c.Fields))
	return b, err
}

// fieldRow receives the field columns of a feature row (table.columns).
type fieldRow struct {
	vals []any
	dest []any
}

func newFieldRow(c *store.Collection) *fieldRow {
	r := &fieldRow{vals: make([]any, len(c.Fields)), dest: make([]any, len(c.Fields))}
	for i := range r.vals {
		r.dest[i] = &r.vals[i]
	}
	return r
}

// properties encodes the values scanned, checking them against the schema
// (errors wrap store.ErrInvalid).
func (r *fieldRow) properties(c *store.Collection) (store.Properties, error) {
	for i, f := range c.Fields {
		if s, ok := r.vals[i].(string); ok && f.Type == store.TypeArray {
			r.vals[i] = json.RawMessage(s)
		}
	}
	return store.EncodeValues(c, r.vals)
}
