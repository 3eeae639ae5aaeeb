package ingest

import (
	"fmt"

	"github.com/cityatlas/cityatlas/importers"
	"github.com/cityatlas/cityatlas/store"
)

// dateText reads text for a datetime property (a GeoJSON string, as
// GDAL writes "2022-04-16T10:15:10" without an offset) in
// Options.Location, counting those without an offset; other text is
// returned as it is, for the store to check.
func (p *pipeline) dateText(dst, s string) any {
	fd, _ := p.coll.Field(dst)
	if fd.Type != store.TypeDateTime {
		return s
	}
	t, naive, ok := importers.ParseDateTime(s, p.opts.Location)
	if !ok {
		return s
	}
	if naive {
		p.naive++
	}
	return t
}

// noteNaive adds a note saying how many date-times had no UTC offset and
// in which zone they were read.
func (p *pipeline) noteNaive() {
	n := p.naive
	for _, s := range p.srcs {
		if c, ok := s.r.(importers.NaiveCounter); ok {
			n += c.NaiveDateTimes()
		}
	}
	if n == 0 {
		return
	}
	zone := "UTC (--timezone names another zone, e.g. --timezone America/Chicago)"
	if l := p.opts.Location; l != nil && l.String() != "UTC" {
		zone = "the time zone " + l.String() + " (--timezone)"
	}
	p.rep.Notes = append(p.rep.Notes, fmt.Sprintf("%d date-time values had no UTC offset: read as %s", n, zone))
}
