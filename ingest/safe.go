package ingest

import (
	"errors"
	"fmt"

	"github.com/cityatlas/cityatlas/importers"
	"github.com/cityatlas/cityatlas/store"
)

// errPanic is wrapped by the error of a row whose reading or checking
// panicked (a bug, in this program or a library it uses): the row is
// reported, the import goes on or stops as for any bad row, and the
// process does not crash half-way through a write.
var errPanic = errors.New("internal error")

// safeConvert is convert, with a panic turned into the row's error.
func (p *pipeline) safeConvert(s *source, f *importers.Feature) (m store.Mutation, re *importers.RecordError) {
	defer func() {
		if v := recover(); v != nil {
			re = &importers.RecordError{File: s.r.Name(), Record: f.Record,
				Err: fmt.Errorf("%w checking the row: %v (please report it, with the row)", errPanic, v)}
		}
	}()
	return p.convert(s, f)
}

// safeNext is r.Next, with a panic turned into a final error: the reader's
// state is unknown after it, so the source is not read further.
func safeNext(r importers.Reader) (f importers.Feature, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%w reading %s: %v (please report it, with the file)", errPanic, r.Name(), v)
		}
	}()
	return r.Next()
}
