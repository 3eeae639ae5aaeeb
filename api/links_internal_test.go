package api

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cityatlas/cityatlas/store"
)

// randText returns a short string of characters that links and queries
// can hold, and some that must be escaped (quotes, <>&, controls,
// non-ASCII, U+2028, invalid UTF-8).
func randText(rng *rand.Rand) string {
	pieces := []string{"a", "Z", "9", "-", "_", ".", "~", " ", "&", "=", "?", "/", "%", "+", ",", ":", `"`, `\`, "<", ">",
		"\n", "\t", "\x01", "\x7f", "é", "\u2028", "\xff", "日本", "CRS84"}
	var s string
	for range rng.IntN(8) {
		s += pieces[rng.IntN(len(pieces))]
	}
	return s
}

// TestAppendLinksIsJSONMarshal: the hand-written links encoder writes the
// bytes json.Marshal writes, escapes included.
func TestAppendLinksIsJSONMarshal(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	for i := range 2000 {
		links := make([]Link, rng.IntN(4))
		for j := range links {
			links[j] = Link{Href: randText(rng), Rel: randText(rng), Type: randText(rng), Title: randText(rng)}
		}
		want, err := json.Marshal(links)
		if err != nil {
			t.Fatal(err)
		}
		if len(links) == 0 {
			want = []byte("[]")
		}
		if got := appendLinks(nil, links); string(got) != string(want) {
			t.Fatalf("case %d: appendLinks\n%s\njson.Marshal\n%s", i, got, want)
		}
	}
}

// TestAppendQueryIsValuesEncode: the query of a link is url.Values.Encode
// of the request's query with the set parameters in place of its own.
func TestAppendQueryIsValuesEncode(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	names := []string{"f", "bbox", "limit", "offset", "crs", "x y", "&", "é"}
	for i := range 2000 {
		q := url.Values{}
		for range rng.IntN(5) {
			n := names[rng.IntN(len(names))]
			q[n] = append(q[n], randText(rng))
		}
		var set []param
		want := url.Values{}
		for k, v := range q {
			want[k] = v
		}
		for range rng.IntN(3) {
			p := param{name: names[rng.IntN(len(names))], n: rng.IntN(2000)}
			if rng.IntN(2) == 0 {
				p.value = randText(rng) + "v"
			}
			set = append(set, p)
			if p.value == "" {
				want.Set(p.name, strconv.Itoa(p.n))
			} else {
				want.Set(p.name, p.value)
			}
		}
		// A name set twice takes its first value, as appendQuery does.
		for j := len(set) - 1; j >= 0; j-- {
			if set[j].value == "" {
				want.Set(set[j].name, strconv.Itoa(set[j].n))
			} else {
				want.Set(set[j].name, set[j].value)
			}
		}
		w := ""
		if e := want.Encode(); e != "" {
			w = "?" + e
		}
		if got := string(appendQuery([]byte("/p"), q, set...)); got != "/p"+w {
			t.Fatalf("case %d: q %v set %v: appendQuery %q, url.Values %q", i, q, set, got, "/p"+w)
		}
	}
}

// TestETagFormat: an ETag is "ID-Seq-Gen-Count-H" with H the FNV-1a hash
// of the query, "|" and the extra part, in base 36.
func TestETagFormat(t *testing.T) {
	ci := store.CollectionInfo{Collection: store.Collection{ID: "stop_signs"}, Seq: 42, Gen: 3, Count: 1000000}
	for _, raw := range []string{"", "bbox=1,2,3,4&limit=100", "f=json"} {
		e := echo.New()
		c := e.NewContext(httptest.NewRequest(http.MethodGet, "/collections/stop_signs/items?"+raw, nil), httptest.NewRecorder())
		h := uint64(14695981039346656037)
		for _, b := range []byte(raw + "|json-EPSG2230") {
			h = (h ^ uint64(b)) * 1099511628211
		}
		want := fmt.Sprintf(`"stop_signs-42-3-1000000-%s"`, strconv.FormatUint(h, 36))
		if got := etag(ci, c, "json-EPSG2230"); got != want {
			t.Errorf("query %q: etag %s, want %s", raw, got, want)
		}
	}
}

// TestLinkBuilderJSON: the links a builder writes into a GeoJSON answer
// are those it returns as []Link, as json.Marshal writes them, and a
// builder taken again from the pool starts afresh.
func TestLinkBuilderJSON(t *testing.T) {
	s := &Server{cfg: Config{BaseURL: "https://gis.example.org/atlas/"}}
	q := url.Values{"bbox": {"-115.6,32.8,-115.5,32.9"}, "limit": {"100"}, "f": {"json"}}
	for range 3 {
		b := s.newLinks(nil)
		b.alternates("/collections/a/items", q, fmtJSON, fmtJSON, fmtHTML, fmtCSV)
		b.page("/collections/a/items", q, fmtJSON, "next", 100, 1000)
		b.add("collection", mimeJSON, "Stop <signs> & \"poles\"", "/collections/a", nil)
		links := b.links()
		want, _ := json.Marshal(links)
		if got := b.appendJSON(nil); string(got) != string(want) {
			t.Fatalf("appendJSON\n%s\njson.Marshal(links)\n%s", got, want)
		}
		if len(links) != 5 || links[3].Href != "https://gis.example.org/atlas/collections/a/items?bbox=-115.6%2C32.8%2C-115.5%2C32.9&f=json&limit=1000&offset=100" {
			t.Fatalf("links %+v", links)
		}
		// alternates encodes the query once: the links are those add
		// makes with each f.
		ref := s.newLinks(nil)
		for _, f := range []string{fmtJSON, fmtHTML, fmtCSV} {
			ref.add("x", "", "", "/collections/a/items", q, param{name: "f", value: f})
		}
		for i, l := range ref.links() {
			if links[i].Href != l.Href {
				t.Errorf("alternate %d: %s, want %s", i, links[i].Href, l.Href)
			}
		}
		ref.free()
		b.free()
	}
}
