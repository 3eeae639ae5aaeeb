package api_test

import (
	"regexp"
	"strconv"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// tileCacheCount reads one of the tile cache's counters from /metrics.
func tileCacheCount(t *testing.T, e *writeEnv, name string) int {
	t.Helper()
	r := e.do(t, "GET", "/metrics", "", "")
	m := regexp.MustCompile(`(?m)^cityatlas_tile_cache_` + name + ` (\d+)$`).FindSubmatch(r.body)
	if m == nil {
		t.Fatalf("/metrics has no cityatlas_tile_cache_%s:\n%s", name, r.body)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// TestTileCache: a tile asked twice is encoded once; a write to its layer
// makes the next request encode it again, with the new feature; a write to
// another layer leaves it cached.
func TestTileCache(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			b, _ := be.open(t)
			e := newWriteEnv(t, b)
			wantStatus(t, "first sign", e.do(t, "POST", "/collections/signs/items", "editor", okSign), 201)
			tile := maptile.At(orb.Point{-115.5, 32.8}, 14)
			path := tilePath("signs", tile)
			fetch := func() int {
				t.Helper()
				layers := tileOf(t, e.do(t, "GET", path, "", ""), tile)
				if layers["signs"] == nil {
					return 0
				}
				return len(layers["signs"].Features)
			}
			hits, misses := tileCacheCount(t, e, "hits_total"), tileCacheCount(t, e, "misses_total")
			if n := fetch(); n != 1 {
				t.Fatalf("first request: %d signs in the tile, want 1", n)
			}
			if n := fetch(); n != 1 {
				t.Fatalf("second request: %d signs in the tile, want 1", n)
			}
			if h, m := tileCacheCount(t, e, "hits_total")-hits, tileCacheCount(t, e, "misses_total")-misses; h != 1 || m != 1 {
				t.Fatalf("two requests of one tile: %d hits, %d misses, want 1 and 1", h, m)
			}
			if n := tileCacheCount(t, e, "entries"); n < 1 {
				t.Fatalf("%d tiles cached after a miss", n)
			}

			// A write elsewhere does not drop the signs tile.
			wantStatus(t, "secret write", e.do(t, "POST", "/collections/secret/items", "editor",
				`{"type":"Feature","geometry":{"type":"Point","coordinates":[-115.5,32.8]},"properties":{"name":"x"}}`), 201)
			hits = tileCacheCount(t, e, "hits_total")
			if n := fetch(); n != 1 {
				t.Fatalf("after a write to another layer: %d signs, want 1", n)
			}
			if h := tileCacheCount(t, e, "hits_total") - hits; h != 1 {
				t.Fatalf("a write to another layer dropped the signs tile (%d hits)", h)
			}

			// A write to the layer: the next request sees the new sign.
			purges, misses := tileCacheCount(t, e, "purges_total"), tileCacheCount(t, e, "misses_total")
			wantStatus(t, "second sign", e.do(t, "POST", "/collections/signs/items", "editor", okSign), 201)
			if n := fetch(); n != 2 {
				t.Fatalf("after a write to the layer: %d signs in the tile, want 2 (a stale tile was served)", n)
			}
			if m, p := tileCacheCount(t, e, "misses_total")-misses, tileCacheCount(t, e, "purges_total")-purges; m != 1 || p != 1 {
				t.Fatalf("after a write: %d misses, %d purges, want 1 and 1", m, p)
			}
			// A different query is a different tile.
			misses = tileCacheCount(t, e, "misses_total")
			r := e.do(t, "GET", path+"?condition=poor", "", "")
			if l := tileOf(t, r, tile)["signs"]; l != nil && len(l.Features) != 0 {
				t.Fatal("the filtered tile was answered from the unfiltered one")
			}
			if m := tileCacheCount(t, e, "misses_total") - misses; m != 1 {
				t.Fatalf("a filtered tile: %d misses, want 1", m)
			}
		})
	}
}
