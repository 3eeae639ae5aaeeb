package web_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cityatlas/cityatlas/web"
)

// TestPagesInBrowser runs web/map/test/pages.test.mjs: the dataset page,
// the items page and the feature page of the demo city in Debian's
// Chromium (their small maps, download buttons, attribute table sorting
// and paging, field list), against the real server. Missing node, npm or
// chromium skip it, or fail it when CI=true.
func TestPagesInBrowser(t *testing.T) {
	b := newBrowserTest(t)
	city := demoServer(t, web.Config{})
	out := filepath.Join(b.out, "pages")
	b.run(t, "pages.test.mjs", nil, city.URL, out)
	for _, png := range []string{"dataset-page.png", "items-page.png", "feature-page.png"} {
		if _, err := os.Stat(filepath.Join(out, png)); err != nil {
			t.Errorf("no screenshot: %v", err)
		}
	}
}
