package ingest

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// TestIDLog: the repeats found through runs on file, and the stored ids
// that the log lacks, are those found in memory, whatever the run size.
func TestIDLog(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var refs []idRef
	for i := range 5000 {
		refs = append(refs, idRef{hash: uint64(rng.IntN(4000)), src: int32(i / 2000), record: int32(i%2000 + 1)})
	}
	want := func() []dup {
		all := slices.Clone(refs)
		slices.SortFunc(all, compareRefs)
		var out []dup
		for i, first := 1, 0; i < len(all); i++ {
			if all[i].hash != all[first].hash {
				first = i
				continue
			}
			out = append(out, dup{all[first], all[i]})
		}
		return out
	}()
	if len(want) == 0 {
		t.Fatal("no repeats to find")
	}
	// Stored features: hashes from the same range and beyond it, some
	// twice (two features, one hash).
	var have []stored
	for i := range 3000 {
		have = append(have, stored{hash: uint64(rng.IntN(6000)), id: int64(i + 1)})
	}
	inLog := map[uint64]bool{}
	for _, r := range refs {
		inLog[r.hash] = true
	}
	var wantMissing []int64
	for _, s := range have {
		if !inLog[s.hash] {
			wantMissing = append(wantMissing, s.id)
		}
	}
	if len(wantMissing) == 0 || len(wantMissing) == len(have) {
		t.Fatalf("%d of %d stored missing: nothing to tell apart", len(wantMissing), len(have))
	}
	for _, run := range []int{1, 7, 1000, idRun} {
		l := newIDLog(run)
		for _, r := range refs {
			l.add(r)
		}
		if run < len(refs) && l.file == nil {
			t.Fatalf("run %d: nothing went to a file", run)
		}
		got, err := l.dups()
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("run %d: %d repeats (%v), want %d", run, len(got), err, len(want))
		}
		// After dups, missing: the stored features whose hash the log
		// does not have, against a set in memory.
		gotMissing, err := l.missing(slices.Clone(have))
		l.close()
		if err != nil || !reflect.DeepEqual(gotMissing, wantMissing) {
			t.Fatalf("run %d: missing %v (%v), want %v", run, gotMissing, err, wantMissing)
		}
	}
}
