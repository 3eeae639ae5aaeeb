package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/postgis"
	"github.com/cityatlas/cityatlas/store/postgis/pgtest"
	"github.com/cityatlas/cityatlas/store/storetest"
)

// pgProxy forwards TCP connections to the test's PostgreSQL, and can cut
// them all and refuse new ones: a database blip the test controls, since
// the shared cluster itself must not be stopped.
type pgProxy struct {
	t      *testing.T
	target func() (net.Conn, error)
	addr   string

	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
}

// newPGProxy listens on a free loopback port and forwards to the database
// of url (a unix socket or TCP host); it returns the proxy and url
// rewritten to go through it.
func newPGProxy(t *testing.T, dbURL string) (*pgProxy, string) {
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	host, port := q.Get("host"), q.Get("port")
	if host == "" {
		host, port = u.Hostname(), u.Port()
	}
	if port == "" {
		port = "5432"
	}
	p := &pgProxy{t: t}
	if strings.HasPrefix(host, "/") {
		sock := filepath.Join(host, ".s.PGSQL."+port)
		p.target = func() (net.Conn, error) { return net.Dial("unix", sock) }
	} else {
		p.target = func() (net.Conn, error) { return net.Dial("tcp", net.JoinHostPort(host, port)) }
	}
	p.listen("127.0.0.1:0")
	t.Cleanup(p.stop)
	pa, pp, _ := net.SplitHostPort(p.addr)
	q.Set("host", pa)
	q.Set("port", pp)
	q.Set("sslmode", "disable")
	q.Set("connect_timeout", "2")
	u.Host = ""
	u.RawQuery = q.Encode()
	return p, u.String()
}

func (p *pgProxy) listen(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		p.t.Fatalf("proxy listen: %v", err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			d, err := p.target()
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, d)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(d, c); d.Close() }()
			go func() { _, _ = io.Copy(c, d); c.Close() }()
		}
	}()
}

// stop cuts every connection and stops listening.
func (p *pgProxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// start listens again on the same port.
func (p *pgProxy) start() { p.listen(p.addr) }

type readyBody struct {
	Ready    bool   `json:"ready"`
	Database string `json:"database"`
	Index    struct {
		Collections int    `json:"collections"`
		Features    int    `json:"features"`
		Seq         int64  `json:"seq"`
		SyncError   string `json:"syncError"`
	} `json:"index"`
}

func getReady(t *testing.T, base string) (int, readyBody) {
	t.Helper()
	res, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b readyBody
	if err := json.NewDecoder(res.Body).Decode(&b); err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, b
}

// TestReadyzThroughDatabaseBlip is issue 14's readiness: serve on PostGIS
// through a proxy, cut the proxy (the database is away), and /readyz stays
// 200 with the database's state in its body while reads go on from memory;
// when the proxy is back, the database is "ok" again.
func TestReadyzThroughDatabaseBlip(t *testing.T) {
	direct := pgtest.URL(t, "cityatlas_ready_")
	ctx := context.Background()
	if err := run(ctx, []string{"seed", "--database-url", direct, "--log-level", "warn"}, envOf(), io.Discard, io.Discard); err != nil {
		t.Fatalf("seed: %v", err)
	}
	proxy, viaProxy := newPGProxy(t, direct)
	base := startServer(t, "--database-url", viaProxy, "--sync-interval", "200ms")

	status, b := getReady(t, base)
	if status != 200 || !b.Ready || b.Database != "ok" || b.Index.Collections < 4 || b.Index.Features < 1500 {
		t.Fatalf("before the blip: %d %+v", status, b)
	}
	proxy.stop()
	status, b = getReady(t, base)
	if status != 200 || !b.Ready || !strings.HasPrefix(b.Database, "unreachable: ") || b.Index.Features < 1500 {
		t.Errorf("database away: %d %+v, want 200, ready, database unreachable", status, b)
	}
	res, err := http.Get(base + "/collections/stop_signs/items?limit=5")
	if err != nil || res.StatusCode != 200 {
		t.Errorf("reads while the database is away: %v %v", err, res)
	} else {
		res.Body.Close()
	}
	// The index's next sync fails, and /readyz says so, still ready.
	var during readyBody
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if status, during = getReady(t, base); during.Index.SyncError != "" {
			break
		}
	}
	if status != 200 || !during.Ready || during.Index.SyncError == "" {
		t.Errorf("database away: %d %+v, want 200, ready, with the sync error", status, during)
	}
	// A write made meanwhile by another instance, straight to the database.
	pg, err := postgis.Open(ctx, direct)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	cs, err := pg.Collections(ctx)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(cs, func(c store.Collection) bool { return c.ID == "stop_signs" })
	storetest.MustApply(t, pg, "stop_signs", store.Mutation{Op: store.OpInsert, Feature: store.Feature{
		Geometry: storetest.Point(-115.57, 32.85), Properties: storetest.Props(t, cs[i], map[string]any{})}})

	proxy.start()
	var last readyBody
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if _, last = getReady(t, base); last.Database == "ok" && last.Index.SyncError == "" && last.Index.Features == b.Index.Features+1 {
			break
		}
	}
	if last.Database != "ok" || last.Index.SyncError != "" || last.Index.Features != b.Index.Features+1 || last.Index.Seq <= b.Index.Seq {
		t.Errorf("after the blip: %+v, want the database ok and the index caught up (%d features, past seq %d)", last, b.Index.Features+1, b.Index.Seq)
	}
}
