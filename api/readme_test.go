package api_test

import (
	"encoding/json"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEFilters runs the curl examples of the README's "Filters (CQL2)"
// part against the demo city: each must answer 200 and find something.
func TestREADMEFilters(t *testing.T) {
	if n := runREADMEExamples(t, "### Filters (CQL2)"); n < 10 {
		t.Errorf("%d curl examples found in the README's filters part", n)
	}
}

// TestREADMECRS runs the curl examples of the README's "Coordinate
// systems" part in the same way.
func TestREADMECRS(t *testing.T) {
	if n := runREADMEExamples(t, "### Coordinate systems"); n < 5 {
		t.Errorf("%d curl examples found in the README's coordinate systems part", n)
	}
}

// runREADMEExamples runs the curl commands (not the "$ curl" lines, which
// show an error) of the README part under heading against the demo city,
// and returns how many there were. Each must answer 200 and find
// something: a positive numberMatched, count or total, a CSV row, or a
// download's X-Number-Matched.
func runREADMEExamples(t *testing.T, heading string) int {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	start := strings.Index(doc, heading)
	if start < 0 {
		t.Fatalf("README has no %q part", heading)
	}
	part := doc[start+1:]
	part = part[:strings.Index(part, "\n### ")]
	part = strings.ReplaceAll(part, "\\\n", " ")
	cmdRe := regexp.MustCompile(`(?m)^curl (?:-G )?'?http://localhost:8080([^ ']*)'?(.*)$`)
	argRe := regexp.MustCompile(`--data-urlencode (?:"([^"]*)"|'([^']*)'|(\S+))`)
	srv, _ := demoServer(t)
	n := 0
	for _, m := range cmdRe.FindAllStringSubmatch(part, -1) {
		path, rest := m[1], m[2]
		q := url.Values{}
		for _, a := range argRe.FindAllStringSubmatch(rest, -1) {
			kv := a[1] + a[2] + a[3]
			k, v, _ := strings.Cut(kv, "=")
			q.Add(k, v)
		}
		if len(q) > 0 {
			path += "?" + q.Encode()
		}
		n++
		r := get(t, srv, path)
		if r.status != 200 {
			t.Errorf("%s: %d %s", path, r.status, r.body)
			continue
		}
		if n := r.header.Get("X-Number-Matched"); n != "" { // a download
			if n == "0" || len(r.body) == 0 {
				t.Errorf("%s finds nothing (X-Number-Matched %s, %d bytes)", path, n, len(r.body))
			}
			continue
		}
		if strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
			if strings.Count(string(r.body), "\n") < 2 {
				t.Errorf("%s finds nothing: %.300s", path, r.body)
			}
			continue
		}
		var body struct {
			NumberMatched *int `json:"numberMatched"`
			Count         *int `json:"count"`
			Total         *int `json:"total"`
		}
		_ = json.Unmarshal(r.body, &body)
		found := -1
		for _, p := range []*int{body.NumberMatched, body.Count, body.Total} {
			if p != nil {
				found = *p
			}
		}
		if found <= 0 {
			t.Errorf("%s finds nothing: %.300s", path, r.body)
		}
	}
	return n
}
