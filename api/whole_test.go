package api_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net"
	"net/http"
	"regexp"
	"testing"

	"github.com/cityatlas/cityatlas/api"
	"github.com/cityatlas/cityatlas/internal/onewrite"
	"github.com/cityatlas/cityatlas/internal/onewrite/writecount"
)

// TestPagesGoOutInOneWrite serves the demo city as cityatlas serve does
// (api.Server.HTTPServer on onewrite's listener) and counts the writes of
// a page of stop signs and a tile, both larger than net/http's 4 KiB
// buffer: one each, with the headers, where net/http alone makes two or
// more. The same page asked for with gzip comes compressed and whole.
func TestPagesGoOutInOneWrite(t *testing.T) {
	_, st := demoServer(t)
	hs := api.NewServer(st, api.Config{}, nil).HTTPServer()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	counted := writecount.New(ln)
	writes := &counted.Writes
	go func() { _ = hs.Serve(onewrite.Listener(counted)) }()
	defer hs.Close()
	base := "http://" + ln.Addr().String()
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	fetch := func(path, enc string) ([]byte, *http.Response) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		if enc != "" {
			req.Header.Set("Accept-Encoding", enc)
		}
		before := writes.Load()
		res, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d, %v", path, res.StatusCode, err)
		}
		if enc == "" && (len(b) < 5000 || res.ContentLength != int64(len(b))) {
			t.Fatalf("GET %s: %d bytes, Content-Length %d: want a whole answer larger than 5,000 bytes", path, len(b), res.ContentLength)
		}
		if n := writes.Load() - before; enc == "" && n != 1 {
			t.Errorf("GET %s (%d bytes) took %d writes, want 1", path, len(b), n)
		}
		return b, res
	}
	page := "/collections/stop_signs/items?limit=40"
	plain, _ := fetch(page, "")
	fetch(tilePath("stop_signs", centreTile(t, 14)), "")
	zipped, res := fetch(page, "gzip")
	if res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("the page with gzip: Content-Encoding %q", res.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(stripTimeStamp(unzipped), stripTimeStamp(plain)) {
		t.Errorf("the gzipped page differs from the plain one (%v)", err)
	}
}

var timeStamp = regexp.MustCompile(`"timeStamp":"[^"]*"`)

// stripTimeStamp removes a page's timeStamp, which differs by the second.
func stripTimeStamp(b []byte) []byte { return timeStamp.ReplaceAll(b, nil) }
