package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cityatlas/cityatlas/internal/onewrite"
)

// This file holds what every request goes through: HEAD as GET, I/O
// deadlines, the request id, the access log and the security headers.

// StatusClientClosed is the status logged (and counted in /metrics) for a
// request whose client went away before the answer was complete, after
// nginx's convention. It is never sent: there is no one to send it to.
const StatusClientClosed = 499

type headKey struct{}

// Timeouts bound how long a client may hold a connection.
type Timeouts struct {
	// ReadHeader bounds reading a request's headers (default 10s).
	ReadHeader time.Duration
	// Read bounds reading a whole request, body included (default 30s).
	// It ends when the body is read: it does not bound the answer.
	Read time.Duration
	// Write drops a client that does not take a write for this long
	// (default 30s). The deadline moves ahead with every write, so a
	// download that keeps going is never cut, however long it is.
	Write time.Duration
	// Idle closes a kept-alive connection with no request for this long
	// (default 2m).
	Idle time.Duration
}

func (t Timeouts) withDefaults() Timeouts {
	if t.ReadHeader <= 0 {
		t.ReadHeader = 10 * time.Second
	}
	if t.Read <= 0 {
		t.Read = 30 * time.Second
	}
	if t.Write <= 0 {
		t.Write = 30 * time.Second
	}
	if t.Idle <= 0 {
		t.Idle = 2 * time.Minute
	}
	return t
}

// HTTPServer returns an http.Server that serves s with its timeouts.
// Without a write timeout of its own: s moves the write deadline itself.
func (s *Server) HTTPServer() *http.Server {
	return newHTTPServer(s, s.cfg.Timeouts, s.log)
}

func newHTTPServer(h http.Handler, t Timeouts, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler: h, ReadHeaderTimeout: t.ReadHeader, ReadTimeout: t.Read, IdleTimeout: t.Idle,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug),
		// On a listener of onewrite's (cityatlas serve), pages and tiles
		// go out in one write with their headers (sendWhole).
		ConnContext: onewrite.ConnContext,
	}
}

// ServeHTTP implements http.Handler. A HEAD request is routed as a GET
// whose body is thrown away, so every GET route answers HEAD with the
// same status and headers.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Timeouts.Write > 0 {
		dw := &deadlineWriter{ResponseWriter: w, rc: *http.NewResponseController(w), d: s.cfg.Timeouts.Write}
		w = dw
		dw.extend()
		defer dw.extend() // for the server's final flush
	}
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		// The read timeout bounds reading the request; once there is
		// nothing more to read it must not cut a long answer short (net/http
		// cancels the request's context when a read deadline passes).
		_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
	} else {
		r.Body = &bodyReader{ReadCloser: r.Body, rc: http.NewResponseController(w)}
	}
	if r.Method == http.MethodHead {
		r = r.WithContext(context.WithValue(r.Context(), headKey{}, true))
		r.Method = http.MethodGet
		w = headWriter{w}
	}
	s.route(w, r)
}

// route is Echo's ServeHTTP with the server's middleware chain composed
// once (NewServer) instead of for every request: find the route, run it
// inside the chain, hand an error to the error handler.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	e := s.echo
	c := e.AcquireContext()
	c.Reset(r, w)
	e.Router().Find(r.Method, echo.GetPath(r), c)
	if err := s.chain(c); err != nil {
		e.HTTPErrorHandler(err, c)
	}
	e.ReleaseContext(c)
}

// method returns the request's method as the client sent it.
func method(c echo.Context) string {
	if c.Request().Context().Value(headKey{}) != nil {
		return http.MethodHead
	}
	return c.Request().Method
}

// headWriter drops the body of an answer to HEAD.
type headWriter struct{ http.ResponseWriter }

func (h headWriter) Write(p []byte) (int, error) { return len(p), nil }
func (h headWriter) Flush()                      {}
func (h headWriter) Unwrap() http.ResponseWriter { return h.ResponseWriter }

// deadlineWriter moves the connection's write deadline d ahead of every
// write: a client that stops reading is dropped after d, while one that
// keeps reading can download for as long as it takes (whole layers). Time
// a handler spends before its first write (building a file to send) is
// not bounded by it: the deadline is set again when the write starts.
// The deadline is moved only when it would move by d/64 or more (a small
// answer's writes come microseconds apart): it is never less than 63/64
// of d ahead of a write.
type deadlineWriter struct {
	http.ResponseWriter
	rc    http.ResponseController
	d     time.Duration
	until time.Time // the deadline set last
}

func (w *deadlineWriter) extend() {
	next := time.Now().Add(w.d)
	if next.Sub(w.until) < w.d/64 {
		return
	}
	w.until = next
	_ = w.rc.SetWriteDeadline(next)
}

func (w *deadlineWriter) WriteHeader(code int) {
	w.extend()
	w.ResponseWriter.WriteHeader(code)
}

func (w *deadlineWriter) Write(p []byte) (int, error) {
	w.extend()
	return w.ResponseWriter.Write(p)
}

func (w *deadlineWriter) Flush() {
	w.extend()
	_ = w.rc.Flush()
}

func (w *deadlineWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// bodyReader lifts the read deadline once the request body is read.
type bodyReader struct {
	io.ReadCloser
	rc   *http.ResponseController
	done bool
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && !b.done {
		b.done = true
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			_ = b.rc.SetReadDeadline(time.Time{})
		}
	}
	return n, err
}

func (b *bodyReader) Close() error { return b.ReadCloser.Close() }

// requestID takes the client's X-Request-Id when it is short and plain
// (at most 64 of A-Z a-z 0-9 . _ -), and makes one otherwise: 32 hex
// digits, the first 16 random for each server (NewServer), the last 16 a
// count of its requests, so that ids are unique without a random read
// for every request.
func (s *Server) requestID(next echo.HandlerFunc) echo.HandlerFunc {
	var prefix [8]byte
	_, _ = rand.Read(prefix[:])
	var seq atomic.Uint64
	return func(c echo.Context) error {
		id := c.Request().Header.Get(echo.HeaderXRequestID)
		if !validRequestID(id) {
			var b [32]byte
			hex.Encode(b[:16], prefix[:])
			n := seq.Add(1)
			for i := 31; i >= 16; i-- {
				b[i] = "0123456789abcdef"[n&15]
				n >>= 4
			}
			id = string(b[:])
		}
		c.Response().Header()[echo.HeaderXRequestID] = []string{id}
		return next(c)
	}
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		ch := id[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '.' || ch == '_' || ch == '-') {
			return false
		}
	}
	return true
}

// clientGone reports whether err, or the request's own context, says the
// client went away (disconnected, or too slow to read the answer).
func clientGone(c echo.Context, err error) bool {
	return errors.Is(err, context.Canceled) || c.Request().Context().Err() != nil
}

// statusKey holds the status the access log reports when it is not the
// one written (499 for a client that left, 408 for a body too slow).
const statusKey = "cityatlas.status"

// requestLog writes one line per request, and counts it for /metrics.
func (s *Server) requestLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		defer func() {
			// A handler that aborts the connection (a download failing
			// half-way) panics with http.ErrAbortHandler: log it, then let
			// net/http drop the connection.
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					s.logRequest(c, start, true)
				}
				panic(p)
			}
		}()
		if err := next(c); err != nil {
			c.Error(err)
		}
		s.logRequest(c, start, false)
		return nil
	}
}

// logRequest counts the request for /metrics and writes its access log
// line; aborted says the connection was cut before the answer was whole.
func (s *Server) logRequest(c echo.Context, start time.Time, aborted bool) {
	status := c.Response().Status
	if st, ok := c.Get(statusKey).(int); ok {
		status = st
	} else if c.Request().Context().Err() != nil {
		status = StatusClientClosed
	}
	d := time.Since(start)
	route := c.Path()
	if route == "" {
		route = "(none)"
	}
	req := c.Request()
	s.metrics.observe(method(c), route, status, d)
	if s.cfg.DisableAccessLog {
		return
	}
	level := slog.LevelInfo
	if status == StatusClientClosed {
		level = slog.LevelDebug
	}
	if !s.log.Enabled(req.Context(), level) {
		return // --log-level warn: no line to build
	}
	key, _ := c.Get(KeyName).(string)
	attrs := []slog.Attr{
		slog.String("method", method(c)), slog.String("route", route),
		slog.String("path", req.URL.Path), slog.String("query", redactQuery(req.URL.RawQuery)),
		slog.Int("status", status), slog.Int64("bytes", c.Response().Size),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000),
		slog.String("client", c.RealIP()), slog.String("user_agent", req.UserAgent()),
		slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)),
		slog.String("key", key),
	}
	if aborted {
		attrs = append(attrs, slog.Bool("aborted", true))
	}
	s.log.LogAttrs(req.Context(), level, "request", attrs...)
}

// KeyName is the echo.Context key under which authentication will put
// the name of the request's API key, for the access log.
const KeyName = "cityatlas.key"

// secretParams are the (lower-case) parts of a parameter name whose value
// the access log hides.
var secretParams = []string{"key", "token", "password", "passwd", "secret", "auth", "signature", "credential"}

// redactQuery returns the raw query with the values of secret-looking
// parameters replaced by REDACTED.
func redactQuery(raw string) string {
	secret := false
	for rest := raw; rest != "" && !secret; {
		var p string
		p, rest, _ = strings.Cut(rest, "&")
		name, _, hasValue := strings.Cut(p, "=")
		secret = hasValue && secretName(name)
	}
	if !secret {
		return raw // the query of almost every request: nothing to copy
	}
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		if name, _, hasValue := strings.Cut(p, "="); hasValue && secretName(name) {
			parts[i] = name + "=REDACTED"
		}
	}
	return strings.Join(parts, "&")
}

// secretName reports whether a query parameter's name (as sent, escaped)
// holds one of secretParams, in any case.
func secretName(name string) bool {
	n := name
	if strings.ContainsAny(name, "%+") {
		if u, err := url.QueryUnescape(name); err == nil {
			n = u
		}
	}
	n = strings.ToLower(n) // no copy when it is lower-case already
	for _, sp := range secretParams {
		if strings.Contains(n, sp) {
			return true
		}
	}
	return false
}

// securityHeaders sets nosniff on every answer, and on HTML pages a
// Content-Security-Policy (same-origin scripts, MapLibre's blob: workers,
// inline styles), X-Frame-Options and a Referrer-Policy.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	csp := contentSecurityPolicy(s.cfg.ContentSources)
	return func(c echo.Context) error {
		res := c.Response()
		res.Before(func() {
			h := res.Header()
			h["X-Content-Type-Options"] = nosniffHeader
			if strings.HasPrefix(h.Get(echo.HeaderContentType), mimeHTML) {
				h.Set("Content-Security-Policy", csp)
				h.Set("X-Frame-Options", "DENY")
				h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
			}
		})
		return next(c)
	}
}

// contentSecurityPolicy returns the policy of the HTML pages; extra are
// more sources for images and connections (a basemap's tile server).
func contentSecurityPolicy(extra []string) string {
	more := ""
	if len(extra) > 0 {
		more = " " + strings.Join(extra, " ")
	}
	return "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
		"img-src 'self' data: blob:" + more + "; connect-src 'self'" + more + "; " +
		"worker-src 'self' blob:; child-src blob:; font-src 'self' data:; object-src 'none'; " +
		"base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
}

// hostCheck answers 400 to a request whose Host is not an allowed one when
// links are built from the Host (no BaseURL): a forged Host must not make
// links (and cached pages) point elsewhere. The health and metrics routes
// build no links and answer any Host (probes use the pod's address).
func (s *Server) hostCheck(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.cfg.BaseURL != "" {
			return next(c)
		}
		switch c.Path() {
		case "/healthz", "/readyz", "/metrics":
			return next(c)
		}
		if !s.hostAllowed(c.Request().Host) && !hostIsLocalAddr(c.Request()) {
			return &Problem{Type: "https://cityatlas.dev/problems/unknown-host", Title: "Unknown host", Status: http.StatusBadRequest,
				Detail: "this server does not answer for Host " + quote(c.Request().Host) +
					"; its operator can set --base-url (CITYATLAS_BASE_URL) or add the name to --allowed-hosts (CITYATLAS_ALLOWED_HOSTS)"}
		}
		return next(c)
	}
}

func quote(s string) string {
	if len(s) > 100 {
		s = s[:100] + "…"
	}
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}

// DefaultAllowedHosts are the names a server without BaseURL answers for
// when AllowedHosts is empty: this machine, for a newcomer's browser.
var DefaultAllowedHosts = []string{"localhost", "127.0.0.1", "::1"}

// hostIsLocalAddr reports whether the request's Host is the IP address
// the client connected to (http://10.0.0.5:8080/ typed in a browser):
// links to it point back here, so it needs no listing.
func hostIsLocalAddr(r *http.Request) bool {
	name := r.Host
	if h, _, err := net.SplitHostPort(r.Host); err == nil {
		name = h
	}
	ip, err := netip.ParseAddr(strings.Trim(name, "[]"))
	if err != nil {
		return false
	}
	la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return false
	}
	ap, err := netip.ParseAddrPort(la.String())
	return err == nil && ap.Addr().Unmap() == ip.Unmap()
}

func (s *Server) hostAllowed(host string) bool {
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	name = strings.ToLower(strings.TrimSuffix(strings.Trim(name, "[]"), "."))
	if name == "" {
		return false
	}
	allowed := s.cfg.AllowedHosts
	if len(allowed) == 0 {
		allowed = DefaultAllowedHosts
	}
	for _, a := range allowed {
		a = strings.ToLower(a)
		switch {
		case a == "*", a == name, a == host:
			return true
		case strings.HasPrefix(a, ".") && strings.HasSuffix(name, a):
			return true
		}
	}
	return false
}
