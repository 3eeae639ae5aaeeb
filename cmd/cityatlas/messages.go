package main

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/cityatlas/cityatlas/importers"
	"github.com/cityatlas/cityatlas/ingest"
)

// internalPrefix matches the package names that errors carry as prefixes
// ("ingest: gpkg: apply stream: ..."): they say where in the code, which
// the person at the terminal has no use for.
var internalPrefix = regexp.MustCompile(`(^|: |\()(?:ingest|importers|gpkg|postgis|store|proj): `)

// userMessage is err's text without the internal package prefixes.
func userMessage(err error) string {
	s := err.Error()
	for {
		t := internalPrefix.ReplaceAllString(s, "$1")
		if t == s {
			return s
		}
		s = t
	}
}

// splitKeywords splits --keywords at commas, trimming each.
func splitKeywords(s string) []string {
	var out []string
	for _, k := range strings.Split(s, ",") {
		if k = strings.TrimSpace(k); k != "" {
			out = append(out, k)
		}
	}
	return out
}

// problemGroup is the rows refused for one reason in one file and field.
type problemGroup struct {
	first *importers.RecordError
	n     int
}

// printProblems writes the rows refused, one line for each reason: rows
// that fail the same way in the same file and field are counted on one
// line that shows the first of them.
func printProblems(w io.Writer, ps []*importers.RecordError) {
	var order []string
	groups := map[string]*problemGroup{}
	for _, p := range ps {
		reason := "<nil>"
		if p.Err != nil {
			reason = p.Err.Error()
		}
		if errors.Is(p.Err, ingest.ErrOutside) {
			reason = "outside" // each names its own position
		}
		key := p.File + "\x00" + p.Field + "\x00" + reason
		g, ok := groups[key]
		if !ok {
			g = &problemGroup{first: p}
			groups[key] = g
			order = append(order, key)
		}
		g.n++
	}
	for _, k := range order {
		g := groups[k]
		if g.n == 1 {
			fmt.Fprintf(w, "  %s\n", userMessage(g.first))
			continue
		}
		fmt.Fprintf(w, "  %s rows: %s (first at %s)\n", group(g.n), reasonOf(g.first), where(g.first))
	}
}

// reasonOf is a problem without its record and line.
func reasonOf(e *importers.RecordError) string {
	s := e.File
	if e.Field != "" {
		s += fmt.Sprintf(": field %q", e.Field)
	}
	reason := "invalid record"
	if e.Err != nil {
		reason = userMessage(e.Err)
	}
	return s + ": " + reason
}

// where says which row a problem is about.
func where(e *importers.RecordError) string {
	switch {
	case e.Line > 0 && e.Record > 0:
		return fmt.Sprintf("record %d, line %d", e.Record, e.Line)
	case e.Record > 0:
		return fmt.Sprintf("record %d", e.Record)
	case e.Line > 0:
		return fmt.Sprintf("line %d", e.Line)
	}
	return "the file"
}

// crsHint is the advice for an import refused because every bad row lies
// far outside the expected area: the CRS is wrong, and --skip-invalid
// would drop every one of them.
func crsHint(r *ingest.Report) string {
	if r == nil || r.Flagged == 0 || r.Flagged != r.Rejected {
		return ""
	}
	code := "EPSG:NNNN"
	if r.SuggestedSRS != "" {
		code = r.SuggestedSRS
	}
	return fmt.Sprintf("every row refused lies far outside the expected area, so the CRS the file gives is probably wrong: name the right one with --srs %s (--skip-invalid would drop those rows)", code)
}
