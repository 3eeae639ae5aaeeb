package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cityatlas/cityatlas/api"
	"github.com/cityatlas/cityatlas/demo"
)

// TestOGR2OGRWhere: ogr2ogr -where over OAPIF gets the rows the API's
// filter selects. The queries GDAL sends are logged, to show whether it
// passed the condition to the server as a CQL2 filter (GDAL 3.6 sends
// PROPERTY=VALUE and datetime where it can and filters the rest itself).
func TestOGR2OGRWhere(t *testing.T) {
	ogr2ogr, err := exec.LookPath("ogr2ogr")
	if err != nil {
		msg := "ogr2ogr not found: install the Debian/Ubuntu package gdal-bin"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	_, st := demoServer(t)
	var mu sync.Mutex
	var queries []string
	h := api.NewServer(st, api.Config{}, nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		queries = append(queries, r.URL.Path+"?"+r.URL.RawQuery)
		mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	g := func(p string) response { return get(t, srv, p) }
	for _, tc := range []struct{ coll, where, filter string }{
		{demo.StopSigns, "condition = 'poor' AND installed < '2000-01-01'", "condition = 'poor' AND installed < DATE('2000-01-01')"},
		{demo.WifiTowers, "provider LIKE 'City of Imp%'", "provider LIKE 'City of Imp%'"},
		{demo.TrafficSignals, "phases >= 6 OR has_ped_signal = 0", "phases >= 6 OR has_ped_signal = false"},
	} {
		t.Run(tc.coll, func(t *testing.T) {
			mu.Lock()
			queries = nil
			mu.Unlock()
			out := filepath.Join(t.TempDir(), "out.geojson")
			cmd := exec.Command(ogr2ogr, "-preserve_fid", "-f", "GeoJSON", out, "OAPIF:"+srv.URL+"/collections/"+tc.coll, "-where", tc.where)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("ogr2ogr: %v\n%s", err, b)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			var fc struct {
				Features []struct {
					ID         any            `json:"id"`
					Properties map[string]any `json:"properties"`
				} `json:"features"`
			}
			if err := json.Unmarshal(b, &fc); err != nil {
				t.Fatal(err)
			}
			got := map[int64]bool{}
			for _, f := range fc.Features {
				id, ok := f.Properties["id"].(float64)
				if !ok {
					id, _ = f.ID.(float64)
				}
				got[int64(id)] = true
			}
			mu.Lock()
			gdal := append([]string(nil), queries...)
			mu.Unlock()
			want := filtered(t, g, tc.coll, tc.filter, "")
			if len(want) == 0 || !sameSet(got, want) {
				t.Logf("%.600s", b)
				t.Errorf("ogr2ogr -where %q: %d rows; the API's filter %q: %d", tc.where, len(got), tc.filter, len(want))
			}
			pushed := false
			for _, q := range gdal {
				if strings.Contains(q, "filter=") {
					pushed = true
				}
			}
			t.Logf("GDAL passed the condition to the server as a CQL2 filter: %v; its requests: %q", pushed, gdal)
		})
	}
}

// TestDatetimeGDALDate: GDAL 3.6 writes a date bound as "2000-01-01T"; it
// reads as the date.
func TestDatetimeGDALDate(t *testing.T) {
	srv, _ := demoServer(t)
	var a, b featureCollection
	decode(t, get(t, srv, "/collections/stop_signs/items?limit=1&datetime=../2000-01-01T"), &a)
	decode(t, get(t, srv, "/collections/stop_signs/items?limit=1&datetime=../2000-01-01"), &b)
	if a.NumberMatched != b.NumberMatched || a.NumberMatched == 0 {
		t.Errorf("datetime=../2000-01-01T matches %d, ../2000-01-01 %d", a.NumberMatched, b.NumberMatched)
	}
}
