package cql2

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

type tokKind int

const (
	tEOF    tokKind = iota
	tIdent          // an unquoted identifier or keyword
	tQuoted         // a double-quoted identifier
	tString         // a character literal (text holds the value)
	tNumber         // an unsigned numeric literal
	tPunct          // ( ) , = <> < > <= >= + - * / % ^
)

type token struct {
	kind tokKind
	text string
	pos  int
}

// is reports whether t is punctuation p or keyword p (any case).
func (t token) is(p string) bool {
	switch t.kind {
	case tPunct:
		return t.text == p
	case tIdent:
		return strings.EqualFold(t.text, p)
	}
	return false
}

// lex splits src into tokens, ending with a tEOF token.
func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for {
		for i < len(src) {
			r, n := utf8.DecodeRuneInString(src[i:])
			if !isSpace(r) {
				break
			}
			i += n
		}
		if i >= len(src) {
			return append(toks, token{kind: tEOF, pos: i}), nil
		}
		t, next, err := lexOne(src, i)
		if err != nil {
			return nil, err
		}
		toks = append(toks, t)
		i = next
	}
}

func lexOne(src string, i int) (token, int, error) {
	r, n := utf8.DecodeRuneInString(src[i:])
	switch {
	case r == utf8.RuneError && n == 1:
		return token{}, 0, &Error{Pos: i, Msg: "the filter is not valid UTF-8"}
	case r == '\'':
		return lexString(src, i)
	case r == '"':
		return lexQuoted(src, i)
	case isDigit(r) || (r == '.' && i+1 < len(src) && isDigit(rune(src[i+1]))):
		return lexNumber(src, i)
	case isIdentStart(r):
		j := i + n
		for j < len(src) {
			r, n := utf8.DecodeRuneInString(src[j:])
			if !isIdentPart(r) {
				break
			}
			j += n
		}
		return token{kind: tIdent, text: src[i:j], pos: i}, j, nil
	}
	if i+1 < len(src) {
		switch two := src[i : i+2]; two {
		case "<>", "<=", ">=":
			return token{kind: tPunct, text: two, pos: i}, i + 2, nil
		}
	}
	if strings.ContainsRune("(),=<>+-*/%^", r) {
		return token{kind: tPunct, text: string(r), pos: i}, i + 1, nil
	}
	return token{}, 0, &Error{Pos: i, Msg: "unexpected character " + quoteRune(r)}
}

func quoteRune(r rune) string {
	if r < ' ' || r == 0x7f {
		return fmt.Sprintf("U+%04X", r)
	}
	return "'" + string(r) + "'"
}

// lexString reads a character literal: ” and \' stand for a quote.
func lexString(src string, i int) (token, int, error) {
	var b strings.Builder
	j := i + 1
	for j < len(src) {
		c := src[j]
		switch {
		case c == '\'' && j+1 < len(src) && src[j+1] == '\'':
			b.WriteByte('\'')
			j += 2
		case c == '\\' && j+1 < len(src) && src[j+1] == '\'':
			b.WriteByte('\'')
			j += 2
		case c == '\'':
			return token{kind: tString, text: b.String(), pos: i}, j + 1, nil
		default:
			r, n := utf8.DecodeRuneInString(src[j:])
			if r == utf8.RuneError && n == 1 {
				return token{}, 0, &Error{Pos: j, Msg: "the string is not valid UTF-8"}
			}
			b.WriteString(src[j : j+n])
			j += n
		}
	}
	return token{}, 0, &Error{Pos: i, Msg: "the string starting here has no closing quote (')"}
}

// lexQuoted reads "identifier".
func lexQuoted(src string, i int) (token, int, error) {
	end := strings.IndexByte(src[i+1:], '"')
	if end < 0 {
		return token{}, 0, &Error{Pos: i, Msg: `the quoted property name starting here has no closing quote (")`}
	}
	name := src[i+1 : i+1+end]
	if !ValidName(name) {
		return token{}, 0, &Error{Pos: i, Msg: "\"" + name + "\" is not a property name (a letter, '_' or ':', then letters, digits, '_', ':' or '.')"}
	}
	return token{kind: tQuoted, text: name, pos: i}, i + end + 2, nil
}

// lexNumber reads digits [. digits] [E [sign] digits], or . digits [...].
func lexNumber(src string, i int) (token, int, error) {
	j := i
	digits := func() {
		for j < len(src) && isDigit(rune(src[j])) {
			j++
		}
	}
	digits()
	if j < len(src) && src[j] == '.' {
		j++
		digits()
	}
	if j < len(src) && (src[j] == 'e' || src[j] == 'E') {
		k := j + 1
		if k < len(src) && (src[k] == '+' || src[k] == '-') {
			k++
		}
		if k < len(src) && isDigit(rune(src[k])) {
			j = k
			digits()
		}
	}
	return token{kind: tNumber, text: src[i:j], pos: i}, j, nil
}

// ValidName reports whether name is a CQL2 identifier, the only property
// and function names this package reads or writes.
func ValidName(name string) bool {
	for i, r := range name {
		if r == utf8.RuneError {
			return false
		}
		if i == 0 && !isIdentStart(r) || i > 0 && !isIdentPart(r) {
			return false
		}
	}
	return name != ""
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

func isSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200A
}

// identStart holds the ranges of identifierStart in cql2.bnf.
var identStart = [][2]rune{
	{':', ':'}, {'_', '_'}, {'A', 'Z'}, {'a', 'z'}, {0xC0, 0xD6}, {0xD8, 0xF6},
	{0xF8, 0x2FF}, {0x370, 0x37D}, {0x37F, 0x1FFE}, {0x200C, 0x200D},
	{0x2070, 0x218F}, {0x2C00, 0x2FEF}, {0x3001, 0xD7FF}, {0xF900, 0xFDCF},
	{0xFDF0, 0xFFFC}, {0x10000, 0xEFFFF}, // U+FFFD, the replacement character, left out
}

func isIdentStart(r rune) bool {
	for _, rg := range identStart {
		if r >= rg[0] && r <= rg[1] {
			return true
		}
	}
	return false
}

func isIdentPart(r rune) bool {
	return isIdentStart(r) || r == '.' || isDigit(r) ||
		(r >= 0x300 && r <= 0x36F) || (r >= 0x203F && r <= 0x2040)
}
