package store

import "unsafe"

// valTable is a layer's dictionary of property members, each a field's key
// and a value's JSON text (`,"condition":"good"`): index 0 is the empty
// string, for an unset field. The texts are copied end to end into large
// chunks that never move, with a 12-byte reference each, instead of a
// string (16 bytes, and an allocation for the collector to track) each.
// It only grows: a snapshot keeps the table it was published with (its
// slice headers), and the writer adds past it, into chunk space no
// snapshot reads.
type valTable struct {
	chunks [][]byte // full length; the last one filled up to used
	used   int
	refs   []valRef
}

type valRef struct{ chunk, off, n uint32 }

// valChunk is the size of a chunk; a member longer than a quarter of it
// gets a chunk of its own.
const valChunk = 64 << 10

func newValTable() valTable { return valTable{refs: []valRef{{}}} }

// len is the number of members, the unused index 0 included.
func (t *valTable) len() int { return len(t.refs) }

// at returns member id. The string points into the table: it stays valid
// and unchanged as long as the table does.
func (t *valTable) at(id uint32) string {
	r := t.refs[id]
	if r.n == 0 {
		return ""
	}
	return unsafe.String(&t.chunks[r.chunk][r.off], r.n)
}

// add copies member s (not empty) into the table and returns its index
// and the table's own copy of it. Only the writer calls it.
func (t *valTable) add(s []byte) (uint32, string) {
	n := len(s)
	switch {
	case n > valChunk/4:
		t.chunks = append(t.chunks, make([]byte, n))
		t.used = 0
	case len(t.chunks) == 0 || t.used+n > len(t.chunks[len(t.chunks)-1]):
		t.chunks = append(t.chunks, make([]byte, valChunk))
		t.used = 0
	}
	c := len(t.chunks) - 1
	copy(t.chunks[c][t.used:], s)
	t.refs = append(t.refs, valRef{chunk: uint32(c), off: uint32(t.used), n: uint32(n)})
	t.used += n
	id := uint32(len(t.refs) - 1)
	return id, t.at(id)
}
