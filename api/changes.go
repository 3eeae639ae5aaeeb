package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cityatlas/cityatlas/store"
)

// Historian is what the history and the change feed read; *store.Store
// implements it.
type Historian interface {
	History(ctx context.Context, collection string, id int64, after int64, limit int) ([]store.Version, error)
	// Changes reads the change log of one collection, or of all when
	// collection is "".
	Changes(ctx context.Context, collection string, after int64, limit int) ([]store.Change, error)
}

// Limits of the change feed.
const (
	historyDefaultLimit = 1000
	historyMaxLimit     = 10000
	changesDefaultLimit = 100
	changesMaxLimit     = 1000
	// A Server-Sent Events stream polls the change log this often, ends
	// after streamMaxAge (the client reconnects with Last-Event-ID), and at
	// most streamMax streams are open at once.
	streamPoll   = time.Second
	streamMaxAge = 10 * time.Minute
	streamMax    = 100
)

func (s *Server) historian() (Historian, error) {
	h, ok := s.store.(Historian)
	if !ok {
		return nil, notFound("this store keeps no history")
	}
	return h, nil
}

// history: GET /collections/{id}/items/{fid}/history, every version of a
// feature, oldest first.
func (s *Server) history(c echo.Context) error {
	if err := checkParams(c.QueryParams(), "since", "limit", "f"); err != nil {
		return err
	}
	if _, err := format(c, fmtJSON); err != nil {
		return err
	}
	since, err := intParam(c, "since", 0, 0, 1<<62)
	if err != nil {
		return err
	}
	limit, err := intParam(c, "limit", historyDefaultLimit, 1, historyMaxLimit)
	if err != nil {
		return err
	}
	h, err := s.historian()
	if err != nil {
		return err
	}
	coll := c.Param("collectionId")
	id, err := parseFeatureID(c.Param("featureId"))
	if err != nil {
		return err
	}
	vs, err := h.History(c.Request().Context(), coll, id, since, int(limit))
	if errors.Is(err, store.ErrNotFound) {
		return notFound("collection %q has no history of a feature %d", coll, id)
	}
	if err != nil {
		return err
	}
	base := s.base(c)
	path := fmt.Sprintf("/collections/%s/items/%d", coll, id)
	type version struct {
		store.Change
		// Feature is the version's content; null when it was not kept
		// (replaced before cityatlas kept history).
		Feature json.RawMessage `json:"feature"`
	}
	out := make([]version, len(vs))
	for i := range vs {
		v := &vs[i]
		out[i] = version{Change: v.Change, Feature: json.RawMessage("null")}
		if v.Content {
			f := store.Feature{ID: id, Geometry: v.Geometry, Properties: v.Properties}
			out[i].Feature = appendFeature(nil, &f)
		}
	}
	links := []Link{
		{Href: base + path + "/history", Rel: "self", Type: mimeJSON, Title: "This history"},
		{Href: base + path, Rel: "about", Type: mimeGeoJSON, Title: "The feature"},
		{Href: base + "/collections/" + coll, Rel: "collection", Type: mimeJSON},
	}
	if len(vs) >= int(limit) {
		q := url.Values{"since": {strconv.FormatInt(vs[len(vs)-1].Seq, 10)}, "limit": {strconv.FormatInt(limit, 10)}}
		links = append(links, Link{Href: base + path + "/history?" + q.Encode(), Rel: "next", Type: mimeJSON, Title: "The later versions"})
	}
	return c.JSON(http.StatusOK, map[string]any{
		"collection": coll,
		"featureId":  id,
		"versions":   out,
		"links":      links,
	})
}

// changes: GET /changes and /collections/{id}/changes, the change log as
// a feed: entries with seq > since, at most limit of them, and a next link
// to poll. With Accept: text/event-stream, the same as Server-Sent Events.
func (s *Server) changes(c echo.Context) error {
	if err := checkParams(c.QueryParams(), "since", "limit", "f"); err != nil {
		return err
	}
	h, err := s.historian()
	if err != nil {
		return err
	}
	coll := c.Param("collectionId")
	if coll != "" {
		if _, err := s.store.Collection(coll); err != nil {
			return s.unknownCollection(coll)
		}
	}
	since, err := intParam(c, "since", 0, 0, 1<<62)
	if err != nil {
		return err
	}
	limit64, err := intParam(c, "limit", changesDefaultLimit, 1, changesMaxLimit)
	if err != nil {
		return err
	}
	limit := int(limit64)
	if strings.Contains(c.Request().Header.Get(echo.HeaderAccept), "text/event-stream") {
		if id := c.Request().Header.Get("Last-Event-ID"); id != "" {
			if since, err = strconv.ParseInt(id, 10, 64); err != nil || since < 0 {
				return badParam("Last-Event-ID", "Last-Event-ID %q is not a change seq", id)
			}
		}
		return s.streamChanges(c, h, coll, since)
	}
	if _, err := format(c, fmtJSON); err != nil {
		return err
	}
	chs, last, err := s.readChanges(c, h, coll, since, limit)
	if err != nil {
		return err
	}
	path := "/changes"
	if coll != "" {
		path = "/collections/" + coll + "/changes"
	}
	page := func(since int64) string {
		q := url.Values{"since": {strconv.FormatInt(since, 10)}, "limit": {strconv.Itoa(limit)}}
		return s.base(c) + path + "?" + q.Encode()
	}
	return c.JSON(http.StatusOK, map[string]any{
		"changes": chs,
		"since":   since,
		"last":    last,
		"links": []Link{
			{Href: page(since), Rel: "self", Type: mimeJSON},
			{Href: page(last), Rel: "next", Type: mimeJSON, Title: "Poll this for the changes after these"},
		},
	})
}

// feedEntry is a change-log entry as the feed gives it.
type feedEntry struct {
	store.Change
	Href string `json:"href,omitempty"` // the feature (none for a bulk load)
}

// readChanges reads up to limit entries after since that the request may
// see (entries of private collections need a key granted them), and the
// seq to continue from.
func (s *Server) readChanges(c echo.Context, h Historian, coll string, since int64, limit int) ([]feedEntry, int64, error) {
	chs, err := h.Changes(c.Request().Context(), coll, since, limit)
	if err != nil {
		return nil, since, err
	}
	base := s.base(c)
	out := make([]feedEntry, 0, len(chs))
	last := since
	for _, ch := range chs {
		last = ch.Seq
		if ci, err := s.store.Collection(ch.Collection); err == nil && !canRead(c, ci.Collection) {
			continue
		}
		e := feedEntry{Change: ch}
		if ch.FeatureID != 0 {
			e.Href = fmt.Sprintf("%s/collections/%s/items/%d", base, ch.Collection, ch.FeatureID)
		}
		out = append(out, e)
	}
	return out, last, nil
}

// streamChanges sends the change log as Server-Sent Events: one "change"
// event per entry, with the seq as its id, polled every streamPoll, and a
// comment now and then to keep proxies from closing the connection.
func (s *Server) streamChanges(c echo.Context, h Historian, coll string, since int64) error {
	if n := s.streams.Add(1); n > streamMax {
		s.streams.Add(-1)
		c.Response().Header().Set("Retry-After", "30")
		return &Problem{Type: "about:blank", Title: "Too Many Requests", Status: http.StatusTooManyRequests,
			Detail: "too many change streams are open; poll /changes instead, or try again later"}
	}
	defer s.streams.Add(-1)
	ctx, cancel := context.WithTimeout(c.Request().Context(), streamMaxAge)
	defer cancel()
	w := c.Response()
	w.Header().Set(echo.HeaderContentType, "text/event-stream")
	w.Header().Set(echo.HeaderCacheControl, "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprintf(w, "retry: 2000\n\n"); err != nil {
		return nil
	}
	w.Flush()
	tick := time.NewTicker(streamPoll)
	defer tick.Stop()
	idle := 0
	for {
		chs, last, err := s.readChanges(c, h, coll, since, changesMaxLimit)
		if err != nil {
			s.log.Warn("change stream: read", "err", err)
			return nil
		}
		for _, e := range chs {
			b, _ := json.Marshal(e)
			if _, err := fmt.Fprintf(w, "id: %d\nevent: change\ndata: %s\n\n", e.Seq, b); err != nil {
				return nil
			}
		}
		since = last
		if len(chs) > 0 {
			idle = 0
			w.Flush()
		} else if idle++; idle%15 == 0 {
			if _, err := fmt.Fprintf(w, ": keep-alive\n\n"); err != nil {
				return nil
			}
			w.Flush()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// intParam reads an optional integer query parameter within [lo, hi].
func intParam(c echo.Context, name string, def, lo, hi int64) (int64, error) {
	v := c.QueryParam(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, badParam(name, "%s must be a whole number from %d to %d, got %q", name, lo, hi, v)
	}
	return n, nil
}
