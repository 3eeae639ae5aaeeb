package api_test

import (
	"encoding/json"
	"mime"
	"net/url"
	"strings"
	"testing"
)

// TestEveryLinkHasAType walks the service's JSON documents from the landing
// page, following every link on the server, and checks that every link has
// a media type and that following it gives that type.
func TestEveryLinkHasAType(t *testing.T) {
	srv, _ := demoServer(t)
	type link struct{ Href, Rel, Type string }
	seen := map[string]bool{}
	queue := []string{"/"}
	checked, walked := 0, 0
	for len(queue) > 0 && walked < 150 {
		path := queue[0]
		queue = queue[1:]
		r := get(t, srv, path, "Accept", "application/json")
		if r.status != 200 {
			t.Errorf("%s: %d %s", path, r.status, r.body)
			continue
		}
		walked++
		if mt, _, _ := mime.ParseMediaType(r.header.Get("Content-Type")); !strings.HasSuffix(mt, "json") {
			continue
		}
		var doc any
		if err := json.Unmarshal(r.body, &doc); err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		var links []link
		collectLinks(doc, func(m map[string]any) {
			l := link{}
			l.Href, _ = m["href"].(string)
			l.Rel, _ = m["rel"].(string)
			l.Type, _ = m["type"].(string)
			links = append(links, l)
		})
		for _, l := range links {
			checked++
			if l.Type == "" {
				t.Errorf("%s: the %q link to %s has no type", path, l.Rel, l.Href)
				continue
			}
			u, err := url.Parse(l.Href)
			if err != nil || strings.Contains(l.Href, "{") || !strings.HasPrefix(l.Href, srv.URL) {
				continue // a template, or another site
			}
			p := strings.TrimPrefix(l.Href, srv.URL)
			if seen[p] || strings.Contains(u.Path, "/download") || strings.Contains(u.Path, "/tiles/WebMercatorQuad/") {
				continue
			}
			seen[p] = true
			fr := get(t, srv, p, "Accept", l.Type)
			if fr.status != 200 {
				t.Errorf("%s: the %q link to %s answers %d", path, l.Rel, p, fr.status)
				continue
			}
			got, _, _ := mime.ParseMediaType(fr.header.Get("Content-Type"))
			want, _, _ := mime.ParseMediaType(l.Type)
			if got != want {
				t.Errorf("%s: the %q link to %s says %s, the answer is %s", path, l.Rel, p, want, got)
			}
			if strings.HasSuffix(want, "json") {
				queue = append(queue, p)
			}
		}
	}
	if checked < 100 || walked < 20 {
		t.Fatalf("walked only %d documents, %d links", walked, checked)
	}
	t.Logf("%d documents walked, %d links checked", walked, checked)
}

// collectLinks calls fn with every member of every "links" array in v.
func collectLinks(v any, fn func(map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if k == "links" {
				if arr, ok := x.([]any); ok {
					for _, l := range arr {
						if m, ok := l.(map[string]any); ok {
							fn(m)
						}
					}
					continue
				}
			}
			collectLinks(x, fn)
		}
	case []any:
		for _, x := range v {
			collectLinks(x, fn)
		}
	}
}
