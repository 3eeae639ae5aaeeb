package onewrite_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/cityatlas/cityatlas/internal/onewrite"
	"github.com/cityatlas/cityatlas/internal/onewrite/writecount"
)

// serve starts h on a loopback port through onewrite's listener over a
// counting one, and returns its URL and the count of writes.
func serve(t *testing.T, h http.HandlerFunc) (string, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	counted := writecount.New(ln)
	srv := &http.Server{Handler: h, ConnContext: onewrite.ConnContext}
	go srv.Serve(onewrite.Listener(counted))
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String(), &counted.Writes
}

// whole is a handler's answer sent as cityatlas's pages are: held,
// written with its length, flushed, released.
func whole(body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		release := onewrite.Hold(r.Context())
		defer release()
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
		w.(http.Flusher).Flush()
		if err := release(); err != nil {
			panic(err)
		}
	}
}

func page(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	return b
}

// get GETs url n times on one keep-alive connection and checks each body.
func get(t *testing.T, url string, n int, want []byte) {
	t.Helper()
	tr := &http.Transport{MaxConnsPerHost: 1}
	defer tr.CloseIdleConnections()
	for i := range n {
		res, err := (&http.Client{Transport: tr}).Get(url)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("request %d: %d bytes (%v), want %d", i, len(got), err, len(want))
		}
		if res.ContentLength != int64(len(want)) || len(res.TransferEncoding) > 0 {
			t.Fatalf("request %d: Content-Length %d, Transfer-Encoding %v", i, res.ContentLength, res.TransferEncoding)
		}
	}
}

// An answer larger than net/http's 4 KiB buffer goes out in one write when
// held, and in more without the hold (so the count can tell them apart).
func TestHeldAnswerIsOneWrite(t *testing.T) {
	body := page(10_000)
	url, writes := serve(t, whole(body))
	get(t, url, 3, body)
	if n := writes.Load(); n != 3 {
		t.Errorf("3 held answers of 10,000 bytes took %d writes, want 3", n)
	}
	plain, pw := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	})
	get(t, plain, 3, body)
	if n := pw.Load(); n < 6 {
		t.Errorf("3 answers of 10,000 bytes without the hold took %d writes, want at least 6", n)
	}
}

// Past maxHeld, the writes go out as they come, in order: a large answer
// is streamed, not gathered.
func TestHoldHasALimit(t *testing.T) {
	body := page(3 << 20)
	url, writes := serve(t, whole(body))
	get(t, url, 2, body)
	if n := writes.Load(); n < 4 {
		t.Errorf("2 held answers of 3 MiB took %d writes: they were gathered whole", n)
	}
}

// A handler that streams without holding, or flushes small parts, is
// unchanged; a file still goes out through the connection's ReadFrom.
func TestUnheldAndFilesUnchanged(t *testing.T) {
	body := page(200_000)
	dir := t.TempDir()
	f := filepath.Join(dir, "page")
	if err := os.WriteFile(f, body, 0o644); err != nil {
		t.Fatal(err)
	}
	url, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/file" {
			http.ServeFile(w, r, f)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		for i := 0; i < len(body); i += 1000 {
			w.Write(body[i : i+1000])
			w.(http.Flusher).Flush()
		}
	})
	get(t, url+"/stream", 2, body)
	get(t, url+"/file", 2, body)
}

// Without onewrite's listener (a recorder, TLS, another server), Hold
// does nothing and its release answers nil.
func TestHoldWithoutTheListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	body := page(9000)
	srv := &http.Server{Handler: whole(body), ConnContext: onewrite.ConnContext}
	go srv.Serve(ln)
	defer srv.Close()
	get(t, fmt.Sprintf("http://%s/", ln.Addr()), 2, body)
}

// A connection closed while held (a handler that never released) sends
// what was held before it closes.
func TestCloseSendsWhatIsHeld(t *testing.T) {
	body := page(6000)
	url, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		onewrite.Hold(r.Context()) // never released
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Header().Set("Connection", "close")
		w.Write(body)
	})
	get(t, url, 1, body)
}
