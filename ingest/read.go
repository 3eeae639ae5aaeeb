package ingest

import (
	"errors"
	"io"

	"github.com/cityatlas/cityatlas/importers"
)

// read returns the next feature of source p.cur (or its error). The
// sources are read a few batches ahead by a goroutine of their own (feed),
// so that parsing the files runs beside checking and converting the rows.
func (p *pipeline) read() (importers.Feature, error) {
	if p.batches == nil {
		p.quit = make(chan struct{})
		p.batches = make(chan []readItem, 4)
		go p.feed()
	}
	for p.pos == len(p.batch) {
		b, ok := <-p.batches
		if !ok {
			return importers.Feature{}, io.EOF // not reached: feed ends each source with EOF
		}
		p.batch, p.pos = b, 0
	}
	it := p.batch[p.pos]
	p.batch[p.pos] = readItem{}
	p.pos++
	return it.f, it.err
}

// readItem is a feature read, or the error reading it.
type readItem struct {
	f   importers.Feature
	err error
}

// readBatch is how many features feed hands over at a time.
const readBatch = 256

// feed reads every source in turn into p.batches, each ending with io.EOF,
// until a source fails or p.stop is called.
func (p *pipeline) feed() {
	defer close(p.batches)
	batch := make([]readItem, 0, readBatch)
	send := func() bool {
		select {
		case p.batches <- batch:
			batch = make([]readItem, 0, readBatch)
			return true
		case <-p.quit:
			return false
		}
	}
	for _, s := range p.srcs {
		for {
			f, err := safeNext(s.r)
			batch = append(batch, readItem{f, err})
			var re *importers.RecordError
			if err != nil && !errors.As(err, &re) {
				if !send() || !errors.Is(err, io.EOF) {
					return // a failed source: next reports it and stops
				}
				break
			}
			if len(batch) == readBatch && !send() {
				return
			}
		}
	}
}

// stop ends feed, if it runs.
func (p *pipeline) stop() {
	if p.quit != nil {
		close(p.quit)
		for range p.batches {
		}
	}
}
