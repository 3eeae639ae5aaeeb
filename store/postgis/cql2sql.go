package postgis

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/cityatlas/cityatlas/cql2"
	"github.com/cityatlas/cityatlas/store"
)

// whereSQL translates a CQL2 tree, checked against collection c, into a
// condition on a feature table. Values and property names are $n
// parameters, numbered from first; the SQL itself is fixed fragments.
// NULL stands for a missing value, so SQL's three-valued logic is CQL2's
// (as the index evaluates it). Errors: ErrInvalid for what is not
// translated (ACCENTI, functions, arrays of other than literals).
func whereSQL(e cql2.Expr, c *store.Collection, first int) (string, []any, error) {
	q := store.Queryables(c)
	if err := cql2.Check(e, q); err != nil {
		return "", nil, store.Invalidf("filter: %s", err)
	}
	w := &cqlWriter{q: q, n: first - 1}
	s := w.pred(e)
	if w.err != nil {
		return "", nil, w.err
	}
	return s, w.args, nil
}

type cqlWriter struct {
	q    cql2.Queryables
	args []any
	n    int
	err  error
}

func (w *cqlWriter) arg(v any) string {
	w.args = append(w.args, v)
	w.n++
	return "$" + strconv.Itoa(w.n)
}

func (w *cqlWriter) fail(format string, args ...any) string {
	if w.err == nil {
		w.err = store.Invalidf("filter: "+format+" is not translated to SQL", args...)
	}
	return "NULL"
}

var sqlCompare = map[string]string{"=": "=", "<>": "<>", "<": "<", ">": ">", "<=": "<=", ">=": ">="}

var sqlSpatial = map[string]string{
	"s_intersects": "ST_Intersects", "s_equals": "ST_Equals", "s_disjoint": "ST_Disjoint", "s_touches": "ST_Touches",
	"s_within": "ST_Within", "s_overlaps": "ST_Overlaps", "s_crosses": "ST_Crosses", "s_contains": "ST_Contains",
}

// pred writes a condition.
func (w *cqlWriter) pred(e cql2.Expr) string {
	switch e := e.(type) {
	case cql2.Bool:
		if e {
			return "TRUE"
		}
		return "FALSE"
	case cql2.Op:
		return w.op(e)
	}
	return w.fail("%T as a condition", e)
}

func (w *cqlWriter) op(e cql2.Op) string {
	a := e.Args
	switch e.Op {
	case "and", "or":
		parts := make([]string, len(a))
		for i, x := range a {
			parts[i] = w.pred(x)
		}
		return "(" + strings.Join(parts, " "+strings.ToUpper(e.Op)+" ") + ")"
	case "not":
		return "(NOT " + w.pred(a[0]) + ")"
	case "like":
		return "(" + w.value(a[0]) + " LIKE " + w.value(a[1]) + ")"
	case "between":
		x := w.value(a[0])
		return "(" + x + " >= " + w.value(a[1]) + " AND " + x + " <= " + w.value(a[2]) + ")"
	case "in":
		list := a[1].(cql2.Array)
		parts := make([]string, len(list))
		for i, x := range list {
			parts[i] = w.value(x)
		}
		return "(" + w.value(a[0]) + " IN (" + strings.Join(parts, ", ") + "))"
	case "isNull":
		return "(" + w.value(a[0]) + " IS NULL)"
	}
	if op, ok := sqlCompare[e.Op]; ok {
		return "(" + w.value(a[0]) + " " + op + " " + w.value(a[1]) + ")"
	}
	if fn, ok := sqlSpatial[e.Op]; ok {
		return fn + "(" + w.value(a[0]) + ", " + w.value(a[1]) + ")"
	}
	if strings.HasPrefix(e.Op, "t_") {
		return w.temporal(e)
	}
	if strings.HasPrefix(e.Op, "a_") {
		return w.array(e)
	}
	return w.fail("%s", e.Op)
}

// sqlArray are the array functions that are jsonb operators.
var sqlArray = map[string]string{"a_equals": "=", "a_contains": "@>", "a_containedBy": "<@"}

// array writes an array function on jsonb arrays, with the index's
// semantics: elements are equal when they are the same JSON value (1 and
// 1.0 alike, "1" and 1 not); a missing array makes it NULL.
func (w *cqlWriter) array(e cql2.Op) string {
	a, b := w.jsonb(e.Args[0]), w.jsonb(e.Args[1])
	if op, ok := sqlArray[e.Op]; ok {
		return "(" + a + " " + op + " " + b + ")"
	}
	switch e.Op {
	case "a_overlaps":
		return "(CASE WHEN " + a + " IS NULL OR " + b + " IS NULL THEN NULL ELSE EXISTS (SELECT 1 FROM jsonb_array_elements(" + a +
			") x JOIN jsonb_array_elements(" + b + ") y ON x = y) END)"
	}
	return w.fail("%s", e.Op)
}

// jsonb writes an array property or an array of literals as jsonb.
func (w *cqlWriter) jsonb(e cql2.Expr) string {
	switch e := e.(type) {
	case cql2.Property:
		if w.fieldType(string(e)) != cql2.TypeArray {
			return "NULL::jsonb"
		}
		return pgx.Identifier{string(e)}.Sanitize()
	case cql2.Array:
		items := make([]any, len(e))
		for i, x := range e {
			switch x := x.(type) {
			case cql2.String:
				items[i] = string(x)
			case cql2.Number:
				items[i] = float64(x)
			case cql2.Bool:
				items[i] = bool(x)
			default:
				return w.fail("an array holding %T", x)
			}
		}
		text, _ := json.Marshal(items)
		return "(" + w.arg(string(text)) + "::jsonb)"
	}
	return w.fail("%T as an array", e)
}

// allenSQL are the temporal relations on [as, ae] and [bs, be] (the same
// as cql2's).
var allenSQL = map[string]string{
	"t_after": "as > be", "t_before": "ae < bs", "t_contains": "as < bs AND ae > be",
	"t_disjoint": "(ae < bs OR as > be)", "t_during": "as > bs AND ae < be", "t_equals": "as = bs AND ae = be",
	"t_finishedBy": "as < bs AND ae = be", "t_finishes": "as > bs AND ae = be", "t_intersects": "as <= be AND ae >= bs",
	"t_meets": "ae = bs", "t_metBy": "as = be", "t_overlappedBy": "as > bs AND as < be AND ae > be",
	"t_overlaps": "as < bs AND ae > bs AND ae < be", "t_startedBy": "as = bs AND ae > be", "t_starts": "as = bs AND ae < be",
}

// temporal writes a temporal predicate; an operand with a missing end
// makes it NULL, as in the index.
func (w *cqlWriter) temporal(e cql2.Op) string {
	as, ae := w.span(e.Args[0])
	bs, be := w.span(e.Args[1])
	cond := strings.NewReplacer("as", as, "ae", ae, "bs", bs, "be", be).Replace(allenSQL[e.Op])
	return "(CASE WHEN " + as + " IS NULL OR " + ae + " IS NULL OR " + bs + " IS NULL OR " + be + " IS NULL THEN NULL ELSE (" + cond + ") END)"
}

// span writes the start and end of an instant or interval.
func (w *cqlWriter) span(e cql2.Expr) (string, string) {
	iv, ok := e.(cql2.Interval)
	if !ok {
		v := w.value(e)
		return v, v
	}
	end := func(x cql2.Expr, open string) string {
		if _, ok := x.(cql2.Unbounded); ok {
			return "'" + open + "'::timestamptz"
		}
		return w.value(x)
	}
	return end(iv.Start, "-infinity"), end(iv.End, "infinity")
}

// value writes a scalar, temporal or geometric value: numbers as float8,
// strings in the "C" collation, dates and timestamps as timestamptz (a
// date at midnight UTC), geometries in 2D.
func (w *cqlWriter) value(e cql2.Expr) string {
	switch e := e.(type) {
	case cql2.Number:
		return w.arg(float64(e)) + "::float8"
	case cql2.String:
		return "(" + w.arg(string(e)) + `::text COLLATE "C")`
	case cql2.Bool:
		return w.arg(bool(e)) + "::boolean"
	case cql2.Date:
		return w.arg(e.Time.UTC()) + "::timestamptz"
	case cql2.Timestamp:
		return w.arg(e.Time.UTC()) + "::timestamptz"
	case cql2.BBox:
		x1, y1, x2, y2 := e[0], e[1], e[2], e[3]
		if len(e) == 6 {
			x2, y2 = e[3], e[4]
		}
		return "ST_MakeEnvelope(" + w.arg(x1) + "::float8, " + w.arg(y1) + "::float8, " + w.arg(x2) + "::float8, " + w.arg(y2) + "::float8, 4326)"
	case cql2.Geometry:
		text, err := cql2.Text(e)
		if err != nil {
			return w.fail("this geometry")
		}
		return "ST_Force2D(ST_GeomFromText(" + w.arg(text) + "::text, 4326))"
	case cql2.Property:
		return w.property(string(e))
	case cql2.Op:
		return w.valueOp(e)
	}
	return w.fail("%T", e)
}

func (w *cqlWriter) property(name string) string {
	if name == w.q.Geometry {
		return "geom"
	}
	t := w.fieldType(name)
	col := pgx.Identifier{name}.Sanitize()
	switch t {
	case cql2.TypeInteger, cql2.TypeNumber:
		return "(" + col + "::float8)"
	case cql2.TypeBoolean:
		return col
	case cql2.TypeDate:
		return "(" + col + "::timestamp AT TIME ZONE 'UTC')"
	case cql2.TypeDateTime:
		return col
	case cql2.TypeArray:
		return "(" + col + `::text COLLATE "C")`
	case "":
		return `(NULL::text COLLATE "C")` // not a field of the layer: missing
	}
	return "(" + col + ` COLLATE "C")`
}

// fieldType is the type of the layer's field name ("" if there is none).
func (w *cqlWriter) fieldType(name string) cql2.Type {
	for _, f := range w.q.Fields {
		if f.Name == name {
			return f.Type
		}
	}
	return ""
}

// valueOp writes CASEI and arithmetic. Arithmetic that PostgreSQL would
// refuse (a division by zero, 0 ^ -1, (-8) ^ 0.5) is NULL, as the index
// makes it unknown.
func (w *cqlWriter) valueOp(e cql2.Op) string {
	switch e.Op {
	case "casei":
		return "lower(" + w.value(e.Args[0]) + `) COLLATE "C"`
	case "accenti":
		return w.fail("ACCENTI")
	case "+", "-", "*":
		return "(" + w.value(e.Args[0]) + " " + e.Op + " " + w.value(e.Args[1]) + ")"
	}
	a, b := w.value(e.Args[0]), w.value(e.Args[1])
	switch e.Op {
	case "/":
		return "(" + a + " / NULLIF(" + b + ", 0))"
	case "div":
		return "trunc(" + a + " / NULLIF(" + b + ", 0))"
	case "%":
		return "(" + a + " - " + b + " * trunc(" + a + " / NULLIF(" + b + ", 0)))"
	case "^":
		return "(CASE WHEN (" + a + " = 0 AND " + b + " < 0) OR (" + a + " < 0 AND " + b + " <> trunc(" + b + ")) THEN NULL ELSE power(" + a + ", " + b + ") END)"
	}
	return w.fail("%s", e.Op)
}
