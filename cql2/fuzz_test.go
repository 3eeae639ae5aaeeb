package cql2

import (
	"errors"
	"reflect"
	"testing"
)

// FuzzParseText: whatever parses is written back in both encodings and
// reads back to the same tree; what doesn't parse fails with a position
// inside the input.
func FuzzParseText(f *testing.F) {
	for _, src := range readExamples(f, ".txt") {
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := ParseText(src)
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) || perr.Pos < 0 || perr.Pos > len(src) || perr.Msg == "" {
				t.Fatalf("error %#v for %q", err, src)
			}
			return
		}
		stable(t, e)
	})
}

// FuzzParseJSON is FuzzParseText for CQL2-JSON.
func FuzzParseJSON(f *testing.F) {
	for _, src := range readExamples(f, ".json") {
		f.Add([]byte(src))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		e, err := ParseJSON(src)
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) || perr.Path == "" || perr.Msg == "" {
				t.Fatalf("error %#v for %q", err, src)
			}
			return
		}
		stable(t, e)
	})
}

func stable(t *testing.T, e Expr) {
	t.Helper()
	doc, err := JSON(e)
	if err != nil {
		t.Fatalf("JSON(%#v): %v", e, err)
	}
	back, err := ParseJSON(doc)
	if err != nil || !reflect.DeepEqual(back, e) {
		t.Fatalf("JSON %s reads back as %#v, %v; want %#v", doc, back, err, e)
	}
	text, err := Text(e)
	if errors.Is(err, ErrNotText) {
		return
	}
	if err != nil {
		t.Fatalf("Text(%#v): %v", e, err)
	}
	back, err = ParseText(text)
	if err != nil || !reflect.DeepEqual(back, e) {
		t.Fatalf("text %q reads back as %#v, %v; want %#v", text, back, err, e)
	}
	again, err := Text(back)
	if err != nil || again != text {
		t.Fatalf("text %q is written again as %q, %v", text, again, err)
	}
}

// FuzzEvaluate: a filter that parses either fails to compile against the
// test queryables with a *CheckError, or runs on every fixture without
// panicking.
func FuzzEvaluate(f *testing.F) {
	for _, src := range readExamples(f, ".txt") {
		f.Add(src)
	}
	for _, src := range []string{"condition = 'poor' AND installed < DATE('2000-01-01')", "S_TOUCHES(geometry, POLYGON((0 0, 4 0, 4 4, 0 0)))",
		"T_MEETS(INTERVAL(installed, ends), INTERVAL('2001-01-01', '..'))", "CASEI(name) LIKE ACCENTI('%\\%_')", "count ^ -1.5 > height div 0"} {
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := ParseText(src)
		if err != nil {
			return
		}
		flt, err := Compile(e, fixtureQ)
		if err != nil {
			var cerr *CheckError
			if !errors.As(err, &cerr) {
				t.Fatalf("Compile(%q): %v, not a *CheckError", src, err)
			}
			return
		}
		for _, r := range fixtures {
			flt.Match(recView{r})
		}
	})
}
