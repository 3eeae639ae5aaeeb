package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// Vector tile handlers: being written (issue 4); until then they answer
// 501 Not Implemented.

func (s *Server) collectionTile(c echo.Context) error     { return notImplemented() }
func (s *Server) collectionTileJSON(c echo.Context) error { return notImplemented() }
func (s *Server) allTile(c echo.Context) error            { return notImplemented() }
func (s *Server) allTileJSON(c echo.Context) error        { return notImplemented() }

func notImplemented() error {
	return &Problem{Type: "about:blank", Title: "Not Implemented", Status: http.StatusNotImplemented, Detail: "vector tiles are not available yet"}
}
