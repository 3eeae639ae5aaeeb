package ingest

// The pipeline turns the readers' features into store mutations: conversion, checks, duplicates, progress.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twpayne/go-geom"

	"github.com/cityatlas/cityatlas/geo"
	"github.com/cityatlas/cityatlas/importers"
	"github.com/cityatlas/cityatlas/store"
)

// pipeline turns the sources into a stream of mutations.
type pipeline struct {
	ctx         context.Context
	opts        *Options
	coll        *store.Collection
	srcs        []*source
	cur         int
	rep         *Report
	bad         bool // a row was rejected and SkipInvalid is off
	start       time.Time
	last        time.Time
	total       int
	ids         *idLog       // the external ids given so far, hashed (16 bytes each, on disk beyond idRun)
	seed        maphash.Seed // of those hashes
	dupsChecked bool
	stored      []stored // the collection's features before the import, with Options.DeleteMissing
	deletes     []int64  // of those, the ones to delete once the rows are written
	fresh       bool     // rows are inserts (see run)
	create      bool     // write makes the collection with its rows (store.CreateStreamer)
	old         existing // the collection's features before the import
	naive       int      // date-time text without an offset, read in Options.Location
	// valid's and summaryNotes'
	firstRewound, firstRepaired string
	summed                      bool
	vals                        map[string]any // encodeProperties', reused from row to row
	row                         []any          // encodeValues', reused from row to row
	// read's
	batches chan []readItem
	batch   []readItem
	pos     int
	quit    chan struct{}
}

// idRef is a row's external id, hashed, and where the row is.
type idRef struct {
	hash        uint64
	src, record int32
}

func (p *pipeline) progress(done bool) {
	if done {
		p.summaryNotes()
	}
	if p.opts.Progress == nil {
		return
	}
	now := time.Now()
	if !done && now.Sub(p.last) < p.opts.ProgressEvery {
		return
	}
	p.last = now
	p.opts.Progress(Progress{Read: p.rep.Read, Total: max(p.total, p.rep.Read), Elapsed: now.Sub(p.start), Done: done})
}

func (p *pipeline) reject(e *importers.RecordError) {
	if len(p.rep.Problems) < maxProblems {
		p.rep.Problems = append(p.rep.Problems, e)
	} else {
		p.rep.Omitted++
	}
	p.rep.Rejected++
	if errors.Is(e.Err, ErrOutside) {
		p.rep.Flagged++
	}
	if !p.opts.SkipInvalid {
		p.bad = true
	}
}

// next returns the next good row as a mutation, io.EOF at the end, or
// errBadRows at the end when a row was bad and SkipInvalid is off (having
// read every row, so that all of them are reported).
func (p *pipeline) next() (store.Mutation, error) {
	for p.cur < len(p.srcs) {
		s := p.srcs[p.cur]
		f, err := p.read()
		if errors.Is(err, io.EOF) {
			p.cur++
			continue
		}
		var re *importers.RecordError
		if errors.As(err, &re) {
			p.rep.Read++
			s.info.Records++
			p.reject(re)
			continue
		}
		if err != nil {
			return store.Mutation{}, fmt.Errorf("%s: %w", s.r.Name(), err)
		}
		p.rep.Read++
		s.info.Records++
		if p.rep.Read%1024 == 0 {
			if err := p.ctx.Err(); err != nil {
				return store.Mutation{}, err
			}
			p.progress(false)
		}
		m, re := p.safeConvert(s, &f)
		if re != nil {
			p.reject(re)
			continue
		}
		if p.bad {
			continue
		}
		return m, nil
	}
	if !p.dupsChecked {
		p.dupsChecked = true
		err := p.checkDuplicates()
		if err == nil && len(p.stored) > 0 && !p.bad {
			p.deletes, err = p.ids.missing(p.stored)
			p.stored = nil
		}
		p.ids.close()
		if err != nil {
			return store.Mutation{}, err
		}
	}
	if p.bad {
		return store.Mutation{}, errBadRows
	}
	if len(p.deletes) > 0 {
		id := p.deletes[0]
		p.deletes = p.deletes[1:]
		return store.Mutation{Op: store.OpDelete, Feature: store.Feature{Collection: p.coll.ID, ID: id}}, nil
	}
	return store.Mutation{}, io.EOF
}

// checkDuplicates reports rows whose external id an earlier row gave too
// (by hash; a false match between two different ids has odds of about
// n²/2⁶⁵). They are bad rows; with SkipInvalid they have already been
// written, the later row winning, so they become notes.
func (p *pipeline) checkDuplicates() error {
	dups, err := p.ids.dups()
	if err != nil {
		return err
	}
	slices.SortFunc(dups, func(a, b dup) int {
		if c := cmp.Compare(a.again.src, b.again.src); c != 0 {
			return c
		}
		return cmp.Compare(a.again.record, b.again.record)
	})
	for _, dp := range dups {
		sa, sb := p.srcs[dp.first.src], p.srcs[dp.again.src]
		d := &importers.RecordError{File: sb.r.Name(), Record: int(dp.again.record), Field: sb.idField,
			Err: store.Invalidf("the external id repeats that of %s record %d", sa.r.Name(), dp.first.record)}
		if p.opts.SkipInvalid {
			p.rep.Notes = append(p.rep.Notes, d.Error()+"; the later row was kept")
			continue
		}
		p.reject(d)
	}
	return nil
}

// convert checks one row and makes its mutation.
func (p *pipeline) convert(s *source, f *importers.Feature) (store.Mutation, *importers.RecordError) {
	bad := func(field string, err error) *importers.RecordError {
		return &importers.RecordError{File: s.r.Name(), Record: f.Record, Field: field, Err: err}
	}
	var props store.Properties
	if f.Values != nil {
		// Values in the order of the reader's fields: into the
		// collection's order, without maps. Should that fail, the row
		// goes the way of Properties, which names what is wrong.
		props = p.encodeValues(s, f)
		if props == nil {
			f.Properties = make(map[string]any, len(f.Values))
			for j, fd := range s.r.Fields() {
				if j < len(f.Values) {
					f.Properties[fd.Name] = f.Values[j]
				}
			}
			f.Values = nil
		}
	}
	// External id.
	ext, synthetic := f.ID, false
	if s.idField != "" {
		var v any
		if f.Values != nil {
			v = f.Values[s.cols.id]
		} else {
			v = f.Properties[s.idField]
		}
		ext = idString(v)
		if ext == "" {
			return store.Mutation{}, bad(s.idField, store.Invalidf("the id field is empty"))
		}
	} else if ext == "" {
		ext = s.base + "#" + strconv.Itoa(f.Record)
		synthetic = true
	}
	if !synthetic || p.opts.DeleteMissing {
		// An id given twice would make the import flip-flop between the
		// rows: remember a 64-bit hash of each (16 bytes a row), checked
		// when the stream ends (and, with DeleteMissing, matched against
		// the stored ones).
		p.ids.add(idRef{hash: maphash.String(p.seed, ext), src: int32(p.cur), record: int32(f.Record)})
	}
	// Properties.
	if props == nil {
		var re *importers.RecordError
		if props, re = p.encodeProperties(s, f); re != nil {
			return store.Mutation{}, re
		}
	}
	// Geometry.
	g := f.Geometry
	if g != nil {
		g = geo.Flatten(g)
	}
	if g != nil && isEmpty(g) {
		g = nil
	}
	if g != nil {
		rawX, rawY, _ := firstXY(g)
		if s.crs != nil {
			if err := s.crs.TransformGeom(g); err != nil {
				return store.Mutation{}, bad("", fmt.Errorf("reproject from %s: %w", s.crs, err))
			}
		}
		geo.Rewind(g)
		if err := geo.Validate(g); err != nil {
			return store.Mutation{}, bad("", err)
		}
		var re *importers.RecordError
		if g, re = p.valid(s, f, g); re != nil {
			return store.Mutation{}, re
		}
		t := geo.TypeName(g)
		if !store.GeometryAllowed(p.coll.Geometry, t) {
			return store.Mutation{}, bad("", store.Invalidf("collection %q takes %s geometries, not %s", p.coll.ID, p.coll.Geometry, t))
		}
		if len(s.boxes) > 0 {
			r, _ := geo.Bounds(g)
			for _, x := range s.boxes {
				if !x.contains(r) {
					if !s.warned {
						s.warned = true
						p.rep.Notes = append(p.rep.Notes, fmt.Sprintf("%s: rows far outside the expected area, %s: check the file's CRS (a .prj in metres on data in feet, or the reverse, does this) and name the right one with --srs EPSG:NNNN%s", s.r.Name(), x.what, p.suggestCRS(s, rawX, rawY)))
					}
					return store.Mutation{}, bad("", fmt.Errorf("%w: geometry at %s", ErrOutside, fmtBox(r)))
				}
			}
		}
		geo.SetSRID(g)
	}
	op := store.OpUpsert
	if p.fresh {
		op = store.OpInsert
	}
	return store.Mutation{Op: op, Feature: store.Feature{
		Collection: p.coll.ID,
		ExternalID: ext,
		Geometry:   g,
		Properties: props,
	}}, nil
}

// encodeProperties encodes f.Properties for the collection.
func (p *pipeline) encodeProperties(s *source, f *importers.Feature) (store.Properties, *importers.RecordError) {
	bad := func(field string, err error) *importers.RecordError {
		return &importers.RecordError{File: s.r.Name(), Record: f.Record, Field: field, Err: err}
	}
	if p.vals == nil {
		p.vals = make(map[string]any, len(f.Properties))
	}
	vals := p.vals
	defer clear(vals)
	for k, v := range f.Properties {
		dst, ok := s.plan.target[k]
		if !ok {
			return nil, bad(k, store.Invalidf("field %q is not among the file's fields and has no property in collection %q", k, p.coll.ID))
		}
		if dst == "" || v == nil {
			continue
		}
		vals[dst] = p.forField(dst, v)
	}
	props, err := store.EncodeProperties(p.coll, vals)
	if err != nil {
		return nil, bad(p.culprit(s, f, vals), err)
	}
	return props, nil
}

// forField turns a date read from the file into text when property dst is
// a string.
func (p *pipeline) forField(dst string, v any) any {
	if t, ok := v.(time.Time); ok {
		if fd, _ := p.coll.Field(dst); fd.Type == store.TypeString {
			return timeString(t)
		}
	}
	if s, ok := v.(string); ok {
		return p.dateText(dst, s)
	}
	return v
}

// columns maps a source's fields (in the reader's order) onto the
// collection's.
type columns struct {
	dst []int // index in the collection's fields, -1 for a dropped field
	id  int   // index of the id field, -1 for none
}

// encodeValues encodes f.Values for the collection, or returns nil when
// that fails.
func (p *pipeline) encodeValues(s *source, f *importers.Feature) store.Properties {
	if s.cols == nil {
		c := &columns{id: -1}
		for j, fd := range s.r.Fields() {
			d := -1
			if dst, ok := s.plan.target[fd.Name]; ok && dst != "" {
				d = slices.IndexFunc(p.coll.Fields, func(x store.Field) bool { return x.Name == dst })
			}
			c.dst = append(c.dst, d)
			if fd.Name == s.idField {
				c.id = j
			}
		}
		s.cols = c
	}
	if len(f.Values) != len(s.cols.dst) || s.idField != "" && s.cols.id < 0 {
		return nil
	}
	if len(p.row) != len(p.coll.Fields) {
		p.row = make([]any, len(p.coll.Fields))
	}
	defer clear(p.row)
	for j, v := range f.Values {
		d := s.cols.dst[j]
		if d < 0 || v == nil {
			continue
		}
		p.row[d] = p.forField(p.coll.Fields[d].Name, v)
	}
	props, err := store.EncodeValues(p.coll, p.row)
	if err != nil {
		return nil
	}
	return props
}

// culprit finds the source field whose value EncodeProperties refused, one
// property at a time (only on the error path).
func (p *pipeline) culprit(s *source, f *importers.Feature, vals map[string]any) string {
	for k := range f.Properties {
		dst := s.plan.target[k]
		v, ok := vals[dst]
		if !ok {
			continue
		}
		if _, err := store.EncodeProperties(p.coll, map[string]any{dst: v}); err != nil {
			return k
		}
	}
	return ""
}

// idString formats an id value: integers without a fraction, text as is.
func idString(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return strings.TrimSpace(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return strconv.FormatInt(int64(v), 10)
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	case time.Time:
		return timeString(v)
	}
	return fmt.Sprint(v)
}

// timeString is a date "YYYY-MM-DD" at midnight UTC, else RFC 3339.
func timeString(t time.Time) string {
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
		return t.Format(time.DateOnly)
	}
	return t.Format(time.RFC3339Nano)
}

func isEmpty(g geom.T) bool {
	_, ok := geo.Bounds(g)
	return !ok
}
