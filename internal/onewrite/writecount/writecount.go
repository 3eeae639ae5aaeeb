// Package writecount counts the writes a listener's connections make, for
// tests of how answers reach the network (internal/onewrite).
package writecount

import (
	"net"
	"sync/atomic"
)

// Listener counts, in Writes, the Write calls of the TCP connections it
// accepts; their ReadFrom (sendfile) is the TCP connection's own.
type Listener struct {
	net.Listener
	Writes atomic.Int64
}

// New returns ln counting its connections' writes.
func New(ln net.Listener) *Listener { return &Listener{Listener: ln} }

func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c, nil
	}
	return &conn{tc, &l.Writes}, nil
}

type conn struct {
	*net.TCPConn
	writes *atomic.Int64
}

func (c *conn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.TCPConn.Write(p)
}
