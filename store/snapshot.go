package store

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"time"
	"unsafe"

	"github.com/twpayne/go-geom/encoding/ewkb"

	"github.com/cityatlas/cityatlas/geo"
)

// An index snapshot is the in-memory index written to a local file, so
// that an instance starts in seconds instead of reading every feature from
// the backend: the layers' pointer-free arenas (items, property slots,
// external ids) are written as they are in memory and read straight back
// into their chunks, the interned values as one block of text, the shapes
// as EWKB; the B-tree is bulk-loaded and the R-tree rebuilt. The file is
// tagged with the change-log seq the index held, the change-log entry at
// that seq and the backend's identity, and is only trusted when all of
// them agree with the backend (snapstart.go).
//
// File layout: "CASNAP01", then each layer's section, then the header
// (JSON), its length and CRC-32C (Castagnoli) as two little-endian uint32,
// and "CASNAPEND". Each section has its own CRC in the header. Raw arrays
// are in the machine's byte order and struct layout, which the header's
// layout fingerprint names.

const (
	snapMagic = "CASNAP01"
	snapEnd   = "CASNAPEND"
	// snapFormat changes whenever the meaning of anything the file holds
	// changes (a field of item, how vals or props are encoded, ...) in a
	// way the layout fingerprint does not see.
	snapFormat = 3
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// snapHeader is the file's table of contents.
type snapHeader struct {
	Format int    `json:"format"`
	Layout string `json:"layout"`
	// Identity names the backend the index was loaded from (Identifier).
	Identity string `json:"identity"`
	// Seq is the change-log seq up to which the index had applied
	// changes; Last is the entry at Seq (nil when Seq is 0), which the
	// backend must still have, unchanged.
	Seq     int64     `json:"seq"`
	Last    *Change   `json:"last,omitempty"`
	Written time.Time `json:"written"`
	Layers  []snapLayer
}

type snapLayer struct {
	Collection Collection `json:"collection"`
	Seq        int64      `json:"seq"`
	Gen        int64      `json:"gen"`
	Modified   time.Time  `json:"modified"`
	// Span is the layer's time span (saved: computing it scans every
	// feature).
	Span struct {
		From, To, Updated time.Time
		OK                bool
	} `json:"span"`
	Offset int64  `json:"offset"`
	Size   int64  `json:"size"`
	CRC    uint32 `json:"crc"`
}

// snapLayout fingerprints what the raw arrays depend on: the format, the
// architecture (byte order, alignment) and the layout of the structs
// written whole.
var snapLayout = func() string {
	h := fnv.New64a()
	fmt.Fprintf(h, "format %d arch %s chunk %d", snapFormat, runtime.GOARCH, chunkBits)
	for _, t := range []reflect.Type{reflect.TypeFor[item](), reflect.TypeFor[entry]()} {
		fmt.Fprintf(h, "|%s %d", t.Name(), t.Size())
		for i := range t.NumField() {
			f := t.Field(i)
			fmt.Fprintf(h, " %s %s @%d", f.Name, f.Type, f.Offset)
		}
	}
	return fmt.Sprintf("%016x", h.Sum64())
}()

// raw is the memory of a slice of pointer-free values.
func raw[T any](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(s[0])))
}

// snapWriter writes a section and sums it.
type snapWriter struct {
	w   *bufio.Writer
	crc hash.Hash32
	n   int64
	err error
}

func (w *snapWriter) write(p []byte) {
	if w.err != nil || len(p) == 0 {
		return
	}
	_, w.err = w.w.Write(p)
	w.crc.Write(p)
	w.n += int64(len(p))
}

func (w *snapWriter) u32(v uint32) { w.write(binary.LittleEndian.AppendUint32(nil, v)) }

func (w *snapWriter) u64(v uint64) { w.write(binary.LittleEndian.AppendUint64(nil, v)) }

func writeArena[T any](w *snapWriter, a *arena[T]) {
	w.u32(a.n)
	for i := uint32(0); i < a.n; i += chunkSize {
		w.write(raw(a.chunks[i>>chunkBits][:min(chunkSize, a.n-i)]))
	}
}

// writeLayer writes a published (immutable) layer and the ids of its
// quarantined features.
func writeLayer(w *snapWriter, l *layer, bad []int64) {
	writeArena(w, &l.items)
	writeArena(w, &l.props)
	writeArena(w, &l.ext)
	nv := l.vals.len()
	lens := make([]uint32, nv)
	total := 0
	for i := 1; i < nv; i++ {
		lens[i] = uint32(len(l.vals.at(uint32(i))))
		total += int(lens[i])
	}
	w.u32(uint32(nv))
	w.write(raw(lens))
	w.u64(uint64(total))
	for i := 1; i < nv; i++ {
		v := l.vals.at(uint32(i))
		w.write(unsafe.Slice(unsafe.StringData(v), len(v)))
	}
	w.u32(uint32(len(l.shapes)))
	var buf []byte
	for _, s := range l.shapes {
		b, err := ewkb.Marshal(s.geometry, binary.LittleEndian)
		if err != nil {
			if w.err == nil {
				w.err = fmt.Errorf("encode shape: %w", err)
			}
			return
		}
		flag := byte(0)
		if s.orb != nil {
			flag = 1
		}
		buf = append(binary.LittleEndian.AppendUint32(append(buf[:0], flag), uint32(len(b))), b...)
		w.write(buf)
	}
	w.u32(uint32(l.ids.Len()))
	batch := make([]entry, 0, chunkSize)
	l.ids.Scan(func(e entry) bool {
		if batch = append(batch, e); len(batch) == cap(batch) {
			w.write(raw(batch))
			batch = batch[:0]
		}
		return true
	})
	w.write(raw(batch))
	w.u32(uint32(len(bad)))
	w.write(raw(bad))
}

// snapReader reads a section, sums it and keeps count of what is left, so
// that a corrupt length fails instead of allocating without bound.
type snapReader struct {
	r    *bufio.Reader
	crc  hash.Hash32
	left int64
	err  error
}

var errSnapCorrupt = errors.New("snapshot is corrupt")

func (r *snapReader) read(p []byte) {
	if r.err != nil {
		clear(p)
		return
	}
	if int64(len(p)) > r.left {
		r.err = fmt.Errorf("%w: a length runs past its section", errSnapCorrupt)
		clear(p)
		return
	}
	if _, err := io.ReadFull(r.r, p); err != nil {
		r.err = err
		return
	}
	r.crc.Write(p)
	r.left -= int64(len(p))
}

func (r *snapReader) u32() uint32 {
	var b [4]byte
	r.read(b[:])
	return binary.LittleEndian.Uint32(b[:])
}

func (r *snapReader) u64() uint64 {
	var b [8]byte
	r.read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}

// fits reports whether n elements of size bytes can be in what is left.
func (r *snapReader) fits(n uint64, size uintptr) bool {
	if r.err == nil && n*uint64(size) > uint64(r.left) {
		r.err = fmt.Errorf("%w: %d elements of %d bytes in %d bytes", errSnapCorrupt, n, size, r.left)
	}
	return r.err == nil
}

func readArena[T any](r *snapReader, a *arena[T]) {
	n := r.u32()
	var zero T
	if !r.fits(uint64(n), unsafe.Sizeof(zero)) {
		return
	}
	for i := uint32(0); i < n; i += chunkSize {
		c := make([]T, chunkSize)
		r.read(raw(c[:min(chunkSize, n-i)]))
		a.chunks = append(a.chunks, c)
	}
	a.n = n
}

// readLayer reads the section of one layer of collection c written by
// writeLayer, checking that every reference in it is in range.
func readLayer(f *os.File, sl snapLayer) (*layer, []int64, error) {
	r := &snapReader{r: bufio.NewReaderSize(io.NewSectionReader(f, sl.Offset, sl.Size), 1<<20), crc: crc32.New(castagnoli), left: sl.Size}
	l := newLayer(sl.Collection)
	l.intern = nil
	l.seq, l.gen, l.modified = sl.Seq, sl.Gen, sl.Modified
	l.span = &timeSpan{span: [2]time.Time{sl.Span.From, sl.Span.To}, ok: sl.Span.OK, updated: sl.Span.Updated}
	readArena(r, &l.items)
	readArena(r, &l.props)
	readArena(r, &l.ext)
	if nv := r.u32(); r.fits(uint64(nv), 4) {
		if nv == 0 {
			return nil, nil, fmt.Errorf("%w: no values", errSnapCorrupt)
		}
		lens := make([]uint32, nv)
		r.read(raw(lens))
		total := r.u64()
		if r.fits(total, 1) && total < 1<<32 {
			// The members' text is the table's first chunk, as it is;
			// the writer adds past it, in chunks of its own.
			text := make([]byte, total)
			r.read(text)
			t := valTable{chunks: [][]byte{text}, used: int(total), refs: make([]valRef, nv)}
			off := uint64(0)
			for i := 1; i < int(nv); i++ {
				n := uint64(lens[i])
				if n == 0 || off+n > total {
					return nil, nil, fmt.Errorf("%w: values", errSnapCorrupt)
				}
				t.refs[i] = valRef{chunk: 0, off: uint32(off), n: uint32(n)}
				off += n
			}
			l.vals = t
		} else if r.err == nil {
			return nil, nil, fmt.Errorf("%w: values of %d bytes", errSnapCorrupt, total)
		}
	}
	if err := readShapes(r, l); err != nil {
		return nil, nil, err
	}
	if err := readEntries(r, l); err != nil {
		return nil, nil, err
	}
	var bad []int64
	if nb := r.u32(); r.fits(uint64(nb), 8) {
		bad = make([]int64, nb)
		r.read(raw(bad))
	}
	if r.err != nil {
		return nil, nil, r.err
	}
	if r.left != 0 || r.crc.Sum32() != sl.CRC {
		return nil, nil, fmt.Errorf("%w: collection %s: checksum", errSnapCorrupt, sl.Collection.ID)
	}
	if err := checkSlots(l); err != nil {
		return nil, nil, err
	}
	return l, bad, nil
}

func readShapes(r *snapReader, l *layer) error {
	ns := r.u32()
	if !r.fits(uint64(ns), 5) {
		return r.err
	}
	l.shapes = make([]*shape, ns)
	var buf []byte
	for i := range l.shapes {
		var flag [5]byte
		r.read(flag[:])
		n := binary.LittleEndian.Uint32(flag[1:])
		if !r.fits(uint64(n), 1) {
			return r.err
		}
		buf = slices.Grow(buf[:0], int(n))[:n]
		r.read(buf)
		if r.err != nil {
			return r.err
		}
		g, err := ewkb.Unmarshal(buf)
		if err != nil {
			return fmt.Errorf("%w: shape %d: %w", errSnapCorrupt, i, err)
		}
		s := &shape{geometry: g}
		s.bound, _ = geo.Bounds(g) // as newItem has it
		if flag[0] == 1 {
			if s.orb, err = geo.ToOrb(g); err != nil {
				return fmt.Errorf("%w: shape %d: %w", errSnapCorrupt, i, err)
			}
		}
		l.shapes[i] = s
	}
	return nil
}

// readEntries reads the id → item entries (in id order), checks the items
// they point at and bulk-loads the B-tree (with full leaves, idLoader) and
// the R-tree.
func readEntries(r *snapReader, l *layer) error {
	n := r.u32()
	if !r.fits(uint64(n), unsafe.Sizeof(entry{})) {
		return r.err
	}
	batch := make([]entry, chunkSize)
	ids := newIDLoader(int(n))
	rowBytes := uint64(slotBytes * len(l.keys))
	last := int64(-1 << 63)
	for done := uint32(0); done < n; {
		b := batch[:min(chunkSize, n-done)]
		r.read(raw(b))
		if r.err != nil {
			return r.err
		}
		for _, e := range b {
			id := int64(e.hi)<<32 | int64(e.lo)
			if e.ref >= l.items.n || id <= last {
				return fmt.Errorf("%w: entry of feature %d", errSnapCorrupt, id)
			}
			last = id
			it := l.item(e.ref)
			switch {
			case it.id != id,
				it.props != noProps && (uint64(it.props)+rowBytes > uint64(l.props.n) || rowBytes == 0 ||
					uint64(it.props)&(chunkSize-1)+rowBytes > chunkSize),
				uint64(it.ext)+uint64(it.extLen) > uint64(l.ext.n),
				it.shape < -1 || int(it.shape) >= len(l.shapes):
				return fmt.Errorf("%w: item of feature %d", errSnapCorrupt, id)
			}
			ids.add(e)
			if it.hasGeom() {
				mn, mx := outward(l.bound(it))
				l.tree.Insert(mn, mx, e.ref)
			}
		}
		done += uint32(len(b))
	}
	l.ids = ids.done()
	return nil
}

// checkSlots checks that every property slot names a value. Rows start
// at the beginning of their chunk and follow each other, so slots are at
// the multiples of slotBytes; the rest of a chunk is zero.
func checkSlots(l *layer) error {
	nv := uint32(l.vals.len())
	for i := uint32(0); i < l.props.n; i += chunkSize {
		c := l.props.chunks[i>>chunkBits][:min(chunkSize, l.props.n-i)]
		for k := 0; k+slotBytes <= len(c); k += slotBytes {
			if v := slot(c, k); v >= nv {
				return fmt.Errorf("%w: collection %s: property value %d of %d", errSnapCorrupt, l.coll.ID, v, nv)
			}
		}
	}
	return nil
}

// writeSnapshotFile writes the layers (published, immutable) to path
// atomically: a temporary file in the same directory, synced, renamed
// over path, and the directory synced.
func writeSnapshotFile(path string, h snapHeader, layers []*layer, bad map[string][]int64) (err error) {
	dir := filepath.Dir(path)
	removeStaleTemps(dir)
	f, err := os.CreateTemp(dir, snapTempPattern)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	w := &snapWriter{w: bw, crc: crc32.New(castagnoli)}
	w.write([]byte(snapMagic))
	h.Format, h.Layout, h.Layers = snapFormat, snapLayout, make([]snapLayer, 0, len(layers))
	for _, l := range layers {
		w.crc = crc32.New(castagnoli)
		start := w.n
		writeLayer(w, l, bad[l.coll.ID])
		sl := snapLayer{Collection: l.coll, Seq: l.seq, Gen: l.gen, Modified: l.modified,
			Offset: start, Size: w.n - start, CRC: w.crc.Sum32()}
		if l.times != nil {
			ts := l.times()
			sl.Span.From, sl.Span.To, sl.Span.Updated, sl.Span.OK = ts.span[0], ts.span[1], ts.updated, ts.ok
		}
		h.Layers = append(h.Layers, sl)
	}
	js, err := json.Marshal(h)
	if err != nil {
		return err
	}
	w.write(js)
	w.write(binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, uint32(len(js))), crc32.Checksum(js, castagnoli)))
	w.write([]byte(snapEnd))
	if w.err != nil {
		return w.err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

const snapTempPattern = ".cityatlas-snapshot-*"

// removeStaleTemps removes the temporary files of writes that a crash
// interrupted (an hour old: not another instance's write in progress).
func removeStaleTemps(dir string) {
	olds, _ := filepath.Glob(filepath.Join(dir, snapTempPattern))
	for _, p := range olds {
		if st, err := os.Stat(p); err == nil && time.Since(st.ModTime()) > time.Hour {
			os.Remove(p)
		}
	}
}

// readSnapshotHeader opens a snapshot file and reads its header, checking
// its framing, checksum, format and layout (not whether the backend agrees
// with it).
func readSnapshotHeader(path string) (*os.File, snapHeader, error) {
	var h snapHeader
	f, err := os.Open(path)
	if err != nil {
		return nil, h, err
	}
	fail := func(err error) (*os.File, snapHeader, error) {
		f.Close()
		return nil, h, err
	}
	st, err := f.Stat()
	if err != nil {
		return fail(err)
	}
	size := st.Size()
	tail := make([]byte, 8+len(snapEnd))
	magic := make([]byte, len(snapMagic))
	if size < int64(len(magic)+len(tail)) {
		return fail(fmt.Errorf("%w: %d bytes long (truncated?)", errSnapCorrupt, size))
	}
	if _, err := f.ReadAt(magic, 0); err != nil {
		return fail(err)
	}
	if _, err := f.ReadAt(tail, size-int64(len(tail))); err != nil {
		return fail(err)
	}
	if string(magic) != snapMagic || string(tail[8:]) != snapEnd {
		return fail(fmt.Errorf("%w: not a cityatlas index snapshot of this format, or truncated", errSnapCorrupt))
	}
	n, sum := int64(binary.LittleEndian.Uint32(tail)), binary.LittleEndian.Uint32(tail[4:])
	hstart := size - int64(len(tail)) - n
	if hstart < int64(len(magic)) {
		return fail(fmt.Errorf("%w: header length %d", errSnapCorrupt, n))
	}
	js := make([]byte, n)
	if _, err := f.ReadAt(js, hstart); err != nil {
		return fail(err)
	}
	if crc32.Checksum(js, castagnoli) != sum {
		return fail(fmt.Errorf("%w: header checksum", errSnapCorrupt))
	}
	if err := json.Unmarshal(js, &h); err != nil {
		return fail(fmt.Errorf("%w: header: %w", errSnapCorrupt, err))
	}
	if h.Format != snapFormat || h.Layout != snapLayout {
		return fail(fmt.Errorf("snapshot of format %d layout %s; this build reads format %d layout %s", h.Format, h.Layout, snapFormat, snapLayout))
	}
	for _, sl := range h.Layers {
		if sl.Offset < int64(len(magic)) || sl.Size < 0 || sl.Offset+sl.Size > hstart {
			return fail(fmt.Errorf("%w: section of collection %s", errSnapCorrupt, sl.Collection.ID))
		}
	}
	return f, h, nil
}
