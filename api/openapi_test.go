package api_test

import (
	"context"
	"testing"

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
