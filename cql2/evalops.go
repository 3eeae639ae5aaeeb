package cql2

import (
	"regexp"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// fold is what CASEI does to a string: Unicode case folding.
func fold(s string) string { return cases.Fold().String(s) }

// unaccent is what ACCENTI does: decompose, drop the combining marks.
func unaccent(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		return s
	}
	return out
}

func (c *compiler) caseOp(e Op) (eval, error) {
	v, err := c.value(e.Args[0])
	if err != nil {
		return nil, err
	}
	f := fold
	if e.Op == "accenti" {
		f = unaccent
	}
	return func(en *env) value {
		x := v(en)
		if x.k != vStr {
			return value{}
		}
		return value{k: vStr, s: f(x.s)}
	}, nil
}

// like compiles LIKE: % is any run of characters, _ one character, \
// escapes the next. CASEI and ACCENTI on the pattern apply to the pattern.
func (c *compiler) like(e Op) (pred, error) {
	v, err := c.value(e.Args[0])
	if err != nil {
		return nil, err
	}
	pattern := e.Args[1]
	var fs []func(string) string
	for {
		op, ok := pattern.(Op)
		if !ok {
			break
		}
		if op.Op == "casei" {
			fs = append(fs, fold)
		} else {
			fs = append(fs, unaccent)
		}
		pattern = op.Args[0]
	}
	p := string(pattern.(String))
	for i := len(fs) - 1; i >= 0; i-- {
		p = fs[i](p)
	}
	re := likeRegexp(p)
	return func(en *env) tri {
		x := v(en)
		if x.k != vStr {
			return unknown
		}
		return truth(re.MatchString(x.s))
	}, nil
}

func likeRegexp(p string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?s)\A`)
	escaped := false
	for _, r := range p {
		switch {
		case escaped:
			b.WriteString(regexp.QuoteMeta(string(r)))
			escaped = false
		case r == '\\':
			escaped = true
		case r == '%':
			b.WriteString(".*")
		case r == '_':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	if escaped {
		b.WriteString(`\\`)
	}
	b.WriteString(`\z`)
	return regexp.MustCompile(b.String())
}

// span returns a temporal value as an interval (an instant is [t, t]).
func span(v value) (time.Time, time.Time, bool) {
	switch v.k {
	case vTime:
		return v.t, v.t, true
	case vInterval:
		return v.t, v.t2, true
	}
	return time.Time{}, time.Time{}, false
}

// allen holds the temporal relations of CQL2 on intervals [as, ae] and
// [bs, be], after OGC 21-065 table 7 (Allen's interval algebra).
var allen = map[string]func(as, ae, bs, be time.Time) bool{
	"t_after":        func(as, ae, bs, be time.Time) bool { return as.After(be) },
	"t_before":       func(as, ae, bs, be time.Time) bool { return ae.Before(bs) },
	"t_contains":     func(as, ae, bs, be time.Time) bool { return as.Before(bs) && ae.After(be) },
	"t_disjoint":     func(as, ae, bs, be time.Time) bool { return ae.Before(bs) || as.After(be) },
	"t_during":       func(as, ae, bs, be time.Time) bool { return as.After(bs) && ae.Before(be) },
	"t_equals":       func(as, ae, bs, be time.Time) bool { return as.Equal(bs) && ae.Equal(be) },
	"t_finishedBy":   func(as, ae, bs, be time.Time) bool { return as.Before(bs) && ae.Equal(be) },
	"t_finishes":     func(as, ae, bs, be time.Time) bool { return as.After(bs) && ae.Equal(be) },
	"t_intersects":   func(as, ae, bs, be time.Time) bool { return !as.After(be) && !ae.Before(bs) },
	"t_meets":        func(as, ae, bs, be time.Time) bool { return ae.Equal(bs) },
	"t_metBy":        func(as, ae, bs, be time.Time) bool { return as.Equal(be) },
	"t_overlappedBy": func(as, ae, bs, be time.Time) bool { return as.After(bs) && as.Before(be) && ae.After(be) },
	"t_overlaps":     func(as, ae, bs, be time.Time) bool { return as.Before(bs) && ae.After(bs) && ae.Before(be) },
	"t_startedBy":    func(as, ae, bs, be time.Time) bool { return as.Equal(bs) && ae.After(be) },
	"t_starts":       func(as, ae, bs, be time.Time) bool { return as.Equal(bs) && ae.Before(be) },
}

func temporalPred(op string, l, r eval) pred {
	rel := allen[op]
	return func(en *env) tri {
		as, ae, ok1 := span(l(en))
		bs, be, ok2 := span(r(en))
		if !ok1 || !ok2 {
			return unknown
		}
		return truth(rel(as, ae, bs, be))
	}
}

// arrayPred compiles A_EQUALS, A_CONTAINS, A_CONTAINEDBY and A_OVERLAPS;
// elements are equal when they compare equal (values of other kinds never
// are).
func arrayPred(op string, l, r eval) pred {
	return func(en *env) tri {
		a, b := l(en), r(en)
		if a.k != vArray || b.k != vArray {
			return unknown
		}
		switch op {
		case "a_equals":
			if len(a.arr) != len(b.arr) {
				return no
			}
			for i := range a.arr {
				if !same(a.arr[i], b.arr[i]) {
					return no
				}
			}
			return yes
		case "a_contains":
			return truth(subset(b.arr, a.arr))
		case "a_containedBy":
			return truth(subset(a.arr, b.arr))
		}
		for _, x := range a.arr {
			if member(x, b.arr) {
				return yes
			}
		}
		return no
	}
}

func same(a, b value) bool {
	if a.k != b.k || a.k == vNull {
		return false
	}
	if a.k == vArray {
		if len(a.arr) != len(b.arr) {
			return false
		}
		for i := range a.arr {
			if !same(a.arr[i], b.arr[i]) {
				return false
			}
		}
		return true
	}
	if a.k == vGeom || a.k == vInterval {
		return false
	}
	return cmp(a, b) == 0
}

func member(x value, list []value) bool {
	for _, y := range list {
		if same(x, y) {
			return true
		}
	}
	return false
}

func subset(xs, of []value) bool {
	for _, x := range xs {
		if !member(x, of) {
			return false
		}
	}
	return true
}
