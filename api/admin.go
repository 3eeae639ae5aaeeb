package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cityatlas/cityatlas/auth"
	"github.com/cityatlas/cityatlas/store"
)

// collectionAdmin is what admins need of the store to manage collections;
// *store.Store implements it.
type collectionAdmin interface {
	CreateCollection(ctx context.Context, c store.Collection) (store.Collection, error)
	DeleteCollection(ctx context.Context, id, actor string) error
}

func (s *Server) keyStore(c echo.Context) (KeyStore, error) {
	if err := checkParams(c.QueryParams()); err != nil {
		return nil, err
	}
	if err := s.allow(c, auth.RoleAdmin, ""); err != nil {
		return nil, err
	}
	if s.cfg.Keys == nil {
		return nil, notFound("this server has no key store")
	}
	return s.cfg.Keys, nil
}

// listKeys: GET /keys (admin): every key, without its secret or hash.
func (s *Server) listKeys(c echo.Context) error {
	ks, err := s.keyStore(c)
	if err != nil {
		return err
	}
	list, err := ks.ListKeys(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"keys": list})
}

// createKey: POST /keys (admin) with {"name", "role", "collections",
// "expires"}: 201 with the new key, shown this once.
func (s *Server) createKey(c echo.Context) error {
	ks, err := s.keyStore(c)
	if err != nil {
		return err
	}
	body, err := s.readBody(c, mimeJSON)
	if err != nil {
		return err
	}
	var req struct {
		Name        string    `json:"name"`
		Role        string    `json:"role"`
		Collections []string  `json:"collections"`
		Expires     time.Time `json:"expires"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return badBody("", "the body must be {\"name\", \"role\", \"collections\", \"expires\"}: %v", err)
	}
	token, k, err := auth.New(req.Name, req.Role, req.Collections, req.Expires)
	if err != nil {
		return unprocessable("", "%s", trimSentinel(err))
	}
	if k, err = ks.CreateKey(c.Request().Context(), k); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusCreated, map[string]any{"key": token, "name": k.Name, "role": k.Role,
		"collections": k.Collections, "expires": k.Expires, "created": k.Created})
}

// revokeKey: DELETE /keys/{name} (admin), 204.
func (s *Server) revokeKey(c echo.Context) error {
	ks, err := s.keyStore(c)
	if err != nil {
		return err
	}
	if err := ks.RevokeKey(c.Request().Context(), c.Param("name")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) collectionAdmin(c echo.Context) (collectionAdmin, error) {
	if err := checkParams(c.QueryParams()); err != nil {
		return nil, err
	}
	if err := s.allow(c, auth.RoleAdmin, ""); err != nil {
		return nil, err
	}
	a, ok := s.store.(collectionAdmin)
	if !ok {
		return nil, echo.ErrMethodNotAllowed
	}
	return a, nil
}

// createCollection: POST /collections (admin) with a collection's
// definition (id, title, geometryType, fields, private, ...): 201.
func (s *Server) createCollection(c echo.Context) error {
	a, err := s.collectionAdmin(c)
	if err != nil {
		return err
	}
	body, err := s.readBody(c, mimeJSON)
	if err != nil {
		return err
	}
	var def store.Collection
	if err := json.Unmarshal(body, &def); err != nil {
		return badBody("", "the body must be a collection definition: %v", err)
	}
	got, err := a.CreateCollection(c.Request().Context(), def)
	if err != nil {
		return writeError(err, false)
	}
	c.Response().Header().Set(echo.HeaderLocation, s.base(c)+"/collections/"+got.ID)
	return c.JSON(http.StatusCreated, got)
}

// deleteCollection: DELETE /collections/{id} (admin), with its features.
func (s *Server) deleteCollection(c echo.Context) error {
	a, err := s.collectionAdmin(c)
	if err != nil {
		return err
	}
	if err := a.DeleteCollection(c.Request().Context(), c.Param("collectionId"), keyName(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
