package api

import (
	"github.com/cityatlas/cityatlas/formats"
	"github.com/cityatlas/cityatlas/store"
)

// The OpenAPI paths of counts, statistics, tiles and the service's own
// routes (openapi.go has the OGC API - Features ones). Every route of
// routes.go must be here or there: TestOpenAPICoversEveryRoute.

type oaHelpers struct {
	ref     func(name string) map[string]any
	problem map[string]any
	jsonOK  func(desc string) map[string]any
}

func (h oaHelpers) json(desc string) map[string]any {
	return map[string]any{"description": desc, "content": map[string]any{mimeJSON: map[string]any{"schema": map[string]any{"type": "object"}}}}
}

func (h oaHelpers) tooMany() map[string]any {
	return map[string]any{"description": "Too many expensive requests from this client at once (Retry-After)",
		"content": map[string]any{"application/problem+json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}}}}
}

func propParams(ci store.CollectionInfo) []any {
	var out []any
	for _, fd := range ci.Fields {
		out = append(out, map[string]any{"name": fd.Name, "in": "query", "required": false,
			"description": "Keep features whose " + fd.Name + " equals this value", "schema": jsonSchema(fd)})
	}
	return out
}

func tileResponses(h oaHelpers) map[string]any {
	return map[string]any{
		"200": map[string]any{"description": "A Mapbox Vector Tile", "content": map[string]any{mimeMVT: map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}},
		"204": map[string]any{"description": "The tile is empty"},
		"304": map[string]any{"description": "Not modified (If-None-Match)"},
		"400": h.problem, "404": h.problem, "429": h.tooMany()}
}

// collectionPaths adds collection ci's statistics and tile paths.
func collectionPaths(paths map[string]any, ci store.CollectionInfo, h oaHelpers) {
	base := "/collections/" + ci.ID
	props := propParams(ci)
	stats := append([]any{h.ref("bbox"), h.ref("bbox-crs"), h.ref("lon"), h.ref("lat"), h.ref("radius"), h.ref("datetime"), h.ref("groupby"), h.ref("f")}, props...)
	paths[base+"/stats"] = map[string]any{"get": map[string]any{"summary": "Count " + ci.Title + ", optionally grouped by a property",
		"operationId": "getStats_" + ci.ID, "tags": []string{ci.ID}, "parameters": stats,
		"responses": map[string]any{"200": h.json("The count and its groups"), "304": map[string]any{"description": "Not modified (If-None-Match)"},
			"400": h.problem, "404": h.problem, "429": h.tooMany()}}}
	paths[base+"/download"] = map[string]any{"get": map[string]any{"summary": "Download " + ci.Title + " whole, or what a query selects, as one file",
		"operationId": "getDownload_" + ci.ID, "tags": []string{ci.ID},
		"parameters": append([]any{
			map[string]any{"name": "f", "in": "query", "required": false, "description": "The file format", "schema": map[string]any{"type": "string", "enum": formats.Names(), "default": "geojson"}},
			h.ref("bbox"), h.ref("bbox-crs"), h.ref("datetime"),
			map[string]any{"name": "properties", "in": "query", "required": false, "description": "The properties to write, comma-separated (default: every one)", "schema": map[string]any{"type": "string"}},
			h.ref("crs"), // every CRS offered for geojson, geojsonseq, ndjson, csv and fgb; CRS84 only for the others
		}, props...),
		"responses": map[string]any{"200": map[string]any{"description": "The file, streamed (the connection is aborted if it fails half-way)"},
			"304": map[string]any{"description": "Not modified (If-None-Match)"}, "400": h.problem, "404": h.problem, "429": h.tooMany()}}}
	tileParams := append([]any{h.ref("z"), h.ref("y"), h.ref("x"), h.ref("datetime")}, props...)
	paths[base+"/tiles/WebMercatorQuad/{z}/{y}/{x}"] = map[string]any{"get": map[string]any{"summary": "A vector tile of " + ci.Title + " (OGC API - Tiles order: z, row, column)",
		"operationId": "getTile_" + ci.ID, "tags": []string{ci.ID}, "parameters": tileParams, "responses": tileResponses(h)}}
	paths[base+"/tiles/WebMercatorQuad"] = map[string]any{"get": map[string]any{"summary": "TileJSON 3.0 of " + ci.Title,
		"operationId": "getTileJSON_" + ci.ID, "tags": []string{ci.ID}, "parameters": append([]any{h.ref("datetime"), h.ref("f")}, props...),
		"responses": map[string]any{"200": h.json("A TileJSON 3.0 document"), "400": h.problem, "404": h.problem}}}
}

// servicePaths adds the paths that span collections, and the operational
// ones.
func servicePaths(paths map[string]any, h oaHelpers) {
	countParams := []any{h.ref("bbox"), h.ref("bbox-crs"), h.ref("lon"), h.ref("lat"), h.ref("radius"), h.ref("collections"), h.ref("groupby"), h.ref("f")}
	countResponses := map[string]any{"200": h.json("The total and the count of each collection"), "400": h.problem, "429": h.tooMany()}
	post := map[string]any{"summary": "How many features of each collection lie in a posted polygon",
		"operationId": "postCount", "parameters": []any{h.ref("collections"), h.ref("groupby"), h.ref("f")},
		"requestBody": map[string]any{"required": true, "description": "A GeoJSON Polygon or MultiPolygon, bare or in a Feature, within the server's vertex and area budget",
			"content": map[string]any{mimeGeoJSON: map[string]any{"schema": map[string]any{"type": "object"}}, mimeJSON: map[string]any{"schema": map[string]any{"type": "object"}}}},
		"responses": map[string]any{"200": h.json("The total and the count of each collection"), "400": h.problem, "413": h.problem, "415": h.problem, "429": h.tooMany()}}
	paths["/count"] = map[string]any{
		"get": map[string]any{"summary": "How many features of each collection lie in a box or circle (COLLECTION.PROPERTY=VALUE filters one collection)",
			"operationId": "getCount", "parameters": countParams, "responses": countResponses},
		"post": post,
	}
	paths["/tiles/{z}/{x}/{y}"] = map[string]any{"get": map[string]any{"summary": "A vector tile of every collection (y may end in .mvt)",
		"operationId": "getAllTile", "parameters": []any{h.ref("z"), h.ref("x"), h.ref("y"), h.ref("collections")}, "responses": tileResponses(h)}}
	paths["/tiles.json"] = map[string]any{"get": map[string]any{"summary": "TileJSON 3.0 of every collection",
		"operationId": "getAllTileJSON", "parameters": []any{h.ref("collections")},
		"responses": map[string]any{"200": h.json("A TileJSON 3.0 document"), "400": h.problem}}}
	paths["/search"] = map[string]any{"get": map[string]any{"summary": "Find features by name or address, layers by title, and street intersections (for the map's search box)",
		"operationId": "getSearch", "parameters": []any{
			map[string]any{"name": "q", "in": "query", "required": true, "description": "The words to look for, such as traffic signal or Imperial Ave & Barioni Blvd", "schema": map[string]any{"type": "string", "maxLength": maxSearchQuery}},
			map[string]any{"name": "limit", "in": "query", "required": false, "description": "The most results to return", "schema": map[string]any{"type": "integer", "minimum": 1, "maximum": maxSearchLimit, "default": defSearchLimit}},
			h.ref("f")},
		"responses": map[string]any{"200": h.json("Ranked results, each with its layer and a one-line description"), "400": h.problem, "429": h.tooMany()}}}
	paths["/data.json"] = map[string]any{"get": map[string]any{"summary": "The open-data catalog (DCAT-US 1.1, Project Open Data)", "operationId": "getDataJSON",
		"responses": map[string]any{"200": h.json("A DCAT-US 1.1 catalog: a dataset a collection, a distribution a download format")}}}
	paths["/catalog.jsonld"] = map[string]any{"get": map[string]any{"summary": "The catalog as JSON-LD (DCAT-AP and schema.org Dataset), for search engines", "operationId": "getCatalogJSONLD",
		"responses": map[string]any{"200": map[string]any{"description": "A JSON-LD catalog", "content": map[string]any{"application/ld+json": map[string]any{"schema": map[string]any{"type": "object"}}}}}}}
	paths["/healthz"] = map[string]any{"get": map[string]any{"summary": "Liveness: the process answers", "operationId": "getHealth",
		"responses": map[string]any{"200": h.json("Alive")}}}
	paths["/readyz"] = map[string]any{"get": map[string]any{"summary": "Readiness: the index serves; the database's state is in the body",
		"operationId": "getReady", "responses": map[string]any{"200": h.json(`{"ready":true,"database":"ok" or "unreachable: …","index":{"collections","features","seq"}}`)}}}
	paths["/metrics"] = map[string]any{"get": map[string]any{"summary": "Prometheus metrics", "operationId": "getMetrics",
		"responses": map[string]any{"200": map[string]any{"description": "Prometheus text format", "content": map[string]any{"text/plain": map[string]any{}}}}}}
}
