// Package onewrite lets an HTTP/1 handler send a whole answer, its
// headers and its body, to the network in one write(2).
//
// net/http writes an answer through a 4 KiB connection buffer that has no
// setting: an answer larger than that leaves in two writes or more (the
// buffer full of headers and the body's start, then the rest), and on the
// loopback or a LAN the client is woken and reads twice. A handler that
// has its whole body in memory can instead hold the connection's writes,
// write and flush the answer, and release them: the writes made while
// held go out together in one write(2).
//
// Writes are held only between Hold and the release it returns, both
// called by the handler, so nothing is ever left waiting for a later
// write; Close, CloseWrite, ReadFrom and a write past the hold's limit
// send what is held first. A connection the server did not get
// from this package's listener (TLS, HTTP/2, a test's recorder) is not
// held: Hold returns a release that does nothing.
package onewrite

import (
	"context"
	"io"
	"net"
	"sync"
)

// maxHeld is the most a connection holds: an answer larger than this goes
// out in more than one write anyway, and the copy would not pay.
const maxHeld = 256 << 10

// Listener returns ln whose connections can be held.
func Listener(ln net.Listener) net.Listener { return listener{ln} }

type listener struct{ net.Listener }

func (l listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &conn{Conn: c}, nil
}

type ctxKey struct{}

// ConnContext is an http.Server's ConnContext: it keeps the connection in
// the context of the requests made on it, for Hold.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	if hc, ok := c.(*conn); ok {
		return context.WithValue(ctx, ctxKey{}, hc)
	}
	return ctx
}

// Hold holds the writes of the connection of the request whose context
// ctx is, until the returned release, which sends them in one write. The
// handler must flush its answer (http.Flusher) before it releases.
func Hold(ctx context.Context) (release func() error) {
	hc, _ := ctx.Value(ctxKey{}).(*conn)
	if hc == nil {
		return func() error { return nil }
	}
	hc.mu.Lock()
	hc.holding = true
	hc.mu.Unlock()
	return hc.release
}

// conn is a connection whose writes can be held.
type conn struct {
	net.Conn
	mu      sync.Mutex
	holding bool
	held    []byte
}

func (c *conn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.holding && len(c.held)+len(p) <= maxHeld {
		c.held = append(c.held, p...) // the caller may reuse p
		return len(p), nil
	}
	if err := c.sendLocked(); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

// release sends what is held and stops holding.
func (c *conn) release() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.holding = false
	err := c.sendLocked()
	if cap(c.held) > 64<<10 {
		c.held = nil // do not keep a large buffer for an idle connection
	}
	return err
}

func (c *conn) sendLocked() error {
	if len(c.held) == 0 {
		return nil
	}
	_, err := c.Conn.Write(c.held)
	c.held = c.held[:0]
	return err
}

func (c *conn) Close() error {
	_ = c.release()
	return c.Conn.Close()
}

// ReadFrom keeps the connection's own ReadFrom (sendfile and splice for
// net/http's io.Copy of a file), after what is held.
func (c *conn) ReadFrom(r io.Reader) (int64, error) {
	if err := c.release(); err != nil {
		return 0, err
	}
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

// CloseWrite keeps the connection's half-close, which net/http uses to
// let a client read an error answer before the connection ends.
func (c *conn) CloseWrite() error {
	err := c.release()
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok && err == nil {
		return cw.CloseWrite()
	}
	return err
}
