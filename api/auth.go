package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cityatlas/cityatlas/auth"
	"github.com/cityatlas/cityatlas/store"
)

// KeyStore is where the api finds API keys and, for admins, manages them;
// store.Keys backends (store/postgis, store/gpkg) implement it.
type KeyStore interface {
	KeyByID(ctx context.Context, id string) (store.Key, error)
	CreateKey(ctx context.Context, k store.Key) (store.Key, error)
	ListKeys(ctx context.Context) ([]store.Key, error)
	RevokeKey(ctx context.Context, name string) error
}

// principalKey is where authenticate leaves the request's auth.Principal
// in the echo context.
const principalKey = "cityatlas.principal"

// Failed authentications allowed per client address: a burst of 10, then
// one every 6 seconds.
const (
	authFailBurst = 10
	authFailRate  = 1.0 / 6
)

// setupAuth prepares the key verifier and the failure throttle.
func (s *Server) setupAuth() {
	if s.cfg.Now == nil {
		s.cfg.Now = time.Now
	}
	if s.cfg.Keys != nil {
		s.verifier = auth.NewVerifier(s.cfg.Keys.KeyByID, s.cfg.KeyTTL, s.cfg.Now)
	}
	s.throttle = auth.NewThrottle(authFailRate, authFailBurst)
}

// authenticate reads the request's Authorization: Bearer key, if any. A
// request without one goes on anonymous; one with a key that is not valid
// (unknown, wrong, revoked, expired, malformed) is refused with a 401, so
// that a client never believes it acts with a key it does not have. Failed
// attempts are counted per client address, and an address past its quota
// is answered 429 without its key being looked at. Then, for a route on a
// private collection, it requires a viewer key with a grant for it.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Request().Method == http.MethodOptions {
			return next(c) // a CORS preflight carries no credentials
		}
		// What a response holds may depend on the key (private collections).
		// Room for the two more that CORS and gzip add after it.
		c.Response().Header()[echo.HeaderVary] = append(make([]string, 0, 3), echo.HeaderAuthorization)
		h := c.Request().Header.Get(echo.HeaderAuthorization)
		if h != "" {
			p, err := s.verify(c, h)
			if err != nil {
				return err
			}
			c.Set(principalKey, p)
			c.Set(KeyName, p.Name) // for the access log
		}
		if id := c.Param("collectionId"); id != "" {
			if ci, err := s.store.Collection(id); err == nil && ci.Private {
				if err := s.allow(c, auth.RoleViewer, id); err != nil {
					return err
				}
			}
		}
		return next(c)
	}
}

func (s *Server) verify(c echo.Context, header string) (auth.Principal, error) {
	addr := c.RealIP() // the peer, or X-Forwarded-For from a trusted proxy only
	now := s.cfg.Now()
	if blocked, wait := s.throttle.Blocked(addr, now); blocked {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		return auth.Principal{}, &Problem{Type: "https://cityatlas.dev/problems/too-many-failed-authentications", Title: "Too Many Requests",
			Status: http.StatusTooManyRequests, Detail: "too many failed authentications from this address; try again later"}
	}
	scheme, token, _ := strings.Cut(header, " ")
	var err error
	switch {
	case !strings.EqualFold(scheme, "Bearer"):
		err = fmt.Errorf("scheme %q: %w", scheme, auth.ErrMalformed)
	case s.verifier == nil:
		err = auth.ErrUnknown
	default:
		var p auth.Principal
		p, err = s.verifier.Verify(c.Request().Context(), strings.TrimSpace(token))
		if err == nil {
			return p, nil
		}
	}
	if !isAuthFailure(err) {
		return auth.Principal{}, err // the key store is away: not the client's fault
	}
	s.throttle.Fail(addr, now)
	// The reason goes to the log, never the key.
	s.log.Warn("authentication failed", "addr", addr, "path", c.Request().URL.Path, "reason", err.Error())
	return auth.Principal{}, unauthorized(`error="invalid_token"`, "the API key is not valid (unknown, revoked or expired)")
}

func isAuthFailure(err error) bool {
	for _, e := range []error{auth.ErrMalformed, auth.ErrUnknown, auth.ErrWrong, auth.ErrRevoked, auth.ErrExpired} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// principal returns who the request speaks for, and false when it is
// anonymous.
func principal(c echo.Context) (auth.Principal, bool) {
	p, ok := c.Get(principalKey).(auth.Principal)
	return p, ok
}

// keyName is the name of the request's key, "" when it has none (for the
// request log; never the key itself).
func keyName(c echo.Context) string {
	p, _ := principal(c)
	return p.Name
}

// allow checks that the request's key has role (or above) and, when
// collection is not empty, a grant for it: 401 without a key, 403 with one
// that falls short.
func (s *Server) allow(c echo.Context, role, collection string) error {
	p, ok := principal(c)
	if !ok {
		return unauthorized("", "this needs an API key with role "+role+" (Authorization: Bearer KEY)")
	}
	if !p.Has(role) {
		return forbidden("key %q has role %s; this needs %s", p.Name, p.Role, role)
	}
	if collection != "" && !p.Grants(collection) {
		return forbidden("key %q is not granted collection %q", p.Name, collection)
	}
	return nil
}

// readable returns the collections the request may read: the public ones,
// and the private ones its key is granted.
func (s *Server) readable(c echo.Context) []store.CollectionInfo {
	all := s.store.Collections()
	out := all[:0:0]
	for _, ci := range all {
		if canRead(c, ci.Collection) {
			out = append(out, ci)
		}
	}
	return out
}

// canRead reports whether the request may read collection ci.
func canRead(c echo.Context, ci store.Collection) bool {
	if !ci.Private {
		return true
	}
	p, ok := principal(c)
	return ok && p.Has(auth.RoleViewer) && p.Grants(ci.ID)
}

func unauthorized(params, detail string) *Problem {
	return &Problem{Type: "https://cityatlas.dev/problems/unauthorized", Title: "Unauthorized", Status: http.StatusUnauthorized,
		Detail: detail, challenge: strings.TrimSpace(`Bearer realm="cityatlas" ` + params)}
}

func forbidden(format string, args ...any) *Problem {
	return &Problem{Type: "https://cityatlas.dev/problems/forbidden", Title: "Forbidden", Status: http.StatusForbidden, Detail: fmt.Sprintf(format, args...)}
}

// whoami: GET /whoami answers who the request's key speaks for: its name,
// role and the collections it is limited to (none: all). Without a key it
// is a 401, as every route that needs one; the web map's sign-in asks it.
func (s *Server) whoami(c echo.Context) error {
	if err := checkParams(c.QueryParams()); err != nil {
		return err
	}
	if err := s.allow(c, auth.RoleViewer, ""); err != nil {
		return err
	}
	p, _ := principal(c)
	colls := p.Collections
	if colls == nil || p.Role == auth.RoleAdmin {
		colls = []string{}
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusOK, map[string]any{"name": p.Name, "role": p.Role, "collections": colls})
}
