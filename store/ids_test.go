package store

import (
	"runtime"
	"testing"

	"github.com/tidwall/btree"
)

// heapOf returns the live heap that build's result holds.
func heapOf(build func() *btree.BTreeG[entry]) (*btree.BTreeG[entry], uint64) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	t := build()
	runtime.GC()
	runtime.ReadMemStats(&after)
	return t, after.HeapAlloc - before.HeapAlloc
}

// TestIDLoaderFillsLeaves: the loader's tree holds the same entries as
// one loaded entry by entry, in about half the memory, and stays an
// ordinary tree for the writes that follow.
func TestIDLoaderFillsLeaves(t *testing.T) {
	for _, n := range []int{0, 1, 2, 62, 63, 64, 127, 1000, 200_000} {
		id := func(i int) int64 { return int64(i)*3 - 1<<33 } // ids on both sides of the 32-bit halves
		loaded, plain := heapOf(func() *btree.BTreeG[entry] {
			t := newIDs()
			for i := range n {
				t.Load(idEntry(id(i), ref(i)))
			}
			return t
		})
		packed, small := heapOf(func() *btree.BTreeG[entry] {
			b := newIDLoader(n)
			for i := range n {
				b.add(idEntry(id(i), ref(i)))
			}
			return b.done()
		})
		repacked := packIDs(loaded)
		for name, tr := range map[string]*btree.BTreeG[entry]{"loader": packed, "packIDs": repacked} {
			if tr.Len() != n {
				t.Fatalf("n=%d %s: %d entries", n, name, tr.Len())
			}
			i := 0
			tr.Scan(func(e entry) bool {
				if e != idEntry(id(i), ref(i)) {
					t.Fatalf("n=%d %s: entry %d is %+v", n, name, i, e)
				}
				i++
				return true
			})
		}
		if n == 200_000 {
			t.Logf("%d entries: %d bytes loaded one by one, %d packed", n, plain, small)
			if small*10 > plain*6 {
				t.Errorf("packed tree %d bytes, not under 60%% of %d", small, plain)
			}
		}
		// Writes after the load: a set in the middle, a delete, a new last.
		if n > 2 {
			packed.Set(idEntry(id(n/2)+1, 7))
			packed.Delete(idEntry(id(0), 0))
			packed.Set(idEntry(id(n)+5, 9))
			if packed.Len() != n+1 {
				t.Fatalf("n=%d: %d entries after the writes", n, packed.Len())
			}
			if e, ok := packed.Get(idEntry(id(n/2)+1, 0)); !ok || e.ref != 7 {
				t.Fatalf("n=%d: the set entry is %+v, %v", n, e, ok)
			}
		}
	}
}
