package ingest

import (
	"bufio"
	"cmp"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
)

// idLog collects the hashed external ids of an import and finds the ones
// given twice, in bounded memory: it holds up to max of them; beyond that,
// sorted runs go to a temporary file, merged when the import ends.
type idLog struct {
	max  int
	buf  []idRef
	file *os.File // the runs, one after another
	runs []int    // how many entries each run has
}

// idRun is how many ids an import holds in memory (16 bytes each).
const idRun = 1 << 18

// idSize is an entry's size on file: hash, source, record.
const idSize = 16

func newIDLog(max int) *idLog { return &idLog{max: max} }

func (l *idLog) add(r idRef) {
	l.buf = append(l.buf, r)
	if len(l.buf) >= l.max {
		l.spill()
	}
}

func compareRefs(a, b idRef) int {
	if c := cmp.Compare(a.hash, b.hash); c != 0 {
		return c
	}
	if c := cmp.Compare(a.src, b.src); c != 0 {
		return c
	}
	return cmp.Compare(a.record, b.record)
}

// spill writes the ids held as a sorted run. Should the file fail, they
// stay in memory.
func (l *idLog) spill() {
	if l.file == nil {
		f, err := os.CreateTemp("", "cityatlas-import-ids-*")
		if err != nil {
			l.max = math.MaxInt
			return
		}
		l.file = f
	}
	slices.SortFunc(l.buf, compareRefs)
	w := bufio.NewWriterSize(l.file, 64<<10)
	var b [idSize]byte
	for _, r := range l.buf {
		binary.LittleEndian.PutUint64(b[0:], r.hash)
		binary.LittleEndian.PutUint32(b[8:], uint32(r.src))
		binary.LittleEndian.PutUint32(b[12:], uint32(r.record))
		w.Write(b[:])
	}
	if err := w.Flush(); err != nil {
		l.max = math.MaxInt // keep them in memory from now on
		return
	}
	l.runs = append(l.runs, len(l.buf))
	l.buf = l.buf[:0]
}

// close removes the file.
func (l *idLog) close() {
	if l.file != nil {
		l.file.Close()
		os.Remove(l.file.Name())
		l.file = nil
	}
	l.buf = nil
}

// dup is an id given again (again) after its first row (first).
type dup struct{ first, again idRef }

// dups returns every entry whose hash an earlier one has, with the first
// entry of that hash (ordered by source, then record).
func (l *idLog) dups() ([]dup, error) {
	curs, err := l.cursors()
	if err != nil {
		return nil, err
	}
	var (
		out   []dup
		first idRef
		have  bool
	)
	for curs.Len() > 0 {
		c := curs.items[0]
		r := c.cur
		if have && r.hash == first.hash {
			out = append(out, dup{first, r})
		} else {
			first, have = r, true
		}
		if err := curs.advance(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// stored is a stored feature's external id, hashed like the log's, and
// its feature id.
type stored struct {
	hash uint64
	id   int64
}

// missing returns the ids of the stored features whose hash no entry of
// the log has, in ascending order. It sorts have.
func (l *idLog) missing(have []stored) ([]int64, error) {
	slices.SortFunc(have, func(a, b stored) int { return cmp.Compare(a.hash, b.hash) })
	curs, err := l.cursors()
	if err != nil {
		return nil, err
	}
	var out []int64
	for _, s := range have {
		// Skip the log's entries below s; the smallest left decides.
		for curs.Len() > 0 && curs.items[0].cur.hash < s.hash {
			if err := curs.advance(); err != nil {
				return nil, err
			}
		}
		if curs.Len() == 0 || curs.items[0].cur.hash != s.hash {
			out = append(out, s.id)
		}
	}
	slices.Sort(out)
	return out, nil
}

// cursors returns a heap of cursors over the runs on file and the entries
// in memory (sorted here), each at its first entry.
func (l *idLog) cursors() (*cursors, error) {
	slices.SortFunc(l.buf, compareRefs)
	curs := &cursors{}
	var off int64
	for _, n := range l.runs {
		c := &cursor{r: bufio.NewReaderSize(io.NewSectionReader(l.file, off, int64(n)*idSize), 16<<10), left: n}
		off += int64(n) * idSize
		if err := c.next(); err != nil {
			return nil, err
		}
		curs.items = append(curs.items, c)
	}
	if len(l.buf) > 0 {
		c := &cursor{mem: l.buf}
		c.next()
		curs.items = append(curs.items, c)
	}
	heap.Init(curs)
	return curs, nil
}

// advance moves the heap's smallest cursor on, dropping it at its end.
func (h *cursors) advance() error {
	if err := h.items[0].next(); errors.Is(err, io.EOF) {
		heap.Pop(h)
	} else if err != nil {
		return err
	} else {
		heap.Fix(h, 0)
	}
	return nil
}

// cursor walks one sorted run, on file or in memory.
type cursor struct {
	r    *bufio.Reader
	left int
	mem  []idRef
	cur  idRef
}

func (c *cursor) next() error {
	if c.r == nil {
		if len(c.mem) == 0 {
			return io.EOF
		}
		c.cur, c.mem = c.mem[0], c.mem[1:]
		return nil
	}
	if c.left == 0 {
		return io.EOF
	}
	var b [idSize]byte
	if _, err := io.ReadFull(c.r, b[:]); err != nil {
		return fmt.Errorf("ingest: read back the ids: %w", err)
	}
	c.left--
	c.cur = idRef{hash: binary.LittleEndian.Uint64(b[0:]), src: int32(binary.LittleEndian.Uint32(b[8:])), record: int32(binary.LittleEndian.Uint32(b[12:]))}
	return nil
}

// cursors is a heap of cursors by their current entry.
type cursors struct{ items []*cursor }

func (h *cursors) Len() int           { return len(h.items) }
func (h *cursors) Less(i, j int) bool { return compareRefs(h.items[i].cur, h.items[j].cur) < 0 }
func (h *cursors) Swap(i, j int)      { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *cursors) Push(x any)         { h.items = append(h.items, x.(*cursor)) }
func (h *cursors) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}
