package api_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cityatlas/cityatlas/api"
	"github.com/cityatlas/cityatlas/internal/onewrite"
)

// smallBufListener gives every accepted connection a small kernel send
// buffer, so that a client that stops reading blocks the server's writes
// after a few kilobytes rather than a few megabytes.
type smallBufListener struct{ net.Listener }

func (l smallBufListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(4096)
	}
	return c, err
}

// timeoutServer serves the demo city through api.Server.HTTPServer with
// short timeouts on loopback, on onewrite's listener as cityatlas serve
// does, and returns its address.
func timeoutServer(t *testing.T, lb *logBuffer) string {
	t.Helper()
	_, st := demoServer(t)
	s := api.NewServer(st, api.Config{
		Timeouts: api.Timeouts{ReadHeader: 300 * time.Millisecond, Read: 300 * time.Millisecond, Write: 300 * time.Millisecond, Idle: 300 * time.Millisecond},
		Limits:   api.Limits{ClientConcurrency: 100},
	}, slog.New(slog.NewJSONHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug})))
	hs := s.HTTPServer()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// As cityatlas serve listens: answers held and sent in one write.
	go func() { _ = hs.Serve(onewrite.Listener(smallBufListener{ln})) }()
	t.Cleanup(func() { _ = hs.Close() })
	return ln.Addr().String()
}

// dropped reports whether the server closed conn: reads reach EOF or an
// error within bound, whatever the client still has to send.
func dropped(conn net.Conn, bound time.Duration) bool {
	_ = conn.SetReadDeadline(time.Now().Add(bound))
	_, err := io.Copy(io.Discard, conn)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

// TestSlowClientsAreDropped is issue 14's slow clients: 20 clients send a
// body at a few bytes a second, 20 request a large page and do not read
// it, and one keeps an idle connection. With 300 ms timeouts the server
// drops them all, while each would have gone on for minutes.
func TestSlowClientsAreDropped(t *testing.T) {
	lb := &logBuffer{}
	addr := timeoutServer(t, lb)
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan string, 3*n)
	dial := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for i := range n {
		// A body at 20 bytes a second: 100,000 bytes would take 83 minutes.
		c := dial()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			fmt.Fprintf(c, "POST /count HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/geo+json\r\nContent-Length: 100000\r\n\r\n")
			stop := make(chan struct{})
			go func() {
				for {
					select {
					case <-stop:
						return
					case <-time.After(50 * time.Millisecond):
						if _, err := c.Write([]byte("[")); err != nil {
							return
						}
					}
				}
			}()
			if !dropped(c, 20*time.Second) {
				errs <- fmt.Sprintf("slow body %d: still connected after 20 s", i)
			}
			close(stop)
		}()
	}
	for i := range n {
		// A large page, never read.
		c := dial()
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetReadBuffer(4096)
		}
		fmt.Fprintf(c, "GET /collections/stop_signs/items?limit=10000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			// Wait until the server has given up on this one (it logs
			// the request as 499), then read: the answer must be cut.
			if !waitFor(lb, t, func(m map[string]any) bool { return m["status"] == float64(api.StatusClientClosed) }, i+1, 20*time.Second) {
				errs <- fmt.Sprintf("slow reader %d: the server did not drop it within 20 s", i)
				return
			}
			res, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err == nil {
				_, err = io.Copy(io.Discard, res.Body)
			}
			if err == nil {
				errs <- fmt.Sprintf("slow reader %d: read the whole answer", i)
			}
		}()
	}
	idle := dial()
	defer idle.Close()
	fmt.Fprintf(idle, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	br := bufio.NewReader(idle)
	res, err := http.ReadResponse(br, nil)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("healthz on the idle connection: %v", err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	_ = idle.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		t.Errorf("idle connection: %v, want EOF (closed by the server)", err)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	for _, m := range lb.requests(t) {
		if m["status"] == float64(500) {
			t.Errorf("a slow client was logged as a 500: %v", m)
		}
	}
}

// waitFor waits until the log has at least n request lines for which ok
// is true, for at most bound.
func waitFor(lb *logBuffer, t *testing.T, ok func(map[string]any) bool, n int, bound time.Duration) bool {
	for deadline := time.Now().Add(bound); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		k := 0
		for _, m := range lb.requests(t) {
			if ok(m) {
				k++
			}
		}
		if k >= n {
			return true
		}
	}
	return false
}

// TestSlowBodyIs408 checks what a client too slow with its body is told,
// and that the log does not call it an internal error.
func TestSlowBodyIs408(t *testing.T) {
	lb := &logBuffer{}
	addr := timeoutServer(t, lb)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST /count HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/geo+json\r\nContent-Length: 1000\r\n\r\n{")
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(b), "in time") {
		t.Errorf("slow body: %d %s", res.StatusCode, b)
	}
	for _, m := range lb.lines(t) {
		if m["level"] == "ERROR" {
			t.Errorf("logged %v", m)
		}
	}
}

// TestLongAnswerNotCut: the write timeout is a progress deadline, not a
// cap on the whole answer: a handler that writes ten chunks 100 ms apart
// (a second in all) under a 400 ms write timeout gets them all through to
// a client that reads.
func TestLongAnswerNotCut(t *testing.T) {
	_, st := demoServer(t)
	s := api.NewServer(st, api.Config{Timeouts: api.Timeouts{Write: 400 * time.Millisecond}}, nil)
	s.Echo().GET("/test-slow-stream", func(c echo.Context) error {
		c.Response().Header().Set("Content-Type", "text/plain")
		c.Response().WriteHeader(http.StatusOK)
		for i := range 10 {
			time.Sleep(100 * time.Millisecond)
			if _, err := fmt.Fprintf(c.Response(), "chunk %d\n", i); err != nil {
				return err
			}
			c.Response().Flush()
		}
		return nil
	})
	hs := s.HTTPServer()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()
	res, err := http.Get("http://" + ln.Addr().String() + "/test-slow-stream")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || strings.Count(string(b), "chunk") != 10 {
		t.Errorf("got %q, %v; want 10 chunks", b, err)
	}
}
