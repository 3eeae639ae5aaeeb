package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cityatlas/cityatlas/store"
)

var conformanceClasses = []string{
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
	// Part 4 (draft 20-002): POST, PUT, DELETE; PATCH; If-Match on ETags.
	"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
	"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
	"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/optimistic-locking-etags",
}

func (s *Server) landing(c echo.Context) error {
	if err := checkParams(c.QueryParams(), "f"); err != nil {
		return err
	}
	if s.cfg.Map != nil && c.QueryParam("f") == "" && wantsHTML(c) {
		s.cfg.Map.ServeHTTP(c.Response(), c.Request())
		return nil
	}
	f, err := format(c, fmtJSON, fmtHTML)
	if err != nil {
		return err
	}
	b := s.base(c)
	links := s.selfLinks(c, "/", f, fmtJSON, fmtHTML)
	links = append(links,
		Link{Href: b + "/api?f=json", Rel: "service-desc", Type: mimeOpenAPI, Title: "The API definition (OpenAPI 3.0)"},
		Link{Href: b + "/api?f=html", Rel: "service-doc", Type: mimeHTML, Title: "The API documentation (a page to read)"},
		Link{Href: b + "/conformance", Rel: "conformance", Type: mimeJSON, Title: "Conformance classes"},
		Link{Href: b + "/collections", Rel: "data", Type: mimeJSON, Title: "The collections (layers)"},
		Link{Href: b + "/data.json", Rel: "describedby", Type: mimeJSON, Title: "The data catalog (DCAT-US 1.1, Project Open Data)"},
		Link{Href: b + "/catalog.jsonld", Rel: "describedby", Type: "application/ld+json", Title: "The data catalog (DCAT-AP and schema.org, JSON-LD)"},
	)
	body := map[string]any{
		"title":       s.cfg.Title,
		"description": s.cfg.Description,
		"version":     orDefault(s.cfg.Version, "dev"),
		"links":       links,
	}
	if f == fmtHTML {
		return s.html(c, "landing", s.cfg.Title, map[string]any{"Body": body, "Collections": s.readable(c)})
	}
	return c.JSON(http.StatusOK, body)
}

func (s *Server) conformance(c echo.Context) error {
	if err := checkParams(c.QueryParams(), "f"); err != nil {
		return err
	}
	f, err := format(c, fmtJSON, fmtHTML)
	if err != nil {
		return err
	}
	body := map[string]any{"conformsTo": append(append(append([]string{}, conformanceClasses...), cql2Classes...), crsClass)}
	if f == fmtHTML {
		return s.html(c, "conformance", "Conformance", body)
	}
	return c.JSON(http.StatusOK, body)
}

// collectionDoc is the JSON of one collection.
type collectionDoc struct {
	ID          string         `json:"id"`
	Title       string         `json:"title"`
	Description string         `json:"description,omitempty"`
	Keywords    []string       `json:"keywords,omitempty"`
	License     string         `json:"license,omitempty"`
	ItemType    string         `json:"itemType"`
	CRS         []string       `json:"crs"`
	StorageCRS  string         `json:"storageCrs"`
	Extent      map[string]any `json:"extent,omitempty"`
	Count       int            `json:"numberOfFeatures"`
	Geometry    string         `json:"geometryType"`
	Role        string         `json:"role,omitempty"` // base or boundary: how the web map draws it
	metadataDoc
	Links []Link `json:"links"`
}

func (s *Server) collectionDoc(c echo.Context, ci store.CollectionInfo) collectionDoc {
	b := s.base(c)
	path := "/collections/" + ci.ID
	d := collectionDoc{
		ID: ci.ID, Title: ci.Title, Description: ci.Description, Keywords: ci.Keywords,
		License: ci.License, ItemType: "feature", CRS: s.crsURIs(), StorageCRS: crs84,
		Count: ci.Count, Geometry: string(ci.Geometry), Role: string(ci.Role), metadataDoc: s.metadataDoc(ci),
		Links: []Link{
			{Href: b + path, Rel: "self", Type: mimeJSON, Title: "This collection"},
			{Href: b + path + "?f=html", Rel: "alternate", Type: mimeHTML, Title: "This collection as HTML"},
			{Href: b + path + "/items", Rel: "items", Type: mimeGeoJSON, Title: ci.Title + " as GeoJSON"},
			{Href: b + path + "/items?f=html", Rel: "items", Type: mimeHTML, Title: ci.Title + " as HTML"},
			{Href: b + path + "/items?f=csv", Rel: "items", Type: mimeCSV, Title: ci.Title + " as CSV"},
			{Href: b + path + "/queryables", Rel: "http://www.opengis.net/def/rel/ogc/1.0/queryables", Type: "application/schema+json", Title: "Queryable properties"},
		},
	}
	d.Links = append(d.Links, s.downloadLinks(c, ci)...)
	if ci.License != "" {
		d.Links = append(d.Links, Link{Href: d.LicenseURL, Rel: "license", Type: mimeHTML, Title: ci.License})
	}
	ext := map[string]any{}
	if ci.HasExtent {
		ext["spatial"] = map[string]any{"bbox": [][4]float64{ci.Extent}, "crs": crs84}
	}
	interval := [2]*string{}
	if ci.HasTime {
		a, b := ci.TimeExtent[0].Format(time.RFC3339), ci.TimeExtent[1].Format(time.RFC3339)
		interval = [2]*string{&a, &b}
	}
	ext["temporal"] = map[string]any{"interval": [][2]*string{interval}, "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
	d.Extent = ext
	return d
}

func licenseURL(id string) string {
	return "https://spdx.org/licenses/" + id + ".html"
}

func (s *Server) collections(c echo.Context) error {
	if err := checkParams(c.QueryParams(), "f"); err != nil {
		return err
	}
	f, err := format(c, fmtJSON, fmtHTML)
	if err != nil {
		return err
	}
	infos := s.readable(c)
	docs := make([]collectionDoc, 0, len(infos))
	for _, ci := range infos {
		docs = append(docs, s.collectionDoc(c, ci))
	}
	body := map[string]any{
		"links":       s.selfLinks(c, "/collections", f, fmtJSON, fmtHTML),
		"crs":         s.crsURIs(),
		"collections": docs,
	}
	if f == fmtHTML {
		return s.html(c, "collections", "Collections", map[string]any{"Collections": docs})
	}
	return c.JSON(http.StatusOK, body)
}

func (s *Server) collection(c echo.Context) error {
	f, err := format(c, fmtJSON, fmtHTML)
	if err != nil {
		return err
	}
	known := []string{"f"}
	if f == fmtHTML {
		known = datasetPageParams // the attribute table's sorting and paging
	}
	if err := checkParams(c.QueryParams(), known...); err != nil {
		return err
	}
	ci, err := s.store.Collection(c.Param("collectionId"))
	if err != nil {
		return s.unknownCollection(c.Param("collectionId"))
	}
	doc := s.collectionDoc(c, ci)
	if f == fmtHTML {
		return s.datasetPage(c, ci, doc)
	}
	return c.JSON(http.StatusOK, doc)
}

func (s *Server) unknownCollection(id string) error {
	var ids []string
	for _, ci := range s.store.Collections() {
		if !ci.Private {
			ids = append(ids, ci.ID)
		}
	}
	return notFound("there is no collection %q; the collections are: %v (see /collections)", id, ids)
}

func (s *Server) queryables(c echo.Context) error {
	if err := checkParams(c.QueryParams(), "f"); err != nil {
		return err
	}
	f, err := format(c, fmtJSON, fmtHTML)
	if err != nil {
		return err
	}
	ci, err := s.store.Collection(c.Param("collectionId"))
	if err != nil {
		return s.unknownCollection(c.Param("collectionId"))
	}
	if f == fmtHTML {
		return s.html(c, "queryables", "Queryables of "+ci.Title, map[string]any{"C": ci, "Fields": ci.Fields})
	}
	props := map[string]any{
		store.GeometryQueryable: map[string]any{"format": geometryFormat(ci.Geometry), "title": "Geometry", "x-ogc-role": "primary-geometry"},
	}
	for _, fd := range ci.Fields {
		props[fd.Name] = jsonSchema(fd)
		if fd.Name == ci.TimeField {
			props[fd.Name].(map[string]any)["x-ogc-role"] = "primary-instant" // what datetime filters
		}
	}
	body := map[string]any{
		"$schema":    "https://json-schema.org/draft/2020-12/schema",
		"$id":        s.base(c) + "/collections/" + ci.ID + "/queryables",
		"type":       "object",
		"title":      ci.Title,
		"properties": props,
	}
	c.Response().Header().Set(echo.HeaderContentType, "application/schema+json")
	return c.JSON(http.StatusOK, body)
}

// geometryFormat is the JSON Schema format of Part 3 for a geometry type
// ("geometry-point", ..., "geometry-any").
func geometryFormat(g store.GeometryType) string {
	if g == "" || g == store.GeometryAny {
		return "geometry-any"
	}
	return "geometry-" + strings.ToLower(string(g))
}

func jsonSchema(fd store.Field) map[string]any {
	m := map[string]any{}
	if fd.Title != "" {
		m["title"] = fd.Title
	}
	if fd.Description != "" {
		m["description"] = fd.Description
	}
	switch fd.Type {
	case store.TypeInteger:
		m["type"] = "integer"
	case store.TypeNumber:
		m["type"] = "number"
	case store.TypeBoolean:
		m["type"] = "boolean"
	case store.TypeDate:
		m["type"], m["format"] = "string", "date"
	case store.TypeDateTime:
		m["type"], m["format"] = "string", "date-time"
	case store.TypeArray:
		m["type"], m["items"] = "array", map[string]any{"type": []string{"string", "number", "boolean"}}
	default:
		m["type"] = "string"
		if len(fd.Values) > 0 {
			m["enum"] = fd.Values
		}
	}
	return m
}

// etag returns a strong ETag for a representation of collection ci's data
// selected by the request's URL.
// It is "ID-Seq-Gen-Count-H", H the hash of the query, "|" and extra in
// base 36.
func etag(ci store.CollectionInfo, c echo.Context, extra string) string {
	h := hashMore(hashMore(hashMore(fnvOffset, c.Request().URL.RawQuery), "|"), extra)
	var a [96]byte
	b := append(a[:0], '"')
	b = append(b, ci.ID...)
	for _, n := range [...]int64{ci.Seq, ci.Gen, int64(ci.Count)} {
		b = strconv.AppendInt(append(b, '-'), n, 10)
	}
	b = strconv.AppendUint(append(b, '-'), h, 36)
	return string(append(b, '"'))
}

// FNV-1a, 64 bit.
const fnvOffset = uint64(14695981039346656037)

func hashString(s string) uint64 { return hashMore(fnvOffset, s) }

// hashMore goes on hashing with s after h: hashMore(hashString(a), b) is
// hashString(a + b).
func hashMore(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// notModified sets the ETag and reports whether the client's copy is
// current, in which case it has answered 304.
func notModified(c echo.Context, tag string) bool {
	c.Response().Header().Set("ETag", tag)
	if inm := c.Request().Header.Get("If-None-Match"); inm != "" && etagMatch(inm, tag) {
		_ = c.NoContent(http.StatusNotModified)
		return true
	}
	return false
}

func etagMatch(header, tag string) bool {
	for _, part := range splitComma(header) {
		if part == "*" || part == tag || part == "W/"+tag {
			return true
		}
	}
	return false
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			p := s[start:i]
			for len(p) > 0 && (p[0] == ' ' || p[0] == '\t') {
				p = p[1:]
			}
			for len(p) > 0 && (p[len(p)-1] == ' ' || p[len(p)-1] == '\t') {
				p = p[:len(p)-1]
			}
			if p != "" {
				out = append(out, p)
			}
			start = i + 1
		}
	}
	return out
}
