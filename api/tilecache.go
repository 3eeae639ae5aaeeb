package api

import (
	"container/list"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cityatlas/cityatlas/store"
)

// DefaultTileCache is the memory the tile cache may hold when
// Config.TileCacheBytes is 0.
const DefaultTileCache = 32 << 20

// tileCache keeps encoded tiles, least recently used first out, within a
// byte budget. A tile's key holds everything it is made from: the
// collections with their versions, the query and the tile's address. A
// write to a layer moves its version, so no tile made before the write is
// served after it; the cache then drops every tile of that layer at once
// (purge), and keeps the other layers' tiles.
type tileCache struct {
	max int64

	mu       sync.Mutex
	size     int64
	lru      *list.List               // of *tileEntry, most recent first
	entries  map[string]*list.Element // by key
	versions map[string]string        // collection → the version its cached tiles were made at

	hits, misses, purges atomic.Uint64
}

type tileEntry struct {
	key   string
	body  []byte // empty: a tile without features (204)
	colls []string
}

// entryOverhead is what an entry costs besides its key and body (list
// element, map slot, slice headers), roughly.
const entryOverhead = 160

func newTileCache(max int64) *tileCache {
	if max <= 0 {
		return nil
	}
	return &tileCache{max: max, lru: list.New(), entries: map[string]*list.Element{}, versions: map[string]string{}}
}

// tileKey is the cache key of a tile over the collections infos (with
// their versions), for the request's query and the tile's address.
func tileKey(infos []store.CollectionInfo, rawQuery, addr string) string {
	var b strings.Builder
	for _, ci := range infos {
		b.WriteString(ci.ID)
		b.WriteByte('@')
		b.WriteString(version(ci))
		b.WriteByte('|')
	}
	b.WriteString(rawQuery)
	b.WriteByte('|')
	b.WriteString(addr)
	return b.String()
}

// version is what changes when a collection's features do.
func version(ci store.CollectionInfo) string {
	return strconv.FormatInt(ci.Seq, 10) + "." + strconv.FormatInt(ci.Gen, 10) + "." + strconv.Itoa(ci.Count)
}

// get returns the cached tile of key, made from infos. Seeing a collection
// at a newer version than its cached tiles drops them.
func (tc *tileCache) get(infos []store.CollectionInfo, key string) ([]byte, bool) {
	if tc == nil {
		return nil, false
	}
	tc.mu.Lock()
	defer tc.mu.Unlock()
	tc.observe(infos)
	el, ok := tc.entries[key]
	if !ok {
		tc.misses.Add(1)
		return nil, false
	}
	tc.lru.MoveToFront(el)
	tc.hits.Add(1)
	return el.Value.(*tileEntry).body, true
}

// put keeps a copy of body as the tile of key, made from infos.
func (tc *tileCache) put(infos []store.CollectionInfo, key string, body []byte) {
	if tc == nil {
		return
	}
	cost := int64(len(key) + len(body) + entryOverhead)
	if cost > tc.max/8 {
		return // one tile never takes more than an eighth of the cache
	}
	e := &tileEntry{key: key, body: append([]byte(nil), body...), colls: make([]string, len(infos))}
	for i, ci := range infos {
		e.colls[i] = ci.ID
	}
	tc.mu.Lock()
	defer tc.mu.Unlock()
	tc.observe(infos)
	for _, ci := range infos {
		if tc.versions[ci.ID] != version(ci) {
			// A newer version was seen while this tile was made: it is
			// stale already.
			return
		}
	}
	if _, ok := tc.entries[key]; ok {
		return // made twice at once; the first copy stays
	}
	tc.entries[key] = tc.lru.PushFront(e)
	tc.size += cost
	for tc.size > tc.max {
		tc.remove(tc.lru.Back())
	}
}

// observe records the collections' versions, purging the tiles of any
// collection seen at a version other than its cached tiles'. Callers hold
// tc.mu.
func (tc *tileCache) observe(infos []store.CollectionInfo) {
	for _, ci := range infos {
		v := version(ci)
		old, seen := tc.versions[ci.ID]
		if seen && old == v {
			continue
		}
		if seen {
			tc.purge(ci.ID)
		}
		tc.versions[ci.ID] = v
	}
}

// purge drops every tile made from collection id.
func (tc *tileCache) purge(id string) {
	tc.purges.Add(1)
	for el := tc.lru.Front(); el != nil; {
		next := el.Next()
		for _, c := range el.Value.(*tileEntry).colls {
			if c == id {
				tc.remove(el)
				break
			}
		}
		el = next
	}
}

func (tc *tileCache) remove(el *list.Element) {
	e := el.Value.(*tileEntry)
	tc.lru.Remove(el)
	delete(tc.entries, e.key)
	tc.size -= int64(len(e.key) + len(e.body) + entryOverhead)
}

// stats returns the entries and bytes held.
func (tc *tileCache) stats() (entries int, bytes int64) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	return len(tc.entries), tc.size
}
