package postgis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/postgis/pgtest"
	"github.com/cityatlas/cityatlas/store/storetest"
)

// TestListen: an Apply by this instance or another wakes Listen, and so
// does a reconnection after the listening connection is killed.
func TestListen(t *testing.T) {
	ctx := context.Background()
	var b [6]byte
	_, _ = rand.Read(b[:])
	app := "cityatlas_listen_" + hex.EncodeToString(b[:])
	url := newSchema(t) + "&application_name=" + app
	if !hasQuery(url) {
		t.Skip("the listen test needs a URL-style " + pgtest.EnvURL)
	}
	open := func() *Store {
		s, err := Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	s, other := open(), open()
	c := storetest.MustCreate(t, s, storetest.Assets("signs", store.GeometryPoint))

	calls := make(chan struct{}, 100)
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- s.Listen(lctx, func() {
			select {
			case calls <- struct{}{}:
			default:
			}
		})
	}()
	wait := func(after string) {
		t.Helper()
		select {
		case <-calls:
		case <-time.After(10 * time.Second):
			t.Fatalf("fn not called within 10 s after %s", after)
		}
	}
	drain := func() {
		for {
			select {
			case <-calls:
			default:
				return
			}
		}
	}
	insert := func(b *Store) {
		t.Helper()
		storetest.MustApply(t, b, c.ID, store.Mutation{Op: store.OpInsert, Feature: store.Feature{Geometry: storetest.Point(1, 2)}})
	}

	wait("subscribing")
	drain()
	insert(s)
	wait("an Apply")
	drain()
	insert(other)
	wait("another instance's Apply")

	// Kill the listening connection: Listen reconnects and calls fn, since
	// notifications may have been missed meanwhile.
	drain()
	var killed int
	err := s.pool.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1 AND query = $2`,
		app, sqlListen).Scan(&killed)
	if err != nil || killed != 1 {
		t.Fatalf("terminated %d listening connections (%v), want 1", killed, err)
	}
	wait("reconnecting")
	drain()
	insert(other)
	wait("an Apply after reconnecting")

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Listen returned %v after cancel, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Listen did not return after cancel")
	}
}

func hasQuery(url string) bool {
	for i := range len(url) {
		if url[i] == '?' {
			return true
		}
	}
	return false
}
