package proj

import (
	"fmt"
	"strconv"
	"strings"
)

// wktNode is one keyword of a WKT1 text with its bracketed arguments, which
// are quoted strings, numbers, bare words (AXIS directions) or nodes.
type wktNode struct {
	keyword string
	args    []wktArg
}

type wktArg struct {
	node   *wktNode
	str    string // quoted string or bare word
	num    float64
	isNum  bool
	quoted bool
}

// maxWKTDepth bounds the nesting of WKT keywords, so that hostile input
// cannot exhaust the stack.
const maxWKTDepth = 16

// maxWKTLen bounds the size of a WKT text; real .prj files are a few KB.
const maxWKTLen = 1 << 20

type wktParser struct {
	s   string
	pos int
}

// parseWKT parses a WKT1 text into its root node.
func parseWKT(s string) (*wktNode, error) {
	if len(s) > maxWKTLen {
		return nil, fmt.Errorf("WKT text is %d bytes, more than the %d allowed", len(s), maxWKTLen)
	}
	p := &wktParser{s: s}
	p.skipSpace()
	n, err := p.node(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(p.s) {
		return nil, fmt.Errorf("unexpected text after the end of %s at byte %d: %q", n.keyword, p.pos, p.snippet())
	}
	return n, nil
}

func (p *wktParser) snippet() string {
	end := min(p.pos+20, len(p.s))
	return p.s[p.pos:end]
}

func (p *wktParser) skipSpace() {
	for p.pos < len(p.s) {
		switch p.s[p.pos] {
		case ' ', '\t', '\n', '\r', '\f', '\v':
			p.pos++
		default:
			return
		}
	}
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func (p *wktParser) word() string {
	start := p.pos
	for p.pos < len(p.s) && isWordByte(p.s[p.pos]) {
		p.pos++
	}
	return p.s[start:p.pos]
}

func (p *wktParser) node(depth int) (*wktNode, error) {
	if depth >= maxWKTDepth {
		return nil, fmt.Errorf("WKT nested more than %d levels deep", maxWKTDepth)
	}
	kw := p.word()
	if kw == "" {
		return nil, fmt.Errorf("expected a WKT keyword at byte %d, found %q", p.pos, p.snippet())
	}
	p.skipSpace()
	if p.pos >= len(p.s) || (p.s[p.pos] != '[' && p.s[p.pos] != '(') {
		return nil, fmt.Errorf("expected [ after WKT keyword %s at byte %d", kw, p.pos)
	}
	closer := byte(']')
	if p.s[p.pos] == '(' {
		closer = ')'
	}
	p.pos++
	n := &wktNode{keyword: strings.ToUpper(kw)}
	for {
		p.skipSpace()
		if p.pos >= len(p.s) {
			return nil, fmt.Errorf("WKT keyword %s is not closed", n.keyword)
		}
		if p.s[p.pos] == closer && len(n.args) == 0 {
			p.pos++
			return n, nil
		}
		arg, err := p.arg(depth)
		if err != nil {
			return nil, err
		}
		n.args = append(n.args, arg)
		p.skipSpace()
		if p.pos >= len(p.s) {
			return nil, fmt.Errorf("WKT keyword %s is not closed", n.keyword)
		}
		switch c := p.s[p.pos]; {
		case c == ',':
			p.pos++
		case c == closer:
			p.pos++
			return n, nil
		default:
			return nil, fmt.Errorf("expected , or %c in %s at byte %d, found %q", closer, n.keyword, p.pos, p.snippet())
		}
	}
}

func (p *wktParser) arg(depth int) (wktArg, error) {
	c := p.s[p.pos]
	switch {
	case c == '"':
		p.pos++
		var b strings.Builder
		for {
			i := strings.IndexByte(p.s[p.pos:], '"')
			if i < 0 {
				return wktArg{}, fmt.Errorf("unterminated quoted string in WKT")
			}
			b.WriteString(p.s[p.pos : p.pos+i])
			p.pos += i + 1
			// A doubled quote stands for one quote character.
			if p.pos < len(p.s) && p.s[p.pos] == '"' {
				b.WriteByte('"')
				p.pos++
				continue
			}
			return wktArg{str: b.String(), quoted: true}, nil
		}
	case c == '-' || c == '+' || c == '.' || c >= '0' && c <= '9':
		start := p.pos
		for p.pos < len(p.s) && strings.IndexByte("+-.0123456789eE", p.s[p.pos]) >= 0 {
			p.pos++
		}
		text := p.s[start:p.pos]
		v, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return wktArg{}, fmt.Errorf("bad number %q in WKT", text)
		}
		return wktArg{num: v, isNum: true}, nil
	case isWordByte(c):
		save := p.pos
		w := p.word()
		p.skipSpace()
		if p.pos < len(p.s) && (p.s[p.pos] == '[' || p.s[p.pos] == '(') {
			p.pos = save
			n, err := p.node(depth + 1)
			if err != nil {
				return wktArg{}, err
			}
			return wktArg{node: n}, nil
		}
		return wktArg{str: w}, nil
	default:
		return wktArg{}, fmt.Errorf("unexpected %q in WKT at byte %d", c, p.pos)
	}
}

// name returns the node's first argument when it is a quoted string.
func (n *wktNode) name() string {
	if len(n.args) > 0 && n.args[0].quoted {
		return n.args[0].str
	}
	return ""
}

// child returns the first child node with the keyword, or nil.
func (n *wktNode) child(keyword string) *wktNode {
	for _, a := range n.args {
		if a.node != nil && a.node.keyword == keyword {
			return a.node
		}
	}
	return nil
}

// children returns the child nodes with the keyword.
func (n *wktNode) children(keyword string) []*wktNode {
	var out []*wktNode
	for _, a := range n.args {
		if a.node != nil && a.node.keyword == keyword {
			out = append(out, a.node)
		}
	}
	return out
}

// number returns the i-th argument (0-based) as a number.
func (n *wktNode) number(i int) (float64, error) {
	if i >= len(n.args) || !n.args[i].isNum {
		return 0, fmt.Errorf("%s %q: argument %d is not a number", n.keyword, n.name(), i+1)
	}
	return n.args[i].num, nil
}

// authority returns "AUTH:CODE" from the node's AUTHORITY child, or "".
func (n *wktNode) authority() string {
	a := n.child("AUTHORITY")
	if a == nil || len(a.args) < 2 {
		return ""
	}
	code := a.args[1].str
	if a.args[1].isNum {
		code = strconv.FormatFloat(a.args[1].num, 'f', -1, 64)
	}
	return strings.ToUpper(a.args[0].str) + ":" + code
}
