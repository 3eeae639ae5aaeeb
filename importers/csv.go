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
	"github.com/twpayne/go-geom/encoding/wkt"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
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

// sniff finds the delimiter and whether there is a header from the first
// 64 KiB.
func (r *csvReader) sniff() error {
	in, f, err := r.input()
	if err != nil {
		return err
	}
	sample := make([]byte, 64<<10)
	n, err := io.ReadFull(in, sample)
	f.Close()
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("importers: %s: %w", r.name, err)
	}
	sample = sample[:n]
	if n == len(sample) { // cut at the last full line
		if i := bytes.LastIndexByte(sample, '\n'); i > 0 {
			sample = sample[:i+1]
		}
	}
	const maxRows = 50
	rowsWith := func(d rune) [][]string {
		cr := csv.NewReader(bytes.NewReader(sample))
		cr.Comma = d
		cr.FieldsPerRecord = -1
		cr.LazyQuotes = true
		var rows [][]string
		for len(rows) < maxRows {
			rec, err := cr.Read()
			if err != nil {
				break
			}
			rows = append(rows, rec)
		}
		return rows
	}
	r.delim = r.opts.Delimiter
	if r.delim <= 0 || r.delim == utf8.RuneError || r.delim == '\r' || r.delim == '\n' || r.delim == '"' {
		prefer := r.opts.Delimiter
		r.delim = ','
		best := 0.0
		for _, d := range []rune{',', ';', '\t', '|'} {
			rows := rowsWith(d)
			if len(rows) == 0 {
				continue
			}
			count := map[int]int{}
			for _, row := range rows {
				count[len(row)]++
			}
			mode, freq := 0, 0
			for cols, c := range count {
				if c > freq || (c == freq && cols > mode) {
					mode, freq = cols, c
				}
			}
			if mode < 2 {
				continue
			}
			score := float64(mode) * float64(freq) / float64(len(rows))
			if d == '\t' && prefer == -1 {
				score *= 4
			}
			if score > best {
				best, r.delim = score, d
			}
		}
	}
	rows := rowsWith(r.delim)
	switch r.opts.Header {
	case HeaderPresent:
		r.header = true
	case HeaderAbsent:
		r.header = false
	default:
		r.header = detectHeader(rows)
	}
	return nil
}

// detectHeader decides whether rows[0] is a header (see the file comment).
func detectHeader(rows [][]string) bool {
	if len(rows) == 0 {
		return false
	}
	votes := 0
	for i, h := range rows[0] {
		acc := newTypeAcc()
		for _, row := range rows[1:] {
			if i < len(row) {
				acc.add(strings.TrimSpace(row[i]))
			}
		}
		t := acc.result()
		h = strings.TrimSpace(h)
		if t == TypeString || h == "" {
			continue
		}
		if _, err := parseAs(t, h); err != nil {
			votes++
		} else {
			votes--
		}
	}
	if votes != 0 {
		return votes > 0
	}
	seen := map[string]bool{}
	for _, h := range rows[0] {
		h = strings.TrimSpace(h)
		if _, ok := parseNumber(h); ok || h == "" || seen[h] {
			return false
		}
		seen[h] = true
	}
	return true
}

// colStats gathers what the first pass learns about one column.
type colStats struct {
	acc      *typeAcc
	wkt      int // values that parse as WKT
	wktTypes map[string]bool
	loc      int // values that parse as "(lat, lon)"
	minX     float64
	minY     float64
	maxX     float64
	maxY     float64
}

func newColStats() *colStats {
	return &colStats{acc: newTypeAcc(), wktTypes: map[string]bool{}, minX: math.Inf(1), minY: math.Inf(1), maxX: math.Inf(-1), maxY: math.Inf(-1)}
}

func (c *colStats) extend(x, y float64) {
	c.minX, c.maxX = math.Min(c.minX, x), math.Max(c.maxX, x)
	c.minY, c.maxY = math.Min(c.minY, y), math.Max(c.maxY, y)
}

// survey is the first pass: it finds the columns' types and the geometry,
// reading with plainRecords when the text has no quotes.
func (r *csvReader) survey() error {
	err := r.surveyOnce()
	if r.guessed && (err != nil || !r.safeGuess()) {
		// The first rows left something undecided (a column with no
		// values yet, or no geometry found): survey the whole file.
		r.opts.SurveyRows = 0
		r.reset()
		err = r.surveyOnce()
	}
	return err
}

func (r *csvReader) surveyOnce() error {
	if done, err := r.surveyWith(true); err != nil || done {
		return err
	}
	_, err := r.surveyWith(false)
	return err
}

// mostlyNumbers counts the values of a column, and those that are numbers.
type mostlyNumbers struct{ col, n, nums int }

// reset undoes what a survey found, for another.
func (r *csvReader) reset() {
	r.enc = nil
	if r.opts.Encoding != "" {
		r.enc, _ = lookupEncoding(r.opts.Encoding)
	}
	r.names, r.types, r.keep, r.fields = nil, nil, nil, nil
	r.mode, r.lon, r.lat, r.col, r.srs, r.gtype = geomNone, -1, -1, -1, "", ""
	r.plain, r.guessed, r.sampled, r.headed, r.wktTypes, r.mostly = false, false, nil, false, nil, nil
}

// safeGuess reports whether every column had a value in the rows surveyed,
// so that its type is a guess a later value can prove wrong.
func (r *csvReader) safeGuess() bool {
	for _, n := range r.sampled {
		if n == 0 {
			return false
		}
	}
	return true
}

// surveyWith runs the survey with plainRecords (plain) or encoding/csv. It
// returns false if plainRecords met a quote.
func (r *csvReader) surveyWith(plain bool) (bool, error) {
	in, f, err := r.input()
	if err != nil {
		return false, err
	}
	defer f.Close()
	var cr records
	if plain {
		pr, ok := newPlainRecords(in, r.delim)
		if !ok {
			return false, nil
		}
		cr = pr
	} else {
		cr = r.newCSV(in)
	}
	whole := true // every row was read
	var stats []*colStats
	var headerRaw []string
	invalidUTF8 := false
	rows := 0
	first := true
	for {
		rec, err := r.readRecord(cr, in, rows+1)
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, errQuoted) {
			return false, nil
		}
		if errors.Is(err, ErrLimit) {
			return false, err
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			first = false
			continue // reported in the second pass
		}
		if err != nil {
			return false, fmt.Errorf("importers: %s: %w", r.name, err)
		}
		for _, v := range rec {
			if !invalidUTF8 && !utf8.ValidString(v) {
				invalidUTF8 = true
			}
		}
		if first && r.header {
			headerRaw = append([]string(nil), rec...)
			first = false
			continue
		}
		first = false
		if r.opts.SurveyRows > 0 && rows >= r.opts.SurveyRows {
			r.guessed = true
			break
		}
		if r.opts.SampleRows > 0 && rows >= r.opts.SampleRows {
			if invalidUTF8 || r.enc != nil || r.utf16 != nil {
				whole = false
				break
			}
			continue // keep checking the encoding only
		}
		if headerRaw != nil && len(rec) > len(headerRaw) {
			continue // a bad row (the second pass says so): no evidence
		}
		rows++
		for len(stats) < len(rec) && (headerRaw == nil || len(stats) < len(headerRaw)) {
			stats = append(stats, newColStats())
		}
		for i, v := range rec {
			if i >= len(stats) {
				break
			}
			s := stats[i]
			v = strings.TrimSpace(v)
			if v == "" {
				continue
			}
			s.acc.add(v)
			if s.wkt == s.acc.n-1 {
				if g, ok := parseWKT(v); ok {
					s.wkt++
					if g != nil {
						s.wktTypes[geo.TypeName(g)] = true
						if b, ok := geo.Bounds(g); ok {
							s.extend(b[0], b[1])
							s.extend(b[2], b[3])
						}
					}
				}
			}
			if s.loc == s.acc.n-1 {
				if lat, lon, ok := parseLocation(v); ok {
					s.loc++
					s.extend(lon, lat)
				}
			}
		}
	}
	if r.enc == nil && r.utf16 == nil && invalidUTF8 {
		r.enc = charmap.Windows1252
	}
	ncols := len(stats)
	if headerRaw != nil {
		ncols = len(headerRaw)
	}
	for len(stats) < ncols {
		stats = append(stats, newColStats())
	}
	r.names = make([]string, ncols)
	dec := textDecoder{enc: r.enc}
	if r.utf16 != nil {
		dec.enc = nil // already decoded
	}
	seen := map[string]int{}
	for i := range r.names {
		name := ""
		if i < len(headerRaw) {
			name = strings.TrimSpace(dec.decode([]byte(headerRaw[i])))
		}
		if name == "" {
			name = fmt.Sprintf("field_%d", i+1)
		}
		if n := seen[name]; n > 0 {
			seen[name] = n + 1
			name = fmt.Sprintf("%s_%d", name, n+1)
		} else {
			seen[name] = 1
		}
		r.names[i] = name
	}
	if err := r.chooseGeometry(stats); err != nil {
		return false, err
	}
	r.plain = plain && (whole || r.guessed) // guessed: a quote later is ErrGuess
	r.types = make([]string, ncols)
	r.headed = headerRaw != nil
	if r.guessed && r.mode == geomLonLat && r.opts.LonColumn == "" {
		for _, i := range []int{r.lon, r.lat} {
			switch strings.ToLower(strings.TrimSpace(r.names[i])) {
			case "x", "y", "long":
				a := stats[i].acc
				r.mostly = append(r.mostly, mostlyNumbers{col: i, n: a.n, nums: a.nums})
			}
		}
	}
	r.sampled = make([]int, ncols)
	for i := range r.sampled {
		r.sampled[i] = stats[i].acc.n
	}
	r.keep = make([]bool, ncols)
	r.fields = []Field{}
	for i, name := range r.names {
		r.types[i] = stats[i].acc.result()
		if t, ok := lookupType(r.opts.Types, name); ok {
			r.types[i] = t
		}
		geomCol := i == r.lon || i == r.lat || i == r.col
		r.keep[i] = !geomCol || r.opts.KeepGeometryColumns
		if r.keep[i] {
			r.fields = append(r.fields, Field{Name: name, Type: r.types[i]})
		}
	}
	return true, nil
}

func lookupType(types map[string]string, name string) (string, bool) {
	if t, ok := types[name]; ok {
		return t, true
	}
	for k, t := range types {
		if strings.EqualFold(k, name) {
			return t, true
		}
	}
	return "", false
}

// column finds a column by name in any case; -1 when there is none.
func (r *csvReader) column(name string) int {
	name = strings.TrimSpace(name)
	for i, n := range r.names {
		if n == name {
			return i
		}
	}
	for i, n := range r.names {
		if strings.EqualFold(n, name) {
			return i
		}
	}
	return -1
}

func (r *csvReader) mustColumn(option, name string) (int, error) {
	i := r.column(name)
	if i < 0 {
		return -1, fmt.Errorf("importers: %s: %s column %q is not in the file (columns: %s)", r.name, option, name, strings.Join(r.names, ", "))
	}
	return i, nil
}

func (r *csvReader) chooseGeometry(stats []*colStats) error {
	var err error
	lonLatSRS := func() {
		x, y := stats[r.lon].acc, stats[r.lat].acc
		r.setSRS(x.min, y.min, x.max, y.max, x.n+y.n)
		r.mode, r.gtype = geomLonLat, "Point"
	}
	switch {
	case r.opts.LonColumn != "" || r.opts.LatColumn != "":
		if r.opts.LonColumn == "" || r.opts.LatColumn == "" {
			return fmt.Errorf("importers: %s: give both the lon and the lat column", r.name)
		}
		if r.lon, err = r.mustColumn("lon", r.opts.LonColumn); err != nil {
			return err
		}
		if r.lat, err = r.mustColumn("lat", r.opts.LatColumn); err != nil {
			return err
		}
		lonLatSRS()
		return nil
	case r.opts.WKTColumn != "":
		if r.col, err = r.mustColumn("WKT", r.opts.WKTColumn); err != nil {
			return err
		}
		r.useWKT(stats[r.col])
		return nil
	case r.opts.LocationColumn != "":
		if r.col, err = r.mustColumn("location", r.opts.LocationColumn); err != nil {
			return err
		}
		r.useLocation(stats[r.col])
		return nil
	}
	// lon, lat and their spellings are taken by name (a bad value is a
	// record error); x, y and long must hold mostly numbers.
	numeric := func(i int) bool {
		a := stats[i].acc
		switch strings.ToLower(r.names[i]) {
		case "x", "y", "long":
			return a.nums > 0 && a.nums*10 >= a.n*9
		}
		return true
	}
	find := func(names []string) int {
		for _, want := range names {
			for i, n := range r.names {
				if strings.EqualFold(strings.TrimSpace(n), want) && numeric(i) {
					return i
				}
			}
		}
		return -1
	}
	if lon, lat := find(lonNames), find(latNames); lon >= 0 && lat >= 0 {
		r.lon, r.lat = lon, lat
		lonLatSRS()
		return nil
	}
	pick := func(ok func(s *colStats) bool) int {
		for _, want := range wktNames {
			if i := r.column(want); i >= 0 && ok(stats[i]) {
				return i
			}
		}
		for i, s := range stats {
			if ok(s) {
				return i
			}
		}
		return -1
	}
	if i := pick(func(s *colStats) bool { return s.acc.n > 0 && s.wkt == s.acc.n }); i >= 0 {
		r.col = i
		r.useWKT(stats[i])
		return nil
	}
	if i := pick(func(s *colStats) bool { return s.acc.n > 0 && s.loc == s.acc.n }); i >= 0 {
		r.col = i
		r.useLocation(stats[i])
		return nil
	}
	r.srs = r.opts.SRS
	return nil
}

func (r *csvReader) useWKT(s *colStats) {
	r.mode = geomWKT
	r.wktTypes = s.wktTypes
	r.gtype = mergeTypes(s.wktTypes)
	r.setSRS(s.minX, s.minY, s.maxX, s.maxY, s.wkt)
}

func (r *csvReader) useLocation(s *colStats) {
	r.mode, r.gtype = geomLocation, "Point"
	r.setSRS(s.minX, s.minY, s.maxX, s.maxY, s.loc)
}

// setSRS reports EPSG:4326 when every coordinate seen is in lon/lat range.
func (r *csvReader) setSRS(minX, minY, maxX, maxY float64, n int) {
	switch {
	case r.opts.SRS != "":
		r.srs = r.opts.SRS
	case n > 0 && minX >= -180 && maxX <= 180 && minY >= -90 && maxY <= 90:
		r.srs = "EPSG:4326"
	}
}

// mergeTypes names the type covering every GeoJSON type in types.
func mergeTypes(types map[string]bool) string {
	family := map[string]string{
		"Point": "Point", "MultiPoint": "Point", "LineString": "LineString", "MultiLineString": "LineString",
		"Polygon": "Polygon", "MultiPolygon": "Polygon", "GeometryCollection": "GeometryCollection",
	}
	fams := map[string]bool{}
	var one string
	for t := range types {
		fams[family[t]] = true
		one = t
	}
	switch {
	case len(types) == 0:
		return ""
	case len(types) == 1:
		return one
	case len(fams) == 1:
		for f := range fams {
			return "Multi" + f
		}
	}
	return "Geometry"
}

// parseWKT parses a WKT (or EWKT) value; ok is false when it is not WKT.
// A panic in the WKT parser is turned into a failure.
func parseWKT(s string) (g geom.T, ok bool) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(strings.ToUpper(s), "SRID=") {
		if i := strings.IndexByte(s, ';'); i > 0 {
			s = s[i+1:]
		}
	}
	if len(s) < 5 {
		return nil, false
	}
	c := s[0] | 0x20
	if c != 'p' && c != 'l' && c != 'm' && c != 'g' {
		return nil, false
	}
	defer func() {
		if recover() != nil {
			g, ok = nil, false
		}
	}()
	g, err := wkt.Unmarshal(s)
	if err != nil {
		return nil, false
	}
	if g == nil || g.Empty() {
		return nil, true
	}
	return g, true
}

// parseLocation parses a Socrata location "(lat, lon)".
func parseLocation(s string) (lat, lon float64, ok bool) {
	s = strings.TrimSpace(s)
	if len(s) < 5 || s[0] != '(' || s[len(s)-1] != ')' {
		return 0, 0, false
	}
	a, b, found := strings.Cut(s[1:len(s)-1], ",")
	if !found {
		return 0, 0, false
	}
	lat, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
	lon, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
	if err1 != nil || err2 != nil || math.IsNaN(lat) || math.IsNaN(lon) || math.IsInf(lat, 0) || math.IsInf(lon, 0) {
		return 0, 0, false
	}
	return lat, lon, true
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
