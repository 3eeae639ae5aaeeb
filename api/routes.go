package api

// routes lists every route of the api.
func (s *Server) routes() {
	e := s.echo
	e.GET("/", s.landing)
	e.GET("/conformance", s.conformance)
	e.GET("/api", s.openAPI)
	e.GET("/collections", s.collections)
	e.GET("/collections/:collectionId", s.collection)
	e.GET("/collections/:collectionId/queryables", s.queryables)
	e.GET("/collections/:collectionId/items", s.items)
	e.GET("/collections/:collectionId/items/:featureId", s.feature)
	e.GET("/collections/:collectionId/download", s.download) // downloads.go
	e.GET("/collections/:collectionId/stats", s.stats)
	e.GET("/count", s.count)
	e.POST("/count", s.count)
	// Vector tiles (tiles.go).
	e.GET("/collections/:collectionId/tiles/WebMercatorQuad/:z/:y/:x", s.collectionTile)
	e.GET("/collections/:collectionId/tiles/WebMercatorQuad", s.collectionTileJSON)
	e.GET("/tiles/:z/:x/:y", s.allTile)
	e.GET("/tiles.json", s.allTileJSON)
	e.GET("/data.json", s.dataJSON)           // catalog.go
	e.GET("/catalog.jsonld", s.catalogJSONLD) // catalog.go
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", s.metricsHandler)
}
