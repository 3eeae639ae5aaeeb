package store

import (
	"errors"
	"io"
	"testing"
)

// TestBatches: the mutations come out in order across batches, then the
// end's error, or io.EOF when it has none.
func TestBatches(t *testing.T) {
	boom := errors.New("boom")
	for _, end := range []error{nil, boom} {
		ch := make(chan []Mutation, 3)
		ch <- []Mutation{{Feature: Feature{ExternalID: "a"}}, {Feature: Feature{ExternalID: "b"}}}
		ch <- nil
		ch <- []Mutation{{Feature: Feature{ExternalID: "c"}}}
		close(ch)
		next := Batches(ch, func() error { return end })
		var got string
		var err error
		for {
			var m Mutation
			if m, err = next(); err != nil {
				break
			}
			got += m.Feature.ExternalID
		}
		want := end
		if want == nil {
			want = io.EOF
		}
		if got != "abc" || !errors.Is(err, want) {
			t.Errorf("end %v: got %q then %v", end, got, err)
		}
	}
}
