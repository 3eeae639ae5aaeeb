package api_test

import (
	"math"
	"net/url"
	"strings"
	"testing"

	"github.com/cityatlas/cityatlas/api"
	"github.com/cityatlas/cityatlas/store"
)

type searchDoc struct {
	Query   string `json:"query"`
	Results []struct {
		Kind        string     `json:"kind"`
		Collection  string     `json:"collection"`
		Layer       string     `json:"layer"`
		ID          int64      `json:"id"`
		IDs         []int64    `json:"ids"`
		Count       int        `json:"count"`
		Title       string     `json:"title"`
		Description string     `json:"description"`
		Point       [2]float64 `json:"point"`
	} `json:"results"`
}

func searchFor(t *testing.T, path string) searchDoc {
	t.Helper()
	srv, _ := demoServer(t)
	r := get(t, srv, path)
	if r.status != 200 {
		t.Fatalf("%s: %d %s", path, r.status, r.body)
	}
	var d searchDoc
	decode(t, r, &d)
	return d
}

func TestSearchIntersection(t *testing.T) {
	_, st := demoServer(t)
	d := searchFor(t, "/search?q="+url.QueryEscape("Imperial Ave & Barioni Blvd"))
	if len(d.Results) == 0 || d.Results[0].Kind != "intersection" || d.Results[0].Title != "Imperial Ave & Barioni Blvd" {
		t.Fatalf("first result %+v", d.Results)
	}
	// The intersection is where the signal of that name stands.
	page, err := st.Items(t.Context(), "traffic_signals", store.Filter{Props: []store.PropFilter{{Name: "name", Value: "Imperial Ave & Barioni Blvd"}}})
	if err != nil || len(page.Features) != 1 {
		t.Fatalf("signal: %v %d", err, len(page.Features))
	}
	c := page.Features[0].Geometry.FlatCoords()
	p := d.Results[0].Point
	if math.Abs(p[0]-c[0]) > 1e-6 || math.Abs(p[1]-c[1]) > 1e-6 {
		t.Errorf("intersection at %v, signal at %v", p, c[:2])
	}
	// The signal itself is found too, one result for the place.
	found := 0
	for _, r := range d.Results {
		if r.Collection == "traffic_signals" && r.ID == page.Features[0].ID {
			found++
		}
	}
	if found != 1 {
		t.Errorf("the signal appears %d times: %+v", found, d.Results)
	}
}

func TestSearchGroupsOnePlace(t *testing.T) {
	_, st := demoServer(t)
	page, err := st.Items(t.Context(), "stop_signs", store.Filter{Props: []store.PropFilter{{Name: "control", Value: "all_way"}}, Limit: 1})
	if err != nil || len(page.Features) != 1 {
		t.Fatal(err)
	}
	vals, _ := page.Features[0].Properties.Values(&store.Collection{Fields: []store.Field{{Name: "name", Type: store.TypeString}}})
	name := vals["name"].(string)
	d := searchFor(t, "/search?q="+url.QueryEscape(name))
	var groups int
	for _, r := range d.Results {
		if r.Collection == "stop_signs" && r.Title == name {
			groups++
			if r.Count < 2 || len(r.IDs) != r.Count || !strings.Contains(r.Description, "bound") {
				t.Errorf("group %+v: want the approaches told apart", r)
			}
		}
	}
	if groups == 0 {
		t.Fatalf("no group of stop signs for %q: %+v", name, d.Results)
	}
}

func TestSearchLayersAndSynonyms(t *testing.T) {
	tests := []struct {
		q, kind, collection string
	}{
		{"traffic light", "layer", "traffic_signals"},
		{"traffic signals", "layer", "traffic_signals"},
		{"wifi", "layer", "wifi_towers"},
		{"stop sign", "layer", "stop_signs"},
		{"Barioni Blvd", "street", "streets"},
	}
	for _, tc := range tests {
		t.Run(tc.q, func(t *testing.T) {
			d := searchFor(t, "/search?q="+url.QueryEscape(tc.q))
			for _, r := range d.Results[:min(3, len(d.Results))] {
				if r.Kind == tc.kind && r.Collection == tc.collection {
					return
				}
			}
			t.Errorf("%q: no %s %s among the first results %+v", tc.q, tc.kind, tc.collection, d.Results)
		})
	}
}

func TestSearchNothingAndBadParams(t *testing.T) {
	d := searchFor(t, "/search?q=zzzqqq")
	if len(d.Results) != 0 {
		t.Errorf("results for nonsense: %+v", d.Results)
	}
	srv, _ := demoServer(t)
	for _, tc := range []struct{ path, param string }{
		{"/search", "q"},
		{"/search?q=", "q"},
		{"/search?q=a&limit=0", "limit"},
		{"/search?q=a&limit=51", "limit"},
		{"/search?q=" + strings.Repeat("a", 201), "q"},
		{"/search?q=a&colour=red", "colour"},
	} {
		r := get(t, srv, tc.path)
		if r.status != 400 || !strings.Contains(string(r.body), `"parameter":"`+tc.param+`"`) {
			t.Errorf("%s: %d %s", tc.path, r.status, r.body)
		}
	}
}

func TestSearchFields(t *testing.T) {
	c := store.Collection{ID: "landmarks", Fields: []store.Field{
		{Name: "landmark_name", Type: store.TypeString}, {Name: "id_1", Type: store.TypeString},
		{Name: "address", Type: store.TypeString}, {Name: "pri_neigh", Type: store.TypeString},
		{Name: "condition", Type: store.TypeString, Values: []string{"good"}}, {Name: "lanes", Type: store.TypeInteger},
		{Name: "ssid", Type: store.TypeString},
	}}
	if got := api.SearchFields(c, nil); len(got) != 3 || got[0] != 0 || got[1] != 2 || got[2] != 3 {
		t.Errorf("default search fields %v, want landmark_name, address, pri_neigh", got)
	}
	if got := api.SearchFields(c, map[string][]string{"landmarks": {"ssid"}}); len(got) != 1 || got[0] != 6 {
		t.Errorf("configured search fields %v, want ssid", got)
	}
}
