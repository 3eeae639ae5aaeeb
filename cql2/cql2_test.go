package cql2

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func readExamples(t testing.TB, ext string) map[string]string {
	t.Helper()
	dir := map[string]string{".txt": "text", ".json": "json"}[ext]
	files, err := filepath.Glob(filepath.Join("testdata", "examples", dir, "*"+ext))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples *%s: %v", ext, err)
	}
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ext)] = string(b)
	}
	return out
}

func TestExamplesText(t *testing.T) {
	texts := readExamples(t, ".txt")
	if len(texts) != 120 {
		t.Errorf("%d text examples, want 120", len(texts))
	}
	for name, src := range texts {
		e, err := ParseText(src)
		if err != nil {
			t.Errorf("%s: %v\n%s", name, err, src)
			continue
		}
		roundTrip(t, name, e)
	}
}

func TestExamplesJSON(t *testing.T) {
	docs := readExamples(t, ".json")
	if len(docs) != 109 {
		t.Errorf("%d JSON examples, want 109", len(docs))
	}
	for name, src := range docs {
		e, err := ParseJSON([]byte(src))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		roundTrip(t, name, e)
	}
}

// TestExamplePairs: a text and a JSON example of one name (and the text's
// -alt01 spelling) give the same tree.
func TestExamplePairs(t *testing.T) {
	texts, docs := readExamples(t, ".txt"), readExamples(t, ".json")
	pairs := 0
	for name, src := range texts {
		doc, ok := docs[strings.TrimSuffix(name, "-alt01")]
		if !ok {
			t.Errorf("%s has no JSON twin", name)
			continue
		}
		te, err1 := ParseText(src)
		je, err2 := ParseJSON([]byte(doc))
		if err1 != nil || err2 != nil {
			continue // reported by the tests above
		}
		pairs++
		if !reflect.DeepEqual(te, je) {
			t.Errorf("%s: text and JSON trees differ\ntext: %#v\njson: %#v", name, te, je)
		}
	}
	if pairs != 120 {
		t.Errorf("%d pairs compared, want 120", pairs)
	}
}

// roundTrip checks that e written in each encoding reads back to e.
func roundTrip(t *testing.T, name string, e Expr) {
	t.Helper()
	text, err := Text(e)
	if err != nil {
		t.Errorf("%s: Text: %v", name, err)
		return
	}
	back, err := ParseText(text)
	if err != nil {
		t.Errorf("%s: written text %q does not parse: %v", name, text, err)
	} else if !reflect.DeepEqual(back, e) {
		t.Errorf("%s: text round trip changed the tree\n%s\n%#v\n%#v", name, text, e, back)
	}
	doc, err := JSON(e)
	if err != nil {
		t.Errorf("%s: JSON: %v", name, err)
		return
	}
	back, err = ParseJSON(doc)
	if err != nil {
		t.Errorf("%s: written JSON %s does not parse: %v", name, doc, err)
	} else if !reflect.DeepEqual(back, e) {
		t.Errorf("%s: JSON round trip changed the tree\n%s", name, doc)
	}
}

func TestParseTextErrors(t *testing.T) {
	for _, tc := range []struct {
		src  string
		pos  int
		want string
	}{
		{"a = ", 4, "expected a value"},
		{"a = 'x", 4, "no closing quote"},
		{"a == 1", 3, "expected a value"},
		{"a = 1 b = 2", 6, "expected AND, OR"},
		{"a LIKE 5", 7, "right side of like"},
		{"'x' + 1 > 2", 0, "argument 1 of +"},
		{"a BETWEEN 1 OR 2", 12, "expected 'AND'"},
		{"a IN ()", 6, "expected a value"},
		{"S_INTERSECTS(geom, 5)", 19, "argument 2 of s_intersects"},
		{"S_INTERSECTS(geom)", 13, "takes 2 arguments"},
		{"t > TIMESTAMP('2020-01-01')", 14, "is not a timestamp"},
		{"t > DATE('2020-02-30')", 9, "is not a date"},
		{"S_WITHIN(g, POINT(1))", 18, "needs an x and a y"},
		{"S_WITHIN(g, POINT Z (1 2))", 21, "mixes 3D and 2D"},
		{"S_WITHIN(g, POLYGON((0 0, 1 1, 0 0)))", 20, "at least 4 positions"},
		{"S_WITHIN(g, BBOX(1,2,3))", 12, "4 or 6 numbers"},
		{`"a b" = 1`, 0, "is not a property name"},
		{"a = 1 AND", 9, "expected a value"},
		{"a", 0, "must be a condition"},
		{"a = 1e999", 4, "out of range"},
		{"2 ^ 3 ^ 4 = a", 6, "ambiguous"},
		{"a = 1 \x00", 6, "U+0000"},
		{"T_AFTER(t, INTERVAL('2020-01-01'))", 32, "INTERVAL takes 2"},
		{"NOT", 3, "expected a value"},
	} {
		_, err := ParseText(tc.src)
		var perr *Error
		if !errors.As(err, &perr) {
			t.Errorf("%q: error %v, want a *Error", tc.src, err)
			continue
		}
		if perr.Pos != tc.pos || !strings.Contains(perr.Msg, tc.want) {
			t.Errorf("%q: got %d %q, want %d %q", tc.src, perr.Pos, perr.Msg, tc.pos, tc.want)
		}
	}
}
