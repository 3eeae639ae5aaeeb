package api

// describeWrites adds to the OpenAPI document doc (its paths and
// components, as openAPI builds them) the write operations of OGC API -
// Features Part 4 on every collection ids names, the history, the change
// feed, the admin routes and the bearer-key security scheme.
func describeWrites(doc map[string]any, ids []string) {
	paths := doc["paths"].(map[string]any)
	comps := doc["components"].(map[string]any)
	comps["securitySchemes"] = map[string]any{"apiKey": map[string]any{"type": "http", "scheme": "bearer",
		"description": "An API key made by `cityatlas keys create` (Authorization: Bearer KEY)"}}
	if pr, ok := comps["schemas"].(map[string]any)["Problem"].(map[string]any)["properties"].(map[string]any); ok {
		pr["field"] = map[string]any{"type": "string", "description": "The member of the request body at fault"}
	}
	secured := []any{map[string]any{"apiKey": []string{}}}
	problem := map[string]any{"description": "A problem (RFC 9457) naming what is wrong",
		"content": map[string]any{"application/problem+json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}}}}
	feature := map[string]any{"schema": map[string]any{"type": "object", "required": []string{"type"},
		"properties": map[string]any{"type": map[string]any{"type": "string", "enum": []string{"Feature"}},
			"geometry": map[string]any{"type": "object", "nullable": true}, "properties": map[string]any{"type": "object", "nullable": true}}}}
	written := map[string]any{"description": "The feature as stored; ETag is its version",
		"headers": map[string]any{"ETag": map[string]any{"schema": map[string]any{"type": "string"}}},
		"content": map[string]any{mimeGeoJSON: map[string]any{"schema": map[string]any{"type": "object"}}}}
	ifMatch := map[string]any{"name": "If-Match", "in": "header", "required": false, "schema": map[string]any{"type": "string"},
		"description": "The ETag of the version the write replaces: 412 if the feature is at another; without it the write proceeds on whatever is stored"}
	errs := func(codes ...string) map[string]any {
		m := map[string]any{}
		for _, c := range codes {
			m[c] = problem
		}
		return m
	}
	with := func(m map[string]any, code string, v any) map[string]any { m[code] = v; return m }
	for _, id := range ids {
		base := "/collections/" + id
		items, _ := paths[base+"/items"].(map[string]any)
		one, _ := paths[base+"/items/{featureId}"].(map[string]any)
		if items == nil || one == nil {
			continue
		}
		tags := []string{id}
		if coll, ok := paths[base].(map[string]any); ok {
			coll["delete"] = map[string]any{"summary": "Delete the collection " + id + " with its features (admin)", "operationId": "deleteCollection_" + id,
				"tags": tags, "security": secured, "responses": with(errs("401", "403", "404"), "204", map[string]any{"description": "Deleted"})}
			coll["patch"] = map[string]any{"summary": "Change the title, description, licence, keywords and metadata of " + id + " with a JSON Merge Patch (admin; null clears a member)",
				"operationId": "updateCollection_" + id, "tags": tags, "security": secured,
				"requestBody": map[string]any{"required": true, "content": map[string]any{mimeMergePatch: map[string]any{"schema": collectionPatchSchema}}},
				"responses":   with(errs("400", "401", "403", "404", "413", "415", "422"), "200", map[string]any{"description": "The collection as changed"})}
		}
		items["post"] = map[string]any{"summary": "Add a feature to " + id, "operationId": "createFeature_" + id, "tags": tags, "security": secured,
			"requestBody": map[string]any{"required": true, "content": map[string]any{mimeGeoJSON: feature, mimeJSON: feature}},
			"responses": with(errs("400", "401", "403", "404", "413", "415", "422"), "201", map[string]any{"description": "Created; Location names the new feature",
				"headers": map[string]any{"Location": map[string]any{"schema": map[string]any{"type": "string"}}}})}
		params := []any{map[string]any{"$ref": "#/components/parameters/featureId"}, ifMatch}
		one["put"] = map[string]any{"summary": "Replace a feature of " + id + " (an id in the body is ignored)", "operationId": "replaceFeature_" + id,
			"tags": tags, "security": secured, "parameters": params,
			"requestBody": map[string]any{"required": true, "content": map[string]any{mimeGeoJSON: feature, mimeJSON: feature}},
			"responses":   with(errs("400", "401", "403", "404", "409", "412", "413", "415", "422"), "200", written)}
		one["patch"] = map[string]any{"summary": "Update a feature of " + id + " with a JSON Merge Patch (RFC 7396; null removes a property)",
			"operationId": "updateFeature_" + id, "tags": tags, "security": secured, "parameters": params,
			"requestBody": map[string]any{"required": true, "content": map[string]any{mimeMergePatch: map[string]any{"schema": map[string]any{"type": "object"}}}},
			"responses":   with(errs("400", "401", "403", "404", "409", "412", "413", "415", "422"), "200", written)}
		one["delete"] = map[string]any{"summary": "Delete a feature of " + id, "operationId": "deleteFeature_" + id,
			"tags": tags, "security": secured, "parameters": params,
			"responses": with(errs("401", "403", "404", "412"), "204", map[string]any{"description": "Deleted"})}
		paths[base+"/items/{featureId}/history"] = map[string]any{"get": map[string]any{"summary": "Every version of a feature of " + id + ", oldest first",
			"operationId": "getFeatureHistory_" + id, "tags": tags, "parameters": []any{map[string]any{"$ref": "#/components/parameters/featureId"},
				map[string]any{"name": "since", "in": "query", "required": false, "description": "Only versions written after this change-log seq (the next link's)", "schema": map[string]any{"type": "integer", "minimum": 0, "default": 0}},
				map[string]any{"name": "limit", "in": "query", "required": false, "schema": map[string]any{"type": "integer", "minimum": 1, "maximum": historyMaxLimit, "default": historyDefaultLimit}}},
			"responses": with(errs("404"), "200", map[string]any{"description": "The versions with operation, time, actor and content"})}}
		paths[base+"/changes"] = map[string]any{"get": changesOperation("getChanges_"+id, "The change log of "+id, errs)}
	}
	if colls, ok := paths["/collections"].(map[string]any); ok {
		colls["post"] = map[string]any{"summary": "Make a collection (admin)", "operationId": "createCollection", "security": secured,
			"requestBody": map[string]any{"required": true, "content": map[string]any{mimeJSON: map[string]any{"schema": map[string]any{"type": "object",
				"required": []string{"id", "geometryType"}, "properties": map[string]any{"id": map[string]any{"type": "string"},
					"title": map[string]any{"type": "string"}, "geometryType": map[string]any{"type": "string"},
					"fields": map[string]any{"type": "array", "items": map[string]any{"type": "object"}}, "private": map[string]any{"type": "boolean"}}}}}},
			"responses": with(errs("400", "401", "403", "409", "413", "422"), "201", map[string]any{"description": "Created; Location names it"})}
	}
	paths["/changes"] = map[string]any{"get": changesOperation("getChanges", "The change log of every collection", errs)}
	paths["/keys"] = map[string]any{
		"get": map[string]any{"summary": "API keys (admin; never their secrets)", "operationId": "listKeys", "security": secured,
			"responses": with(errs("401", "403"), "200", map[string]any{"description": "The keys"})},
		"post": map[string]any{"summary": "Make an API key (admin): the answer holds it, once", "operationId": "createKey", "security": secured,
			"requestBody": map[string]any{"required": true, "content": map[string]any{mimeJSON: map[string]any{"schema": map[string]any{"type": "object",
				"required": []string{"name", "role"}, "properties": map[string]any{"name": map[string]any{"type": "string"},
					"role":        map[string]any{"type": "string", "enum": []string{"viewer", "editor", "admin"}},
					"collections": map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
					"expires":     map[string]any{"type": "string", "format": "date-time"}}}}}},
			"responses": with(errs("400", "401", "403", "409", "422"), "201", map[string]any{"description": "The new key"})}}
	paths["/whoami"] = map[string]any{"get": map[string]any{"summary": "Who the request's API key speaks for: its name, role and collections (none: all)",
		"operationId": "whoami", "security": secured,
		"responses": with(errs("400", "401"), "200", map[string]any{"description": "The key's name, role and collections",
			"content": map[string]any{mimeJSON: map[string]any{"schema": map[string]any{"type": "object", "required": []string{"name", "role", "collections"},
				"properties": map[string]any{"name": map[string]any{"type": "string"},
					"role":        map[string]any{"type": "string", "enum": []string{"viewer", "editor", "admin"}},
					"collections": map[string]any{"type": "array", "items": map[string]any{"type": "string"}}}}}}})}}
	paths["/keys/{name}"] = map[string]any{"delete": map[string]any{"summary": "Revoke an API key (admin)", "operationId": "revokeKey", "security": secured,
		"parameters": []any{map[string]any{"name": "name", "in": "path", "required": true, "schema": map[string]any{"type": "string"}}},
		"responses":  with(errs("401", "403", "404"), "204", map[string]any{"description": "Revoked"})}}
}

func changesOperation(opID, summary string, errs func(...string) map[string]any) map[string]any {
	r := errs("400", "404")
	r["200"] = map[string]any{"description": "Change-log entries after since, with a next link to poll; with Accept: text/event-stream, a Server-Sent Events stream of them",
		"content": map[string]any{mimeJSON: map[string]any{"schema": map[string]any{"type": "object"}}, "text/event-stream": map[string]any{}}}
	return map[string]any{"summary": summary, "operationId": opID, "responses": r, "parameters": []any{
		map[string]any{"name": "since", "in": "query", "required": false, "schema": map[string]any{"type": "integer", "minimum": 0, "default": 0}},
		map[string]any{"name": "limit", "in": "query", "required": false, "schema": map[string]any{"type": "integer", "minimum": 1, "maximum": changesMaxLimit, "default": changesDefaultLimit}},
	}}
}
