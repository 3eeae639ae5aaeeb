package cql2

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	sf "github.com/peterstace/simplefeatures/geom"
	"github.com/tidwall/gjson"
)

// Record is the feature a compiled filter reads.
type Record interface {
	// Value returns the JSON text of property Fields[i] of the Queryables
	// (`"good"`, `36`, `true`, `"2020-01-02"`), "" when it is not set.
	Value(i int) string
	// Geometry returns the feature's geometry (WGS84, 2D), nil when it
	// has none.
	Geometry() orb.Geometry
}

// Filter is a filter compiled against queryables, to be run on many
// records. It caches comparison results by value id (ValueIDRecord), so
// it is not safe for concurrent use: compile one per goroutine.
type Filter struct {
	pred     pred
	envelope *[4]float64
	en       env // the record under test: one, not one allocation a record
}

// tri is a truth value of SQL's three-valued logic: a comparison with a
// missing value is unknown, and only true selects.
type tri int8

const (
	unknown tri = iota
	no
	yes
)

func truth(b bool) tri {
	if b {
		return yes
	}
	return no
}

// env is one evaluation: the record and its geometry, converted once.
type env struct {
	r       Record
	ids     ValueIDRecord // r, when its values have ids
	geom    sf.Geometry
	geomSet bool
	hasGeom bool
}

func (en *env) geometry() (sf.Geometry, bool) {
	if !en.geomSet {
		en.geomSet = true
		if g := en.r.Geometry(); g != nil {
			en.geom, en.hasGeom = fromOrb(g), true
		}
	}
	return en.geom, en.hasGeom
}

type pred func(*env) tri

// vkind is the kind of a runtime value.
type vkind int8

const (
	vNull vkind = iota
	vBool
	vNum
	vStr
	vTime // a date (midnight UTC) or a timestamp
	vInterval
	vGeom
	vArray
)

type value struct {
	k   vkind
	b   bool
	n   float64
	s   string
	t   time.Time // vTime; vInterval's start
	t2  time.Time // vInterval's end
	g   sf.Geometry
	arr []value
}

type eval func(*env) value

// Compile checks e against q (see Check) and compiles it. Errors: a
// *CheckError, or a *CheckError for a geometry literal that is not valid.
func Compile(e Expr, q Queryables) (*Filter, error) {
	if err := Check(e, q); err != nil {
		return nil, err
	}
	c := &compiler{q: q}
	p, err := c.pred(e)
	if err != nil {
		return nil, err
	}
	f := &Filter{pred: p}
	if box, ok := envelope(e, q); ok {
		f.envelope = &box
	}
	return f, nil
}

// Match reports whether r passes the filter (true, not false or unknown).
func (f *Filter) Match(r Record) bool {
	f.en = env{r: r}
	f.en.ids, _ = r.(ValueIDRecord)
	ok := f.pred(&f.en) == yes
	f.en = env{} // keep no record alive
	return ok
}

// Envelope returns [minLon, minLat, maxLon, maxLat] that every matching
// feature's geometry intersects, when the filter has one (a spatial
// predicate other than S_DISJOINT on the geometry and a literal, alone or
// in the top-level AND), so that an R-tree can find the candidates.
func (f *Filter) Envelope() ([4]float64, bool) {
	if f.envelope == nil {
		return [4]float64{}, false
	}
	return *f.envelope, true
}

// compiler compiles expressions against q; general turns the fast paths
// of evalfast.go off (the tests compare the two).
type compiler struct {
	q       Queryables
	general bool
}

func (c *compiler) pred(e Expr) (pred, error) {
	switch e := e.(type) {
	case Bool:
		v := truth(bool(e))
		return func(*env) tri { return v }, nil
	case Op:
		return c.op(e)
	}
	return nil, &CheckError{Msg: "not a condition"}
}

func (c *compiler) preds(args []Expr) ([]pred, error) {
	ps := make([]pred, len(args))
	for i, a := range args {
		p, err := c.pred(a)
		if err != nil {
			return nil, err
		}
		ps[i] = p
	}
	return ps, nil
}

func (c *compiler) evals(args []Expr) ([]eval, error) {
	es := make([]eval, len(args))
	for i, a := range args {
		v, err := c.value(a)
		if err != nil {
			return nil, err
		}
		es[i] = v
	}
	return es, nil
}

func (c *compiler) op(e Op) (pred, error) {
	switch ops[e.Op] {
	case classLogic:
		ps, err := c.preds(e.Args)
		if err != nil {
			return nil, err
		}
		return logic(e.Op, spatialFirst(e.Args, ps)), nil
	case classLike:
		return c.like(e)
	case classSpatial:
		return c.spatial(e)
	}
	if ops[e.Op] == classCompare && !c.general {
		if p, ok := c.compareConst(e); ok {
			return p, nil
		}
	}
	args := e.Args
	if e.Op == "in" {
		args = append([]Expr{args[0]}, args[1].(Array)...)
	}
	vs, err := c.evals(args)
	if err != nil {
		return nil, err
	}
	switch ops[e.Op] {
	case classCompare:
		return compare(e.Op, vs[0], vs[1]), nil
	case classBetween:
		// x BETWEEN lo AND hi is x >= lo AND x <= hi, in three-valued
		// logic as SQL has it: 9 BETWEEN NULL AND 5 is false, not unknown.
		return logic("and", []pred{compare(">=", vs[0], vs[1]), compare("<=", vs[0], vs[2])}), nil
	case classIn:
		return in(vs[0], vs[1:]), nil
	case classIsNull:
		return func(en *env) tri { return truth(vs[0](en).k == vNull) }, nil
	case classTemporal:
		return temporalPred(e.Op, vs[0], vs[1]), nil
	case classArray:
		return arrayPred(e.Op, vs[0], vs[1]), nil
	}
	return nil, &CheckError{Msg: "not a condition: " + e.Op}
}

func logic(op string, ps []pred) pred {
	switch op {
	case "not":
		p := ps[0]
		return func(en *env) tri {
			switch p(en) {
			case yes:
				return no
			case no:
				return yes
			}
			return unknown
		}
	case "and":
		return func(en *env) tri {
			out := yes
			for _, p := range ps {
				switch p(en) {
				case no:
					return no
				case unknown:
					out = unknown
				}
			}
			return out
		}
	}
	return func(en *env) tri {
		out := no
		for _, p := range ps {
			switch p(en) {
			case yes:
				return yes
			case unknown:
				out = unknown
			}
		}
		return out
	}
}

// cmp orders two non-null values of comparable kinds.
func cmp(a, b value) int {
	switch a.k {
	case vNum:
		switch {
		case a.n < b.n:
			return -1
		case a.n > b.n:
			return 1
		}
		return 0
	case vStr:
		return strings.Compare(a.s, b.s)
	case vBool:
		switch {
		case a.b == b.b:
			return 0
		case !a.b:
			return -1
		}
		return 1
	case vTime:
		return a.t.Compare(b.t)
	}
	return 0
}

func compare(op string, l, r eval) pred {
	test := cmpTest(op)
	return func(en *env) tri {
		a, b := l(en), r(en)
		if a.k == vNull || b.k == vNull {
			return unknown
		}
		return truth(test(cmp(a, b)))
	}
}

func in(x eval, list []eval) pred {
	return func(en *env) tri {
		a := x(en)
		if a.k == vNull {
			return unknown
		}
		out := no
		for _, l := range list {
			b := l(en)
			if b.k == vNull {
				out = unknown
			} else if cmp(a, b) == 0 {
				return yes
			}
		}
		return out
	}
}

// value compiles a non-boolean expression.
func (c *compiler) value(e Expr) (eval, error) {
	switch e := e.(type) {
	case Number, String, Bool, Date, Timestamp, Geometry, BBox:
		return c.literal(e)
	case Interval:
		return c.interval(e)
	case Array:
		vs, err := c.evals(e)
		if err != nil {
			return nil, err
		}
		return func(en *env) value {
			out := value{k: vArray, arr: make([]value, len(vs))}
			for i, v := range vs {
				out.arr[i] = v(en)
			}
			return out
		}, nil
	case Property:
		i, t, _ := c.q.lookup(string(e))
		if t == TypeGeometry {
			return func(en *env) value {
				if g, ok := en.geometry(); ok {
					return value{k: vGeom, g: g}
				}
				return value{}
			}, nil
		}
		return property(i, t), nil
	case Op:
		switch ops[e.Op] {
		case classCase:
			return c.caseOp(e)
		case classArithmetic:
			vs, err := c.evals(e.Args)
			if err != nil {
				return nil, err
			}
			return arithmetic(e.Op, vs[0], vs[1]), nil
		}
		p, err := c.op(e)
		if err != nil {
			return nil, err
		}
		return func(en *env) value {
			switch p(en) {
			case yes:
				return value{k: vBool, b: true}
			case no:
				return value{k: vBool}
			}
			return value{}
		}, nil
	}
	return nil, &CheckError{Msg: "cannot evaluate this expression"}
}

// property reads field i of type t from the record's JSON text.
func property(i int, t Type) eval {
	return func(en *env) value {
		raw := en.r.Value(i)
		if raw == "" || raw == "null" {
			return value{}
		}
		switch t {
		case TypeInteger, TypeNumber:
			n, err := strconv.ParseFloat(raw, 64)
			if err != nil {
				return value{}
			}
			return value{k: vNum, n: n}
		case TypeBoolean:
			return value{k: vBool, b: raw == "true"}
		case TypeArray:
			return arrayValue(gjson.Parse(raw))
		}
		s := jsonText(raw)
		switch t {
		case TypeDate:
			d, err := time.Parse(time.DateOnly, s)
			if err != nil {
				return value{}
			}
			return value{k: vTime, t: d}
		case TypeDateTime:
			d, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return value{}
			}
			return value{k: vTime, t: d.UTC()}
		}
		return value{k: vStr, s: s}
	}
}

// arrayValue is a JSON array property as a value: its strings, numbers
// and booleans (and arrays of them); another JSON value is null.
func arrayValue(r gjson.Result) value {
	switch r.Type {
	case gjson.String:
		return value{k: vStr, s: r.Str}
	case gjson.Number:
		return value{k: vNum, n: r.Num}
	case gjson.True, gjson.False:
		return value{k: vBool, b: r.Type == gjson.True}
	}
	if !r.IsArray() {
		return value{}
	}
	out := value{k: vArray}
	r.ForEach(func(_, x gjson.Result) bool {
		out.arr = append(out.arr, arrayValue(x))
		return true
	})
	return out
}

// jsonText returns the string a JSON string literal holds.
func jsonText(raw string) string {
	if len(raw) >= 2 && raw[0] == '"' && strings.IndexByte(raw, '\\') < 0 {
		return raw[1 : len(raw)-1]
	}
	return gjson.Parse(raw).String()
}

func (c *compiler) literal(e Expr) (eval, error) {
	v, err := c.constant(e)
	if err != nil {
		return nil, err
	}
	return func(*env) value { return v }, nil
}

var farPast, farFuture = time.Date(-100000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(100000, 1, 1, 0, 0, 0, 0, time.UTC)

// constant evaluates a literal once.
func (c *compiler) constant(e Expr) (value, error) {
	switch e := e.(type) {
	case Number:
		return value{k: vNum, n: float64(e)}, nil
	case String:
		return value{k: vStr, s: string(e)}, nil
	case Bool:
		return value{k: vBool, b: bool(e)}, nil
	case Date:
		return value{k: vTime, t: e.Time}, nil
	case Timestamp:
		return value{k: vTime, t: e.Time}, nil
	case Geometry, BBox:
		g, err := toSF(e)
		return value{k: vGeom, g: g}, err
	}
	return value{}, errNotConstant
}

var errNotConstant = &CheckError{Msg: "not a literal"}

// interval compiles INTERVAL(start, end); '..' is the far past or future.
func (c *compiler) interval(e Interval) (eval, error) {
	end := func(x Expr, open time.Time) (eval, error) {
		if _, ok := x.(Unbounded); ok {
			return func(*env) value { return value{k: vTime, t: open} }, nil
		}
		return c.value(x)
	}
	s, err := end(e.Start, farPast)
	if err != nil {
		return nil, err
	}
	f, err := end(e.End, farFuture)
	if err != nil {
		return nil, err
	}
	return func(en *env) value {
		a, b := s(en), f(en)
		if a.k != vTime || b.k != vTime {
			return value{}
		}
		return value{k: vInterval, t: a.t, t2: b.t}
	}, nil
}

func arithmetic(op string, l, r eval) eval {
	f := map[string]func(a, b float64) float64{
		"+":   func(a, b float64) float64 { return a + b },
		"-":   func(a, b float64) float64 { return a - b },
		"*":   func(a, b float64) float64 { return a * b },
		"/":   func(a, b float64) float64 { return a / b },
		"%":   math.Mod,
		"div": func(a, b float64) float64 { return math.Trunc(a / b) },
		"^":   math.Pow,
	}[op]
	return func(en *env) value {
		a, b := l(en), r(en)
		if a.k == vNull || b.k == vNull {
			return value{}
		}
		n := f(a.n, b.n)
		if math.IsNaN(n) || math.IsInf(n, 0) {
			return value{} // division by zero and the like: unknown
		}
		return value{k: vNum, n: n}
	}
}
