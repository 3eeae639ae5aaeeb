package importers

import (
	"encoding/binary"
	"fmt"
	"math"
)

// fbTable is a FlatBuffers table in buf, read with bounds checks: the
// google/flatbuffers Go runtime trusts its input (a corrupt offset panics),
// and the FlatGeobuf project's Go package is not published as a module, so
// the FlatGeobuf reader walks tables itself. Every accessor returns ok
// false for an absent field and an error for one that points outside buf.
type fbTable struct {
	buf []byte
	pos int // of the table
	vt  int // of its vtable
	vtn int // vtable size in bytes
}

// errFB is what every bad offset gives.
func errFB(what string) error {
	return fmt.Errorf("%w: FlatBuffers %s out of bounds", ErrFormat, what)
}

// fbRoot reads the root table of buf.
func fbRoot(buf []byte) (fbTable, error) {
	if len(buf) < 4 {
		return fbTable{}, errFB("root")
	}
	return fbTableAt(buf, int(binary.LittleEndian.Uint32(buf)))
}

func fbTableAt(buf []byte, pos int) (fbTable, error) {
	if pos < 0 || pos > len(buf)-4 {
		return fbTable{}, errFB("table")
	}
	vt := pos - int(int32(binary.LittleEndian.Uint32(buf[pos:])))
	if vt < 0 || vt > len(buf)-4 {
		return fbTable{}, errFB("vtable")
	}
	vtn := int(binary.LittleEndian.Uint16(buf[vt:]))
	if vtn < 4 || vtn%2 != 0 || vt+vtn > len(buf) {
		return fbTable{}, errFB("vtable")
	}
	return fbTable{buf: buf, pos: pos, vt: vt, vtn: vtn}, nil
}

// field gives the position of field id, of size bytes, or ok false when
// the table does not have it.
func (t fbTable) field(id, size int) (int, bool, error) {
	o := 4 + 2*id
	if o+2 > t.vtn {
		return 0, false, nil
	}
	off := int(binary.LittleEndian.Uint16(t.buf[t.vt+o:]))
	if off == 0 {
		return 0, false, nil
	}
	p := t.pos + off
	if p+size > len(t.buf) {
		return 0, false, errFB("field")
	}
	return p, true, nil
}

func (t fbTable) uint8(id int, def uint8) (uint8, error) {
	p, ok, err := t.field(id, 1)
	if !ok || err != nil {
		return def, err
	}
	return t.buf[p], nil
}

func (t fbTable) uint16(id int, def uint16) (uint16, error) {
	p, ok, err := t.field(id, 2)
	if !ok || err != nil {
		return def, err
	}
	return binary.LittleEndian.Uint16(t.buf[p:]), nil
}

func (t fbTable) int32(id int, def int32) (int32, error) {
	p, ok, err := t.field(id, 4)
	if !ok || err != nil {
		return def, err
	}
	return int32(binary.LittleEndian.Uint32(t.buf[p:])), nil
}

func (t fbTable) uint64(id int, def uint64) (uint64, error) {
	p, ok, err := t.field(id, 8)
	if !ok || err != nil {
		return def, err
	}
	return binary.LittleEndian.Uint64(t.buf[p:]), nil
}

// indirect follows the offset stored in field id.
func (t fbTable) indirect(id int) (int, bool, error) {
	p, ok, err := t.field(id, 4)
	if !ok || err != nil {
		return 0, ok, err
	}
	q := p + int(binary.LittleEndian.Uint32(t.buf[p:]))
	if q > len(t.buf)-4 {
		return 0, false, errFB("offset")
	}
	return q, true, nil
}

// vector gives the start and length (in elements of elem bytes) of the
// vector in field id.
func (t fbTable) vector(id, elem int) (start, n int, ok bool, err error) {
	q, ok, err := t.indirect(id)
	if !ok || err != nil {
		return 0, 0, ok, err
	}
	n = int(binary.LittleEndian.Uint32(t.buf[q:]))
	start = q + 4
	if n > (len(t.buf)-start)/elem {
		return 0, 0, false, errFB("vector")
	}
	return start, n, true, nil
}

func (t fbTable) bytes(id int) ([]byte, bool, error) {
	s, n, ok, err := t.vector(id, 1)
	if !ok || err != nil {
		return nil, ok, err
	}
	return t.buf[s : s+n], true, nil
}

func (t fbTable) string(id int) (string, error) {
	b, _, err := t.bytes(id)
	return string(b), err
}

// float64s copies the vector of doubles in field id.
func (t fbTable) float64s(id int) ([]float64, error) {
	s, n, ok, err := t.vector(id, 8)
	if !ok || err != nil {
		return nil, err
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(t.buf[s+8*i:]))
	}
	return out, nil
}

// uint32s copies the vector of uint32 in field id.
func (t fbTable) uint32s(id int) ([]uint32, error) {
	s, n, ok, err := t.vector(id, 4)
	if !ok || err != nil {
		return nil, err
	}
	out := make([]uint32, n)
	for i := range out {
		out[i] = binary.LittleEndian.Uint32(t.buf[s+4*i:])
	}
	return out, nil
}

// table follows field id to a table.
func (t fbTable) table(id int) (fbTable, bool, error) {
	q, ok, err := t.indirect(id)
	if !ok || err != nil {
		return fbTable{}, ok, err
	}
	sub, err := fbTableAt(t.buf, q)
	return sub, err == nil, err
}

// tables gives the tables of the vector in field id.
func (t fbTable) tables(id int) ([]fbTable, error) {
	s, n, ok, err := t.vector(id, 4)
	if !ok || err != nil {
		return nil, err
	}
	out := make([]fbTable, n)
	for i := range out {
		p := s + 4*i
		sub, err := fbTableAt(t.buf, p+int(binary.LittleEndian.Uint32(t.buf[p:])))
		if err != nil {
			return nil, err
		}
		out[i] = sub
	}
	return out, nil
}
