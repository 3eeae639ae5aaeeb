package cql2

import (
	"fmt"
	"slices"
	"strings"
)

// Type is the type of a queryable, as /queryables describes it.
type Type string

// Queryable types.
const (
	TypeString   Type = "string"
	TypeInteger  Type = "integer"
	TypeNumber   Type = "number"
	TypeBoolean  Type = "boolean"
	TypeDate     Type = "date"
	TypeDateTime Type = "datetime"
	TypeGeometry Type = "geometry"
	TypeArray    Type = "array" // a list of strings, numbers and booleans
)

// Field is a queryable property and its type.
type Field struct {
	Name string
	Type Type
}

// Queryables are what a filter may name: Fields in the order Record.Value
// numbers them, and the name of the geometry (usually "geometry").
type Queryables struct {
	Fields   []Field
	Geometry string
}

func (q Queryables) lookup(name string) (int, Type, bool) {
	if name == q.Geometry && name != "" {
		return -1, TypeGeometry, true
	}
	for i, f := range q.Fields {
		if f.Name == name {
			return i, f.Type, true
		}
	}
	return 0, "", false
}

func (q Queryables) names() string {
	var n []string
	for _, f := range q.Fields {
		n = append(n, f.Name)
	}
	if q.Geometry != "" {
		n = append(n, q.Geometry)
	}
	slices.Sort(n)
	return strings.Join(n, ", ")
}

// CheckError is a filter that names an unknown property or function, or
// compares values of types that don't go together. Property is the name
// concerned, when there is one.
type CheckError struct {
	Property string
	Msg      string
}

func (e *CheckError) Error() string { return e.Msg }

// vtype is the type an expression has when evaluated: a queryable Type or
// one of these.
const (
	typeInterval Type = "interval"
	typeArray         = TypeArray
	typeAny      Type = "" // a value whose type is not known (none here)
)

// Check reports the first unknown property, unknown function or
// incompatible comparison in e, as a *CheckError naming the property.
// Functions other than the standard's operators are unknown: this package
// offers none.
func Check(e Expr, q Queryables) error {
	_, err := checkExpr(e, q)
	return err
}

func checkExpr(e Expr, q Queryables) (Type, error) {
	switch e := e.(type) {
	case Bool:
		return TypeBoolean, nil
	case Number:
		return TypeNumber, nil
	case String:
		return TypeString, nil
	case Date:
		return TypeDate, nil
	case Timestamp:
		return TypeDateTime, nil
	case Geometry, BBox:
		return TypeGeometry, nil
	case Unbounded:
		return typeAny, nil
	case Property:
		_, t, ok := q.lookup(string(e))
		if !ok {
			return "", &CheckError{Property: string(e), Msg: fmt.Sprintf("there is no queryable %q (queryables: %s)", string(e), q.names())}
		}
		return t, nil
	case Function:
		return "", &CheckError{Msg: fmt.Sprintf("unknown function %s(): this server offers no functions beyond CQL2's own", e.Name)}
	case Interval:
		for _, end := range []Expr{e.Start, e.End} {
			t, err := checkExpr(end, q)
			if err != nil {
				return "", err
			}
			if !temporal(t) && t != typeAny {
				return "", mismatch(end, t, "an end of an interval, which must be a date or a timestamp")
			}
		}
		return typeInterval, nil
	case Array:
		for _, x := range e {
			if _, err := checkExpr(x, q); err != nil {
				return "", err
			}
		}
		return typeArray, nil
	case Op:
		return checkOperator(e, q)
	}
	return "", &CheckError{Msg: fmt.Sprintf("unknown expression %T", e)}
}

func temporal(t Type) bool { return t == TypeDate || t == TypeDateTime }
func numeric(t Type) bool  { return t == TypeInteger || t == TypeNumber }

// comparable reports whether values of types a and b can be compared.
func comparable(a, b Type) bool {
	switch {
	case numeric(a):
		return numeric(b)
	case temporal(a):
		return temporal(b)
	case a == TypeString || a == TypeBoolean:
		return a == b
	}
	return false
}

func mismatch(e Expr, t Type, want string) error {
	name := ""
	what := describeExpr(e)
	if p, ok := e.(Property); ok {
		name = string(p)
		what = fmt.Sprintf("property %q (%s)", name, article(t))
	} else if t != "" {
		what += " (" + article(t) + ")"
	}
	return &CheckError{Property: name, Msg: what + " cannot be " + want}
}

// article returns "a date", "an integer", ...
func article(t Type) string {
	if strings.ContainsRune("aeiou", rune(t[0])) {
		return "an " + string(t)
	}
	return "a " + string(t)
}

func describeExpr(e Expr) string {
	s, err := Text(e)
	if err != nil || len(s) > 60 {
		return "the value"
	}
	return s
}

func checkOperator(e Op, q Queryables) (Type, error) {
	types := make([]Type, len(e.Args))
	for i, a := range e.Args {
		t, err := checkExpr(a, q)
		if err != nil {
			return "", err
		}
		types[i] = t
	}
	bad := func(i int, want string) (Type, error) { return "", mismatch(e.Args[i], types[i], want) }
	switch ops[e.Op] {
	case classLogic, classIsNull:
		return TypeBoolean, nil
	case classCompare:
		if !comparable(types[0], types[1]) {
			i, j := 1, 0 // name a property where there is one
			if _, ok := e.Args[1].(Property); !ok {
				i, j = 0, 1
			}
			return bad(i, fmt.Sprintf("compared with %s (%s)", describeOperand(e.Args[j]), article(types[j])))
		}
		if types[0] == TypeBoolean && e.Op != "=" && e.Op != "<>" {
			return bad(0, "ordered with "+e.Op+"; booleans compare with = or <> only")
		}
		return TypeBoolean, nil
	case classLike, classCase:
		for i, t := range types {
			if t != TypeString {
				return bad(i, "matched as text: it is not a string")
			}
		}
		if ops[e.Op] == classCase {
			return TypeString, nil
		}
		return TypeBoolean, nil
	case classBetween, classArithmetic:
		for i, t := range types {
			if !numeric(t) {
				return bad(i, "used in "+e.Op+": it is not a number")
			}
		}
		if ops[e.Op] == classArithmetic {
			return TypeNumber, nil
		}
		return TypeBoolean, nil
	case classIn:
		for _, x := range e.Args[1].(Array) {
			t, _ := checkExpr(x, q)
			if !comparable(types[0], t) {
				return "", mismatch(x, t, fmt.Sprintf("in the list of %s (%s)", describeOperand(e.Args[0]), article(types[0])))
			}
		}
		return TypeBoolean, nil
	case classSpatial:
		for i, t := range types {
			if t != TypeGeometry {
				return bad(i, "used in "+e.Op+": it is not a geometry")
			}
		}
		return TypeBoolean, nil
	case classTemporal:
		for i, t := range types {
			if !temporal(t) && t != typeInterval {
				return bad(i, "used in "+e.Op+": it is not a date, a timestamp or an interval")
			}
		}
		return TypeBoolean, nil
	case classArray:
		for i, t := range types {
			if t != typeArray {
				return bad(i, "used in "+e.Op+": it is not an array")
			}
		}
		return TypeBoolean, nil
	}
	return "", &CheckError{Msg: "unknown operator " + e.Op}
}

func describeOperand(e Expr) string {
	if p, ok := e.(Property); ok {
		return fmt.Sprintf("property %q", string(p))
	}
	return describeExpr(e)
}
