package api_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb/maptile"

	"github.com/cityatlas/cityatlas/api"
	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/postgis"
	"github.com/cityatlas/cityatlas/store/postgis/pgtest"
)

// TestDirectEditsReachInstances: an INSERT, UPDATE and DELETE made in
// psql on a layer's table reach two running instances (LISTEN/NOTIFY and
// Follow, as `cityatlas serve` wires them, with a polling interval far
// longer than the wait) and show in each one's items, tiles and counts.
// The test logs how long each took; it waits at most 10 s, and the
// interval is a minute, so the change came through NOTIFY.
func TestDirectEditsReachInstances(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url := pgtest.URL(t, "cityatlas_follow_")
	var srvs [2]*httptest.Server
	for i := range 2 {
		b, err := postgis.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		if i == 0 {
			if _, err := b.CreateCollection(ctx, store.Collection{ID: "signs", Geometry: store.GeometryPoint,
				Fields: []store.Field{{Name: "name", Type: store.TypeString}, {Name: "lanes", Type: store.TypeInteger}}}); err != nil {
				t.Fatal(err)
			}
		}
		st, err := store.Open(ctx, b, nil)
		if err != nil {
			t.Fatal(err)
		}
		wake := make(chan struct{}, 1)
		listening := make(chan struct{})
		go func() {
			close(listening)
			_ = b.Listen(ctx, func() {
				select {
				case wake <- struct{}{}:
				default:
				}
			})
		}()
		<-listening
		go st.Follow(ctx, time.Minute, wake)
		srvs[i] = httptest.NewServer(api.NewServer(st, api.Config{}, nil))
		t.Cleanup(srvs[i].Close)
	}
	time.Sleep(200 * time.Millisecond) // both LISTENs registered
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	tile := maptile.At([2]float64{-115.56, 32.85}, 14)
	tilePath := fmt.Sprintf("/collections/signs/tiles/WebMercatorQuad/%d/%d/%d", tile.Z, tile.Y, tile.X)
	const countPath = "/count?collections=signs&bbox=-115.6,32.8,-115.5,32.9"
	type seen struct {
		name  string // of the feature, "" when it is gone
		count int
		tiled int // features in the tile
	}
	state := func(srv *httptest.Server, id int64) seen {
		var s seen
		var f struct{ Properties map[string]any }
		if r := get(t, srv, fmt.Sprintf("/collections/signs/items/%d", id)); r.status == 200 {
			decode(t, r, &f)
			s.name, _ = f.Properties["name"].(string)
		}
		var c struct{ Collections []struct{ Count int } }
		decode(t, get(t, srv, countPath), &c)
		if len(c.Collections) == 1 {
			s.count = c.Collections[0].Count
		}
		if l := tileOf(t, get(t, srv, tilePath), tile)["signs"]; l != nil {
			s.tiled = len(l.Features)
		}
		return s
	}
	wait := func(what string, id int64, want seen) {
		t.Helper()
		start := time.Now()
		for i, srv := range srvs {
			for {
				got := state(srv, id)
				if got == want {
					break
				}
				if time.Since(start) > 10*time.Second {
					t.Fatalf("%s: instance %d shows %+v, want %+v", what, i+1, got, want)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
		t.Logf("%s: on both instances (items, /count, tiles) after %v", what, time.Since(start).Round(time.Millisecond))
	}

	var id int64
	if err := conn.QueryRow(ctx, `INSERT INTO features_signs (name, lanes, geom) VALUES ('from psql', 2, ST_SetSRID(ST_MakePoint(-115.56, 32.85), 4326)) RETURNING id`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	wait("psql INSERT", id, seen{name: "from psql", count: 1, tiled: 1})
	if _, err := conn.Exec(ctx, `UPDATE features_signs SET name = 'renamed in psql' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	wait("psql UPDATE", id, seen{name: "renamed in psql", count: 1, tiled: 1})
	if _, err := conn.Exec(ctx, `DELETE FROM features_signs WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	wait("psql DELETE", id, seen{})
}
