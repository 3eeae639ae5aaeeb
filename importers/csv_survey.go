package importers

// The CSV reader's first pass: the delimiter, the header, the columns' types and the geometry.

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cityatlas/cityatlas/geo"

	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkt"
	"golang.org/x/text/encoding/charmap"
)

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
