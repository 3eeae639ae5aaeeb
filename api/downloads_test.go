package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cityatlas/cityatlas/api"
	"github.com/cityatlas/cityatlas/demo"
	"github.com/cityatlas/cityatlas/formats"
)

func needGDAL(t *testing.T, tool string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		msg := tool + " not found: install the Debian/Ubuntu package gdal-bin"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

func TestCollectionLinksEveryDownload(t *testing.T) {
	srv, st := demoServer(t)
	var body struct {
		Collections []struct {
			ID    string `json:"id"`
			Links []struct{ Href, Rel, Type, Title string }
		}
	}
	decode(t, get(t, srv, "/collections"), &body)
	if len(body.Collections) != len(st.Collections()) {
		t.Fatalf("%d collections", len(body.Collections))
	}
	for _, c := range body.Collections {
		got := map[string]bool{}
		for _, l := range c.Links {
			if l.Rel == "enclosure" {
				if l.Title == "" || l.Type == "" || strings.Contains(l.Href, "limit=") {
					t.Errorf("%s: enclosure link %+v", c.ID, l)
				}
				got[l.Type] = true
			}
		}
		for _, f := range formats.All {
			if !got[f.MediaType] {
				t.Errorf("%s has no enclosure link of type %s", c.ID, f.MediaType)
			}
		}
	}
	for _, page := range []string{"/?f=html", "/collections/" + demo.StopSigns + "?f=html"} {
		r := get(t, srv, page)
		if !strings.Contains(string(r.body), "/collections/"+demo.StopSigns+"/download?f=gpkg") || strings.Contains(string(r.body), "limit=10000") {
			t.Errorf("%s does not link the whole-layer downloads", page)
		}
	}
}

// TestDownloadsGDAL downloads the stop signs in every format GDAL reads and
// checks that GDAL counts every feature.
func TestDownloadsGDAL(t *testing.T) {
	ogrinfo := needGDAL(t, "ogrinfo")
	_, st := demoServer(t)
	const maxLimit = 500
	srv := httptest.NewServer(api.NewServer(st, api.Config{MaxLimit: maxLimit}, nil))
	defer srv.Close()
	ci, err := st.Collection(demo.StopSigns)
	if err != nil {
		t.Fatal(err)
	}
	if ci.Count <= maxLimit {
		t.Fatalf("the demo stop signs are %d: the test wants more than the largest page", ci.Count)
	}
	dir := t.TempDir()
	countRe := regexp.MustCompile(`Feature Count: (\d+)`)
	for _, f := range formats.All {
		if f.Name == "parquet" {
			continue // no Parquet driver in Debian 12's GDAL 3.6; see the formats tests
		}
		t.Run(f.Name, func(t *testing.T) {
			r := get(t, srv, "/collections/"+demo.StopSigns+"/download?f="+f.Name)
			if r.status != 200 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			if r.header.Get("Content-Type") != f.MediaType || r.header.Get("ETag") == "" || r.header.Get("Last-Modified") == "" {
				t.Errorf("headers %v", r.header)
			}
			if cd := r.header.Get("Content-Disposition"); cd != `attachment; filename="stop_signs.`+f.Ext+`"` {
				t.Errorf("Content-Disposition %q", cd)
			}
			path := filepath.Join(dir, "stop_signs."+f.Ext)
			if err := os.WriteFile(path, r.body, 0o644); err != nil {
				t.Fatal(err)
			}
			src := path
			args := []string{"-so", "-al"}
			switch f.Name {
			case "shp":
				src = "/vsizip/" + path + "/stop_signs.shp"
			case "ndjson":
				src = "GeoJSONSeq:" + path
			case "csv":
				args = append(args, "-oo", "X_POSSIBLE_NAMES=longitude", "-oo", "Y_POSSIBLE_NAMES=latitude")
			}
			out, err := exec.Command(ogrinfo, append(args, src)...).CombinedOutput()
			if err != nil {
				t.Fatalf("ogrinfo: %v\n%s", err, out)
			}
			m := countRe.FindSubmatch(out)
			if m == nil {
				t.Fatalf("no feature count in:\n%s", out)
			}
			if n, _ := strconv.Atoi(string(m[1])); n != ci.Count {
				t.Errorf("GDAL counts %d features, the collection has %d", n, ci.Count)
			}
		})
	}
}

// TestDownloadValues compares a GeoPackage download of a query, read by
// GDAL, with the items endpoint's answer to the same query.
func TestDownloadValues(t *testing.T) {
	ogr2ogr := needGDAL(t, "ogr2ogr")
	srv, _ := demoServer(t)
	q := "bbox=-115.58,32.84,-115.54,32.87"
	var fc featureCollection
	decode(t, get(t, srv, "/collections/"+demo.StopSigns+"/items?limit=10000&"+q), &fc)
	if fc.NumberMatched == 0 {
		t.Fatal("the query selects nothing")
	}
	for _, name := range []string{"gpkg", "fgb", "shp"} {
		t.Run(name, func(t *testing.T) {
			r := get(t, srv, "/collections/"+demo.StopSigns+"/download?f="+name+"&"+q)
			if r.status != 200 || r.header.Get("X-Number-Matched") != strconv.Itoa(fc.NumberMatched) {
				t.Fatalf("status %d, X-Number-Matched %q", r.status, r.header.Get("X-Number-Matched"))
			}
			if !strings.Contains(r.header.Get("Content-Disposition"), "stop_signs-selection.") {
				t.Errorf("Content-Disposition %q", r.header.Get("Content-Disposition"))
			}
			f, _ := formats.Lookup(name)
			path := filepath.Join(t.TempDir(), "x."+f.Ext)
			os.WriteFile(path, r.body, 0o644)
			if name == "shp" {
				path = "/vsizip/" + path
			}
			out, err := exec.Command(ogr2ogr, "-f", "GeoJSON", "-preserve_fid", "/vsistdout/", path).Output()
			if err != nil {
				t.Fatal(err)
			}
			var got featureCollection
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatal(err)
			}
			if len(got.Features) != fc.NumberMatched {
				t.Fatalf("GDAL reads %d features, items matched %d", len(got.Features), fc.NumberMatched)
			}
			for i, want := range fc.Features {
				g := got.Features[i]
				id := g.ID
				if v, ok := g.Properties["id"].(float64); ok {
					id = int64(v)
				}
				if id != want.ID || string(g.Geometry) == "" {
					t.Fatalf("feature %d: id %d", i, id)
				}
				for k, v := range want.Properties {
					gk := k
					if name == "shp" && len(gk) > 10 {
						gk = gk[:10]
					}
					gv := g.Properties[gk]
					if s, ok := gv.(string); ok && name == "shp" && strings.Count(s, "/") == 2 {
						gv = strings.ReplaceAll(s, "/", "-") // GDAL prints .dbf dates as YYYY/MM/DD
					}
					if b, ok := v.(bool); ok && name != "fgb" {
						v = map[bool]any{true: float64(1), false: float64(0)}[b]
						if name == "shp" {
							v = map[bool]any{true: "T", false: "F"}[b]
						}
					}
					if gv != v {
						t.Errorf("feature %d: %s = %#v, want %#v", want.ID, k, gv, v)
					}
				}
			}
		})
	}
}

func TestDownloadCaching(t *testing.T) {
	srv, _ := demoServer(t)
	path := "/collections/" + demo.Parks + "/download?f=kml"
	r := get(t, srv, path)
	tag, lm := r.header.Get("ETag"), r.header.Get("Last-Modified")
	if r.status != 200 || tag == "" || lm == "" {
		t.Fatalf("status %d, ETag %q, Last-Modified %q", r.status, tag, lm)
	}
	if r := get(t, srv, path, "If-None-Match", tag); r.status != 304 || len(r.body) != 0 {
		t.Errorf("If-None-Match: status %d", r.status)
	}
	if r := get(t, srv, path, "If-Modified-Since", lm); r.status != 304 {
		t.Errorf("If-Modified-Since: status %d", r.status)
	}
	if r := get(t, srv, path+"&bbox=-116,32,-115,33", "If-None-Match", tag); r.status != 200 {
		t.Errorf("another query with the same tag: status %d", r.status)
	}
	if r := get(t, srv, "/collections/"+demo.Parks+"/download?f=gpkg", "If-None-Match", tag); r.status != 200 {
		t.Errorf("another format with the same tag: status %d", r.status)
	}
}

func TestDownloadBadParameters(t *testing.T) {
	srv, _ := demoServer(t)
	for _, tc := range []struct{ query, param string }{
		{"f=xlsx", "f"},
		{"f=csv&properties=colour", "properties"},
		{"f=csv&crs=http://www.opengis.net/def/crs/EPSG/0/27700", "crs"},
		{"f=gpkg&crs=http://www.opengis.net/def/crs/EPSG/0/3857", "crs"},
		{"f=csv&limit=5", "limit"},
		{"f=csv&bbox=1,2,3", "bbox"},
	} {
		r := get(t, srv, "/collections/"+demo.StopSigns+"/download?"+tc.query)
		var p api.Problem
		decode(t, r, &p)
		if r.status != 400 || p.Parameter != tc.param {
			t.Errorf("%s: status %d, problem %+v", tc.query, r.status, p)
		}
	}
	if r := get(t, srv, "/collections/nope/download?f=csv"); r.status != 404 {
		t.Errorf("unknown collection: status %d", r.status)
	}
}

func TestDownloadProperties(t *testing.T) {
	srv, _ := demoServer(t)
	r := get(t, srv, "/collections/"+demo.StopSigns+"/download?f=csv&properties=condition")
	head, _, _ := strings.Cut(string(r.body), "\n")
	if r.status != 200 || head != "id,condition,longitude,latitude,wkt" {
		t.Errorf("status %d, header %q", r.status, head)
	}
}

// TestBrokenDownloadIsVisible cancels a download's request half-way, as a
// timeout would, and checks that the client sees an error rather than a
// file that looks whole.
func TestBrokenDownloadIsVisible(t *testing.T) {
	_, st := demoServer(t)
	h := api.NewServer(st, api.Config{}, nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		h.ServeHTTP(&cancelAfter{ResponseWriter: w, cancel: cancel, after: 16 << 10}, r.WithContext(ctx))
	}))
	defer srv.Close()
	for _, f := range []string{"geojson", "csv", "fgb"} {
		res, err := http.Get(srv.URL + "/collections/" + demo.StopSigns + "/download?f=" + f)
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%s: status %d, read %d bytes, error %v: want an unexpected EOF", f, res.StatusCode, n, err)
		}
	}
}

// cancelAfter cancels the request's context once after bytes are written.
type cancelAfter struct {
	http.ResponseWriter
	cancel func()
	after  int
	n      int
}

func (c *cancelAfter) Write(b []byte) (int, error) {
	c.n += len(b)
	if c.n >= c.after {
		c.cancel()
	}
	return c.ResponseWriter.Write(b)
}

func (c *cancelAfter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

func TestDownloadEncodingAndHead(t *testing.T) {
	srv, _ := demoServer(t)
	base := "/collections/" + demo.StopSigns + "/download?f="
	for _, tc := range []struct {
		format string
		gzip   bool
	}{{"geojson", true}, {"csv", true}, {"gpkg", false}, {"shp", false}, {"parquet", false}, {"fgb", false}} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+base+tc.format, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if got := res.Header.Get("Content-Encoding") == "gzip"; got != tc.gzip {
			t.Errorf("%s: gzip %v, want %v", tc.format, got, tc.gzip)
		}
	}
	r := send(t, srv.URL, http.MethodHead, base+"gpkg", nil)
	if r.status != 200 || len(r.body) != 0 || r.header.Get("Content-Disposition") == "" || r.header.Get("X-Number-Matched") == "" {
		t.Errorf("HEAD: status %d, %d bytes, headers %v", r.status, len(r.body), r.header)
	}
}
