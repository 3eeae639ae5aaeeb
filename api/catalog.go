package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cityatlas/cityatlas/formats"
	"github.com/cityatlas/cityatlas/store"
)

// Catalog holds the publisher settings of the data catalogs (/data.json,
// /catalog.jsonld).
type Catalog struct {
	// Publisher names the organisation that publishes the data (default:
	// the service title).
	Publisher string
	// ContactName and ContactEmail are the datasets' contact point
	// (defaults: the publisher, opendata@example.org).
	ContactName  string
	ContactEmail string
	// BureauCode and ProgramCode are the US federal codes that DCAT-US 1.1
	// requires (OMB A-11 "015:11", Federal Program Inventory "015:001");
	// a non-federal publisher keeps the defaults "000:00" and "000:000".
	BureauCode  string
	ProgramCode string
}

func (s *Server) catalog() Catalog {
	c := s.cfg.Catalog
	if c.Publisher == "" {
		c.Publisher = s.cfg.Title
	}
	if c.ContactName == "" {
		c.ContactName = c.Publisher
	}
	if c.ContactEmail == "" {
		c.ContactEmail = "opendata@example.org"
	}
	if c.BureauCode == "" {
		c.BureauCode = "000:00"
	}
	if c.ProgramCode == "" {
		c.ProgramCode = "000:000"
	}
	return c
}

const dcatUS = "https://project-open-data.cio.gov/v1.1/schema"

// dataJSON serves the DCAT-US 1.1 (Project Open Data) catalog: one dataset
// a collection, each with a distribution a download format and one for the
// OGC API.
func (s *Server) dataJSON(c echo.Context) error {
	if err := checkParams(c.QueryParams()); err != nil {
		return err
	}
	cat := s.catalog()
	b := s.base(c)
	var datasets []any
	for _, ci := range s.store.Collections() {
		if ci.Private { // the catalog publishes open data only (auth.go)
			continue
		}
		datasets = append(datasets, s.dcatDataset(c, ci, cat))
	}
	if datasets == nil {
		datasets = []any{}
	}
	body := map[string]any{
		"@context":    dcatUS + "/catalog.jsonld",
		"@id":         b + "/data.json",
		"@type":       "dcat:Catalog",
		"conformsTo":  dcatUS,
		"describedBy": dcatUS + "/catalog.json",
		"dataset":     datasets,
	}
	return c.JSON(http.StatusOK, body)
}

func (s *Server) dcatDataset(c echo.Context, ci store.CollectionInfo, cat Catalog) map[string]any {
	b := s.base(c)
	keywords := ci.Keywords
	if len(keywords) == 0 {
		keywords = []string{strings.ReplaceAll(ci.ID, "_", " ")}
	}
	modified := ci.Updated
	if modified.IsZero() {
		modified = ci.Created
	}
	m := s.metadata(ci)
	var dists []any
	for _, f := range formats.All {
		mt, _, _ := strings.Cut(f.MediaType, ";")
		dists = append(dists, map[string]any{
			"@type": "dcat:Distribution", "downloadURL": b + downloadPath(ci.ID) + "?f=" + f.Name,
			"mediaType": mt, "format": f.Title, "title": ci.Title + " as " + f.Title,
		})
	}
	dists = append(dists, map[string]any{
		"@type": "dcat:Distribution", "accessURL": b + "/collections/" + ci.ID + "/items",
		"format": "API", "title": ci.Title + " through OGC API - Features",
		"conformsTo":  "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
		"describedBy": b + "/api", "describedByType": "application/vnd.oai.openapi+json",
	})
	d := map[string]any{
		"@type":           "dcat:Dataset",
		"title":           ci.Title,
		"description":     orDefault(ci.Description, ci.Title),
		"keyword":         keywords,
		"modified":        modified.UTC().Format(time.RFC3339),
		"publisher":       map[string]any{"@type": "org:Organization", "name": m.Publisher},
		"contactPoint":    map[string]any{"@type": "vcard:Contact", "fn": m.ContactName, "hasEmail": "mailto:" + m.ContactEmail},
		"identifier":      b + "/collections/" + ci.ID,
		"accessLevel":     "public",
		"bureauCode":      []string{cat.BureauCode},
		"programCode":     []string{cat.ProgramCode},
		"landingPage":     b + "/collections/" + ci.ID + "?f=html",
		"describedBy":     b + "/collections/" + ci.ID + "/queryables",
		"describedByType": "application/schema+json",
		"distribution":    dists,
	}
	if !ci.Created.IsZero() {
		d["issued"] = ci.Created.UTC().Format(time.DateOnly)
	}
	if m.LicenseURL != "" {
		d["license"] = m.LicenseURL
	}
	if m.AccrualPeriodicity != "" {
		d["accrualPeriodicity"] = m.AccrualPeriodicity
	}
	if len(m.Theme) > 0 {
		d["theme"] = m.Theme
	}
	if m.Attribution != "" {
		d["rights"] = m.Attribution
	}
	if ci.HasExtent {
		e := ci.Extent
		d["spatial"] = strconv.FormatFloat(e[0], 'f', -1, 64) + "," + strconv.FormatFloat(e[1], 'f', -1, 64) + "," +
			strconv.FormatFloat(e[2], 'f', -1, 64) + "," + strconv.FormatFloat(e[3], 'f', -1, 64)
	}
	if ci.HasTime {
		d["temporal"] = ci.TimeExtent[0].UTC().Format(time.RFC3339) + "/" + ci.TimeExtent[1].UTC().Format(time.RFC3339)
	}
	return d
}

// catalogJSONLD serves the catalog as DCAT-AP JSON-LD, each dataset also a
// schema.org Dataset (which search engines read).
func (s *Server) catalogJSONLD(c echo.Context) error {
	if err := checkParams(c.QueryParams()); err != nil {
		return err
	}
	cat := s.catalog()
	b := s.base(c)
	datasets := []any{}
	for _, ci := range s.store.Collections() {
		if ci.Private { // open data only
			continue
		}
		var dists []any
		for _, f := range formats.All {
			mt, _, _ := strings.Cut(f.MediaType, ";")
			u := b + downloadPath(ci.ID) + "?f=" + f.Name
			dists = append(dists, map[string]any{
				"@type":            []string{"dcat:Distribution", "schema:DataDownload"},
				"dcat:downloadURL": map[string]any{"@id": u}, "dcat:accessURL": map[string]any{"@id": u},
				"dcat:mediaType": map[string]any{"@id": "https://www.iana.org/assignments/media-types/" + mt},
				"dct:format":     f.Title, "dct:title": ci.Title + " as " + f.Title,
				"schema:contentUrl": u, "schema:encodingFormat": mt, "schema:name": ci.Title + " as " + f.Title,
			})
		}
		m := s.metadata(ci)
		ds := map[string]any{
			"@id":            b + "/collections/" + ci.ID,
			"@type":          []string{"dcat:Dataset", "schema:Dataset"},
			"dct:identifier": ci.ID, "dct:title": ci.Title, "schema:name": ci.Title,
			"dct:description": orDefault(ci.Description, ci.Title), "schema:description": orDefault(ci.Description, ci.Title),
			"dcat:keyword": ci.Keywords, "schema:keywords": ci.Keywords,
			"dct:publisher":     map[string]any{"@type": []string{"foaf:Agent", "schema:Organization"}, "foaf:name": m.Publisher, "schema:name": m.Publisher},
			"dcat:contactPoint": map[string]any{"@type": "vcard:Kind", "vcard:fn": m.ContactName, "vcard:hasEmail": map[string]any{"@id": "mailto:" + m.ContactEmail}},
			"dcat:landingPage":  map[string]any{"@id": b + "/collections/" + ci.ID + "?f=html"},
			"schema:url":        b + "/collections/" + ci.ID + "?f=html",
			"dcat:distribution": dists, "schema:distribution": dists,
		}
		if !ci.Updated.IsZero() {
			ds["dct:modified"] = map[string]any{"@value": ci.Updated.UTC().Format(time.RFC3339), "@type": "xsd:dateTime"}
			ds["schema:dateModified"] = ci.Updated.UTC().Format(time.RFC3339)
		}
		addJSONLDMetadata(ds, m)
		if ci.HasExtent {
			e := ci.Extent
			box := strconv.FormatFloat(e[1], 'f', -1, 64) + " " + strconv.FormatFloat(e[0], 'f', -1, 64) + " " +
				strconv.FormatFloat(e[3], 'f', -1, 64) + " " + strconv.FormatFloat(e[2], 'f', -1, 64)
			ds["schema:spatialCoverage"] = map[string]any{"@type": "schema:Place", "schema:geo": map[string]any{"@type": "schema:GeoShape", "schema:box": box}}
		}
		datasets = append(datasets, ds)
	}
	body := map[string]any{
		"@context": map[string]any{
			"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/", "foaf": "http://xmlns.com/foaf/0.1/",
			"vcard": "http://www.w3.org/2006/vcard/ns#", "xsd": "http://www.w3.org/2001/XMLSchema#", "schema": "https://schema.org/",
		},
		"@id": b + "/catalog.jsonld", "@type": "dcat:Catalog",
		"dct:title": s.cfg.Title, "dct:description": orDefault(s.cfg.Description, s.cfg.Title),
		"dct:publisher": map[string]any{"@type": "foaf:Agent", "foaf:name": cat.Publisher},
		"dcat:dataset":  datasets,
	}
	c.Response().Header().Set(echo.HeaderContentType, "application/ld+json")
	return c.JSON(http.StatusOK, body)
}

// addJSONLDMetadata puts the licence, update frequency, themes and
// attribution of m on a JSON-LD dataset.
func addJSONLDMetadata(ds map[string]any, m store.Metadata) {
	if m.LicenseURL != "" {
		ds["dct:license"] = map[string]any{"@id": m.LicenseURL}
		ds["schema:license"] = m.LicenseURL
	}
	if m.AccrualPeriodicity != "" {
		ds["dct:accrualPeriodicity"] = m.AccrualPeriodicity
	}
	if len(m.Theme) > 0 {
		ds["dcat:theme"] = m.Theme
		ds["schema:about"] = m.Theme
	}
	if m.Attribution != "" {
		ds["dct:rights"] = m.Attribution
		ds["schema:creditText"] = m.Attribution
	}
}
