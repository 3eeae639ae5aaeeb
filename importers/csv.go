package importers

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cityatlas/cityatlas/geo"

	"github.com/twpayne/go-geom"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// The CSV reader makes two passes over the file, each streaming with
// constant memory. The first pass (the whole file, or Options.SampleRows
// data rows) detects the encoding, infers column types and finds the
// geometry columns; the second yields features. With Options.SurveyRows
// the first pass reads only that many rows, and the second checks every
// later row against what the first decided: a row that would have made a
// full first pass decide otherwise stops it with ErrGuess (FuzzCSVGuess
// holds the two ways to the same rows).
//
// Detection:
//   - encoding: a UTF-8 BOM is dropped, a UTF-16 BOM selects UTF-16; else
//     the text is UTF-8 when every field of the first pass is valid UTF-8,
//     and Windows-1252 (a superset of Latin-1's printable characters) when
//     one is not. Options.Encoding overrides.
//   - line endings: CRLF, LF and CR alone all end a line.
//   - delimiter: the one of , ; tab | that splits the first 64 KiB into the
//     most columns consistently (.tsv and .tab files prefer tab).
//   - header: the first row is a header when its cells do not fit the types
//     of the columns below them (or, when every column is text, when they
//     are distinct and not empty). Without one, columns are field_1, field_2...
//   - geometry, first match wins: the Options columns; lon/lat columns named
//     lon, lng, long, longitude or x and lat, latitude or y (any case) holding
//     numbers; a column whose values are all WKT (POINT (-87.6 41.9),
//     any WKT type, an EWKT "SRID=n;" prefix is ignored); a column whose
//     values are all Socrata locations "(lat, lon)". Rows with empty
//     geometry cells have a nil geometry. The geometry columns are dropped
//     from the properties unless Options.KeepGeometryColumns.
//
// Rows with fewer cells than the header are padded with empty cells; rows
// with more, malformed quoting and unparsable values are *RecordErrors
// with the line number.

type geomMode int

const (
	geomNone geomMode = iota
	geomLonLat
	geomWKT
	geomLocation
)

var (
	lonNames = []string{"lon", "lng", "long", "longitude", "x"}
	latNames = []string{"lat", "latitude", "y"}
	wktNames = []string{"wkt", "geom", "geometry", "the_geom", "wkt_geom", "shape", "location", "point"}
)

type csvReader struct {
	name   string
	naive  int // date-times without an offset (see inZone)
	open   func() (io.ReadCloser, error)
	opts   Options
	utf16  encoding.Encoding // non-nil when the file has a UTF-16 BOM
	enc    encoding.Encoding // nil: UTF-8
	delim  rune
	header bool
	names  []string
	types  []string
	keep   []bool
	fields []Field
	mode   geomMode
	lon    int
	lat    int
	col    int // WKT or location column
	srs    string
	gtype  string

	// second pass
	closer io.Closer
	cr     records
	in     io.Reader // cr's input
	plain  bool      // the second pass reads with plainRecords
	// guessed: the survey stopped after Options.SurveyRows rows
	guessed bool
	sampled []int // how many values the survey saw in each column
	headed  bool  // the columns are the header's (else as many as rows had)
	// mostly: the coordinate columns taken because they hold mostly
	// numbers (x, y, long), counted on in a guessed read
	mostly   []mostlyNumbers
	wktTypes map[string]bool // the WKT geometry types it saw
	record   int
	err      error
}

func openCSVFile(path string, opts Options) (Reader, error) {
	if opts.Delimiter == 0 {
		switch strings.ToLower(filepath.Ext(path)) {
		case ".tsv", ".tab":
			opts.Delimiter = -1 // prefer tab
		}
	}
	return newCSVReader(path, opts.opener(path), opts)
}

// newCSVReader runs the first pass and opens the second.
func newCSVReader(name string, open func() (io.ReadCloser, error), opts Options) (*csvReader, error) {
	r := &csvReader{name: name, open: open, opts: opts, lon: -1, lat: -1, col: -1}
	if opts.Encoding != "" {
		enc, ok := lookupEncoding(opts.Encoding)
		if !ok {
			return nil, fmt.Errorf("importers: %s: %w text encoding %q (try utf-8, windows-1252 or latin1)", name, ErrUnsupported, opts.Encoding)
		}
		r.enc = enc
	}
	for col, typ := range opts.Types {
		if _, err := parseAs(typ, ""); errors.Is(err, ErrUnsupported) {
			return nil, fmt.Errorf("importers: %s: column %q: %w", name, col, err)
		}
	}
	if err := r.sniff(); err != nil {
		return nil, err
	}
	if err := r.survey(); err != nil {
		return nil, err
	}
	closer, cr, err := r.stream()
	if err != nil {
		return nil, err
	}
	r.closer, r.cr = closer, cr
	if r.header {
		if _, err := r.readRecord(cr, r.in, 0); err != nil && !errors.Is(err, io.EOF) {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				closer.Close()
				return nil, fmt.Errorf("importers: %s: %w", name, err)
			}
		}
	}
	return r, nil
}

// crReader turns CR and CRLF line ends into LF.
type crReader struct {
	r      io.Reader
	lastCR bool
}

func (c *crReader) Read(p []byte) (int, error) {
	for {
		n, err := c.r.Read(p)
		if n > 0 && bytes.IndexByte(p[:n], '\r') < 0 {
			// No CR: nothing to change (an LF first in p after a CR at
			// the end of the last read is the CRLF's, and goes).
			if c.lastCR && p[0] == '\n' {
				copy(p, p[1:n])
				n--
			}
			c.lastCR = false
			if n > 0 || err != nil {
				return n, err
			}
			continue
		}
		w := 0
		for i := 0; i < n; i++ {
			b := p[i]
			switch {
			case b == '\r':
				p[w] = '\n'
				w++
				c.lastCR = true
				continue
			case b == '\n' && c.lastCR:
			default:
				p[w] = b
				w++
			}
			c.lastCR = false
		}
		if w > 0 || err != nil || n == 0 {
			return w, err
		}
	}
}

// input opens the file and returns its text as UTF-8 with LF line ends
// (when the encoding is known) or as raw bytes with LF line ends (first
// pass of an undetected 8-bit encoding).
func (r *csvReader) input() (io.Reader, io.Closer, error) {
	f, err := r.open()
	if err != nil {
		return nil, nil, fmt.Errorf("importers: %w", err)
	}
	br := bufio.NewReaderSize(f, 64<<10)
	bom, _ := br.Peek(3)
	var in io.Reader = br
	switch {
	case bytes.HasPrefix(bom, []byte{0xef, 0xbb, 0xbf}):
		br.Discard(3)
	case bytes.HasPrefix(bom, []byte{0xff, 0xfe}):
		br.Discard(2)
		r.utf16 = unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	case bytes.HasPrefix(bom, []byte{0xfe, 0xff}):
		br.Discard(2)
		r.utf16 = unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	}
	switch {
	case r.utf16 != nil:
		in = transform.NewReader(in, r.utf16.NewDecoder())
	case r.enc != nil:
		in = transform.NewReader(in, r.enc.NewDecoder())
	}
	return &budgetReader{r: &crReader{r: in}, max: r.opts.Limits.withDefaults().RecordBytes}, f, nil
}

// readRecord reads the next row of cr, whose input in is (from input),
// within the record budget. A row over it is a final error wrapping
// ErrLimit that names the row.
func (r *csvReader) readRecord(cr records, in io.Reader, record int) ([]string, error) {
	b, _ := in.(*budgetReader)
	if b != nil {
		b.begin(cr.InputOffset())
	}
	rec, err := cr.Read()
	if err != nil && errors.Is(err, errRecordBudget) {
		line, _ := cr.FieldPos(0)
		return nil, fmt.Errorf("importers: %s: record %d (after line %d): %w: longer than %s (--max-record-bytes)", r.name, record, line, ErrLimit, FormatBytes(b.max))
	}
	return rec, err
}

func (r *csvReader) newCSV(in io.Reader) *csv.Reader {
	cr := csv.NewReader(in)
	cr.Comma = r.delim
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = r.delim == '\t'
	cr.ReuseRecord = true
	return cr
}

// stream opens the second pass.
func (r *csvReader) stream() (io.Closer, records, error) {
	in, f, err := r.input()
	if err != nil {
		return nil, nil, err
	}
	r.in = in
	if r.plain {
		if pr, ok := newPlainRecords(in, r.delim); ok {
			return f, pr, nil
		}
	}
	return f, r.newCSV(in), nil
}

func (r *csvReader) Name() string         { return r.name }
func (r *csvReader) SRS() string          { return r.srs }
func (r *csvReader) GeometryType() string { return r.gtype }
func (r *csvReader) Fields() []Field      { return append([]Field(nil), r.fields...) }

func (r *csvReader) Close() error {
	if r.closer == nil {
		return nil
	}
	err := r.closer.Close()
	r.closer = nil
	if r.err == nil {
		r.err = fmt.Errorf("importers: %s: reader is closed", r.name)
	}
	return err
}

// Next reads the next data row.
func (r *csvReader) Next() (Feature, error) {
	if r.err != nil {
		return Feature{}, r.err
	}
	rec, err := r.readRecord(r.cr, r.in, r.record+1)
	if errors.Is(err, io.EOF) {
		r.err = io.EOF
		for _, c := range r.mostly {
			if c.nums*10 < c.n*9 {
				// The whole file would not have had these as coordinates.
				r.err = r.wrongGuess(fmt.Sprintf("column %q holds too few numbers for coordinates", r.names[c.col]))
			}
		}
		return Feature{}, r.err
	}
	r.record++
	if errors.Is(err, errQuoted) {
		r.err = r.wrongGuess("a quoted cell")
		return Feature{}, r.err
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return Feature{}, &RecordError{File: r.name, Record: r.record, Line: pe.StartLine, Err: fmt.Errorf("%w: %v", ErrFormat, pe.Err)}
	}
	if errors.Is(err, ErrLimit) {
		r.err = err
		return Feature{}, r.err
	}
	if err != nil {
		r.err = fmt.Errorf("importers: %s: %w", r.name, err)
		return Feature{}, r.err
	}
	line, _ := r.cr.FieldPos(0)
	fail := func(field string, err error) (Feature, error) {
		return Feature{}, &RecordError{File: r.name, Record: r.record, Line: line, Field: field, Err: err}
	}
	if len(rec) > len(r.names) {
		if r.guessed && !r.headed {
			// The whole file would have had more columns.
			r.err = r.wrongGuess(fmt.Sprintf("%d cells, more than the rows surveyed", len(rec)))
			return Feature{}, r.err
		}
		return fail("", fmt.Errorf("%w: the row has %d cells, the header %d", ErrFormat, len(rec), len(r.names)))
	}
	// Rows the survey would have counted (not malformed ones).
	for i := range r.mostly {
		c := &r.mostly[i]
		if c.col < len(rec) {
			if v := strings.TrimSpace(rec[c.col]); v != "" {
				c.n++
				if _, ok := parseNumber(v); ok {
					c.nums++
				}
			}
		}
	}
	cell := func(i int) string {
		if i < 0 || i >= len(rec) {
			return ""
		}
		return rec[i]
	}
	f := Feature{Record: r.record}
	if r.opts.Values {
		f.Values = make([]any, 0, len(r.fields))
	} else {
		f.Properties = make(map[string]any, len(r.fields))
	}
	set := func(name string, v any) {
		if f.Values != nil {
			f.Values = append(f.Values, v)
		} else {
			f.Properties[name] = v
		}
	}
	for i, name := range r.names {
		if !r.keep[i] {
			continue
		}
		v := cell(i)
		if strings.TrimSpace(v) == "" {
			set(name, nil)
			continue
		}
		if r.types[i] != TypeString {
			v = strings.TrimSpace(v)
		}
		var pv any
		if _, given := lookupType(r.opts.Types, name); r.guessed && !given {
			// The value must be one the survey would have typed the same:
			// parseAs takes more ("007" or "42.0" as integers).
			var ok bool
			if pv, ok = inferAs(r.types[i], v); !ok {
				r.err = r.wrongGuess(fmt.Sprintf("column %q: %q is not %s", name, v, article(r.types[i])))
				return Feature{}, r.err
			}
		} else if pv, err = parseAs(r.types[i], v); err != nil {
			return fail(name, err)
		}
		if r.types[i] == TypeDateTime {
			pv = r.inZone(pv, v)
		}
		if r.guessed && r.enc == nil && r.utf16 == nil && !utf8.ValidString(v) {
			r.err = r.wrongGuess(fmt.Sprintf("column %q: text that is not UTF-8", name))
			return Feature{}, r.err
		}
		set(name, pv)
	}
	if r.guessed && r.opts.LonColumn == "" && r.opts.WKTColumn == "" && r.opts.LocationColumn == "" {
		// A geometry cell that does not parse may mean the columns were
		// not the geometry's after all: the full survey decides.
		fail = func(field string, err error) (Feature, error) {
			r.err = r.wrongGuess(fmt.Sprintf("column %q: %v", field, err))
			return Feature{}, r.err
		}
	}
	switch r.mode {
	case geomLonLat:
		xs, ys := strings.TrimSpace(cell(r.lon)), strings.TrimSpace(cell(r.lat))
		if xs == "" && ys == "" {
			break
		}
		x, err := strconv.ParseFloat(xs, 64)
		if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
			return fail(r.names[r.lon], fmt.Errorf("%w: %q is not a coordinate", ErrValue, xs))
		}
		y, err := strconv.ParseFloat(ys, 64)
		if err != nil || math.IsInf(y, 0) || math.IsNaN(y) {
			return fail(r.names[r.lat], fmt.Errorf("%w: %q is not a coordinate", ErrValue, ys))
		}
		f.Geometry = geom.NewPointFlat(geom.XY, []float64{x, y})
	case geomWKT:
		v := strings.TrimSpace(cell(r.col))
		if v == "" {
			break
		}
		g, ok := parseWKT(v)
		if !ok {
			return fail(r.names[r.col], fmt.Errorf("%w: %q is not WKT", ErrGeometry, abbreviate(v)))
		}
		if err := checkVertices(g, r.opts.Limits); err != nil {
			return fail(r.names[r.col], err)
		}
		f.Geometry = g
		f.Rewound = rewindGeom(g)
	case geomLocation:
		v := strings.TrimSpace(cell(r.col))
		if v == "" {
			break
		}
		lat, lon, ok := parseLocation(v)
		if !ok {
			return fail(r.names[r.col], fmt.Errorf("%w: %q is not a location \"(lat, lon)\"", ErrGeometry, abbreviate(v)))
		}
		f.Geometry = geom.NewPointFlat(geom.XY, []float64{lon, lat})
	}
	if r.guessed && f.Geometry != nil {
		if err := r.checkGuess(f.Geometry); err != nil {
			r.err = err
			return Feature{}, err
		}
	}
	return f, nil
}

// checkGuess fails with ErrGuess when g shows the survey's guesses about
// the geometry wrong: a WKT type it did not see that changes the layer's
// geometry type, or coordinates outside lon/lat range when it took the
// file to be in lon/lat.
func (r *csvReader) checkGuess(g geom.T) error {
	if r.mode == geomWKT {
		if t := geo.TypeName(g); !r.wktTypes[t] {
			seen := map[string]bool{t: true}
			for k := range r.wktTypes {
				seen[k] = true
			}
			if mergeTypes(seen) != r.gtype {
				return r.wrongGuess(fmt.Sprintf("a %s among %s geometries", t, r.gtype))
			}
		}
	}
	if r.opts.SRS == "" && r.srs == "EPSG:4326" {
		if b, ok := geo.Bounds(g); ok && (b[0] < -180 || b[2] > 180 || b[1] < -90 || b[3] > 90) {
			return r.wrongGuess("coordinates outside longitude and latitude")
		}
	}
	return nil
}

// wrongGuess is the error for a row (r.record) that does not fit what the
// survey guessed from the first rows.
func (r *csvReader) wrongGuess(what string) error {
	return fmt.Errorf("importers: %s: record %d: %w: %s", r.name, r.record, ErrGuess, what)
}

func abbreviate(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}
