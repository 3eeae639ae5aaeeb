package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cityatlas/cityatlas/store"
)

// collectionEditor is what PATCH /collections/{id} needs of the store;
// *store.Store implements it.
type collectionEditor interface {
	UpdateCollection(ctx context.Context, c store.Collection, actor string) (store.Collection, error)
}

// metadata is a collection's catalog metadata with the service's
// defaults filled in: the publisher and contact from the catalog
// settings, the licence URL from the SPDX id.
func (s *Server) metadata(ci store.CollectionInfo) store.Metadata {
	m := ci.Metadata
	cat := s.catalog()
	if m.Publisher == "" {
		m.Publisher = cat.Publisher
	}
	if m.ContactName == "" {
		m.ContactName = cat.ContactName
	}
	if m.ContactEmail == "" {
		m.ContactEmail = cat.ContactEmail
	}
	if m.LicenseURL == "" && ci.License != "" {
		m.LicenseURL = licenseURL(ci.License)
	}
	return m
}

// contactDoc is a collection's contact point in its JSON.
type contactDoc struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// metadataDoc is the metadata part of a collection's JSON.
type metadataDoc struct {
	LicenseURL         string     `json:"licenseUrl,omitempty"`
	Publisher          string     `json:"publisher"`
	Contact            contactDoc `json:"contactPoint"`
	AccrualPeriodicity string     `json:"accrualPeriodicity,omitempty"`
	Theme              []string   `json:"theme,omitempty"`
	Attribution        string     `json:"attribution,omitempty"`
	// Updated is when the collection last changed (the change log's time
	// as this index saw it), RFC 3339 UTC.
	Updated string `json:"updated,omitempty"`
}

func (s *Server) metadataDoc(ci store.CollectionInfo) metadataDoc {
	m := s.metadata(ci)
	d := metadataDoc{
		LicenseURL: m.LicenseURL, Publisher: m.Publisher, Contact: contactDoc{m.ContactName, m.ContactEmail},
		AccrualPeriodicity: m.AccrualPeriodicity, Theme: m.Theme, Attribution: m.Attribution,
	}
	if !ci.Updated.IsZero() {
		d.Updated = ci.Updated.UTC().Format(time.RFC3339)
	}
	return d
}

// collectionPatch is the body of PATCH /collections/{id}: a JSON merge
// patch (RFC 7396) of the descriptive fields. A member left out keeps its
// value; null clears it.
type collectionPatch struct {
	Title              *string   `json:"title"`
	Description        *string   `json:"description"`
	License            *string   `json:"license"`
	Keywords           *[]string `json:"keywords"`
	LicenseURL         *string   `json:"licenseUrl"`
	Publisher          *string   `json:"publisher"`
	ContactName        *string   `json:"contactName"`
	ContactEmail       *string   `json:"contactEmail"`
	AccrualPeriodicity *string   `json:"accrualPeriodicity"`
	Theme              *[]string `json:"theme"`
	Attribution        *string   `json:"attribution"`
}

// collectionPatchSchema is the JSON schema of collectionPatch in the
// OpenAPI document.
var collectionPatchSchema = func() map[string]any {
	str := map[string]any{"type": "string", "nullable": true}
	list := map[string]any{"type": "array", "nullable": true, "items": map[string]any{"type": "string"}}
	props := map[string]any{}
	for _, n := range strings.Split(patchMembers, ", ") {
		props[n] = str
	}
	props["keywords"], props["theme"] = list, list
	props["contactEmail"] = map[string]any{"type": "string", "nullable": true, "format": "email"}
	props["licenseUrl"] = map[string]any{"type": "string", "nullable": true, "format": "uri"}
	props["accrualPeriodicity"] = map[string]any{"type": "string", "nullable": true, "description": "ISO 8601 repeating duration (R/P1W) or daily, weekly, monthly, quarterly, annual, irregular, ..."}
	return map[string]any{"type": "object", "additionalProperties": false, "properties": props}
}()

const patchMembers = "title, description, license, keywords, licenseUrl, publisher, contactName, contactEmail, accrualPeriodicity, theme, attribution"

// apply sets the members of p that are present on c. raw is the body, to
// tell null (clear) from absent.
func (p *collectionPatch) apply(c *store.Collection, raw map[string]json.RawMessage) error {
	str := func(name string, v *string, dst *string) {
		if _, ok := raw[name]; ok {
			*dst = ""
			if v != nil {
				*dst = *v
			}
		}
	}
	list := func(name string, v *[]string, dst *[]string) {
		if _, ok := raw[name]; ok {
			*dst = nil
			if v != nil && len(*v) > 0 {
				*dst = *v
			}
		}
	}
	str("title", p.Title, &c.Title)
	str("description", p.Description, &c.Description)
	str("license", p.License, &c.License)
	list("keywords", p.Keywords, &c.Keywords)
	str("licenseUrl", p.LicenseURL, &c.LicenseURL)
	str("publisher", p.Publisher, &c.Publisher)
	str("contactName", p.ContactName, &c.ContactName)
	str("contactEmail", p.ContactEmail, &c.ContactEmail)
	str("accrualPeriodicity", p.AccrualPeriodicity, &c.AccrualPeriodicity)
	list("theme", p.Theme, &c.Theme)
	str("attribution", p.Attribution, &c.Attribution)
	if c.Title == "" {
		return badBody("title", "a collection's title cannot be empty")
	}
	freq, err := store.Periodicity(c.AccrualPeriodicity)
	if err != nil {
		return badBody("accrualPeriodicity", "%s", trimSentinel(err))
	}
	c.AccrualPeriodicity = freq
	return nil
}

// patchCollection: PATCH /collections/{id} (admin) with a JSON merge patch
// of the collection's title, description, licence, keywords and metadata:
// 200 with the collection's document.
func (s *Server) patchCollection(c echo.Context) error {
	if _, err := s.collectionAdmin(c); err != nil {
		return err
	}
	ed, ok := s.store.(collectionEditor)
	if !ok {
		return echo.ErrMethodNotAllowed
	}
	id := c.Param("collectionId")
	ci, err := s.store.Collection(id)
	if err != nil {
		return s.unknownCollection(id)
	}
	body, err := s.readBody(c, mimeJSON, mimeMergePatch)
	if err != nil {
		return err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
		return badBody("", "the body must be a JSON object with some of %s", patchMembers)
	}
	var p collectionPatch
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return badBody("", "the body must be a JSON object with some of %s (strings; keywords and theme lists of strings): %v", patchMembers, err)
	}
	next := ci.Collection
	if err := p.apply(&next, raw); err != nil {
		return err
	}
	if _, err := ed.UpdateCollection(c.Request().Context(), next, keyName(c)); err != nil {
		return writeError(err, false)
	}
	ci, err = s.store.Collection(id)
	if err != nil {
		return s.unknownCollection(id)
	}
	return c.JSON(http.StatusOK, s.collectionDoc(c, ci))
}

// setMetadataLinks says, on a download's headers, where its metadata is
// (the collection, rel=describedby), its licence (rel=license) and the
// attribution it asks for (X-Attribution, percent-encoded UTF-8 as RFC
// 8187 extended values are).
func (s *Server) setMetadataLinks(c echo.Context, ci store.CollectionInfo) {
	m := s.metadata(ci)
	h := c.Response().Header()
	h.Add("Link", "<"+s.base(c)+"/collections/"+ci.ID+`>; rel="describedby"; type="application/json"`)
	if m.LicenseURL != "" {
		h.Add("Link", "<"+m.LicenseURL+`>; rel="license"`)
	}
	if m.Attribution != "" {
		h.Set("X-Attribution", "UTF-8''"+url.PathEscape(m.Attribution))
	}
}
