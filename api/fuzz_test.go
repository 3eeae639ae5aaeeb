package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzQueries sends arbitrary query strings to every read endpoint of the
// real router on the demo store: no input may give a 5xx or a panic, and
// every 4xx must be a problem document.
func FuzzQueries(f *testing.F) {
	for _, seed := range []string{
		"bbox=-115.6,32.8,-115.5,32.9&limit=5",
		"bbox=1,2,3&limit=0",
		"datetime=2010-01-01/..&condition=poor",
		"datetime=../..&offset=-3",
		"limit=99999999999999999999",
		"bbox=NaN,1,2,3",
		"f=html&bbox=-180,-90,180,90",
		"f=csv&sign_size_in=36",
		"lon=-115.57&lat=32.85&radius=300&groupby=condition",
		"stop_signs.status=active&collections=stop_signs,parks",
		"bbox-crs=EPSG:4326&bbox=1,2,3,4",
		"%zz=1",
		"groupby=&groupby=status",
		"filter=condition%20%3D%20%27poor%27%20AND%20installed%20%3C%20DATE(%272000-01-01%27)&sortby=-installed,id",
		"filter=S_INTERSECTS(geometry,BBOX(-115.6,32.8,-115.5,32.9))&properties=name",
		"filter-lang=cql2-json&filter=%7B%22op%22%3A%22isNull%22%2C%22args%22%3A%5B%7B%22property%22%3A%22plaque%22%7D%5D%7D",
		"filter=T_DURING(INTERVAL(installed,last_inspected),INTERVAL(%27..%27,%272020-01-01%27))&filter-crs=x",
	} {
		f.Add("/collections/stop_signs/items", seed)
		f.Add("/count", seed)
	}
	f.Add("/collections/stop_signs/stats", "groupby=status&bbox=-116,32,-115,33")
	f.Add("/collections/stop_signs/tiles/WebMercatorQuad/14/6607/2932", "status=active")
	f.Add("/collections/stop_signs/items/1", "f=html")
	srv, _ := demoServer(f)
	h := srv.Config.Handler
	paths := []string{"/collections/stop_signs/items", "/collections/parks/items", "/count", "/collections/traffic_signals/stats",
		"/collections/stop_signs/tiles/WebMercatorQuad/14/6607/2932", "/tiles/12/1466/3303", "/collections/parks/items/1", "/collections", "/"}
	f.Fuzz(func(t *testing.T, path, query string) {
		if !strings.HasPrefix(path, "/") {
			path = paths[len(path)%len(paths)]
		}
		req, err := http.NewRequest(http.MethodGet, "http://localhost"+path+"?"+query, nil)
		if err != nil {
			return // not a URL a client could send
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("GET %s?%s: %d %s", path, query, rec.Code, rec.Body.String())
		}
		if strings.Contains(rec.Body.String(), "problems/unknown-host") {
			t.Fatalf("GET %s?%s: the Host check answered, not the handler: %s", path, query, rec.Body.String())
		}
		if rec.Code >= 400 && rec.Header().Get("Content-Type") != "application/problem+json" {
			t.Fatalf("GET %s?%s: %d with Content-Type %q", path, query, rec.Code, rec.Header().Get("Content-Type"))
		}
	})
}
