package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"

	"github.com/labstack/echo/v4"

	"github.com/cityatlas/cityatlas/store"
)

// Problem is an RFC 9457 problem detail.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// Parameter names the query parameter at fault, when there is one.
	Parameter string `json:"parameter,omitempty"`
	// Field names the member of a request body at fault (a property,
	// "geometry", "id"), when there is one.
	Field string `json:"field,omitempty"`

	challenge string // WWW-Authenticate of a 401
}

func (p *Problem) Error() string { return p.Detail }

// badParam returns a 400 problem about one query parameter.
func badParam(param, format string, args ...any) *Problem {
	return &Problem{
		Type: "https://cityatlas.dev/problems/invalid-parameter", Title: "Invalid parameter",
		Status: http.StatusBadRequest, Detail: fmt.Sprintf(format, args...), Parameter: param,
	}
}

func notFound(format string, args ...any) *Problem {
	return &Problem{Type: "about:blank", Title: "Not Found", Status: http.StatusNotFound, Detail: fmt.Sprintf(format, args...)}
}

// handleError is the one place where errors become HTTP statuses.
func (s *Server) handleError(err error, c echo.Context) {
	if errors.Is(err, os.ErrDeadlineExceeded) && !c.Response().Committed {
		// The read timeout passed while reading the body (net/http has
		// cancelled the request's context too): say so, not 499.
		c.Set(statusKey, http.StatusRequestTimeout)
		s.writeProblem(c, &Problem{Type: "about:blank", Title: "Request Timeout", Status: http.StatusRequestTimeout, Detail: "the request body did not arrive in time"})
		return
	}
	if clientGone(c, err) {
		// The client went away (or stopped reading past the write
		// timeout): nobody to answer, and nothing wrong with the server.
		c.Set(statusKey, StatusClientClosed)
		s.log.Debug("client closed request", "path", c.Request().URL.Path,
			"request_id", c.Response().Header().Get(echo.HeaderXRequestID), "err", err)
		return
	}
	if c.Response().Committed {
		// A streamed answer failed half-way: nothing more can be said to the
		// client; the log keeps it.
		s.log.Warn("error after response started", "path", c.Request().URL.Path, "err", err)
		return
	}
	var p *Problem
	var he *echo.HTTPError
	switch {
	case errors.As(err, &p):
	case errors.Is(err, store.ErrNotFound):
		p = notFound("%s", trimSentinel(err))
	case errors.Is(err, store.ErrInvalid):
		p = &Problem{Type: "about:blank", Title: "Bad Request", Status: http.StatusBadRequest, Detail: trimSentinel(err)}
	case errors.Is(err, store.ErrConflict):
		p = &Problem{Type: "about:blank", Title: "Conflict", Status: http.StatusConflict, Detail: trimSentinel(err)}
	case errors.As(err, &he):
		p = &Problem{Type: "about:blank", Title: http.StatusText(he.Code), Status: he.Code, Detail: fmt.Sprint(he.Message)}
		if he.Code == http.StatusNotFound {
			p.Detail = fmt.Sprintf("no resource at %s; start at / for the list of collections", c.Request().URL.Path)
		}
		if he.Code == http.StatusMethodNotAllowed {
			p.Detail = fmt.Sprintf("%s is not allowed on %s", c.Request().Method, c.Request().URL.Path)
		}
	default:
		s.log.Error("internal error", "path", c.Request().URL.Path, "request_id", c.Response().Header().Get(echo.HeaderXRequestID), "err", err)
		p = &Problem{Type: "about:blank", Title: "Internal Server Error", Status: http.StatusInternalServerError, Detail: "internal error"}
	}
	s.writeProblem(c, p)
}

func (s *Server) writeProblem(c echo.Context, p *Problem) {
	if p.Instance == "" {
		p.Instance = c.Request().URL.RequestURI()
	}
	if p.challenge != "" {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, p.challenge)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(p.Status)
		return
	}
	b, _ := json.Marshal(p)
	c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
	c.Response().WriteHeader(p.Status)
	_, _ = c.Response().Write(b)
}

// trimSentinel returns the message of err without the sentinel's own text
// ("not found: ", "invalid: ") at its front, since the status says it.
func trimSentinel(err error) string {
	msg := err.Error()
	for _, s := range []error{store.ErrInvalid, store.ErrConflict} {
		prefix := s.Error() + ": "
		if len(msg) > len(prefix) && msg[:len(prefix)] == prefix {
			return msg[len(prefix):]
		}
	}
	return msg
}
