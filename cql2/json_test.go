package cql2

import (
	"errors"
	"strings"
	"testing"
)

func TestParseJSONErrors(t *testing.T) {
	for _, tc := range []struct {
		src, path, want string
	}{
		{`{"op":"=","args":[{"property":"a"}]}`, "$.args", "takes 2 arguments"},
		{`{"op":"like","args":[{"property":"a"},5]}`, "$.args[1]", "right side of like"},
		{`{"op":"and","args":[{"op":"=","args":[{"property":"a"},1]},{"property":"b"}]}`, "$.args[1]", "must be a condition"},
		{`{"op":"=","args":[{"property":"a b"},1]}`, "$.args[0].property", "not a property name"},
		{`{"op":"=","args":[{"property":"a"},{"date":"2020-13-01"}]}`, "$.args[1].date", "not a date"},
		{`{"op":"t_after","args":[{"property":"a"},{"interval":["2020-01-01"]}]}`, "$.args[1].interval", "2 ends"},
		{`{"op":"s_within","args":[{"property":"g"},{"type":"Point","coordinates":[1]}]}`, "$.args[1].coordinates", "2 or 3 numbers"},
		{`{"op":"s_within","args":[{"property":"g"},{"type":"LineString","coordinates":[[1,2],[3,4,5]]}]}`, "$.args[1].coordinates[1]", "mixes 2D and 3D"},
		{`{"op":"s_within","args":[{"property":"g"},{"bbox":[1,2,3]}]}`, "$.args[1].bbox", "4 or 6 numbers"},
		{`{"op":"=","args":[{"property":"a"},null]}`, "$.args[1]", "null"},
		{`{"op":"=","args":[{"property":"a"},1],"x":1}`, "$", `unexpected member "x"`},
		{`{"op":"CASEI","args":["a"]}`, "$.op", "neither a CQL2 operator nor a function"},
		{`{"op":"=","args":[{"property":"a"},1]} 2`, "$", "more than one JSON value"},
		{`{"op":`, "$", "not JSON"},
		{`{"property":"a"}`, "$", "must be a condition"},
		{`{"op":"=","args":[{"property":"a"},1e999]}`, "$.args[1]", "out of range"},
		{strings.Repeat(`{"op":"not","args":[`, 70) + "true" + strings.Repeat("]}", 70), "$" + strings.Repeat(".args[0]", 65), "nests deeper"},
	} {
		_, err := ParseJSON([]byte(tc.src))
		var perr *Error
		if !errors.As(err, &perr) {
			t.Errorf("%s: error %v, want a *Error", tc.src, err)
			continue
		}
		if perr.Path != tc.path || !strings.Contains(perr.Msg, tc.want) {
			t.Errorf("%s: got %s %q, want %s %q", tc.src, perr.Path, perr.Msg, tc.path, tc.want)
		}
	}
}

func TestDepthAndSize(t *testing.T) {
	deep := strings.Repeat("(", 100) + "a = 1" + strings.Repeat(")", 100)
	if _, err := ParseText(deep); err == nil || !strings.Contains(err.Error(), "nests deeper") {
		t.Errorf("100 parentheses: %v", err)
	}
	nots := strings.Repeat("NOT ", 100) + "a = 1"
	if _, err := ParseText(nots); err == nil || !strings.Contains(err.Error(), "nests deeper") {
		t.Errorf("100 NOTs: %v", err)
	}
	big := "a IN (" + strings.Repeat("1,", MaxInput/2) + "1)"
	if _, err := ParseText(big); err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("big filter: %v", err)
	}
	if _, err := ParseText(strings.Repeat("(", 60) + "a = 1" + strings.Repeat(")", 60)); err != nil {
		t.Errorf("60 parentheses: %v", err)
	}
}

func TestTextRefuses(t *testing.T) {
	for _, e := range []Expr{
		Function{Name: "f", Args: []Expr{Array{String("a")}}},
		Op{Op: "=", Args: []Expr{Property("a"), String(`x\`)}},
	} {
		if _, err := Text(e); !errors.Is(err, ErrNotText) {
			t.Errorf("%#v: %v, want ErrNotText", e, err)
		}
	}
}
