package store

import "github.com/tidwall/btree"

// The B-tree of ids is loaded in id order. Loaded one by one, every leaf
// but the last is split when full and never filled again: each keeps half
// its room (63 entries) empty, in an array sized for all of it, so an
// entry costs about 25 bytes instead of 12 (31 MB for the 1 M city).
// idLoader fills the leaves instead: it loads every other entry, which
// leaves half-full leaves spanning the whole range, and then sets the
// others, which fall into those leaves and fill them without a split.

func newIDs() *btree.BTreeG[entry] {
	return btree.NewBTreeGOptions(byID, btree.Options{NoLocks: true})
}

// idLoader builds a B-tree of ids from entries given in ascending order.
type idLoader struct {
	t   *btree.BTreeG[entry] // the first, third, ... entries
	odd []entry              // the second, fourth, ...: set by done
}

func newIDLoader(n int) *idLoader {
	return &idLoader{t: newIDs(), odd: make([]entry, 0, n/2+1)}
}

// add takes the next entry, greater than every one before it.
func (b *idLoader) add(e entry) {
	if b.t.Len() == len(b.odd) {
		b.t.Load(e)
	} else {
		b.odd = append(b.odd, e)
	}
}

// done returns the tree with every entry added.
func (b *idLoader) done() *btree.BTreeG[entry] {
	var hint btree.PathHint
	for _, e := range b.odd {
		b.t.SetHint(e, &hint)
	}
	b.odd = nil
	return b.t
}

// packIDs returns t rebuilt with full leaves (see idLoader).
func packIDs(t *btree.BTreeG[entry]) *btree.BTreeG[entry] {
	b := newIDLoader(t.Len())
	t.Scan(func(e entry) bool {
		b.add(e)
		return true
	})
	return b.done()
}
