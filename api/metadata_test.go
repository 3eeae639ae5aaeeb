package api_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

type collMeta struct {
	Title, Description, License, LicenseURL, Publisher, AccrualPeriodicity, Attribution, Updated string
	Keywords, Theme                                                                              []string
	ContactPoint                                                                                 struct{ Name, Email string }
}

// TestPatchCollection: admins set a collection's metadata with PATCH; it
// shows in the collection's JSON and HTML, the collections list and both
// catalogs (data.json still valid DCAT-US), with the service's defaults
// where it has none, and updated follows the change. Others get 401/403,
// bad bodies a problem naming what is wrong.
func TestPatchCollection(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			b, _ := be.open(t)
			testPatchCollection(t, newWriteEnv(t, b))
		})
	}
}

func testPatchCollection(t *testing.T, e *writeEnv) {
	var m collMeta
	decode(t, get(t, e.srv, "/collections/signs"), &m)
	if m.ContactPoint.Email != "opendata@example.org" || m.Updated != "" || m.AccrualPeriodicity != "" {
		t.Errorf("before any metadata: %+v", m)
	}
	const patch = `{"description":"Every stop sign","license":"CC-BY-4.0","keywords":["stop","sign"],
		"publisher":"Public Works","contactName":"Sign shop","contactEmail":"signs@example.org",
		"accrualPeriodicity":"weekly","theme":["transport"],"attribution":"© City of Imperial"}`
	mp := []string{"Content-Type", "application/merge-patch+json"}
	wantStatus(t, "PATCH anonymous", e.do(t, "PATCH", "/collections/signs", "", patch, mp...), 401)
	wantStatus(t, "PATCH as editor", e.do(t, "PATCH", "/collections/signs", "editor", patch, mp...), 403)
	for name, tc := range map[string]struct {
		body, field string
		status      int
	}{
		"not JSON":      {`{"title":`, "", 400},
		"not an object": {`[1]`, "", 400},
		"unknown":       {`{"colour":"red"}`, "", 400},
		"wrong type":    {`{"theme":"transport"}`, "", 400},
		"empty title":   {`{"title":""}`, "title", 400},
		"frequency":     {`{"accrualPeriodicity":"now and then"}`, "accrualPeriodicity", 400},
		"e-mail":        {`{"contactEmail":"signs at example.org"}`, "", 422},
		"licence URL":   {`{"licenseUrl":"example.org/licence"}`, "", 422},
	} {
		r := e.do(t, "PATCH", "/collections/signs", "admin", tc.body, mp...)
		var p struct {
			Status int
			Detail string
			Field  string
		}
		decode(t, r, &p)
		if r.status != tc.status || p.Status != tc.status || p.Detail == "" || !strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") || (tc.field != "" && p.Field != tc.field) {
			t.Errorf("%s: %d %s %s", name, r.status, r.header.Get("Content-Type"), r.body)
		}
	}
	wantStatus(t, "PATCH a missing collection", e.do(t, "PATCH", "/collections/nope", "admin", patch, mp...), 404)
	wantStatus(t, "PATCH as text", e.do(t, "PATCH", "/collections/signs", "admin", patch, "Content-Type", "text/plain"), 415)

	before := time.Now().UTC().Truncate(time.Second)
	r := e.do(t, "PATCH", "/collections/signs", "admin", patch, mp...)
	wantStatus(t, "PATCH", r, 200)
	decode(t, r, &m)
	want := collMeta{Title: "Signs", Description: "Every stop sign", License: "CC-BY-4.0", LicenseURL: "https://spdx.org/licenses/CC-BY-4.0.html",
		Publisher: "Public Works", AccrualPeriodicity: "R/P1W", Attribution: "© City of Imperial",
		Keywords: []string{"stop", "sign"}, Theme: []string{"transport"}}
	want.ContactPoint.Name, want.ContactPoint.Email = "Sign shop", "signs@example.org"
	updated, err := time.Parse(time.RFC3339, m.Updated)
	if err != nil || updated.Before(before) || updated.After(time.Now().Add(time.Second)) {
		t.Errorf("updated %q after the PATCH at %v", m.Updated, before)
	}
	want.Updated = m.Updated
	for what, path := range map[string]string{"PATCH": "", "GET": "/collections/signs"} {
		if path != "" {
			m = collMeta{}
			decode(t, get(t, e.srv, path), &m)
		}
		if !equalJSON(t, m, want) {
			t.Errorf("%s: %+v, want %+v", what, m, want)
		}
	}
	var list struct{ Collections []collMeta }
	decode(t, get(t, e.srv, "/collections"), &list)
	found := false
	for _, c := range list.Collections {
		found = found || c.Publisher == "Public Works" && c.AccrualPeriodicity == "R/P1W"
	}
	if !found {
		t.Errorf("/collections lacks the metadata: %+v", list)
	}
	page := string(get(t, e.srv, "/collections/signs?f=html").body)
	for _, s := range []string{"Public Works", "mailto:signs@example.org", "R/P1W", "transport", "© City of Imperial", `href="https://spdx.org/licenses/CC-BY-4.0.html"`, m.Updated} {
		if !strings.Contains(page, htmlEscape(s)) && !strings.Contains(page, s) {
			t.Errorf("the collection's page lacks %q", s)
		}
	}
	r = get(t, e.srv, "/data.json")
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	if err := dcatSchema(t).Validate(doc); err != nil {
		t.Errorf("data.json with metadata does not validate: %v", err)
	}
	for _, s := range []string{`"accrualPeriodicity":"R/P1W"`, `"theme":["transport"]`, `"name":"Public Works"`, `"hasEmail":"mailto:signs@example.org"`, `"modified":"` + m.Updated} {
		if !bytes.Contains(r.body, []byte(s)) {
			t.Errorf("data.json lacks %s", s)
		}
	}
	ld := get(t, e.srv, "/catalog.jsonld").body
	for _, s := range []string{`"dct:accrualPeriodicity":"R/P1W"`, `"dcat:theme":["transport"]`, `"schema:name":"Public Works"`, `"dct:rights":"© City of Imperial"`} {
		if !bytes.Contains(ld, []byte(s)) {
			t.Errorf("catalog.jsonld lacks %s", s)
		}
	}

	// Downloads say where their metadata and licence are, and the credit due.
	dl := get(t, e.srv, "/collections/signs/download?f=csv")
	links := strings.Join(dl.header.Values("Link"), ", ")
	if !strings.Contains(links, `<https://spdx.org/licenses/CC-BY-4.0.html>; rel="license"`) || !strings.Contains(links, e.srv.URL+`/collections/signs>; rel="describedby"`) ||
		dl.header.Get("X-Attribution") != "UTF-8''%C2%A9%20City%20of%20Imperial" {
		t.Errorf("download headers: Link %q, X-Attribution %q", links, dl.header.Get("X-Attribution"))
	}
	// ... and the files that have a place for it carry it.
	var fc map[string]any
	decode(t, get(t, e.srv, "/collections/signs/download?f=geojson"), &fc)
	for k, v := range map[string]string{"license": "CC-BY-4.0", "license_url": want.LicenseURL, "publisher": "Public Works",
		"contact_email": "signs@example.org", "attribution": "© City of Imperial", "keywords": "stop, sign",
		"update_frequency": "R/P1W", "updated": m.Updated, "source": e.srv.URL + "/collections/signs"} {
		if fc[k] != v {
			t.Errorf("the GeoJSON download's %s is %v, want %q", k, fc[k], v)
		}
	}

	// null clears a member, back to the service's default; the rest stays.
	wantStatus(t, "PATCH null", e.do(t, "PATCH", "/collections/signs", "admin", `{"contactEmail":null,"theme":null}`, mp...), 200)
	m = collMeta{}
	decode(t, get(t, e.srv, "/collections/signs"), &m)
	if m.ContactPoint.Email != "opendata@example.org" || m.Theme != nil || m.Publisher != "Public Works" {
		t.Errorf("after clearing: %+v", m)
	}
}

// equalJSON reports whether a and b encode to the same JSON.
func equalJSON(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	return bytes.Equal(ja, jb)
}
