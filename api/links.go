package api

import (
	"bytes"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
)

const (
	crs84  = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
	crs84h = "http://www.opengis.net/def/crs/OGC/0/CRS84h"
)

// Media types.
const (
	mimeGeoJSON = "application/geo+json"
	mimeJSON    = "application/json"
	mimeHTML    = "text/html"
	mimeCSV     = "text/csv"
	mimeOpenAPI = "application/vnd.oai.openapi+json;version=3.0"
)

// Header values that every answer of a kind sends, shared by all of them
// and never modified: assigned to a Header key in place of Set, they save
// a slice an answer. (Header.Add appends past their length into a new
// array, so a shared one is never written to.)
var (
	geoJSONHeader = []string{mimeGeoJSON}
	crs84Header   = []string{"<" + crs84 + ">"}
	nosniffHeader = []string{"nosniff"}
)

// Link is a web link in an OGC API response.
type Link struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

// base returns the URL prefix of every link: the configured BaseURL or the
// request's scheme and Host (hostCheck has checked the Host against the
// allowed ones). X-Forwarded-Proto counts only from a trusted proxy.
func (s *Server) base(c echo.Context) string {
	if s.cfg.BaseURL != "" {
		return strings.TrimRight(s.cfg.BaseURL, "/")
	}
	return string(s.appendBase(nil, c))
}

// appendBase appends base(c).
func (s *Server) appendBase(buf []byte, c echo.Context) []byte {
	if s.cfg.BaseURL != "" {
		return append(buf, strings.TrimRight(s.cfg.BaseURL, "/")...)
	}
	r := c.Request()
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	} else if p := r.Header.Get(echo.HeaderXForwardedProto); (p == "https" || p == "http") && s.fromTrustedProxy(r) {
		scheme = p
	}
	buf = append(buf, scheme...)
	buf = append(buf, "://"...)
	return append(buf, r.Host...)
}

// withQuery returns path with the query q (f replaced by format when set).
func withQuery(path string, q url.Values, format string) string {
	if format == "" {
		return string(appendQuery(append([]byte(nil), path...), q))
	}
	return string(appendQuery(append([]byte(nil), path...), q, param{name: "f", value: format}))
}

// param is a query parameter that replaces every value of its name: value,
// or the number n when value is empty.
type param struct {
	name, value string
	n           int
}

// appendQuery appends "?" and the query q with the parameters set in
// place of q's own of those names, as url.Values.Encode writes it (names
// sorted, values escaped), or nothing when that is empty.
func appendQuery(buf []byte, q url.Values, set ...param) []byte {
	var names [16]string
	keys := names[:0]
	for k := range q {
		keys = append(keys, k)
	}
	for _, p := range set {
		if _, ok := q[p.name]; !ok {
			keys = append(keys, p.name)
		}
	}
	slices.Sort(keys)
	keys = slices.Compact(keys) // a name set twice
	mark := len(buf)
	buf = append(buf, '?')
	pair := func(k string) {
		if len(buf) > mark+1 {
			buf = append(buf, '&')
		}
		buf = appendQueryEscape(buf, k)
		buf = append(buf, '=')
	}
next:
	for _, k := range keys {
		for _, p := range set {
			if p.name == k {
				pair(k)
				if p.value != "" {
					buf = appendQueryEscape(buf, p.value)
				} else {
					buf = strconv.AppendInt(buf, int64(p.n), 10)
				}
				continue next
			}
		}
		for _, v := range q[k] {
			pair(k)
			buf = appendQueryEscape(buf, v)
		}
	}
	if len(buf) == mark+1 {
		return buf[:mark]
	}
	return buf
}

// appendQueryEscape appends s escaped as url.QueryEscape does.
func appendQueryEscape(buf []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for len(s) > 0 {
		i := plainLen(s, &queryPlain)
		buf = append(buf, s[:i]...)
		if i == len(s) {
			break
		}
		if ch := s[i]; ch == ' ' {
			buf = append(buf, '+')
		} else {
			buf = append(buf, '%', hex[ch>>4], hex[ch&15])
		}
		s = s[i+1:]
	}
	return buf
}

// plainLen is the length of the run of bytes at the start of s that
// plain says are written as they are.
func plainLen[T string | []byte](s T, plain *[256]bool) int {
	i := 0
	for i < len(s) && plain[s[i]] {
		i++
	}
	return i
}

// queryPlain holds the bytes url.QueryEscape leaves as they are.
var queryPlain = func() (t [256]bool) {
	for ch := range 256 {
		t[ch] = 'a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' || ch == '-' || ch == '_' || ch == '.' || ch == '~'
	}
	return t
}()

// linkBuilder builds the links of one answer. Their hrefs are written one
// after the other into one buffer, reused from answer to answer (newLinks,
// free): a GeoJSON answer copies them straight into its body (appendJSON),
// others make them strings together, in one allocation (links).
type linkBuilder struct {
	buf  []byte
	base int // buf[:base] is s.base(c)
	recs []linkRec
}

// linkRec is a link whose href ends at end in the builder's buffer (and
// starts where the one before it ends, or at 0).
type linkRec struct {
	end             int
	rel, typ, title string
}

var linkPool = sync.Pool{New: func() any { return &linkBuilder{buf: make([]byte, 0, 1024), recs: make([]linkRec, 0, 8)} }}

// newLinks starts the links of an answer to c; free gives the builder back.
func (s *Server) newLinks(c echo.Context) *linkBuilder {
	b := linkPool.Get().(*linkBuilder)
	b.buf = s.appendBase(b.buf[:0], c)
	b.base = len(b.buf)
	return b
}

// free gives b back for reuse; b and what it returned from appendJSON
// must not be used after.
func (b *linkBuilder) free() {
	clear(b.recs)
	b.recs = b.recs[:0]
	if cap(b.buf) <= 16<<10 {
		linkPool.Put(b)
	}
}

// add adds a link to path (under the base) with the query q (nil for
// none) and the parameters set in place of q's own.
func (b *linkBuilder) add(rel, typ, title, path string, q url.Values, set ...param) {
	if len(b.recs) > 0 {
		b.buf = append(b.buf, b.buf[:b.base]...)
	}
	b.buf = append(b.buf, path...)
	b.buf = appendQuery(b.buf, q, set...)
	b.recs = append(b.recs, linkRec{end: len(b.buf), rel: rel, typ: typ, title: title})
}

// alternates adds the self link and the alternate links of a resource
// offered in the given formats, current being the one answered, each with
// the request's query q and its f parameter.
func (b *linkBuilder) alternates(path string, q url.Values, current string, formats ...string) {
	start, end, value := 0, 0, -1 // the first href, and where its f value starts
	for i, f := range formats {
		rel := "alternate"
		if f == current {
			rel = "self"
		}
		if i == 0 {
			start = b.end()
			b.add(rel, formatMIME(f, path), formatTitle(f), path, q, param{name: "f", value: f})
			end = b.end()
			value = fValue(b.buf[start:end])
			continue
		}
		// The same href with another f: its query encoded once, not again
		// for each format (f's values are plain: nothing to escape).
		first, cut := b.buf[start:end], value+len(formats[0])
		b.buf = append(b.buf, first[:value]...)
		b.buf = append(b.buf, f...)
		b.buf = append(b.buf, first[cut:]...)
		b.recs = append(b.recs, linkRec{end: len(b.buf), rel: rel, typ: formatMIME(f, path), title: formatTitle(f)})
	}
}

// end is where the last href ends in the buffer (0 before the first).
func (b *linkBuilder) end() int {
	if len(b.recs) == 0 {
		return 0
	}
	return b.recs[len(b.recs)-1].end
}

// fValue returns where the value of the f parameter starts in href: a
// query's values are escaped, so "?f=" or "&f=" is the parameter itself.
func fValue(href []byte) int {
	q := bytes.IndexByte(href, '?')
	for i := q; i >= 0 && i+2 < len(href); {
		if href[i+1] == 'f' && href[i+2] == '=' {
			return i + 3
		}
		j := bytes.IndexByte(href[i+1:], '&')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	panic("api: an alternate link without its f parameter")
}

// links returns the links.
func (b *linkBuilder) links() []Link {
	all := string(b.buf)
	out := make([]Link, len(b.recs))
	start := 0
	for i, r := range b.recs {
		out[i] = Link{Href: all[start:r.end], Rel: r.rel, Type: r.typ, Title: r.title}
		start = r.end
	}
	return out
}

// appendJSON appends the links as JSON, as appendLinks(buf, b.links())
// does.
func (b *linkBuilder) appendJSON(buf []byte) []byte {
	buf = append(buf, '[')
	start := 0
	for i, r := range b.recs {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendLink(buf, b.buf[start:r.end], r.rel, r.typ, r.title)
		start = r.end
	}
	return append(buf, ']')
}

// selfLinks returns the self link and the alternate links of a resource
// offered in the given formats.
func (s *Server) selfLinks(c echo.Context, path string, current string, formats ...string) []Link {
	b := s.newLinks(c)
	defer b.free()
	b.alternates(path, c.QueryParams(), current, formats...)
	return b.links()
}

// appendLinks appends links as JSON, as json.Marshal writes them.
func appendLinks(buf []byte, links []Link) []byte {
	buf = append(buf, '[')
	for i, l := range links {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendLink(buf, l.Href, l.Rel, l.Type, l.Title)
	}
	return append(buf, ']')
}

// appendLink appends one link as JSON, as json.Marshal writes a Link.
func appendLink[T string | []byte](buf []byte, href T, rel, typ, title string) []byte {
	buf = append(buf, `{"href":`...)
	buf = appendJSONString(buf, href)
	buf = append(buf, `,"rel":`...)
	buf = appendJSONString(buf, rel)
	if typ != "" {
		buf = append(buf, `,"type":`...)
		buf = appendJSONString(buf, typ)
	}
	if title != "" {
		buf = append(buf, `,"title":`...)
		buf = appendJSONString(buf, title)
	}
	return append(buf, '}')
}

// appendJSONString appends s as a JSON string, as json.Marshal writes it
// (<, > and & escaped for HTML).
func appendJSONString[T string | []byte](buf []byte, s T) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	for len(s) > 0 {
		i := plainLen(s, &jsonPlain)
		buf = append(buf, s[:i]...)
		if i == len(s) {
			break
		}
		switch ch := s[i]; ch {
		case '"', '\\':
			buf = append(buf, '\\', ch)
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case '\t':
			buf = append(buf, '\\', 't')
		case '\b':
			buf = append(buf, '\\', 'b')
		case '\f':
			buf = append(buf, '\\', 'f')
		default:
			if ch >= utf8.RuneSelf {
				// Not ASCII (rare in links): the rest as json.Marshal
				// writes it, without its opening quote.
				b, _ := json.Marshal(string(s[i:]))
				return append(buf, b[1:]...)
			}
			buf = append(buf, '\\', 'u', '0', '0', hex[ch>>4], hex[ch&15])
		}
		s = s[i+1:]
	}
	return append(buf, '"')
}

// jsonPlain holds the bytes json.Marshal writes as they are in a string:
// printable ASCII but for the quote, the backslash and <, > and &.
var jsonPlain = func() (t [256]bool) {
	for ch := 0x20; ch < utf8.RuneSelf; ch++ {
		t[ch] = ch != '"' && ch != '\\' && ch != '<' && ch != '>' && ch != '&'
	}
	return t
}()

func formatMIME(f, path string) string {
	switch f {
	case fmtHTML:
		return mimeHTML
	case fmtCSV:
		return mimeCSV
	}
	if strings.Contains(path, "/items") {
		return mimeGeoJSON
	}
	return mimeJSON
}

func formatTitle(f string) string {
	switch f {
	case fmtHTML:
		return "This document as HTML"
	case fmtCSV:
		return "This document as CSV"
	}
	return "This document as JSON"
}
