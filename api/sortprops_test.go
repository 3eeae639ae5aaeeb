package api_test

import (
	"encoding/csv"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/cityatlas/cityatlas/demo"
)

// TestSortBy checks the order of sortby against the same order worked out
// on the features, and that it pages.
func TestSortBy(t *testing.T) {
	srv, st := demoServer(t)
	props := allProps(t, st, demo.StopSigns)
	type row struct {
		id        int64
		condition string
		installed string
	}
	var rows []row
	for id, p := range props {
		c, _ := p["condition"].(string)
		i, _ := p["installed"].(string)
		rows = append(rows, row{id, c, i})
	}
	// condition ascending, installed descending (a missing date first),
	// then id.
	slices.SortFunc(rows, func(a, b row) int {
		if c := strings.Compare(a.condition, b.condition); c != 0 {
			return c
		}
		switch {
		case a.installed == "" && b.installed != "":
			return -1
		case b.installed == "" && a.installed != "":
			return 1
		}
		if c := strings.Compare(b.installed, a.installed); c != 0 {
			return c
		}
		return int(a.id - b.id)
	})
	var got []int64
	path := "/collections/stop_signs/items?limit=500&sortby=" + url.QueryEscape("condition,-installed")
	for path != "" {
		var fc featureCollection
		decode(t, get(t, srv, strings.TrimPrefix(path, srv.URL)), &fc)
		for _, f := range fc.Features {
			got = append(got, f.ID)
		}
		path = fc.link("next")
	}
	if len(got) != len(rows) {
		t.Fatalf("%d features through the pages, want %d", len(got), len(rows))
	}
	for i, r := range rows {
		if got[i] != r.id {
			t.Fatalf("position %d: feature %d, want %d (%v)", i, got[i], r.id, r)
		}
	}
	// "+" left unencoded is a space; -id reverses the id order.
	var fc featureCollection
	decode(t, get(t, srv, "/collections/stop_signs/items?limit=3&sortby=+condition,-id&filter="+url.QueryEscape("condition = 'poor'")), &fc)
	if len(fc.Features) != 3 || fc.Features[0].ID < fc.Features[1].ID || fc.Features[1].ID < fc.Features[2].ID {
		t.Errorf("sortby=-id: %v", fc.Features)
	}
	if r := get(t, srv, "/collections/stop_signs/items?sortby=colour"); r.status != 400 || !strings.Contains(string(r.body), `"parameter":"sortby"`) {
		t.Errorf("sortby=colour: %d %s", r.status, r.body)
	}
}

func TestProperties(t *testing.T) {
	srv, _ := demoServer(t)
	var fc featureCollection
	decode(t, get(t, srv, "/collections/stop_signs/items?limit=50&properties=condition,installed"), &fc)
	if len(fc.Features) != 50 {
		t.Fatalf("%d features", len(fc.Features))
	}
	for _, f := range fc.Features {
		for k := range f.Properties {
			if k != "condition" && k != "installed" {
				t.Fatalf("feature %d has %s", f.ID, k)
			}
		}
		if f.Properties["condition"] == nil {
			t.Fatalf("feature %d lacks its condition", f.ID)
		}
	}
	var none featureCollection
	decode(t, get(t, srv, "/collections/stop_signs/items?limit=5&properties="), &none)
	for _, f := range none.Features {
		if len(f.Properties) != 0 {
			t.Fatalf("properties= (none): feature %d has %v", f.ID, f.Properties)
		}
	}
	r := get(t, srv, "/collections/stop_signs/items?f=csv&limit=5&properties=installed,condition")
	rows, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
	if err != nil || len(rows) != 6 || strings.Join(rows[0], ",") != "id,condition,installed,longitude,latitude" {
		t.Errorf("CSV with properties: %v %v", err, rows)
	}
	if r := get(t, srv, "/collections/stop_signs/items?properties=colour"); r.status != 400 || !strings.Contains(string(r.body), `"parameter":"properties"`) {
		t.Errorf("properties=colour: %d %s", r.status, r.body)
	}
}

// TestDownloadFilterSort: a download takes the CQL2 filter and sortby.
func TestDownloadFilterSort(t *testing.T) {
	srv, _ := demoServer(t)
	q := url.Values{"f": {"csv"}, "properties": {"condition,installed"}, "sortby": {"-installed"},
		"filter": {"condition = 'poor' AND installed IS NOT NULL"}}
	r := get(t, srv, "/collections/stop_signs/download?"+q.Encode())
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	rows, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
	if err != nil || len(rows) < 3 {
		t.Fatalf("%v %d rows", err, len(rows))
	}
	ci, inst := slices.Index(rows[0], "condition"), slices.Index(rows[0], "installed")
	if ci < 0 || inst < 0 {
		t.Fatalf("header %v", rows[0])
	}
	var fc featureCollection
	decode(t, get(t, srv, "/collections/stop_signs/items?limit=1&filter="+url.QueryEscape(q.Get("filter"))), &fc)
	if len(rows)-1 != fc.NumberMatched {
		t.Errorf("download has %d rows, items matches %d", len(rows)-1, fc.NumberMatched)
	}
	for i, row := range rows[1:] {
		if row[ci] != "poor" {
			t.Fatalf("row %d: condition %q", i, row[ci])
		}
		if i > 0 && row[inst] > rows[i][inst] {
			t.Fatalf("row %d: installed %s after %s, not descending", i, row[inst], rows[i][inst])
		}
	}
}
