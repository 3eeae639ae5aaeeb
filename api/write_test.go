package api_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twpayne/go-geom"

	"github.com/cityatlas/cityatlas/api"
	"github.com/cityatlas/cityatlas/auth"
	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/gpkg"
	"github.com/cityatlas/cityatlas/store/postgis"
	"github.com/cityatlas/cityatlas/store/postgis/pgtest"
)

// backends opens each real backend, empty: a GeoPackage file and a fresh
// PostGIS schema.
var backends = []struct {
	name string
	open func(t testing.TB) (store.Backend, string)
}{
	{"gpkg", func(t testing.TB) (store.Backend, string) {
		path := filepath.Join(t.TempDir(), "w.gpkg")
		b, err := gpkg.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		return b, path
	}},
	{"postgis", func(t testing.TB) (store.Backend, string) {
		url := pgtest.URL(t, "cityatlas_api_")
		b, err := postgis.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		return b, url
	}},
}

// clock is a settable clock for the key cache and expiry.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// writeEnv is a server on a fresh backend with collections "signs"
// (points) and "secret" (private), and keys of each role.
type writeEnv struct {
	srv     *httptest.Server
	st      *store.Store
	b       store.Backend
	clock   *clock
	keys    map[string]string // name → token
	logs    *bytes.Buffer
	signsID string
}

func newWriteEnv(t testing.TB, b store.Backend) *writeEnv {
	t.Helper()
	ctx := context.Background()
	signs := store.Collection{ID: "signs", Title: "Signs", Geometry: store.GeometryPoint, Fields: []store.Field{
		{Name: "name", Type: store.TypeString}, {Name: "lanes", Type: store.TypeInteger},
		{Name: "condition", Type: store.TypeString, Values: []string{"good", "fair", "poor"}}}}
	if _, err := b.CreateCollection(ctx, signs); err != nil {
		t.Fatal(err)
	}
	secret := store.Collection{ID: "secret", Title: "Secret", Geometry: store.GeometryPoint, Private: true,
		Fields: []store.Field{{Name: "name", Type: store.TypeString}}}
	if _, err := b.CreateCollection(ctx, secret); err != nil {
		t.Fatal(err)
	}
	props, _ := store.EncodeProperties(&secret, map[string]any{"name": "hidden hydrant"})
	if _, err := b.Apply(ctx, "secret", []store.Mutation{{Op: store.OpInsert, Feature: store.Feature{
		Geometry: geom.NewPointFlat(geom.XY, []float64{-115.5, 32.8}).SetSRID(4326), Properties: props}}}, "test"); err != nil {
		t.Fatal(err)
	}
	env := &writeEnv{b: b, clock: &clock{now: time.Now()}, keys: map[string]string{}, logs: &bytes.Buffer{}}
	ks := b.(store.Keys)
	for _, k := range []struct {
		name, role string
		colls      []string
	}{
		{"admin", auth.RoleAdmin, nil}, {"editor", auth.RoleEditor, []string{"signs", "secret"}},
		{"viewer", auth.RoleViewer, nil}, {"other-editor", auth.RoleEditor, []string{"parks"}},
	} {
		token, rec, err := auth.New(k.name, k.role, k.colls, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ks.CreateKey(ctx, rec); err != nil {
			t.Fatal(err)
		}
		env.keys[k.name] = token
	}
	st, err := store.Open(ctx, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	env.st = st
	env.srv = httptest.NewServer(api.NewServer(st, api.Config{Keys: ks, Now: env.clock.Now, MaxBodyBytes: 64 << 10}, newLogger(env.logs)))
	t.Cleanup(env.srv.Close)
	return env
}

func (e *writeEnv) do(t *testing.T, method, path, key, body string, header ...string) response {
	t.Helper()
	if key != "" {
		header = append(header, "Authorization", "Bearer "+e.keys[key])
	}
	if body != "" && !hasHeader(header, "Content-Type") {
		header = append(header, "Content-Type", "application/geo+json")
	}
	var r *strings.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	if r == nil {
		return send(t, e.srv.URL, method, path, nil, header...)
	}
	return send(t, e.srv.URL, method, path, r, header...)
}

func hasHeader(h []string, name string) bool {
	for i := 0; i < len(h); i += 2 {
		if strings.EqualFold(h[i], name) {
			return true
		}
	}
	return false
}

func wantStatus(t *testing.T, what string, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d: %s", what, r.status, status, r.body)
	}
}

const okSign = `{"type":"Feature","geometry":{"type":"Point","coordinates":[-115.5,32.8]},"properties":{"name":"Main & 1st","lanes":2,"condition":"good"}}`

func TestWrites(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			b, _ := be.open(t)
			testWrites(t, newWriteEnv(t, b))
		})
	}
}

func testWrites(t *testing.T, e *writeEnv) {
	// POST: 201, Location, ETag; the feature is in items and counts at once.
	beforeItems := get(t, e.srv, "/collections/signs/items").header.Get("ETag")
	beforeTile := get(t, e.srv, "/collections/signs/tiles/WebMercatorQuad/0/0/0").header.Get("ETag")
	r := e.do(t, "POST", "/collections/signs/items", "editor", okSign)
	wantStatus(t, "POST", r, 201)
	loc := r.header.Get("Location")
	if !strings.HasPrefix(loc, e.srv.URL+"/collections/signs/items/") {
		t.Fatalf("Location %q", loc)
	}
	path := strings.TrimPrefix(loc, e.srv.URL)
	tag := r.header.Get("ETag")
	if tag == "" || strings.HasPrefix(tag, "W/") {
		t.Fatalf("POST ETag %q, want a strong one", tag)
	}
	var f struct {
		ID         int64          `json:"id"`
		Properties map[string]any `json:"properties"`
	}
	decode(t, r, &f)
	if f.Properties["name"] != "Main & 1st" {
		t.Errorf("POST answered %s", r.body)
	}
	if g := get(t, e.srv, path); g.status != 200 || g.header.Get("ETag") != tag {
		t.Errorf("GET after POST: %d, ETag %q, want %q", g.status, g.header.Get("ETag"), tag)
	}
	var fc featureCollection
	decode(t, get(t, e.srv, "/collections/signs/items"), &fc)
	if fc.NumberMatched != 1 {
		t.Errorf("items after POST: %d features", fc.NumberMatched)
	}
	if after := get(t, e.srv, "/collections/signs/items").header.Get("ETag"); after == beforeItems || after == "" {
		t.Errorf("items ETag %q unchanged by a write", after)
	}
	if after := get(t, e.srv, "/collections/signs/tiles/WebMercatorQuad/0/0/0").header.Get("ETag"); after == beforeTile || after == "" {
		t.Errorf("tile ETag %q unchanged by a write (was %q)", after, beforeTile)
	}
	var count struct {
		Collections []struct {
			ID    string `json:"id"`
			Count int    `json:"count"`
		} `json:"collections"`
	}
	decode(t, get(t, e.srv, "/count?bbox=-116,32,-115,33"), &count)
	for _, c := range count.Collections {
		if c.ID == "signs" && c.Count != 1 {
			t.Errorf("count after POST: %d", c.Count)
		}
	}

	// PUT with the right If-Match: 200 and a new ETag; an id in the body is ignored.
	r = e.do(t, "PUT", path, "editor", `{"type":"Feature","id":999,"geometry":{"type":"Point","coordinates":[-115.6,32.9]},"properties":{"name":"Renamed"}}`, "If-Match", tag)
	wantStatus(t, "PUT", r, 200)
	tag2 := r.header.Get("ETag")
	if tag2 == tag {
		t.Error("PUT kept the ETag")
	}
	f.Properties = nil
	decode(t, r, &f)
	if strings.TrimPrefix(path, "/collections/signs/items/") != itoa(f.ID) || f.Properties["lanes"] != nil {
		t.Errorf("PUT answered %s", r.body)
	}
	// A stale If-Match: 412, nothing changes.
	r = e.do(t, "PUT", path, "editor", okSign, "If-Match", tag)
	wantStatus(t, "PUT with a stale If-Match", r, 412)
	r = e.do(t, "DELETE", path, "editor", "", "If-Match", tag)
	wantStatus(t, "DELETE with a stale If-Match", r, 412)
	if g := get(t, e.srv, path); g.header.Get("ETag") != tag2 {
		t.Errorf("a refused write changed the feature: %s", g.body)
	}

	// PATCH (merge patch): null removes, other members stay.
	r = e.do(t, "PATCH", path, "editor", `{"properties":{"lanes":4,"name":null}}`, "Content-Type", "application/merge-patch+json", "If-Match", tag2)
	wantStatus(t, "PATCH", r, 200)
	f.Properties = nil
	decode(t, r, &f)
	if f.Properties["lanes"] != float64(4) || f.Properties["name"] != nil {
		t.Errorf("PATCH answered %s", r.body)
	}
	tag3 := r.header.Get("ETag")
	if g := get(t, e.srv, path); g.header.Get("ETag") != tag3 {
		t.Errorf("GET after PATCH: ETag %q, want %q", g.header.Get("ETag"), tag3)
	}
	r = e.do(t, "PATCH", path, "editor", `{"id":12345}`, "Content-Type", "application/merge-patch+json")
	wantStatus(t, "PATCH changing the id", r, 422)
	r = e.do(t, "POST", "/collections/signs/items", "editor", `{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]},"properties":{}}`)
	if r.status != 422 || !strings.Contains(string(r.body), "not simple") {
		t.Errorf("a self-intersecting polygon: %d %s, want 422 saying it is not simple", r.status, r.body)
	}
	r = e.do(t, "PATCH", path, "editor", `{"properties":{"lanes":5}}`, "Content-Type", "application/json-patch+json")
	wantStatus(t, "PATCH of another media type", r, 415)

	// Bad bodies: 400 when not a Feature, 422 naming the field; nothing changes.
	for _, tc := range []struct {
		name, body, field string
		status            int
	}{
		{"not JSON", `{"type":`, "", 400},
		{"not a Feature", `{"type":"Point","coordinates":[0,0]}`, "type", 400},
		{"wrong type", `{"type":"Feature","geometry":null,"properties":{"lanes":"many"}}`, "lanes", 422},
		{"unknown property", `{"type":"Feature","geometry":null,"properties":{"colour":"red"}}`, "colour", 422},
		{"not in the enumeration", `{"type":"Feature","geometry":null,"properties":{"condition":"awful"}}`, "condition", 422},
		{"invalid geometry", `{"type":"Feature","geometry":{"type":"Point","coordinates":[500,0]},"properties":{}}`, "geometry", 422},
		{"unclosed ring", `{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]},"properties":{}}`, "geometry", 422},
		{"self-intersecting", `{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]},"properties":{}}`, "geometry", 422},
		{"geometry type", `{"type":"Feature","geometry":{"type":"LineString","coordinates":[[0,0],[1,1]]},"properties":{}}`, "geometry", 422},
	} {
		for _, m := range []string{"POST", "PUT"} {
			p := "/collections/signs/items"
			if m == "PUT" {
				p = path
			}
			r := e.do(t, m, p, "editor", tc.body)
			if r.status != tc.status || r.header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("%s %s: %d %s, want %d", m, tc.name, r.status, r.body, tc.status)
				continue
			}
			var pr struct{ Field string }
			decode(t, r, &pr)
			if pr.Field != tc.field {
				t.Errorf("%s %s: problem names field %q, want %q: %s", m, tc.name, pr.Field, tc.field, r.body)
			}
		}
	}
	decode(t, get(t, e.srv, "/collections/signs/items"), &fc)
	if fc.NumberMatched != 1 || get(t, e.srv, path).header.Get("ETag") != tag3 {
		t.Errorf("failed writes changed something: %d features", fc.NumberMatched)
	}

	// 413 past the body limit.
	big := `{"type":"Feature","geometry":null,"properties":{"name":"` + strings.Repeat("x", 70<<10) + `"}}`
	wantStatus(t, "a body past the limit", e.do(t, "POST", "/collections/signs/items", "editor", big), 413)

	// DELETE: 204, then 404.
	wantStatus(t, "DELETE", e.do(t, "DELETE", path, "editor", "", "If-Match", tag3), 204)
	wantStatus(t, "GET after DELETE", get(t, e.srv, path), 404)
	wantStatus(t, "DELETE again", e.do(t, "DELETE", path, "editor", ""), 404)
}

func TestWriteAuth(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			b, _ := be.open(t)
			testWriteAuth(t, newWriteEnv(t, b))
		})
	}
}

func testWriteAuth(t *testing.T, e *writeEnv) {
	// No key: 401 with WWW-Authenticate, problem+json.
	r := e.do(t, "POST", "/collections/signs/items", "", okSign)
	wantStatus(t, "POST without a key", r, 401)
	if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") || r.header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("401 headers: %v", r.header)
	}
	// A wrong key: 401 too.
	r = send(t, e.srv.URL, "POST", "/collections/signs/items", strings.NewReader(okSign), "Content-Type", "application/geo+json",
		"Authorization", "Bearer "+e.keys["editor"][:len(e.keys["editor"])-4]+"0000")
	wantStatus(t, "POST with a wrong secret", r, 401)
	// Wrong role, or a collection not granted: 403.
	wantStatus(t, "POST as viewer", e.do(t, "POST", "/collections/signs/items", "viewer", okSign), 403)
	wantStatus(t, "POST by an editor of other collections", e.do(t, "POST", "/collections/signs/items", "other-editor", okSign), 403)
	wantStatus(t, "keys as editor", e.do(t, "GET", "/keys", "editor", ""), 403)
	// Private collections: 401 anonymous, 403 without a grant, 200 with one.
	for _, p := range []string{"/collections/secret/items", "/collections/secret", "/collections/secret/download?f=csv",
		"/collections/secret/tiles/WebMercatorQuad/0/0/0", "/collections/secret/stats", "/collections/secret/changes"} {
		wantStatus(t, "anonymous "+p, get(t, e.srv, p), 401)
	}
	wantStatus(t, "private items, key without the grant", e.do(t, "GET", "/collections/secret/items", "other-editor", ""), 403)
	wantStatus(t, "private items as viewer", e.do(t, "GET", "/collections/secret/items", "viewer", ""), 200)
	if r := get(t, e.srv, "/collections"); strings.Contains(string(r.body), `"secret"`) {
		t.Errorf("anonymous collection list shows the private one")
	}
	if r := e.do(t, "GET", "/collections", "viewer", ""); !strings.Contains(string(r.body), `"secret"`) {
		t.Errorf("viewer's collection list lacks the private one")
	}
	for _, p := range []string{"/count?bbox=-180,-90,180,90", "/tiles.json", "/api", "/", "/search?q=hidden", "/data.json", "/catalog.jsonld", "/metrics"} {
		if r := get(t, e.srv, p); r.status != 200 || strings.Contains(string(r.body), "collections/secret") || strings.Contains(string(r.body), `"secret"`) {
			t.Errorf("anonymous %s: %d, shows the private collection: %.300s", p, r.status, r.body)
		}
	}
	if r := e.do(t, "GET", "/count?bbox=-180,-90,180,90", "viewer", ""); !strings.Contains(string(r.body), `"secret"`) {
		t.Errorf("viewer's counts lack the private collection: %s", r.body)
	}
	if r := e.do(t, "GET", "/search?q=hidden", "viewer", ""); !strings.Contains(string(r.body), `hidden hydrant`) {
		t.Errorf("viewer's search does not find the private feature: %s", r.body)
	}
	// A browser's CORS preflight carries no key: it passes.
	r = send(t, e.srv.URL, "OPTIONS", "/collections/secret/items", nil, "Origin", "https://app.example",
		"Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "authorization")
	if r.status != 204 || !strings.Contains(strings.ToLower(r.header.Get("Access-Control-Allow-Headers")), "authorization") {
		t.Errorf("preflight: %d %v", r.status, r.header)
	}
	// /whoami names the key: 401 without one, its name, role and grant with one.
	r = get(t, e.srv, "/whoami")
	wantStatus(t, "anonymous /whoami", r, 401)
	if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("anonymous /whoami: no WWW-Authenticate: %v", r.header)
	}
	r = e.do(t, "GET", "/whoami", "editor", "")
	wantStatus(t, "/whoami as editor", r, 200)
	var me struct {
		Name, Role  string
		Collections []string
	}
	decode(t, r, &me)
	if me.Name != "editor" || me.Role != "editor" || strings.Join(me.Collections, ",") != "signs,secret" || r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("/whoami as editor: %+v, Cache-Control %q", me, r.header.Get("Cache-Control"))
	}
	if r := e.do(t, "GET", "/whoami", "admin", ""); !strings.Contains(string(r.body), `"role":"admin"`) || strings.Contains(string(r.body), e.keys["admin"]) {
		t.Errorf("/whoami as admin: %s", r.body)
	}
	wantStatus(t, "/whoami with an unknown parameter", e.do(t, "GET", "/whoami?x=1", "viewer", ""), 400)
	// Reads stay public.
	wantStatus(t, "public items anonymous", get(t, e.srv, "/collections/signs/items"), 200)

	// Admins manage keys over the API; the new key works at once, a
	// revoked one stops within the cache TTL.
	r = e.do(t, "POST", "/keys", "admin", `{"name":"crew","role":"editor","collections":["signs"]}`, "Content-Type", "application/json")
	wantStatus(t, "POST /keys", r, 201)
	var made struct{ Key string }
	decode(t, r, &made)
	e.keys["crew"] = made.Key
	wantStatus(t, "POST with the new key", e.do(t, "POST", "/collections/signs/items", "crew", okSign), 201)
	r = e.do(t, "GET", "/keys", "admin", "")
	wantStatus(t, "GET /keys", r, 200)
	if strings.Contains(string(r.body), made.Key) || strings.Contains(string(r.body), made.Key[16:]) || !strings.Contains(string(r.body), `"crew"`) {
		t.Errorf("GET /keys: %s", r.body)
	}
	wantStatus(t, "DELETE /keys/crew", e.do(t, "DELETE", "/keys/crew", "admin", ""), 204)
	e.clock.Add(auth.DefaultTTL)
	wantStatus(t, "POST with a revoked key", e.do(t, "POST", "/collections/signs/items", "crew", okSign), 401)

	// A key past its expiry is refused like a revoked one.
	token, rec, _ := auth.New("temp", auth.RoleEditor, nil, e.clock.Now().Add(time.Hour))
	if _, err := e.b.(store.Keys).CreateKey(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	e.keys["temp"] = token
	wantStatus(t, "POST with a key before its expiry", e.do(t, "POST", "/collections/signs/items", "temp", okSign), 201)
	e.clock.Add(time.Hour)
	wantStatus(t, "POST with an expired key", e.do(t, "POST", "/collections/signs/items", "temp", okSign), 401)

	// Admins make and drop collections.
	r = e.do(t, "POST", "/collections", "admin", `{"id":"hydrants","title":"Hydrants","geometryType":"Point","fields":[{"name":"flow","type":"number"}]}`, "Content-Type", "application/json")
	wantStatus(t, "POST /collections", r, 201)
	wantStatus(t, "the new collection", get(t, e.srv, "/collections/hydrants"), 200)
	wantStatus(t, "POST /collections as editor", e.do(t, "POST", "/collections", "editor", `{"id":"x","geometryType":"Point"}`, "Content-Type", "application/json"), 403)
	wantStatus(t, "DELETE /collections/hydrants", e.do(t, "DELETE", "/collections/hydrants", "admin", ""), 204)
	wantStatus(t, "the dropped collection", get(t, e.srv, "/collections/hydrants"), 404)

	// No key in any log line.
	for name, k := range e.keys {
		_, secret, _ := auth.Parse(k)
		if strings.Contains(e.logs.String(), secret) {
			t.Errorf("the log holds the secret of key %s", name)
		}
	}
}

// TestAuthThrottle: past its quota of failures an address gets 429 with
// Retry-After, even with a good key, until its bucket refills.
func TestAuthThrottle(t *testing.T) {
	b, _ := backends[0].open(t)
	e := newWriteEnv(t, b)
	bad := "Bearer ca_000000000000_" + strings.Repeat("0", 64)
	for i := range 10 {
		r := send(t, e.srv.URL, "GET", "/collections", nil, "Authorization", bad)
		wantStatus(t, "failure "+itoa(int64(i)), r, 401)
	}
	r := e.do(t, "GET", "/collections", "viewer", "")
	wantStatus(t, "after 10 failures", r, 429)
	if r.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	e.clock.Add(time.Minute)
	wantStatus(t, "after the bucket refilled", e.do(t, "GET", "/collections", "viewer", ""), 200)
}

// newLogger logs as text to w, at debug level, so that a test can read
// every line the server wrote.
func newLogger(w *bytes.Buffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(&lockedWriter{w: w}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
