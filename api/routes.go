package api

// routes lists every route of the api. Every GET route also answers HEAD
// (ServeHTTP), and every route must be in the OpenAPI document (openapi.go;
// TestOpenAPICoversEveryRoute). Expensive routes take s.costly (per-client
// concurrency); routes that write take s.WriteGuard (read-only while the
// database is away).
func (s *Server) routes() {
	e := s.echo
	e.GET("/", s.landing)
	e.GET("/conformance", s.conformance)
	e.GET("/api", s.openAPI)
	e.GET("/collections", s.collections)
	e.GET("/collections/:collectionId", s.collection)
	e.GET("/collections/:collectionId/queryables", s.queryables)
	e.GET("/collections/:collectionId/items", s.items, s.costlyItems)
	e.GET("/collections/:collectionId/items/:featureId", s.feature)
	e.GET("/collections/:collectionId/stats", s.stats, s.costly)
	// Writes (OGC API - Features Part 4, write.go), history and the change
	// feed (changes.go), keys and collections for admins (admin.go).
	e.POST("/collections/:collectionId/items", s.createFeature, s.WriteGuard)
	e.PUT("/collections/:collectionId/items/:featureId", s.replaceFeature, s.WriteGuard)
	e.PATCH("/collections/:collectionId/items/:featureId", s.patchFeature, s.WriteGuard)
	e.DELETE("/collections/:collectionId/items/:featureId", s.deleteFeature, s.WriteGuard)
	e.GET("/collections/:collectionId/items/:featureId/history", s.history)
	e.GET("/collections/:collectionId/changes", s.changes)
	e.GET("/changes", s.changes)
	e.POST("/collections", s.createCollection, s.WriteGuard)
	e.DELETE("/collections/:collectionId", s.deleteCollection, s.WriteGuard)
	e.PATCH("/collections/:collectionId", s.patchCollection, s.WriteGuard)
	e.GET("/keys", s.listKeys)
	e.POST("/keys", s.createKey, s.WriteGuard)
	e.DELETE("/keys/:name", s.revokeKey, s.WriteGuard)
	e.GET("/whoami", s.whoami) // auth.go
	e.GET("/count", s.count, s.costly)
	e.POST("/count", s.count, s.costly)
	e.GET("/search", s.search, s.costly)                               // search.go
	e.GET("/collections/:collectionId/download", s.download, s.costly) // downloads.go
	// Vector tiles (tiles.go).
	e.GET("/collections/:collectionId/tiles/WebMercatorQuad/:z/:y/:x", s.collectionTile, s.costly)
	e.GET("/collections/:collectionId/tiles/WebMercatorQuad", s.collectionTileJSON)
	e.GET("/tiles/:z/:x/:y", s.allTile, s.costly)
	e.GET("/tiles.json", s.allTileJSON)
	e.GET("/data.json", s.dataJSON)           // catalog.go
	e.GET("/catalog.jsonld", s.catalogJSONLD) // catalog.go
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", s.metricsHandler)
}
