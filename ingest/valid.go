package ingest

import (
	"fmt"

	"github.com/twpayne/go-geom"

	"github.com/cityatlas/cityatlas/geo"
	"github.com/cityatlas/cityatlas/importers"
)

// valid checks geometry g of row f (WGS84, wound by the right-hand rule)
// against the OGC simple-feature validity rules: an invalid one is the
// row's error, or, with Options.MakeValid, is repaired when it can be
// without losing any of it. It counts the rows whose rings the reader
// rewound.
func (p *pipeline) valid(s *source, f *importers.Feature, g geom.T) (geom.T, *importers.RecordError) {
	if f.Rewound {
		p.rep.Rewound++
		if p.firstRewound == "" {
			p.firstRewound = fmt.Sprintf("%s record %d", s.r.Name(), f.Record)
		}
	}
	err := geo.CheckValid(g)
	if err == nil {
		return g, nil
	}
	bad := &importers.RecordError{File: s.r.Name(), Record: f.Record}
	if !p.opts.MakeValid {
		bad.Err = fmt.Errorf("%w (--make-valid repairs polygons)", err)
		return nil, bad
	}
	fixed, ferr := geo.MakeValid(g)
	if ferr != nil {
		bad.Err = fmt.Errorf("%w; --make-valid: %w", err, ferr)
		return nil, bad
	}
	p.rep.Repaired++
	if p.firstRepaired == "" {
		p.firstRepaired = fmt.Sprintf("%s record %d: %v", s.r.Name(), f.Record, err)
	}
	return fixed, nil
}

// summaryNotes adds the notes that sum up the rows read, once.
func (p *pipeline) summaryNotes() {
	if p.summed {
		return
	}
	p.summed = true
	if n := p.rep.Rewound; n > 0 {
		p.rep.Notes = append(p.rep.Notes, fmt.Sprintf("%d rows had polygon rings wound clockwise (against the RFC 7946 right-hand rule, first %s): rewound, not refused, since winding does not make a polygon invalid", n, p.firstRewound))
	}
	if n := p.rep.Repaired; n > 0 {
		p.rep.Notes = append(p.rep.Notes, fmt.Sprintf("--make-valid repaired %d invalid geometries (first %s)", n, p.firstRepaired))
	}
	if n := p.rep.Omitted; n > 0 {
		p.rep.Notes = append(p.rep.Notes, fmt.Sprintf("%d more bad rows are not listed (the report keeps the first %d)", n, maxProblems))
	}
}
