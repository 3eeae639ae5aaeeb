package api_test

import (
	"strings"
	"testing"
)

// TestCollectionPageUpdated: the collection's page says when its data last
// changed, as a <time> element.
func TestCollectionPageUpdated(t *testing.T) {
	srv, _ := demoServer(t)
	r := get(t, srv, "/collections/parks?f=html")
	if r.status != 200 || !strings.Contains(string(r.body), "<dt>Last updated</dt><dd><time datetime=") {
		t.Errorf("collection page: %d %s", r.status, r.body)
	}
}

// TestFeaturePageNoRawGeometry: the feature's page links its GeoJSON
// instead of printing the geometry's coordinates.
func TestFeaturePageNoRawGeometry(t *testing.T) {
	srv, _ := demoServer(t)
	r := get(t, srv, "/collections/parks/items?f=html&limit=1")
	i := strings.Index(string(r.body), "/collections/parks/items/")
	if i < 0 {
		t.Fatalf("no feature link: %s", r.body)
	}
	href := string(r.body[i:])
	href = href[:strings.IndexAny(href, "?\"")]
	p := get(t, srv, href+"?f=html")
	if p.status != 200 || strings.Contains(string(p.body), "coordinates") || !strings.Contains(string(p.body), "this feature as GeoJSON") {
		t.Errorf("feature page %s: %d %s", href, p.status, p.body)
	}
}
