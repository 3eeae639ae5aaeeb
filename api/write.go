package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cityatlas/cityatlas/auth"
	"github.com/cityatlas/cityatlas/store"
)

// Writer is what the write handlers (OGC API - Features Part 4) need of
// the store; *store.Store implements it.
type Writer interface {
	Apply(ctx context.Context, collection string, ms []store.Mutation, actor string) ([]store.Result, error)
}

// DefaultMaxBody is the largest request body taken when Config.MaxBodyBytes
// is 0: 4 MiB.
const DefaultMaxBody = 4 << 20

const mimeMergePatch = "application/merge-patch+json"

// writer returns the store as a Writer, or a 405 when it cannot write.
func (s *Server) writer() (Writer, error) {
	w, ok := s.store.(Writer)
	if !ok {
		return nil, echo.ErrMethodNotAllowed
	}
	return w, nil
}

// createFeature: POST /collections/{id}/items with a GeoJSON Feature. 201
// with Location and the feature as stored.
func (s *Server) createFeature(c echo.Context) error {
	ci, w, err := s.writeTarget(c)
	if err != nil {
		return err
	}
	body, err := s.readBody(c, mimeGeoJSON, mimeJSON)
	if err != nil {
		return err
	}
	f, err := decodeFeature(&ci.Collection, body)
	if err != nil {
		return err
	}
	rs, err := w.Apply(c.Request().Context(), ci.ID, []store.Mutation{{Op: store.OpInsert, Feature: f}}, keyName(c))
	if err != nil {
		return writeError(err, false)
	}
	stored := rs[0].Feature
	c.Response().Header().Set(echo.HeaderLocation, s.base(c)+"/collections/"+ci.ID+"/items/"+strconv.FormatInt(stored.ID, 10))
	return s.writtenFeature(c, http.StatusCreated, &stored)
}

// replaceFeature: PUT /collections/{id}/items/{fid}. The id of the body,
// if any, is ignored: the path names the feature.
func (s *Server) replaceFeature(c echo.Context) error {
	ci, w, cur, ifVersion, err := s.featureTarget(c)
	if err != nil {
		return err
	}
	body, err := s.readBody(c, mimeGeoJSON, mimeJSON)
	if err != nil {
		return err
	}
	f, err := decodeFeature(&ci.Collection, body)
	if err != nil {
		return err
	}
	f.ID = cur.ID
	rs, err := w.Apply(c.Request().Context(), ci.ID, []store.Mutation{{Op: store.OpUpdate, Feature: f, IfVersion: ifVersion}}, keyName(c))
	if err != nil {
		return writeError(err, ifVersion != 0)
	}
	return s.writtenFeature(c, http.StatusOK, &rs[0].Feature)
}

// patchFeature: PATCH /collections/{id}/items/{fid} with a JSON Merge
// Patch (RFC 7396) of the feature's GeoJSON: a null removes a property (or
// the geometry), an id other than the feature's is refused. The patch is
// applied to the version it was read from: a concurrent write makes it a
// 412 with If-Match, a 409 without.
func (s *Server) patchFeature(c echo.Context) error {
	ci, w, cur, ifVersion, err := s.featureTarget(c)
	if err != nil {
		return err
	}
	body, err := s.readBody(c, mimeMergePatch, mimeJSON)
	if err != nil {
		return err
	}
	merged, err := mergeFeature(&cur, body)
	if err != nil {
		return err
	}
	f, err := decodeFeature(&ci.Collection, merged)
	if err != nil {
		return err
	}
	f.ID = cur.ID
	rs, err := w.Apply(c.Request().Context(), ci.ID, []store.Mutation{{Op: store.OpUpdate, Feature: f, IfVersion: cur.Version}}, keyName(c))
	if err != nil {
		return writeError(err, ifVersion != 0)
	}
	return s.writtenFeature(c, http.StatusOK, &rs[0].Feature)
}

// deleteFeature: DELETE /collections/{id}/items/{fid}, 204.
func (s *Server) deleteFeature(c echo.Context) error {
	ci, w, cur, ifVersion, err := s.featureTarget(c)
	if err != nil {
		return err
	}
	_, err = w.Apply(c.Request().Context(), ci.ID, []store.Mutation{{Op: store.OpDelete, Feature: store.Feature{ID: cur.ID}, IfVersion: ifVersion}}, keyName(c))
	if err != nil {
		return writeError(err, ifVersion != 0)
	}
	return c.NoContent(http.StatusNoContent)
}

// featureTarget is what a write to an existing feature starts from: the
// collection and its writer (writeTarget), the feature as stored, and the
// version If-Match asks for (0 without one).
func (s *Server) featureTarget(c echo.Context) (store.CollectionInfo, Writer, store.Feature, int64, error) {
	ci, w, err := s.writeTarget(c)
	if err != nil {
		return ci, nil, store.Feature{}, 0, err
	}
	cur, err := s.currentFeature(c, ci.ID)
	if err != nil {
		return ci, nil, store.Feature{}, 0, err
	}
	ifVersion, err := ifMatch(c, &cur)
	if err != nil {
		return ci, nil, store.Feature{}, 0, err
	}
	return ci, w, cur, ifVersion, nil
}

// writeTarget checks a write's query (none), its key (an editor granted
// the collection) and the collection, and returns them.
func (s *Server) writeTarget(c echo.Context) (store.CollectionInfo, Writer, error) {
	if err := checkParams(c.QueryParams()); err != nil {
		return store.CollectionInfo{}, nil, err
	}
	id := c.Param("collectionId")
	if err := s.allow(c, auth.RoleEditor, id); err != nil {
		return store.CollectionInfo{}, nil, err
	}
	ci, err := s.store.Collection(id)
	if err != nil {
		return ci, nil, s.unknownCollection(id)
	}
	w, err := s.writer()
	return ci, w, err
}

func (s *Server) currentFeature(c echo.Context, coll string) (store.Feature, error) {
	id, err := parseFeatureID(c.Param("featureId"))
	if err != nil {
		return store.Feature{}, err
	}
	f, err := s.store.Feature(coll, id)
	if err != nil {
		return store.Feature{}, notFound("collection %q has no feature %d", coll, id)
	}
	return f, nil
}

// featureTag is the strong ETag of feature f's representation in format
// outFmt: it changes with every version.
func featureTag(f *store.Feature, outFmt string) string {
	return `"` + strconv.FormatInt(f.ID, 10) + "-" + strconv.FormatInt(f.Version, 10) + "-" + outFmt + `"`
}

// ifMatch checks the If-Match header against the feature's current
// version: 412 when no tag of it names that version. It returns the
// version the write must find (0 when the request has no If-Match: the
// write then proceeds on whatever version is stored).
func ifMatch(c echo.Context, cur *store.Feature) (int64, error) {
	h := c.Request().Header.Get("If-Match")
	if h == "" {
		return 0, nil
	}
	for _, tag := range splitComma(h) {
		if tag == "*" {
			return cur.Version, nil
		}
		// Strong comparison (RFC 9110 13.1.1): a weak tag never matches.
		id, version, ok := parseFeatureTag(tag)
		if ok && id == cur.ID && version == cur.Version {
			return cur.Version, nil
		}
	}
	return 0, &Problem{Type: "https://cityatlas.dev/problems/precondition-failed", Title: "Precondition Failed", Status: http.StatusPreconditionFailed,
		Detail: "the feature has changed: it is at version " + strconv.FormatInt(cur.Version, 10) + ", ETag " + featureTag(cur, fmtJSON) + "; read it again"}
}

// parseFeatureTag reads the id and version of a featureTag.
func parseFeatureTag(tag string) (id, version int64, ok bool) {
	t, found := strings.CutPrefix(tag, `"`)
	if !found || !strings.HasSuffix(t, `"`) {
		return 0, 0, false
	}
	parts := strings.SplitN(strings.TrimSuffix(t, `"`), "-", 3)
	if len(parts) < 2 {
		return 0, 0, false
	}
	id, err1 := strconv.ParseInt(parts[0], 10, 64)
	version, err2 := strconv.ParseInt(parts[1], 10, 64)
	return id, version, err1 == nil && err2 == nil
}

// readBody reads the request body, of one of the media types given (415
// otherwise), at most MaxBodyBytes of it (413 past that).
func (s *Server) readBody(c echo.Context, types ...string) ([]byte, error) {
	ct := c.Request().Header.Get(echo.HeaderContentType)
	mt, _, err := mime.ParseMediaType(ct)
	ok := false
	for _, t := range types {
		ok = ok || (err == nil && strings.EqualFold(mt, t))
	}
	if !ok {
		return nil, &Problem{Type: "https://cityatlas.dev/problems/unsupported-media-type", Title: "Unsupported Media Type", Status: http.StatusUnsupportedMediaType,
			Detail: "Content-Type " + strconv.Quote(ct) + " is not taken here; send one of: " + strings.Join(types, ", ")}
	}
	limit := s.cfg.MaxBodyBytes
	if limit <= 0 {
		limit = DefaultMaxBody
	}
	b, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, limit))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, &Problem{Type: "https://cityatlas.dev/problems/body-too-large", Title: "Content Too Large", Status: http.StatusRequestEntityTooLarge,
			Detail: "the request body is larger than " + strconv.FormatInt(limit, 10) + " bytes"}
	}
	if err != nil {
		return nil, badBody("", "the request body could not be read: %v", err)
	}
	return b, nil
}

// writtenFeature answers a write with the feature as stored and its ETag.
func (s *Server) writtenFeature(c echo.Context, status int, f *store.Feature) error {
	c.Response().Header().Set("ETag", featureTag(f, fmtJSON))
	c.Response().Header().Set("Content-Crs", "<"+crs84+">")
	buf := appendFeature(nil, f)
	return c.Blob(status, mimeGeoJSON, append(buf, '\n'))
}

// writeError maps what the store said of a write: a failed version check
// is a 412 when the client sent If-Match (else 409), a refusal of the data
// a 422.
func writeError(err error, ifMatched bool) error {
	switch {
	case errors.Is(err, store.ErrConflict) && ifMatched:
		return &Problem{Type: "https://cityatlas.dev/problems/precondition-failed", Title: "Precondition Failed", Status: http.StatusPreconditionFailed,
			Detail: "the feature changed meanwhile; read it again: " + trimSentinel(err)}
	case errors.Is(err, store.ErrConflict):
		return &Problem{Type: "about:blank", Title: "Conflict", Status: http.StatusConflict, Detail: trimSentinel(err)}
	case errors.Is(err, store.ErrInvalid):
		return unprocessable("", "%s", trimSentinel(err))
	}
	return err
}

// mergeFeature applies the merge patch to the GeoJSON of feature cur and
// returns the result, or a problem: 400 if the patch is not a JSON object,
// 422 if it changes the id.
func mergeFeature(cur *store.Feature, patch []byte) ([]byte, error) {
	p, err := decodeJSON(patch)
	if err != nil {
		return nil, badBody("", "the merge patch is not JSON: %v", err)
	}
	pm, ok := p.(map[string]any)
	if !ok {
		return nil, badBody("", "the merge patch must be a JSON object (RFC 7396)")
	}
	if id, ok := pm["id"]; ok && !sameID(id, cur.ID) {
		return nil, unprocessable("id", "the id of feature %d cannot be changed", cur.ID)
	}
	target, err := decodeJSON(appendFeature(nil, cur))
	if err != nil {
		return nil, err
	}
	out, err := json.Marshal(mergePatch(target, pm))
	if err != nil {
		return nil, err
	}
	return out, nil
}

func sameID(v any, id int64) bool {
	switch x := v.(type) {
	case json.Number:
		n, err := x.Int64()
		return err == nil && n == id
	case string:
		return x == strconv.FormatInt(id, 10)
	}
	return false
}

// mergePatch is RFC 7396's MergePatch(target, patch). Written here, in a
// dozen lines, for want of a maintained Go library on the module proxy.
func mergePatch(target, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	tm, ok := target.(map[string]any)
	if !ok {
		tm = map[string]any{}
	}
	for k, v := range pm {
		if v == nil {
			delete(tm, k)
			continue
		}
		tm[k] = mergePatch(tm[k], v)
	}
	return tm
}

func decodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, errors.New("more than one JSON value")
	}
	return v, nil
}

func badBody(field, format string, args ...any) *Problem {
	return &Problem{Type: "https://cityatlas.dev/problems/invalid-body", Title: "Bad Request", Status: http.StatusBadRequest,
		Detail: sprintf(format, args...), Field: field}
}

func unprocessable(field, format string, args ...any) *Problem {
	return &Problem{Type: "https://cityatlas.dev/problems/invalid-feature", Title: "Unprocessable Content", Status: http.StatusUnprocessableEntity,
		Detail: sprintf(format, args...), Field: field}
}
