package api

// routes lists every route of the api. Every GET route also answers HEAD
// (ServeHTTP), and every route must be in the OpenAPI document (openapi.go;
// TestOpenAPICoversEveryRoute). Expensive routes take s.costly (per-client
// concurrency); routes that write take s.WriteGuard (read-only while the
// database is away). Route middleware is composed with chain, once, not
// passed to Echo, which would compose it for every request.
func (s *Server) routes() {
	e := s.echo
	e.GET("/", s.landing)
	e.GET("/conformance", s.conformance)
	e.GET("/api", s.openAPI)
	e.GET("/collections", s.collections)
	e.GET("/collections/:collectionId", s.collection)
	e.GET("/collections/:collectionId/queryables", s.queryables)
	e.GET("/collections/:collectionId/items", chain(s.items, s.costlyItems))
	e.GET("/collections/:collectionId/items/:featureId", s.feature)
	e.GET("/collections/:collectionId/stats", chain(s.stats, s.costly))
	// Writes (OGC API - Features Part 4, write.go), history and the change
	// feed (changes.go), keys and collections for admins (admin.go).
	e.POST("/collections/:collectionId/items", chain(s.createFeature, s.WriteGuard))
	e.PUT("/collections/:collectionId/items/:featureId", chain(s.replaceFeature, s.WriteGuard))
	e.PATCH("/collections/:collectionId/items/:featureId", chain(s.patchFeature, s.WriteGuard))
	e.DELETE("/collections/:collectionId/items/:featureId", chain(s.deleteFeature, s.WriteGuard))
	e.GET("/collections/:collectionId/items/:featureId/history", s.history)
	e.GET("/collections/:collectionId/changes", s.changes)
	e.GET("/changes", s.changes)
	e.POST("/collections", chain(s.createCollection, s.WriteGuard))
	e.DELETE("/collections/:collectionId", chain(s.deleteCollection, s.WriteGuard))
	e.PATCH("/collections/:collectionId", chain(s.patchCollection, s.WriteGuard))
	e.GET("/keys", s.listKeys)
	e.POST("/keys", chain(s.createKey, s.WriteGuard))
	e.DELETE("/keys/:name", chain(s.revokeKey, s.WriteGuard))
	e.GET("/whoami", s.whoami) // auth.go
	e.GET("/count", chain(s.count, s.costly))
	e.POST("/count", chain(s.count, s.costly))
	e.GET("/search", chain(s.search, s.costly))                               // search.go
	e.GET("/collections/:collectionId/download", chain(s.download, s.costly)) // downloads.go
	// Vector tiles (tiles.go).
	e.GET("/collections/:collectionId/tiles/WebMercatorQuad/:z/:y/:x", chain(s.collectionTile, s.costly))
	e.GET("/collections/:collectionId/tiles/WebMercatorQuad", s.collectionTileJSON)
	e.GET("/tiles/:z/:x/:y", chain(s.allTile, s.costly))
	e.GET("/tiles.json", s.allTileJSON)
	e.GET("/data.json", s.dataJSON)           // catalog.go
	e.GET("/catalog.jsonld", s.catalogJSONLD) // catalog.go
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", s.metricsHandler)
}
