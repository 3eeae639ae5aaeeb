package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/cityatlas/cityatlas/store"
)

// openAPI serves the OpenAPI 3.0 definition of the service, with every
// collection's queryable properties as parameters of its items path.
func (s *Server) openAPI(c echo.Context) error {
	if err := checkParams(c.QueryParams(), "f"); err != nil {
		return err
	}
	f, err := format(c, fmtJSON, fmtHTML)
	if err != nil {
		return err
	}
	ref := func(name string) map[string]any { return map[string]any{"$ref": "#/components/parameters/" + name} }
	problem := map[string]any{"description": "A problem (RFC 9457) naming what is wrong",
		"content": map[string]any{"application/problem+json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}}}}
	jsonOK := func(desc string) map[string]any {
		return map[string]any{"description": desc, "content": map[string]any{mimeJSON: map[string]any{"schema": map[string]any{"type": "object"}}, mimeHTML: map[string]any{}}}
	}
	h := oaHelpers{ref: ref, problem: problem, jsonOK: jsonOK}
	crsURIs := s.crsURIs()
	paths := map[string]any{
		"/": map[string]any{"get": map[string]any{"summary": "Landing page", "operationId": "getLandingPage", "parameters": []any{ref("f")},
			"responses": map[string]any{"200": jsonOK("The landing page")}}},
		"/conformance": map[string]any{"get": map[string]any{"summary": "Conformance classes", "operationId": "getConformanceDeclaration", "parameters": []any{ref("f")},
			"responses": map[string]any{"200": jsonOK("The conformance classes")}}},
		"/api": map[string]any{"get": map[string]any{"summary": "This document (f=html: the same, as a page to read)", "operationId": "getAPI", "parameters": []any{ref("f")},
			"responses": map[string]any{"200": map[string]any{"description": "The OpenAPI definition", "content": map[string]any{mimeOpenAPI: map[string]any{}, mimeHTML: map[string]any{}}}, "400": problem}}},
		"/collections": map[string]any{"get": map[string]any{"summary": "The collections", "operationId": "getCollections", "parameters": []any{ref("f")},
			"responses": map[string]any{"200": jsonOK("The collections with their extents and feature counts"), "400": problem}}},
	}
	for _, ci := range s.readable(c) {
		base := "/collections/" + ci.ID
		params := []any{ref("crs"), ref("bbox"), ref("bbox-crs"), ref("limit"), ref("offset"), ref("datetime"), ref("filter"), ref("filter-lang"), ref("filter-crs"), ref("sortby"), ref("properties"), ref("f")}
		for _, fd := range ci.Fields {
			params = append(params, map[string]any{"name": fd.Name, "in": "query", "required": false, "style": "form", "explode": false,
				"description": "Keep features whose " + fd.Name + " equals this value", "schema": jsonSchema(fd)})
		}
		paths[base] = map[string]any{"get": map[string]any{"summary": "The " + ci.Title + " collection", "operationId": "describeCollection_" + ci.ID,
			"tags": []string{ci.ID}, "parameters": []any{ref("f")},
			"responses": map[string]any{"200": jsonOK("The collection"), "404": problem}}}
		paths[base+"/items"] = map[string]any{"get": map[string]any{"summary": "Features of " + ci.Title, "operationId": "getFeatures_" + ci.ID,
			"tags": []string{ci.ID}, "parameters": params,
			"responses": map[string]any{
				"200": map[string]any{"description": "A GeoJSON FeatureCollection (or HTML, CSV)", "content": map[string]any{
					mimeGeoJSON: map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/FeatureCollection"}},
					mimeHTML:    map[string]any{}, mimeCSV: map[string]any{}}},
				"304": map[string]any{"description": "Not modified (If-None-Match)"},
				"400": problem, "404": problem}}}
		paths[base+"/items/{featureId}"] = map[string]any{"get": map[string]any{"summary": "One feature of " + ci.Title, "operationId": "getFeature_" + ci.ID,
			"tags": []string{ci.ID}, "parameters": []any{ref("featureId"), ref("crs"), ref("f")},
			"responses": map[string]any{
				"200": map[string]any{"description": "A GeoJSON Feature", "content": map[string]any{mimeGeoJSON: map[string]any{"schema": map[string]any{"type": "object"}}, mimeHTML: map[string]any{}}},
				"404": problem}}}
		paths[base+"/queryables"] = map[string]any{"get": map[string]any{"summary": "Queryable properties of " + ci.Title, "operationId": "getQueryables_" + ci.ID,
			"tags":       []string{ci.ID},
			"parameters": []any{ref("f")},
			"responses":  map[string]any{"200": map[string]any{"description": "A JSON Schema (or HTML)", "content": map[string]any{"application/schema+json": map[string]any{}, mimeHTML: map[string]any{}}}, "404": problem}}}
		collectionPaths(paths, ci, h)
	}
	servicePaths(paths, h)
	doc := map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": s.cfg.Title, "description": s.cfg.Description, "version": orDefault(s.cfg.Version, "dev"),
			"license": map[string]any{"name": "Apache-2.0", "url": "https://www.apache.org/licenses/LICENSE-2.0"}},
		"servers": []any{map[string]any{"url": s.base(c)}},
		"paths":   paths,
		"components": map[string]any{
			"parameters": map[string]any{
				"f": map[string]any{"name": "f", "in": "query", "required": false, "description": "Output format",
					"schema": map[string]any{"type": "string", "enum": []string{"json", "html", "csv"}}},
				"bbox": map[string]any{"name": "bbox", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "minLon,minLat,maxLon,maxLat in CRS84 (6 numbers with heights accepted)",
					"schema":      map[string]any{"type": "array", "minItems": 4, "maxItems": 6, "items": map[string]any{"type": "number"}}},
				"bbox-crs": map[string]any{"name": "bbox-crs", "in": "query", "required": false,
					"description": "The CRS of bbox (EPSG:4326 is latitude first: minLat,minLon,maxLat,maxLon)",
					"schema":      map[string]any{"type": "string", "format": "uri", "enum": crsURIs, "default": crs84}},
				"crs": map[string]any{"name": "crs", "in": "query", "required": false,
					"description": "The CRS of the geometries in the answer (Content-Crs says which); EPSG:4326 is latitude first. Downloads take it for geojson, geojsonseq, ndjson, csv and fgb",
					"schema":      map[string]any{"type": "string", "format": "uri", "enum": crsURIs, "default": crs84}},
				"limit": map[string]any{"name": "limit", "in": "query", "required": false, "style": "form", "explode": false,
					"schema": map[string]any{"type": "integer", "minimum": 1, "maximum": s.cfg.MaxLimit, "default": s.cfg.DefaultLimit}},
				"offset": map[string]any{"name": "offset", "in": "query", "required": false,
					"schema": map[string]any{"type": "integer", "minimum": 0, "default": 0}},
				"datetime": map[string]any{"name": "datetime", "in": "query", "required": false,
					"description": "An instant or interval (RFC 3339, '..' for an open end) on the collection's time property",
					"schema":      map[string]any{"type": "string"}},
				"filter": map[string]any{"name": "filter", "in": "query", "required": false,
					"description": "A CQL2 filter (OGC 21-065) on the queryables, in CQL2 text or, with filter-lang=cql2-json, CQL2 JSON",
					"schema":      map[string]any{"type": "string"}},
				"filter-lang": map[string]any{"name": "filter-lang", "in": "query", "required": false,
					"schema": map[string]any{"type": "string", "enum": []string{langText, langJSON}, "default": langText}},
				"filter-crs": map[string]any{"name": "filter-crs", "in": "query", "required": false,
					"description": "The CRS of the filter's geometry literals",
					"schema":      map[string]any{"type": "string", "format": "uri", "enum": crsURIs, "default": crs84}},
				"sortby": map[string]any{"name": "sortby", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "Sort keys, each a property or id with + (ascending, default) or - (descending) before it; id always breaks ties",
					"schema":      map[string]any{"type": "array", "items": map[string]any{"type": "string", "pattern": "^[+-]?[A-Za-z_][A-Za-z0-9_]*$"}}},
				"properties": map[string]any{"name": "properties", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "Only these properties in the answer (empty: none)",
					"schema":      map[string]any{"type": "array", "items": map[string]any{"type": "string"}}},
				"featureId": map[string]any{"name": "featureId", "in": "path", "required": true, "schema": map[string]any{"type": "integer"}},
				"groupby": map[string]any{"name": "groupby", "in": "query", "required": false,
					"description": "Count per value of this property", "schema": map[string]any{"type": "string"}},
				"lon": map[string]any{"name": "lon", "in": "query", "required": false,
					"description": "Longitude of the centre of a circle (with lat and radius)", "schema": map[string]any{"type": "number", "minimum": -180, "maximum": 180}},
				"lat": map[string]any{"name": "lat", "in": "query", "required": false,
					"description": "Latitude of the centre of a circle (with lon and radius)", "schema": map[string]any{"type": "number", "minimum": -90, "maximum": 90}},
				"radius": map[string]any{"name": "radius", "in": "query", "required": false,
					"description": "Radius of the circle, in metres", "schema": map[string]any{"type": "number", "minimum": 0, "maximum": maxRadius}},
				"collections": map[string]any{"name": "collections", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "Only these collections (comma-separated ids)", "schema": map[string]any{"type": "array", "items": map[string]any{"type": "string"}}},
				"z": map[string]any{"name": "z", "in": "path", "required": true, "description": "Zoom level", "schema": map[string]any{"type": "integer", "minimum": 0}},
				"x": map[string]any{"name": "x", "in": "path", "required": true, "description": "Tile column", "schema": map[string]any{"type": "integer", "minimum": 0}},
				"y": map[string]any{"name": "y", "in": "path", "required": true, "description": "Tile row", "schema": map[string]any{"type": "integer", "minimum": 0}},
			},
			"schemas": map[string]any{
				"Problem": map[string]any{"type": "object", "properties": map[string]any{
					"type": map[string]any{"type": "string"}, "title": map[string]any{"type": "string"}, "status": map[string]any{"type": "integer"},
					"detail": map[string]any{"type": "string"}, "instance": map[string]any{"type": "string"}, "parameter": map[string]any{"type": "string"}}},
				"FeatureCollection": map[string]any{"type": "object", "required": []string{"type", "features"}, "properties": map[string]any{
					"type":          map[string]any{"type": "string", "enum": []string{"FeatureCollection"}},
					"features":      map[string]any{"type": "array", "items": map[string]any{"type": "object"}},
					"numberMatched": map[string]any{"type": "integer"}, "numberReturned": map[string]any{"type": "integer"},
					"timeStamp": map[string]any{"type": "string", "format": "date-time"}}},
			},
		},
	}
	var ids []string
	for _, ci := range s.readable(c) {
		ids = append(ids, ci.ID)
	}
	describeWrites(doc, ids)
	if f == fmtHTML {
		return s.apiDocHTML(c, doc)
	}
	c.Response().Header().Set(echo.HeaderContentType, mimeOpenAPI)
	return c.JSON(http.StatusOK, doc)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

var _ Store = (*store.Store)(nil)
