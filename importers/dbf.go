package importers

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// dbfField is one column of a dBase table.
type dbfField struct {
	name     string
	typ      byte
	offset   int // in the record, after the deletion flag
	length   int
	decimals int
	kind     string // Field.Type
}

// dbfTable streams the records of a .dbf file.
type dbfTable struct {
	r          io.Reader
	numRecords int
	recLen     int
	ldid       byte
	fields     []dbfField
	read       int
	buf        []byte
	dec        textDecoder
}

// readDBFHeader reads the header and field descriptors of a .dbf. The
// decoder for names and text is set afterwards with setDecoder.
func readDBFHeader(r io.Reader) (*dbfTable, error) {
	h := make([]byte, 32)
	if _, err := io.ReadFull(r, h); err != nil {
		return nil, fmt.Errorf("%w: .dbf header: %v", ErrFormat, err)
	}
	t := &dbfTable{
		r:          r,
		numRecords: int(binary.LittleEndian.Uint32(h[4:8])),
		recLen:     int(binary.LittleEndian.Uint16(h[10:12])),
		ldid:       h[29],
	}
	headerLen := int(binary.LittleEndian.Uint16(h[8:10]))
	if headerLen < 33 {
		return nil, fmt.Errorf("%w: .dbf header length %d is too short", ErrFormat, headerLen)
	}
	rest := make([]byte, headerLen-32)
	if _, err := io.ReadFull(r, rest); err != nil {
		return nil, fmt.Errorf("%w: .dbf field descriptors: %v", ErrFormat, err)
	}
	offset := 0
	for i := 0; i+32 <= len(rest) && rest[i] != 0x0d; i += 32 {
		d := rest[i : i+32]
		name := d[:11]
		if k := bytes.IndexByte(name, 0); k >= 0 {
			name = name[:k]
		}
		f := dbfField{
			name:     string(bytes.TrimSpace(name)),
			typ:      d[11],
			offset:   offset,
			length:   int(d[16]),
			decimals: int(d[17]),
		}
		if f.typ == 'C' { // lengths above 255 use the decimal byte as the high byte
			f.length += f.decimals << 8
			f.decimals = 0
		}
		f.kind = dbfKind(f)
		offset += f.length
		t.fields = append(t.fields, f)
	}
	if offset+1 > t.recLen {
		return nil, fmt.Errorf("%w: .dbf fields take %d bytes but records are %d", ErrFormat, offset+1, t.recLen)
	}
	t.buf = make([]byte, t.recLen)
	return t, nil
}

// setDecoder sets the text decoder and decodes the field names with it.
func (t *dbfTable) setDecoder(d textDecoder) {
	t.dec = d
	seen := map[string]int{}
	for i := range t.fields {
		name := d.decode([]byte(t.fields[i].name))
		if name == "" {
			name = fmt.Sprintf("field_%d", i+1)
		}
		if n := seen[name]; n > 0 {
			seen[name] = n + 1
			name = fmt.Sprintf("%s_%d", name, n+1)
		} else {
			seen[name] = 1
		}
		t.fields[i].name = name
	}
}

func dbfKind(f dbfField) string {
	switch f.typ {
	case 'N':
		if f.decimals == 0 && f.length < 19 {
			return TypeInteger
		}
		return TypeNumber
	case 'F', 'O', 'B':
		if f.typ == 'B' && f.length != 8 {
			return TypeString // dBase memo block number
		}
		return TypeNumber
	case 'I', '+':
		return TypeInteger
	case 'L':
		return TypeBoolean
	case 'D':
		return TypeDate
	case 'T', '@':
		return TypeDateTime
	}
	return TypeString
}

func (t *dbfTable) fieldList() []Field {
	fs := make([]Field, len(t.fields))
	for i, f := range t.fields {
		fs[i] = Field{Name: f.name, Type: f.kind}
	}
	return fs
}

var errDBFEnd = errors.New("end of .dbf")

// next reads the next record's values. deleted reports a record marked
// deleted. A field that does not parse gives a *fieldError and the other
// values.
func (t *dbfTable) next() (values map[string]any, deleted bool, err error) {
	if t.read >= t.numRecords {
		return nil, false, errDBFEnd
	}
	if _, err := io.ReadFull(t.r, t.buf); err != nil {
		return nil, false, fmt.Errorf("%w: .dbf record %d: %w", ErrFormat, t.read+1, err)
	}
	t.read++
	if t.buf[0] == 0x1a {
		t.read = t.numRecords
		return nil, false, errDBFEnd
	}
	values = make(map[string]any, len(t.fields))
	var firstErr error
	for _, f := range t.fields {
		raw := t.buf[1+f.offset : 1+f.offset+f.length]
		v, ferr := t.parse(f, raw)
		if ferr != nil && firstErr == nil {
			firstErr = &fieldError{field: f.name, err: ferr}
		}
		values[f.name] = v
	}
	return values, t.buf[0] == '*', firstErr
}

type fieldError struct {
	field string
	err   error
}

func (e *fieldError) Error() string { return fmt.Sprintf("field %q: %v", e.field, e.err) }
func (e *fieldError) Unwrap() error { return e.err }

// parse decodes one field. Blank values are nil (null), as are numbers
// made of '*' (an overflow marker dBase writes for null) and "?" logicals.
func (t *dbfTable) parse(f dbfField, raw []byte) (any, error) {
	switch f.typ {
	case 'I':
		if len(raw) == 4 {
			return int64(int32(binary.LittleEndian.Uint32(raw))), nil
		}
	case '+':
		if len(raw) == 4 {
			return int64(binary.LittleEndian.Uint32(raw) &^ (1 << 31)), nil
		}
	case 'O', 'B':
		if len(raw) == 8 {
			return math.Float64frombits(binary.LittleEndian.Uint64(raw)), nil
		}
	}
	s := strings.TrimSpace(string(bytes.TrimRight(raw, "\x00")))
	switch f.typ {
	case 'N', 'F':
		if s == "" || strings.Trim(s, "*") == "" || strings.HasPrefix(s, "*") {
			return nil, nil
		}
		if f.kind == TypeInteger {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				return n, nil
			}
		}
		x, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
			return nil, fmt.Errorf("%w: %q is not a number", ErrValue, s)
		}
		if f.kind == TypeInteger {
			if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
				return nil, fmt.Errorf("%w: %q is not an integer", ErrValue, s)
			}
			return int64(x), nil
		}
		return x, nil
	case 'L':
		switch s {
		case "", "?":
			return nil, nil
		case "T", "t", "Y", "y":
			return true, nil
		case "F", "f", "N", "n":
			return false, nil
		}
		return nil, fmt.Errorf("%w: %q is not a logical (T, F, Y, N or ?)", ErrValue, s)
	case 'D':
		if s == "" || strings.Trim(s, "0") == "" {
			return nil, nil
		}
		d, err := time.Parse("20060102", s)
		if err != nil {
			return nil, fmt.Errorf("%w: %q is not a date (YYYYMMDD)", ErrValue, s)
		}
		return d, nil
	case 'C', 'M', 'V', 'W', 'G', 'P', 'B', '0', 'T', '@':
		if f.typ == 'T' || f.typ == '@' {
			if len(raw) == 8 { // Julian day and milliseconds
				day := int64(binary.LittleEndian.Uint32(raw[0:4]))
				ms := int64(binary.LittleEndian.Uint32(raw[4:8]))
				if day == 0 && ms == 0 {
					return nil, nil
				}
				// Julian day 2440588 is 1970-01-01.
				return time.UnixMilli((day-2440588)*86400000 + ms).UTC(), nil
			}
			return nil, fmt.Errorf("%w: timestamp field of %d bytes", ErrValue, len(raw))
		}
		if s == "" {
			return nil, nil
		}
		return t.dec.decode([]byte(s)), nil
	}
	if s == "" {
		return nil, nil
	}
	return t.dec.decode([]byte(s)), nil
}
