package api_test

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cityatlas/cityatlas/api"
	"github.com/cityatlas/cityatlas/auth"
	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/postgis"
	"github.com/cityatlas/cityatlas/store/postgis/pgtest"
)

// TestTwoInstances runs two servers on one PostGIS database, as behind a
// load balancer: a write through one shows on the other once it follows
// the change log, with its history and in the change feed; an edit made in
// the database shows on both with the database user as its actor; a key
// revoked through one is refused by the other within the key TTL.
func TestTwoInstances(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t, "cityatlas_two_")
	clk := &clock{now: time.Now()}
	var sts [2]*store.Store
	var srvs [2]*httptest.Server
	for i := range 2 {
		b, err := postgis.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		if i == 0 {
			if _, err := b.CreateCollection(ctx, store.Collection{ID: "signs", Geometry: store.GeometryPoint,
				Fields: []store.Field{{Name: "name", Type: store.TypeString}, {Name: "lanes", Type: store.TypeInteger}, {Name: "condition", Type: store.TypeString}}}); err != nil {
				t.Fatal(err)
			}
		}
		if sts[i], err = store.Open(ctx, b, nil); err != nil {
			t.Fatal(err)
		}
		srvs[i] = httptest.NewServer(api.NewServer(sts[i], api.Config{Keys: b, Now: clk.Now}, nil))
		t.Cleanup(srvs[i].Close)
	}
	keys := map[string]string{}
	for _, k := range []struct{ name, role string }{{"admin", auth.RoleAdmin}, {"crew", auth.RoleEditor}} {
		token, rec, _ := auth.New(k.name, k.role, nil, time.Time{})
		if _, err := sts[0].Backend().(store.Keys).CreateKey(ctx, rec); err != nil {
			t.Fatal(err)
		}
		keys[k.name] = token
	}
	do := func(i int, method, path, key, body string) response {
		t.Helper()
		h := []string{"Authorization", "Bearer " + keys[key], "Content-Type", "application/geo+json"}
		if body == "" {
			return send(t, srvs[i].URL, method, path, nil, h...)
		}
		return send(t, srvs[i].URL, method, path, strings.NewReader(body), h...)
	}

	// The second instance reads the crew key (and caches it) before anything.
	wantStatus(t, "crew on instance 2", do(1, "GET", "/collections", "crew", ""), 200)
	tileBefore := get(t, srvs[1], "/collections/signs/tiles/WebMercatorQuad/0/0/0").header.Get("ETag")

	r := do(0, "POST", "/collections/signs/items", "crew", okSign)
	wantStatus(t, "POST on instance 1", r, 201)
	path := strings.TrimPrefix(r.header.Get("Location"), srvs[0].URL)
	tag := r.header.Get("ETag")
	if err := sts[1].Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if g := get(t, srvs[1], path); g.status != 200 || g.header.Get("ETag") != tag {
		t.Errorf("instance 2 after sync: %d %q, want ETag %q", g.status, g.header.Get("ETag"), tag)
	}
	if after := get(t, srvs[1], "/collections/signs/tiles/WebMercatorQuad/0/0/0").header.Get("ETag"); after == tileBefore {
		t.Error("instance 2's tile ETag did not move with the write")
	}

	// An edit in the database, outside cityatlas.
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var user string
	if err := conn.QueryRow(ctx, `SELECT session_user`).Scan(&user); err != nil {
		t.Fatal(err)
	}
	id := strings.TrimPrefix(path, "/collections/signs/items/")
	if _, err := conn.Exec(ctx, `UPDATE features_signs SET condition = 'poor' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	for _, st := range sts {
		if err := st.Sync(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var hist struct {
		Versions []struct {
			Op, Actor string
			Version   int64
			Feature   struct {
				Properties map[string]any
			}
		}
	}
	decode(t, get(t, srvs[1], path+"/history"), &hist)
	if len(hist.Versions) != 2 || hist.Versions[0].Op != "insert" || hist.Versions[0].Actor != "crew" ||
		hist.Versions[1].Op != "update" || hist.Versions[1].Actor != user || hist.Versions[1].Feature.Properties["condition"] != "poor" ||
		hist.Versions[0].Feature.Properties["condition"] != "good" {
		t.Errorf("history on instance 2: %+v", hist)
	}
	var page struct {
		Versions []struct{ Op string }
		Links    []struct{ Href, Rel string }
	}
	decode(t, get(t, srvs[1], path+"/history?limit=1"), &page)
	next := ""
	for _, l := range page.Links {
		if l.Rel == "next" {
			next = strings.TrimPrefix(l.Href, srvs[1].URL)
		}
	}
	if len(page.Versions) != 1 || page.Versions[0].Op != "insert" || next == "" {
		t.Fatalf("history?limit=1: %+v", page)
	}
	page.Versions = nil
	decode(t, get(t, srvs[1], next), &page)
	if len(page.Versions) != 1 || page.Versions[0].Op != "update" {
		t.Errorf("history page 2 (%s): %+v", next, page)
	}
	if g := get(t, srvs[0], path); g.header.Get("ETag") == tag {
		t.Error("instance 1 did not see the database edit")
	}

	// The change feed, polled: every entry once, then a next link that
	// waits for more.
	var feed struct {
		Changes []struct {
			Seq       int64
			Op, Actor string
			Href      string
		}
		Last  int64
		Links []struct{ Href, Rel string }
	}
	decode(t, get(t, srvs[1], "/changes?limit=1"), &feed)
	if len(feed.Changes) != 1 || feed.Changes[0].Op != "insert" || !strings.HasSuffix(feed.Changes[0].Href, path) {
		t.Fatalf("first page of /changes: %+v", feed)
	}
	next = ""
	for _, l := range feed.Links {
		if l.Rel == "next" {
			next = strings.TrimPrefix(l.Href, srvs[1].URL)
		}
	}
	decode(t, get(t, srvs[1], next), &feed)
	if len(feed.Changes) != 1 || feed.Changes[0].Actor != user {
		t.Fatalf("second page of /changes (%s): %+v", next, feed)
	}
	wantStatus(t, "collection feed", get(t, srvs[1], "/collections/signs/changes"), 200)
	wantStatus(t, "feed with a bad since", get(t, srvs[1], "/changes?since=-1"), 400)

	// Server-Sent Events: the same entries as events with the seq as id.
	events := readEvents(t, srvs[1].URL+"/changes", 2)
	if len(events) != 2 || !strings.Contains(events[0], `"op":"insert"`) || !strings.Contains(events[1], `"actor":"`+user+`"`) {
		t.Errorf("events: %q", events)
	}

	// Revocation through instance 1 reaches instance 2 within the TTL.
	wantStatus(t, "revoke on instance 1", do(0, "DELETE", "/keys/crew", "admin", ""), 204)
	clk.Add(auth.DefaultTTL)
	wantStatus(t, "revoked key on instance 2", do(1, "POST", "/collections/signs/items", "crew", okSign), 401)
	wantStatus(t, "revoked key on instance 1", do(0, "POST", "/collections/signs/items", "crew", okSign), 401)
}

// readEvents reads the data of the first n events of a Server-Sent Events
// stream, then hangs up.
func readEvents(t *testing.T, url string, n int) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	req.Header.Set("Accept", "text/event-stream")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	var out []string
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() && len(out) < n {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			out = append(out, d)
		}
	}
	return out
}
