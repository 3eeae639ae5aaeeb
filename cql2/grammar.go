package cql2

import (
	"fmt"
	"strings"
)

// opClass groups the standard operators by the operands they take.
type opClass int

const (
	classLogic      opClass = iota // and, or, not
	classCompare                   // = <> < > <= >=
	classLike                      // like
	classBetween                   // between
	classIn                        // in
	classIsNull                    // isNull
	classCase                      // casei, accenti
	classSpatial                   // s_*
	classTemporal                  // t_*
	classArray                     // a_*
	classArithmetic                // + - * / % div ^
)

// ops maps every standard operator's CQL2-JSON name to its class.
var ops = map[string]opClass{
	"and": classLogic, "or": classLogic, "not": classLogic,
	"=": classCompare, "<>": classCompare, "<": classCompare, ">": classCompare,
	"<=": classCompare, ">=": classCompare,
	"like": classLike, "between": classBetween, "in": classIn, "isNull": classIsNull,
	"casei": classCase, "accenti": classCase,
	"s_intersects": classSpatial, "s_equals": classSpatial, "s_disjoint": classSpatial,
	"s_touches": classSpatial, "s_within": classSpatial, "s_overlaps": classSpatial,
	"s_crosses": classSpatial, "s_contains": classSpatial,
	"t_after": classTemporal, "t_before": classTemporal, "t_contains": classTemporal,
	"t_disjoint": classTemporal, "t_during": classTemporal, "t_equals": classTemporal,
	"t_finishedBy": classTemporal, "t_finishes": classTemporal, "t_intersects": classTemporal,
	"t_meets": classTemporal, "t_metBy": classTemporal, "t_overlappedBy": classTemporal,
	"t_overlaps": classTemporal, "t_startedBy": classTemporal, "t_starts": classTemporal,
	"a_equals": classArray, "a_contains": classArray, "a_containedBy": classArray,
	"a_overlaps": classArray,
	"+":          classArithmetic, "-": classArithmetic, "*": classArithmetic, "/": classArithmetic,
	"%": classArithmetic, "div": classArithmetic, "^": classArithmetic,
}

// funcOps maps the upper-case text spelling of the operators written as
// functions (CASEI(x), S_INTERSECTS(a, b), ...) to their JSON names.
var funcOps = map[string]string{}

// reserved are the words that are keywords wherever they appear; the
// function-like keywords (CASEI, DATE, POINT, ...) are keywords only before
// "(" (or Z), but no function may take their names either.
var reserved = map[string]bool{
	"AND": true, "OR": true, "NOT": true, "LIKE": true, "BETWEEN": true, "IN": true,
	"IS": true, "NULL": true, "TRUE": true, "FALSE": true, "DIV": true,
}

// literalWords are the keywords that begin a literal.
var literalWords = map[string]bool{
	"DATE": true, "TIMESTAMP": true, "INTERVAL": true, "BBOX": true,
	"POINT": true, "LINESTRING": true, "POLYGON": true, "MULTIPOINT": true,
	"MULTILINESTRING": true, "MULTIPOLYGON": true, "GEOMETRYCOLLECTION": true,
}

func init() {
	for name, c := range ops {
		switch c {
		case classCase, classSpatial, classTemporal, classArray:
			funcOps[strings.ToUpper(name)] = name
		}
	}
}

// isKeyword reports whether a function can't be called name because the
// text encoding reads that word (in any case) as a keyword.
func isKeyword(name string) bool {
	u := strings.ToUpper(name)
	return reserved[u] || literalWords[u] || funcOps[u] != ""
}

// kind is what an operand position admits; each is a set of node types.
type kind int

const (
	kBoolean   kind = iota // a predicate, a boolean literal or a function
	kScalar                // a character, numeric, boolean or instant value
	kCharacter             // a string, CASEI/ACCENTI of one, a property or a function
	kPattern               // a string, or CASEI/ACCENTI of a pattern
	kNumeric               // a number, arithmetic, a property or a function
	kSpatial               // a geometry, a bbox, a property or a function
	kTemporal              // a date, a timestamp, an interval, a property or a function
	kArray                 // an array, a property or a function
	kInstant               // an interval's end
	kAny                   // a function argument or array element
)

var kindNames = map[kind]string{
	kBoolean:   "a condition (a comparison, a spatial, temporal or array predicate, TRUE/FALSE or a function)",
	kScalar:    "a string, number, boolean, date, timestamp, property or function",
	kCharacter: "a string, CASEI/ACCENTI of one, a property or a function",
	kPattern:   "a string pattern (or CASEI/ACCENTI of one)",
	kNumeric:   "a number, an arithmetic expression, a property or a function",
	kSpatial:   "a geometry (WKT or GeoJSON), a BBOX, a property or a function",
	kTemporal:  "a DATE, TIMESTAMP or INTERVAL, a property or a function",
	kArray:     "an array, a property or a function",
	kInstant:   "a date or timestamp string, '..', a property or a function",
	kAny:       "a value",
}

// fits reports whether e may stand where k is wanted.
func fits(e Expr, k kind) bool {
	switch e.(type) {
	case Property, Function:
		return k != kPattern && (k != kBoolean || isFunction(e))
	case Unbounded:
		return k == kInstant
	}
	switch k {
	case kAny:
		return true
	case kBoolean:
		switch e := e.(type) {
		case Bool:
			return true
		case Op:
			c := ops[e.Op]
			return c != classCase && c != classArithmetic
		}
	case kScalar:
		switch e := e.(type) {
		case Bool, Number, String, Date, Timestamp:
			return true
		case Op:
			c := ops[e.Op]
			return c == classCase || c == classArithmetic
		}
	case kCharacter:
		switch e := e.(type) {
		case String:
			return true
		case Op:
			return ops[e.Op] == classCase
		}
	case kPattern:
		switch e := e.(type) {
		case String:
			return true
		case Op:
			return ops[e.Op] == classCase && len(e.Args) == 1 && fits(e.Args[0], kPattern)
		}
	case kNumeric:
		switch e := e.(type) {
		case Number:
			return true
		case Op:
			return ops[e.Op] == classArithmetic
		}
	case kSpatial:
		switch e.(type) {
		case Geometry, BBox:
			return true
		}
	case kTemporal:
		switch e.(type) {
		case Date, Timestamp, Interval:
			return true
		}
	case kArray:
		_, ok := e.(Array)
		return ok
	case kInstant:
		switch e.(type) {
		case Date, Timestamp:
			return true
		}
	}
	return false
}

func isFunction(e Expr) bool { _, ok := e.(Function); return ok }

// checkOp checks the number and kinds of an operator's arguments. It
// returns the index of the offending argument (-1 for a wrong count) and a
// message, or ok.
func checkOp(op string, args []Expr) (int, string, bool) {
	c, known := ops[op]
	if !known {
		return -1, fmt.Sprintf("unknown operator %q", op), false
	}
	want := func(n int) (int, string, bool) {
		return -1, fmt.Sprintf("%s takes %d arguments, not %d", op, n, len(args)), false
	}
	each := func(k kind) (int, string, bool) {
		for i, a := range args {
			if !fits(a, k) {
				return i, fmt.Sprintf("argument %d of %s must be %s", i+1, op, kindNames[k]), false
			}
		}
		return 0, "", true
	}
	switch c {
	case classLogic:
		if op == "not" && len(args) != 1 {
			return want(1)
		}
		if op != "not" && len(args) < 2 {
			return -1, op + " takes at least 2 arguments", false
		}
		return each(kBoolean)
	case classCompare, classArithmetic:
		if len(args) != 2 {
			return want(2)
		}
		if c == classCompare {
			return each(kScalar)
		}
		return each(kNumeric)
	case classLike:
		if len(args) != 2 {
			return want(2)
		}
		if !fits(args[0], kCharacter) {
			return 0, "the left side of like must be " + kindNames[kCharacter], false
		}
		if !fits(args[1], kPattern) {
			return 1, "the right side of like must be " + kindNames[kPattern], false
		}
	case classBetween:
		if len(args) != 3 {
			return want(3)
		}
		return each(kNumeric)
	case classIn:
		if len(args) != 2 {
			return want(2)
		}
		list, ok := args[1].(Array)
		if !fits(args[0], kScalar) || !ok || len(list) == 0 {
			return 0, "in takes a value and a list of one or more values", false
		}
		for _, a := range list {
			if !fits(a, kScalar) {
				return 1, "the list of in must hold " + kindNames[kScalar], false
			}
		}
	case classIsNull:
		if len(args) != 1 {
			return want(1)
		}
		if _, isArray := args[0].(Array); isArray || !fits(args[0], kAny) {
			return 0, "isNull takes a value, not an array", false
		}
	case classCase:
		if len(args) != 1 {
			return want(1)
		}
		return each(kCharacter)
	case classSpatial:
		if len(args) != 2 {
			return want(2)
		}
		return each(kSpatial)
	case classTemporal:
		if len(args) != 2 {
			return want(2)
		}
		return each(kTemporal)
	case classArray:
		if len(args) != 2 {
			return want(2)
		}
		return each(kArray)
	}
	return 0, "", true
}
