package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/cityatlas/cityatlas/api"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestOpenAPIValidates loads /api with an independent OpenAPI 3 library and
// validates it: every path, parameter reference and schema must resolve.
func TestOpenAPIValidates(t *testing.T) {
	srv, st := demoServer(t)
	r := get(t, srv, "/api")
	if r.status != 200 {
		t.Fatalf("GET /api: %d", r.status)
	}
	doc, err := openapi3.NewLoader().LoadFromData(r.body)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the OpenAPI document is not valid: %v", err)
	}
	for _, ci := range st.Collections() {
		p := doc.Paths.Find("/collections/" + ci.ID + "/items")
		if p == nil || p.Get == nil {
			t.Fatalf("no items path for %s", ci.ID)
		}
		names := map[string]bool{}
		for _, pr := range p.Get.Parameters {
			names[pr.Value.Name] = true
		}
		for _, want := range []string{"bbox", "limit", "offset", "datetime", ci.Fields[0].Name} {
			if !names[want] {
				t.Errorf("%s items: no parameter %q", ci.ID, want)
			}
		}
	}
}

// TestOpenAPICoversEveryRoute walks the router and the OpenAPI document
// together: every route must be documented, so a route added to routes.go
// without its path in openapi.go (or openapi_paths.go) fails here.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	srv, st := demoServer(t)
	doc, err := openapi3.NewLoader().LoadFromData(get(t, srv, "/api").body)
	if err != nil {
		t.Fatal(err)
	}
	e := api.NewServer(st, api.Config{}, nil).Echo()
	n := 0
	for _, rt := range e.Routes() {
		if rt.Method == "echo_route_not_found" || strings.HasSuffix(rt.Path, "*") {
			continue
		}
		n++
		path := oaPath(rt.Path)
		var want []string
		if strings.Contains(path, "{collectionId}") {
			for _, ci := range st.Collections() {
				want = append(want, strings.ReplaceAll(path, "{collectionId}", ci.ID))
			}
		} else {
			want = []string{path}
		}
		for _, p := range want {
			item := doc.Paths.Value(p)
			if item == nil || item.GetOperation(rt.Method) == nil {
				t.Errorf("route %s %s is not in the OpenAPI document: add a path %q with a %q operation to api/openapi.go or api/openapi_paths.go",
					rt.Method, rt.Path, path, strings.ToLower(rt.Method))
				break
			}
		}
	}
	if n < 15 {
		t.Fatalf("only %d routes walked", n)
	}
}

// oaPath turns echo's /a/:b/c into OpenAPI's /a/{b}/c.
func oaPath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if strings.HasPrefix(s, ":") {
			parts[i] = "{" + s[1:] + "}"
		}
	}
	return strings.Join(parts, "/")
}

// TestServiceDoc: the landing page's service-doc is an HTML page that
// documents every operation of the OpenAPI document, with its parameters.
func TestServiceDoc(t *testing.T) {
	srv, _ := demoServer(t)
	var landing struct {
		Links []struct{ Href, Rel, Type string }
	}
	decode(t, get(t, srv, "/?f=json"), &landing)
	href := ""
	for _, l := range landing.Links {
		if l.Rel == "service-doc" && l.Type == "text/html" {
			href = l.Href
		}
	}
	if href == "" {
		t.Fatalf("no service-doc link of type text/html on the landing page: %+v", landing.Links)
	}
	page := get(t, srv, strings.TrimPrefix(href, srv.URL))
	if page.status != 200 || !strings.HasPrefix(page.header.Get("Content-Type"), "text/html") {
		t.Fatalf("service-doc: %d %s", page.status, page.header.Get("Content-Type"))
	}
	body := string(page.body)
	doc, err := openapi3.NewLoader().LoadFromData(get(t, srv, "/api?f=json").body)
	if err != nil {
		t.Fatal(err)
	}
	ops := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			ops++
			if !strings.Contains(body, "<code>"+method+" "+htmlEscape(path)+"</code>") {
				t.Errorf("service-doc lacks %s %s", method, path)
			}
			for _, p := range op.Parameters {
				if !strings.Contains(body, "<code>"+htmlEscape(p.Value.Name)+"</code>") {
					t.Errorf("service-doc lacks the parameter %s of %s %s", p.Value.Name, method, path)
				}
			}
		}
	}
	if ops < 20 {
		t.Fatalf("only %d operations in the document", ops)
	}
	// A browser asking /api gets the page; a tool gets the JSON.
	if r := get(t, srv, "/api", "Accept", "text/html,application/xhtml+xml"); !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Errorf("a browser's /api: %s", r.header.Get("Content-Type"))
	}
	if r := get(t, srv, "/api"); !strings.HasPrefix(r.header.Get("Content-Type"), "application/vnd.oai.openapi+json") {
		t.Errorf("a tool's /api: %s", r.header.Get("Content-Type"))
	}
}
