package api

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"

	"github.com/cityatlas/cityatlas/store"
)

// Output formats.
const (
	fmtJSON = "json"
	fmtHTML = "html"
	fmtCSV  = "csv"
)

// format picks the output format from ?f= or the Accept header. allowed
// lists the formats the endpoint offers, the first being the default.
func format(c echo.Context, allowed ...string) (string, error) {
	if f := c.QueryParam("f"); f != "" {
		f = strings.ToLower(f)
		switch f {
		case "geojson", "application/geo+json", "application/json":
			f = fmtJSON
		case "text/html":
			f = fmtHTML
		case "text/csv":
			f = fmtCSV
		}
		if !slices.Contains(allowed, f) {
			return "", badParam("f", "f=%s is not offered here; use one of: %s", c.QueryParam("f"), strings.Join(allowed, ", "))
		}
		return f, nil
	}
	if slices.Contains(allowed, fmtHTML) && wantsHTML(c) {
		return fmtHTML, nil
	}
	accept := c.Request().Header.Get(echo.HeaderAccept)
	if slices.Contains(allowed, fmtCSV) && strings.Contains(accept, "text/csv") && !strings.Contains(accept, "json") {
		return fmtCSV, nil
	}
	return allowed[0], nil
}

// wantsHTML reports whether the client prefers HTML to JSON (a browser).
func wantsHTML(c echo.Context) bool {
	if f := c.QueryParam("f"); f != "" {
		return strings.EqualFold(f, fmtHTML) || strings.EqualFold(f, "text/html")
	}
	accept := c.Request().Header.Get(echo.HeaderAccept)
	h := strings.Index(accept, "text/html")
	if h < 0 {
		return false
	}
	j := strings.Index(accept, "json")
	return j < 0 || h < j
}

// checkParams answers 400 for a query parameter not in known, naming it and
// the ones that are.
func checkParams(q url.Values, known ...string) error {
	var unknown []string
	for k := range q {
		if !slices.Contains(known, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	return badParam(unknown[0], "unknown query parameter %q; this endpoint takes: %s", unknown[0], strings.Join(known, ", "))
}

// single returns the one value of a query parameter, and an error if it is
// given more than once.
func single(q url.Values, name string) (string, bool, error) {
	vs, ok := q[name]
	if !ok {
		return "", false, nil
	}
	if len(vs) > 1 {
		return "", true, badParam(name, "%s is given %d times; give it once", name, len(vs))
	}
	return vs[0], true, nil
}

// parseBBox reads bbox=minLon,minLat,maxLon,maxLat (or the 6-number form
// with heights, whose heights are ignored since the index is 2D) in the
// CRS bbox-crs names (CRS84 by default; see crsDef.bboxToCRS84): the box
// in CRS84 and, for a projected bbox-crs, its outline as an area.
func (s *Server) parseBBox(q url.Values) (*[4]float64, orb.Geometry, error) {
	in, err := s.parseCRS(q, "bbox-crs")
	if err != nil {
		return nil, nil, err
	}
	v, ok, err := single(q, "bbox")
	if err != nil || !ok {
		return nil, nil, err
	}
	count := strings.Count(v, ",") + 1
	if count != 4 && count != 6 {
		return nil, nil, badParam("bbox", "bbox must be 4 numbers minLon,minLat,maxLon,maxLat (or 6 with heights), got %d values in %q", count, v)
	}
	var n [6]float64
	rest := v
	for i := range count {
		var p string
		p, rest, _ = strings.Cut(rest, ",")
		x, err := parseDecimal(strings.TrimSpace(p))
		if err != nil {
			return nil, nil, badParam("bbox", "bbox value %d (%q) is not a number", i+1, p)
		}
		n[i] = x
	}
	b := [4]float64{n[0], n[1], n[2], n[3]}
	if count == 6 {
		b = [4]float64{n[0], n[1], n[3], n[4]}
		if n[2] > n[5] {
			return nil, nil, badParam("bbox", "bbox minimum height %g is above the maximum %g", n[2], n[5])
		}
	}
	return in.bboxToCRS84(b)
}

// outside says whether x is beyond ±limit.
func outside(x, limit float64) bool { return x < -limit || x > limit }

// parseDecimal reads a plain decimal number: an optional sign, digits with
// an optional fraction, an optional exponent (-115.5, 32, 1e-3). Unlike
// strconv.ParseFloat alone it refuses underscores (1_0), hexadecimal
// (0x1p4), Inf and NaN, and a finite number out of float64's range.
func parseDecimal(v string) (float64, error) {
	if !plainDecimal(v) {
		return 0, fmt.Errorf("%q is not a decimal number", v)
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsInf(x, 0) {
		return 0, fmt.Errorf("%q is not a decimal number", v)
	}
	return x, nil
}

func plainDecimal(v string) bool {
	i, n := 0, len(v)
	if i < n && (v[i] == '+' || v[i] == '-') {
		i++
	}
	digits := 0
	for i < n && v[i] >= '0' && v[i] <= '9' {
		i, digits = i+1, digits+1
	}
	if i < n && v[i] == '.' {
		i++
		for i < n && v[i] >= '0' && v[i] <= '9' {
			i, digits = i+1, digits+1
		}
	}
	if digits == 0 {
		return false
	}
	if i < n && (v[i] == 'e' || v[i] == 'E') {
		i++
		if i < n && (v[i] == '+' || v[i] == '-') {
			i++
		}
		exp := 0
		for i < n && v[i] >= '0' && v[i] <= '9' {
			i, exp = i+1, exp+1
		}
		if exp == 0 {
			return false
		}
	}
	return i == n
}

// parseInt reads an integer parameter within [lo, hi], or def when absent.
func parseInt(q url.Values, name string, def, lo, hi int) (int, error) {
	v, ok, err := single(q, name)
	if err != nil || !ok {
		return def, err
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, badParam(name, "%s must be a whole number, got %q", name, v)
	}
	if n < lo || n > hi {
		return 0, badParam(name, "%s must be between %d and %d, got %d", name, lo, hi, n)
	}
	return n, nil
}

// parseDatetime reads an RFC 3339 instant, a date, or an interval "a/b"
// with ".." or an empty string for an open end.
func parseDatetime(q url.Values) (*store.Interval, error) {
	v, ok, err := single(q, "datetime")
	if err != nil || !ok {
		return nil, err
	}
	parse := func(s string, end bool) (*time.Time, error) {
		if s == ".." || s == "" {
			return nil, nil
		}
		if len(s) == len("2006-01-02T") && s[10] == 'T' {
			s = s[:10] // GDAL 3.6's OAPIF driver writes a date with a bare "T"
		}
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return &t, nil
		}
		if t, err := time.Parse(time.DateOnly, s); err == nil {
			if end {
				t = t.Add(24*time.Hour - time.Nanosecond)
			}
			return &t, nil
		}
		return nil, badParam("datetime", "datetime %q: %q is not an RFC 3339 date-time (2024-05-01T00:00:00Z) or a date (2024-05-01)", v, s)
	}
	var iv store.Interval
	if a, b, isInterval := strings.Cut(v, "/"); isInterval {
		if (a == "" || a == "..") && (b == "" || b == "..") {
			return nil, badParam("datetime", "datetime %q: an interval needs at least one end", v)
		}
		if iv.Start, err = parse(a, false); err != nil {
			return nil, err
		}
		if iv.End, err = parse(b, true); err != nil {
			return nil, err
		}
		if iv.Start != nil && iv.End != nil && iv.Start.After(*iv.End) {
			return nil, badParam("datetime", "datetime %q: the start is after the end", v)
		}
		return &iv, nil
	}
	if v == ".." {
		return nil, badParam("datetime", "datetime %q: give an instant or an interval", v)
	}
	if iv.Start, err = parse(v, false); err != nil {
		return nil, err
	}
	iv.End, _ = parse(v, true)
	return &iv, nil
}

func parseFeatureID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, notFound("feature id %q: feature ids are positive whole numbers", s)
	}
	return id, nil
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
