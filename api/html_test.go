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
	if r.status != 200 || !strings.Contains(string(r.body), "last updated <time datetime=") {
		t.Errorf("collection page: %d %s", r.status, r.body)
	}
}
