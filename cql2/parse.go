package cql2

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ParseText parses a CQL2-text filter (the grammar of OGC 21-065, cql2.bnf:
// keywords in any case, property names bare or in double quotes, strings in
// single quotes with ” or \' for a quote). The filter must be a condition.
// Errors are *Error with the byte offset of the problem.
func ParseText(src string) (Expr, error) {
	if len(src) > MaxInput {
		return nil, &Error{Pos: MaxInput, Msg: fmt.Sprintf("the filter is longer than %d bytes", MaxInput)}
	}
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	e, err := p.orExpr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.unexpected(t, "AND, OR or the end of the filter")
	}
	if !fits(e, kBoolean) {
		return nil, &Error{Pos: 0, Msg: "the filter must be " + kindNames[kBoolean]}
	}
	return e, nil
}

type parser struct {
	toks  []token
	i     int
	depth int
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) peekAt(k int) token {
	if p.i+k < len(p.toks) {
		return p.toks[p.i+k]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) expect(s string) (token, error) {
	t := p.peek()
	if !t.is(s) {
		return t, p.unexpected(t, "'"+s+"'")
	}
	return p.next(), nil
}

func describe(t token) string {
	switch t.kind {
	case tEOF:
		return "the end of the filter"
	case tIdent:
		return "'" + t.text + "'"
	case tQuoted:
		return `the property "` + t.text + `"`
	case tString:
		return "the string '" + t.text + "'"
	case tNumber:
		return "the number " + t.text
	}
	return "'" + t.text + "'"
}

func (p *parser) unexpected(t token, want string) error {
	return &Error{Pos: t.pos, Msg: "expected " + want + ", found " + describe(t)}
}

func (p *parser) enter(pos int) error {
	p.depth++
	if p.depth > MaxDepth {
		return &Error{Pos: pos, Msg: fmt.Sprintf("the filter nests deeper than %d levels", MaxDepth)}
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// build makes an Op after checking its arguments, whose offsets are pos.
func build(op string, args []Expr, pos []int) (Expr, error) {
	if i, msg, ok := checkOp(op, args); !ok {
		at := pos[0]
		if i >= 0 {
			at = pos[i]
		}
		return nil, &Error{Pos: at, Msg: msg}
	}
	return Op{Op: op, Args: args}, nil
}

// orExpr: booleanTerm {OR booleanTerm}; andExpr: booleanFactor {AND ...}.
func (p *parser) orExpr() (Expr, error)  { return p.logic("OR", p.andExpr) }
func (p *parser) andExpr() (Expr, error) { return p.logic("AND", p.notExpr) }

func (p *parser) logic(word string, operand func() (Expr, error)) (Expr, error) {
	pos := []int{p.peek().pos}
	first, err := operand()
	if err != nil || !p.peek().is(word) {
		return first, err
	}
	args := []Expr{first}
	for p.peek().is(word) {
		p.next()
		pos = append(pos, p.peek().pos)
		e, err := operand()
		if err != nil {
			return nil, err
		}
		args = append(args, e)
	}
	return build(strings.ToLower(word), args, pos)
}

// notExpr: [NOT] booleanPrimary.
func (p *parser) notExpr() (Expr, error) {
	t := p.peek()
	if !t.is("NOT") {
		return p.predicate()
	}
	p.next()
	if err := p.enter(t.pos); err != nil {
		return nil, err
	}
	defer p.leave()
	pos := p.peek().pos
	e, err := p.notExpr()
	if err != nil {
		return nil, err
	}
	return build("not", []Expr{e}, []int{pos})
}

var compareOps = map[string]bool{"=": true, "<>": true, "<": true, ">": true, "<=": true, ">=": true}

// predicate reads a scalar expression and what follows it: a comparison,
// [NOT] LIKE, [NOT] BETWEEN, [NOT] IN, IS [NOT] NULL, or nothing.
func (p *parser) predicate() (Expr, error) {
	pos := p.peek().pos
	left, err := p.arith()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	if t.kind == tPunct && compareOps[t.text] {
		p.next()
		rpos := p.peek().pos
		right, err := p.arith()
		if err != nil {
			return nil, err
		}
		return build(t.text, []Expr{left, right}, []int{pos, rpos})
	}
	negate := false
	if t.is("NOT") {
		if n := p.peekAt(1); n.is("LIKE") || n.is("BETWEEN") || n.is("IN") {
			p.next()
			negate = true
			t = p.peek()
		}
	}
	var e Expr
	switch {
	case t.is("LIKE"), t.is("BETWEEN"), t.is("IN"):
		p.next()
		e, err = p.rest(strings.ToLower(t.text), left, pos)
	case t.is("IS"):
		p.next()
		if p.peek().is("NOT") {
			p.next()
			negate = true
		}
		if _, err := p.expect("NULL"); err != nil {
			return nil, err
		}
		e, err = build("isNull", []Expr{left}, []int{pos})
	default:
		return left, nil
	}
	if err != nil || !negate {
		return e, err
	}
	return Op{Op: "not", Args: []Expr{e}}, nil
}

// rest reads the right-hand side of LIKE, BETWEEN or IN.
func (p *parser) rest(op string, left Expr, pos int) (Expr, error) {
	args, poss := []Expr{left}, []int{pos}
	add := func() error {
		poss = append(poss, p.peek().pos)
		e, err := p.arith()
		args = append(args, e)
		return err
	}
	switch op {
	case "like":
		if err := add(); err != nil {
			return nil, err
		}
	case "between":
		if err := add(); err != nil {
			return nil, err
		}
		if _, err := p.expect("AND"); err != nil {
			return nil, err
		}
		if err := add(); err != nil {
			return nil, err
		}
	case "in":
		lpos := p.peek().pos
		list, err := p.list(p.arith, false)
		if err != nil {
			return nil, err
		}
		args, poss = append(args, list), append(poss, lpos)
	}
	return build(op, args, poss)
}

// list reads "(" elem {"," elem} ")"; empty allows "()".
func (p *parser) list(elem func() (Expr, error), empty bool) (Array, error) {
	if _, err := p.expect("("); err != nil {
		return nil, err
	}
	list := Array{}
	if empty && p.peek().is(")") {
		p.next()
		return list, nil
	}
	for {
		e, err := elem()
		if err != nil {
			return nil, err
		}
		list = append(list, e)
		if t := p.next(); t.is(")") {
			return list, nil
		} else if !t.is(",") {
			return nil, p.unexpected(t, "',' or ')'")
		}
	}
}

// arith: arithmeticTerm {("+" | "-") arithmeticTerm}.
func (p *parser) arith() (Expr, error) {
	return p.binary(p.term, func(t token) bool { return t.is("+") || t.is("-") })
}

// term: powerTerm {("*" | "/" | "%" | "div") powerTerm}.
func (p *parser) term() (Expr, error) {
	return p.binary(p.power, func(t token) bool {
		return t.is("*") || t.is("/") || t.is("%") || t.is("DIV")
	})
}

func (p *parser) binary(operand func() (Expr, error), isOp func(token) bool) (Expr, error) {
	pos := p.peek().pos
	left, err := operand()
	if err != nil {
		return nil, err
	}
	for isOp(p.peek()) {
		op := strings.ToLower(p.next().text)
		rpos := p.peek().pos
		right, err := operand()
		if err != nil {
			return nil, err
		}
		if left, err = build(op, []Expr{left, right}, []int{pos, rpos}); err != nil {
			return nil, err
		}
	}
	return left, nil
}

// power: arithmeticFactor ["^" arithmeticFactor].
func (p *parser) power() (Expr, error) {
	pos := p.peek().pos
	left, err := p.factor()
	if err != nil || !p.peek().is("^") {
		return left, err
	}
	p.next()
	rpos := p.peek().pos
	right, err := p.factor()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.is("^") {
		return nil, &Error{Pos: t.pos, Msg: "a ^ b ^ c is ambiguous: write (a ^ b) ^ c or a ^ (b ^ c)"}
	}
	return build("^", []Expr{left, right}, []int{pos, rpos})
}

// factor: ["-" | "+"] operand; a sign before a number is part of it, "-"
// before anything else is -1 * operand (as CQL2-JSON writes it).
func (p *parser) factor() (Expr, error) {
	t := p.peek()
	if !t.is("-") && !t.is("+") {
		return p.primary()
	}
	p.next()
	if n := p.peek(); n.kind == tNumber {
		p.next()
		v, err := number(n)
		if t.text == "-" {
			v = -v
		}
		return v, err
	}
	pos := p.peek().pos
	e, err := p.primary()
	if err != nil || t.text == "+" {
		return e, err
	}
	return build("*", []Expr{Number(-1), e}, []int{t.pos, pos})
}

func number(t token) (Number, error) {
	v, err := strconv.ParseFloat(t.text, 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, &Error{Pos: t.pos, Msg: "the number " + t.text + " is out of range"}
	}
	return Number(v), nil
}

// primary reads a literal, a property, a function call, a predicate
// written as a function, or a parenthesised expression or array.
func (p *parser) primary() (Expr, error) {
	t := p.peek()
	if err := p.enter(t.pos); err != nil {
		return nil, err
	}
	defer p.leave()
	switch t.kind {
	case tNumber:
		p.next()
		return number(t)
	case tString:
		p.next()
		return String(t.text), nil
	case tQuoted:
		p.next()
		return Property(t.text), nil
	case tIdent:
		return p.word()
	case tPunct:
		if t.text == "(" {
			return p.paren()
		}
	}
	return nil, p.unexpected(t, "a value, a property or '('")
}

// paren reads "(" expr ")" (the expression itself), "(" a, b, ... ")" (an
// array) or "()" (the empty array).
func (p *parser) paren() (Expr, error) {
	list, err := p.list(p.orExpr, true)
	if err != nil || len(list) != 1 {
		return list, err
	}
	return list[0], nil
}

// word reads what begins with an identifier.
func (p *parser) word() (Expr, error) {
	t := p.next()
	u := strings.ToUpper(t.text)
	call := p.peek().is("(")
	switch {
	case u == "TRUE" || u == "FALSE":
		return Bool(u == "TRUE"), nil
	case reserved[u]:
		return nil, &Error{Pos: t.pos, Msg: "expected a value, a property or '(', found the keyword " + u}
	case isGeometryWord(u) && (call || p.peek().is("Z")):
		g := &geomParser{p: p}
		return g.tagged(t)
	case !call:
		return Property(t.text), nil
	case funcOps[u] != "":
		return p.opCall(funcOps[u], t)
	}
	switch u {
	case "DATE", "TIMESTAMP":
		p.next()
		s := p.next()
		if s.kind != tString {
			return nil, p.unexpected(s, "a quoted "+strings.ToLower(u))
		}
		if _, err := p.expect(")"); err != nil {
			return nil, err
		}
		e, ok := instant(s.text, u == "DATE")
		if !ok {
			return nil, &Error{Pos: s.pos, Msg: "'" + s.text + "' is not a " + instantForm(u == "DATE")}
		}
		return e, nil
	case "INTERVAL":
		return p.interval()
	case "BBOX":
		return p.bbox(t)
	}
	args, err := p.list(p.orExpr, true)
	if err != nil {
		return nil, err
	}
	return Function{Name: t.text, Args: args}, nil
}

// opCall reads the arguments of CASEI, ACCENTI, S_*, T_* or A_*.
func (p *parser) opCall(op string, t token) (Expr, error) {
	var pos []int
	elem := p.orExpr
	arrays := ops[op] == classArray
	if arrays {
		elem = func() (Expr, error) {
			if p.peek().is("(") {
				return p.list(p.orExpr, true)
			}
			return p.arith()
		}
	}
	args, err := p.list(func() (Expr, error) {
		pos = append(pos, p.peek().pos)
		return elem()
	}, false)
	if err != nil {
		return nil, err
	}
	if len(pos) == 0 {
		pos = []int{t.pos}
	}
	return build(op, args, pos)
}

// interval reads INTERVAL(start, end) after the word.
func (p *parser) interval() (Expr, error) {
	ends, err := p.list(p.intervalEnd, false)
	if err != nil {
		return nil, err
	}
	if len(ends) != 2 {
		return nil, &Error{Pos: p.toks[p.i-1].pos, Msg: "INTERVAL takes 2 arguments, its start and end"}
	}
	return Interval{Start: ends[0], End: ends[1]}, nil
}

// intervalEnd reads a date or timestamp string, '..', a property or a
// function.
func (p *parser) intervalEnd() (Expr, error) {
	t := p.peek()
	if t.kind == tString {
		p.next()
		e, ok := intervalEnd(t.text)
		if !ok {
			return nil, &Error{Pos: t.pos, Msg: "'" + t.text + "' is not a date (YYYY-MM-DD), a timestamp (YYYY-MM-DDThh:mm:ss[.fff]Z) or '..'"}
		}
		return e, nil
	}
	e, err := p.arith()
	if err == nil && !fits(e, kInstant) {
		err = &Error{Pos: t.pos, Msg: "an end of an interval must be " + kindNames[kInstant]}
	}
	return e, err
}

// bbox reads BBOX(w, s, e, n) or BBOX(w, s, minz, e, n, maxz).
func (p *parser) bbox(t token) (Expr, error) {
	var box BBox
	_, err := p.list(func() (Expr, error) {
		v, err := p.signed()
		box = append(box, v)
		return nil, err
	}, false)
	if err != nil {
		return nil, err
	}
	if len(box) != 4 && len(box) != 6 {
		return nil, &Error{Pos: t.pos, Msg: fmt.Sprintf("BBOX takes 4 or 6 numbers, not %d", len(box))}
	}
	return box, nil
}

// signed reads a signed numeric literal.
func (p *parser) signed() (float64, error) {
	neg := false
	if t := p.peek(); t.is("-") || t.is("+") {
		neg = t.text == "-"
		p.next()
	}
	t := p.next()
	if t.kind != tNumber {
		return 0, p.unexpected(t, "a number")
	}
	v, err := number(t)
	if neg {
		v = -v
	}
	return float64(v), err
}
