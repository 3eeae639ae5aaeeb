package api_test

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dlclark/regexp2/v2"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/cityatlas/cityatlas/api"
	"github.com/cityatlas/cityatlas/formats"
)

// dcatSchema compiles the DCAT-US 1.1 catalog schema from testdata.
func dcatSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	// The schema's date patterns are ECMAScript regular expressions, with
	// look-aheads that Go's regexp lacks.
	c.UseRegexpEngine(func(s string) (jsonschema.Regexp, error) {
		re, err := regexp2.Compile(s, regexp2.ECMAScript)
		if err != nil {
			return nil, err
		}
		return ecmaRegexp{re}, nil
	})
	for _, name := range []string{"catalog", "dataset", "distribution", "organization", "vcard"} {
		b, err := os.ReadFile(filepath.Join("testdata", "dcat-us-1.1", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AddResource("https://project-open-data.cio.gov/v1.1/schema/"+name+".json", doc); err != nil {
			t.Fatal(err)
		}
	}
	s, err := c.Compile("https://project-open-data.cio.gov/v1.1/schema/catalog.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDataJSONValidates(t *testing.T) {
	schema := dcatSchema(t)
	_, st := demoServer(t)
	srv := httptest.NewServer(api.NewServer(st, api.Config{Title: "Imperial", Catalog: api.Catalog{ContactEmail: "gis@imperial.example.gov"}}, nil))
	defer srv.Close()
	r := get(t, srv, "/data.json")
	if r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(doc); err != nil {
		t.Fatalf("data.json does not validate against DCAT-US 1.1: %v", err)
	}
	var cat struct {
		Dataset []struct {
			Title        string
			ContactPoint struct{ HasEmail string }
			Distribution []struct{ DownloadURL, AccessURL, MediaType string }
		}
	}
	decode(t, r, &cat)
	if len(cat.Dataset) != len(st.Collections()) {
		t.Fatalf("%d datasets for %d collections", len(cat.Dataset), len(st.Collections()))
	}
	for _, d := range cat.Dataset {
		downloads := 0
		for _, dist := range d.Distribution {
			if dist.DownloadURL != "" {
				downloads++
				if !strings.HasPrefix(dist.DownloadURL, srv.URL+"/collections/") || dist.MediaType == "" {
					t.Errorf("%s: distribution %+v", d.Title, dist)
				}
				if r := get(t, srv, strings.TrimPrefix(dist.DownloadURL, srv.URL), "Accept-Encoding", "identity"); r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), dist.MediaType) {
					t.Errorf("%s: %s answers %d %s", d.Title, dist.DownloadURL, r.status, r.header.Get("Content-Type"))
				}
			}
		}
		if downloads != len(formats.All) || d.ContactPoint.HasEmail != "mailto:gis@imperial.example.gov" {
			t.Errorf("%s: %d downloads, contact %q", d.Title, downloads, d.ContactPoint.HasEmail)
		}
	}
	// A broken catalog must fail the schema: the test can tell.
	var bad map[string]any
	json.Unmarshal(r.body, &bad)
	delete(bad["dataset"].([]any)[0].(map[string]any), "contactPoint")
	if err := schema.Validate(bad); err == nil {
		t.Error("a dataset without contactPoint validates")
	}
}

func TestCatalogJSONLD(t *testing.T) {
	srv, st := demoServer(t)
	r := get(t, srv, "/catalog.jsonld")
	if r.status != 200 || r.header.Get("Content-Type") != "application/ld+json" {
		t.Fatalf("status %d, type %q", r.status, r.header.Get("Content-Type"))
	}
	var cat struct {
		Context map[string]string `json:"@context"`
		Dataset []struct {
			Type         []string `json:"@type"`
			Name         string   `json:"schema:name"`
			Distribution []struct {
				ContentURL string `json:"schema:contentUrl"`
				Format     string `json:"schema:encodingFormat"`
			} `json:"schema:distribution"`
		} `json:"dcat:dataset"`
	}
	decode(t, r, &cat)
	if cat.Context["dcat"] != "http://www.w3.org/ns/dcat#" || cat.Context["schema"] != "https://schema.org/" {
		t.Errorf("context %v", cat.Context)
	}
	if len(cat.Dataset) != len(st.Collections()) {
		t.Fatalf("%d datasets", len(cat.Dataset))
	}
	for _, d := range cat.Dataset {
		if len(d.Type) != 2 || d.Type[1] != "schema:Dataset" || d.Name == "" || len(d.Distribution) != len(formats.All) {
			t.Errorf("dataset %+v", d)
		}
	}
}

type ecmaRegexp struct{ re *regexp2.Regexp }

func (r ecmaRegexp) MatchString(s string) bool {
	ok, err := r.re.MatchString(s)
	return err == nil && ok
}

func (r ecmaRegexp) String() string { return r.re.String() }
