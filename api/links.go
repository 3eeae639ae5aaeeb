package api

import (
	"net/url"
	"strings"

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
	r := c.Request()
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	} else if p := r.Header.Get(echo.HeaderXForwardedProto); (p == "https" || p == "http") && s.fromTrustedProxy(r) {
		scheme = p
	}
	return scheme + "://" + r.Host
}

// withQuery returns path with the query q (f replaced by format when set).
func withQuery(path string, q url.Values, format string) string {
	q2 := url.Values{}
	for k, v := range q {
		q2[k] = v
	}
	if format != "" {
		q2.Set("f", format)
	}
	if len(q2) == 0 {
		return path
	}
	return path + "?" + q2.Encode()
}

// selfLinks returns the self link and the alternate links of a resource
// offered in the given formats.
func (s *Server) selfLinks(c echo.Context, path string, current string, formats ...string) []Link {
	q := c.QueryParams()
	var out []Link
	for _, f := range formats {
		rel := "alternate"
		if f == current {
			rel = "self"
		}
		out = append(out, Link{Href: s.base(c) + withQuery(path, q, f), Rel: rel, Type: formatMIME(f, path), Title: formatTitle(f)})
	}
	return out
}

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
