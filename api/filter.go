package api

import (
	"errors"
	"net/url"

	"github.com/cityatlas/cityatlas/cql2"
	"github.com/cityatlas/cityatlas/store"
)

// filterParams are the query parameters of a CQL2 filter (OGC API -
// Features Part 3).
var filterParams = []string{"filter", "filter-lang", "filter-crs"}

// The filter languages offered, the first the default.
const (
	langText = "cql2-text"
	langJSON = "cql2-json"
)

// cql2Classes are the CQL2 and Part 3 conformance classes that the tests
// of store/storetest (both backends) and api exercise (array-functions on
// fields of type array).
var cql2Classes = []string{
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
	"http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
	"http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
	"http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
	"http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
	"http://www.opengis.net/spec/cql2/1.0/conf/accent-insensitive-comparison",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
	"http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
	"http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
	"http://www.opengis.net/spec/cql2/1.0/conf/array-functions",
	"http://www.opengis.net/spec/cql2/1.0/conf/property-property",
	"http://www.opengis.net/spec/cql2/1.0/conf/arithmetic",
}

// parseFilter reads filter, filter-lang and filter-crs into a CQL2 tree
// checked against collection ci (nil when there is no filter). A filter
// that does not parse is a 400 naming the position; one that names an
// unknown property, compares mismatched types or holds an invalid geometry,
// a 400 naming the property or the geometry.
func (s *Server) parseFilter(q url.Values, ci store.CollectionInfo) (cql2.Expr, error) {
	e, err := s.parseFilterTree(q)
	if err != nil || e == nil {
		return nil, err
	}
	if _, err := cql2.Compile(e, store.Queryables(&ci.Collection)); err != nil {
		return nil, filterProblem(ci.ID, err) // also a geometry literal that is not valid
	}
	return e, nil
}

// parseFilterTree reads the filter parameters without a collection; the
// geometry literals of a filter in another filter-crs come back in CRS84.
func (s *Server) parseFilterTree(q url.Values) (cql2.Expr, error) {
	src, ok, err := single(q, "filter")
	if err != nil {
		return nil, err
	}
	lang, langSet, err := single(q, "filter-lang")
	if err != nil {
		return nil, err
	}
	if langSet && lang != langText && lang != langJSON {
		return nil, badParam("filter-lang", "filter-lang %q is not offered; use %s (the default) or %s", lang, langText, langJSON)
	}
	in, err := s.parseCRS(q, "filter-crs")
	if err != nil {
		return nil, err
	}
	if !ok {
		if langSet {
			return nil, badParam("filter-lang", "filter-lang is given without a filter")
		}
		return nil, nil
	}
	var e cql2.Expr
	if lang == langJSON {
		e, err = cql2.ParseJSON([]byte(src))
	} else {
		e, err = cql2.ParseText(src)
	}
	if err != nil {
		return nil, badParam("filter", "filter (%s) %s", map[bool]string{true: langJSON, false: langText}[lang == langJSON], err)
	}
	if !in.identity() {
		return in.exprToCRS84(e)
	}
	return e, nil
}

// filterProblem turns the error of cql2.Check (or of the store's own
// check) into a 400 about the filter that names the property.
func filterProblem(coll string, err error) *Problem {
	var ce *cql2.CheckError
	if errors.As(err, &ce) {
		return badParam("filter", "filter on collection %q: %s", coll, ce.Msg)
	}
	return badParam("filter", "filter on collection %q: %s", coll, err)
}

// withFilterParams adds the filter parameters to a list of known ones,
// with room for the fields of most collections, which callers add.
func withFilterParams(known ...string) []string {
	return append(append(make([]string, 0, len(known)+len(filterParams)+16), known...), filterParams...)
}
