package api_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/twpayne/go-geom"

	"github.com/cityatlas/cityatlas/api"
	"github.com/cityatlas/cityatlas/store"
)

const (
	uriCRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
	uri4326  = "http://www.opengis.net/def/crs/EPSG/0/4326"
	uri3857  = "http://www.opengis.net/def/crs/EPSG/0/3857"
	uri32611 = "http://www.opengis.net/def/crs/EPSG/0/32611"
	uri2230  = "http://www.opengis.net/def/crs/EPSG/0/2230"
	usFoot   = 1200.0 / 3937 // metres
)

// place is a control point of testdata/crs: a GeoNames place in Imperial
// County with PROJ's coordinates in EPSG:2230 (US feet) and UTM 11N.
type place struct {
	name         string
	lon, lat     float64
	x2230, y2230 float64
	xUTM, yUTM   float64
}

func readPlaces(t *testing.T) []place {
	t.Helper()
	f, err := os.Open("testdata/crs/imperial_places_wgs84_to_epsg2230_and_26911.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []place
	for _, r := range recs[1:] {
		n := make([]float64, 6)
		for i := range n {
			if n[i], err = strconv.ParseFloat(r[i+1], 64); err != nil {
				t.Fatal(err)
			}
		}
		out = append(out, place{name: r[0], lat: n[0], lon: n[1], x2230: n[2], y2230: n[3], xUTM: n[4], yUTM: n[5]})
	}
	return out
}

// crsEnv is a server on backend b with one point layer "places" holding
// the control points; ids maps a place's name to its feature id.
func crsEnv(t *testing.T, b store.Backend, places []place) (*httptest.Server, map[string]int64) {
	t.Helper()
	ctx := context.Background()
	coll := store.Collection{ID: "places", Title: "Places", Geometry: store.GeometryPoint, Fields: []store.Field{{Name: "name", Type: store.TypeString}}}
	if _, err := b.CreateCollection(ctx, coll); err != nil {
		t.Fatal(err)
	}
	var muts []store.Mutation
	for _, p := range places {
		props, err := store.EncodeProperties(&coll, map[string]any{"name": p.name})
		if err != nil {
			t.Fatal(err)
		}
		muts = append(muts, store.Mutation{Op: store.OpInsert, Feature: store.Feature{
			Geometry: geom.NewPointFlat(geom.XY, []float64{p.lon, p.lat}).SetSRID(4326), Properties: props}})
	}
	if _, err := b.Apply(ctx, "places", muts, "test"); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := httptest.NewServer(api.NewServer(st, api.Config{}, nil))
	t.Cleanup(srv.Close)
	var fc featureCollection
	decode(t, get(t, srv, "/collections/places/items?limit=100"), &fc)
	ids := map[string]int64{}
	for _, f := range fc.Features {
		ids[f.Properties["name"].(string)] = f.ID
	}
	if len(ids) != len(places) {
		t.Fatalf("%d places served, want %d", len(ids), len(places))
	}
	return srv, ids
}

// pointsIn reads the point coordinates of a FeatureCollection by name,
// checking the Content-Crs header.
func pointsIn(t *testing.T, r response, crs string) map[string][2]float64 {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if got := r.header.Get("Content-Crs"); got != "<"+crs+">" {
		t.Errorf("Content-Crs %q, want <%s>", got, crs)
	}
	var fc featureCollection
	decode(t, r, &fc)
	out := map[string][2]float64{}
	for _, f := range fc.Features {
		var g struct{ Coordinates []float64 }
		if err := json.Unmarshal(f.Geometry, &g); err != nil || len(g.Coordinates) != 2 {
			t.Fatalf("geometry %s: %v", f.Geometry, err)
		}
		out[f.Properties["name"].(string)] = [2]float64{g.Coordinates[0], g.Coordinates[1]}
	}
	return out
}

func names(m map[string][2]float64) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestCRSOutput: items and single features in every offered CRS, on both
// backends, agree with PROJ's numbers for the control points to 1 mm, and
// EPSG:4326 is latitude first.
func TestCRSOutput(t *testing.T) {
	places := readPlaces(t)
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			b, _ := be.open(t)
			srv, ids := crsEnv(t, b, places)
			in2230 := pointsIn(t, get(t, srv, "/collections/places/items?limit=100&crs="+url.QueryEscape(uri2230)), uri2230)
			inUTM := pointsIn(t, get(t, srv, "/collections/places/items?limit=100&crs="+url.QueryEscape(uri32611)), uri32611)
			in4326 := pointsIn(t, get(t, srv, "/collections/places/items?limit=100&crs="+url.QueryEscape(uri4326)), uri4326)
			in84 := pointsIn(t, get(t, srv, "/collections/places/items?limit=100"), uriCRS84)
			for _, p := range places {
				g := in2230[p.name]
				if dx, dy := (g[0]-p.x2230)*usFoot, (g[1]-p.y2230)*usFoot; math.Hypot(dx, dy) > 0.001 {
					t.Errorf("%s in EPSG:2230: %.4f %.4f, PROJ %.4f %.4f (%.1f mm)", p.name, g[0], g[1], p.x2230, p.y2230, 1000*math.Hypot(dx, dy))
				}
				// EPSG:26911 (NAD83) and 32611 (WGS 84) are the same UTM zone;
				// the datums are taken as one, as PROJ does.
				g = inUTM[p.name]
				if d := math.Hypot(g[0]-p.xUTM, g[1]-p.yUTM); d > 0.001 {
					t.Errorf("%s in EPSG:32611: %.4f %.4f, PROJ %.4f %.4f (%.1f mm)", p.name, g[0], g[1], p.xUTM, p.yUTM, 1000*d)
				}
				if g = in4326[p.name]; g != [2]float64{p.lat, p.lon} {
					t.Errorf("%s in EPSG:4326: %v, want latitude first %v", p.name, g, [2]float64{p.lat, p.lon})
				}
				if g = in84[p.name]; g != [2]float64{p.lon, p.lat} {
					t.Errorf("%s in CRS84: %v, want %v", p.name, g, [2]float64{p.lon, p.lat})
				}
			}
			// One feature, with the CRS as a CURIE; its ETag differs from
			// the CRS84 one.
			path := "/collections/places/items/" + itoa(ids["Imperial"])
			r := get(t, srv, path+"?crs=[EPSG:2230]")
			if r.status != 200 || r.header.Get("Content-Crs") != "<"+uri2230+">" {
				t.Fatalf("feature in 2230: %d %q %s", r.status, r.header.Get("Content-Crs"), r.body)
			}
			var f struct {
				Geometry struct{ Coordinates []float64 }
			}
			decode(t, r, &f)
			if c := f.Geometry.Coordinates; len(c) != 2 || math.Abs(c[0]-6770683.8948) > 0.0033 || math.Abs(c[1]-1888840.5404) > 0.0033 {
				t.Errorf("Imperial in 2230: %v", c)
			}
			if plain := get(t, srv, path); plain.header.Get("ETag") == r.header.Get("ETag") || plain.header.Get("Content-Crs") != "<"+uriCRS84+">" {
				t.Errorf("CRS84 feature: ETag %s (2230: %s), Content-Crs %s", plain.header.Get("ETag"), r.header.Get("ETag"), plain.header.Get("Content-Crs"))
			}
			// CSV: easting and northing columns.
			r = get(t, srv, "/collections/places/items?f=csv&limit=100&crs="+url.QueryEscape(uri2230))
			rows, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
			if err != nil || r.status != 200 {
				t.Fatalf("CSV: %d %v %s", r.status, err, r.body)
			}
			if !slices.Equal(rows[0], []string{"id", "name", "easting", "northing"}) || len(rows) != len(places)+1 || r.header.Get("Content-Crs") != "<"+uri2230+">" {
				t.Errorf("CSV in 2230: header %v, %d rows, Content-Crs %q", rows[0], len(rows), r.header.Get("Content-Crs"))
			}
		})
	}
}

// TestCRSMatchesCS2CS runs PROJ's cs2cs on the control points for every
// offered projected or latitude-first CRS and compares the API's output.
func TestCRSMatchesCS2CS(t *testing.T) {
	cs2cs, err := exec.LookPath("cs2cs")
	if err != nil {
		msg := "cs2cs not found: install the Debian/Ubuntu package proj-bin"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	places := readPlaces(t)
	b, _ := backends[0].open(t)
	srv, _ := crsEnv(t, b, places)
	var in strings.Builder
	for _, p := range places {
		fmt.Fprintf(&in, "%.10f %.10f\n", p.lat, p.lon) // EPSG:4326 order
	}
	for _, tc := range []struct {
		code, uri string
		metres    float64 // per unit; 0: degrees
	}{
		{"EPSG:2230", uri2230, usFoot},
		{"EPSG:32611", uri32611, 1},
		{"EPSG:3857", uri3857, 1},
		{"EPSG:4326", uri4326, 0},
	} {
		t.Run(tc.code, func(t *testing.T) {
			cmd := exec.Command(cs2cs, "-f", "%.10f", "EPSG:4326", tc.code)
			cmd.Stdin = strings.NewReader(in.String())
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("cs2cs: %v", err)
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			got := pointsIn(t, get(t, srv, "/collections/places/items?limit=100&crs="+url.QueryEscape(tc.uri)), tc.uri)
			worst := 0.0
			for i, p := range places {
				f := strings.Fields(lines[i])
				x, _ := strconv.ParseFloat(f[0], 64)
				y, _ := strconv.ParseFloat(f[1], 64)
				g := got[p.name]
				d := math.Hypot(g[0]-x, g[1]-y) * tc.metres
				if tc.metres == 0 {
					d = math.Hypot(g[0]-x, (g[1]-y)*math.Cos(p.lat*math.Pi/180)) * 111320
				}
				worst = max(worst, d)
				if d > 0.001 {
					t.Errorf("%s: API %.4f %.4f, cs2cs %.4f %.4f: %.2f mm apart", p.name, g[0], g[1], x, y, 1000*d)
				}
			}
			t.Logf("%s: %d points, worst difference from cs2cs %.3g mm", tc.code, len(places), 1000*worst)
		})
	}
}

// TestCRSInput: bbox-crs and filter-crs in State Plane feet and in
// EPSG:4326 (latitude first) select what the same area in CRS84 does.
func TestCRSInput(t *testing.T) {
	places := readPlaces(t)
	var imperial place
	for _, p := range places {
		if p.name == "Imperial" {
			imperial = p
		}
	}
	x, y := imperial.x2230, imperial.y2230
	ftBox := func(x0, y0, x1, y1 float64) string { return fmt.Sprintf("%.4f,%.4f,%.4f,%.4f", x0, y0, x1, y1) }
	poly2230 := fmt.Sprintf("POLYGON((%[1]f %[2]f,%[3]f %[2]f,%[3]f %[4]f,%[1]f %[4]f,%[1]f %[2]f))", x-500, y-500, x+500, y+500)
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			b, _ := be.open(t)
			srv, _ := crsEnv(t, b, places)
			for _, tc := range []struct {
				name, query string
				want        []string
			}{
				{"bbox in 2230", "bbox=" + ftBox(x-1000, y-1000, x+1000, y+1000) + "&bbox-crs=" + url.QueryEscape(uri2230), []string{"Imperial"}},
				// The box's left side is 3 ft east of Imperial: its CRS84
				// envelope holds Imperial (the side is tilted by the
				// meridian convergence, 0.4°), the box does not.
				{"bbox in 2230 just east", "bbox=" + ftBox(x+3, y-2000, x+2003, y+2000) + "&bbox-crs=" + url.QueryEscape(uri2230), nil},
				{"bbox in 2230, El Centro to Imperial", "bbox=" + ftBox(6770000, 1868000, 6773000, 1889000) + "&bbox-crs=EPSG:2230", []string{"El Centro", "Imperial"}},
				{"bbox in 4326, latitude first", fmt.Sprintf("bbox=%f,%f,%f,%f&bbox-crs=%s", imperial.lat-0.01, imperial.lon-0.01, imperial.lat+0.01, imperial.lon+0.01, url.QueryEscape(uri4326)), []string{"Imperial"}},
				{"bbox in 32611", fmt.Sprintf("bbox=%f,%f,%f,%f&bbox-crs=%s", imperial.xUTM-100, imperial.yUTM-100, imperial.xUTM+100, imperial.yUTM+100, url.QueryEscape(uri32611)), []string{"Imperial"}},
				{"filter polygon in 2230", "filter=" + url.QueryEscape("S_INTERSECTS(geometry, "+poly2230+")") + "&filter-crs=" + url.QueryEscape(uri2230), []string{"Imperial"}},
				{"filter BBOX in 2230", "filter=" + url.QueryEscape("S_INTERSECTS(geometry, BBOX("+ftBox(6770000, 1868000, 6773000, 1889000)+"))") + "&filter-crs=" + url.QueryEscape(uri2230), []string{"El Centro", "Imperial"}},
				{"filter point in CRS84", "filter=" + url.QueryEscape(fmt.Sprintf("S_EQUALS(geometry, POINT(%v %v))", imperial.lon, imperial.lat)), []string{"Imperial"}},
				{"filter point in 4326", "filter=" + url.QueryEscape(fmt.Sprintf("S_EQUALS(geometry, POINT(%v %v))", imperial.lat, imperial.lon)) + "&filter-crs=" + url.QueryEscape(uri4326), []string{"Imperial"}},
				{"filter BBOX in 4326", "filter=" + url.QueryEscape(fmt.Sprintf("S_INTERSECTS(geometry, BBOX(%f,%f,%f,%f))", imperial.lat-0.01, imperial.lon-0.01, imperial.lat+0.01, imperial.lon+0.01)) + "&filter-crs=" + url.QueryEscape(uri4326), []string{"Imperial"}},
				{"filter JSON in 2230", "filter-lang=cql2-json&filter=" + url.QueryEscape(fmt.Sprintf(`{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Polygon","coordinates":[[[%[1]f,%[2]f],[%[3]f,%[2]f],[%[3]f,%[4]f],[%[1]f,%[4]f],[%[1]f,%[2]f]]]}]}`, x-500, y-500, x+500, y+500)) + "&filter-crs=" + url.QueryEscape(uri2230), []string{"Imperial"}},
			} {
				r := get(t, srv, "/collections/places/items?limit=100&"+tc.query)
				got := names(pointsIn(t, r, uriCRS84))
				if !slices.Equal(got, tc.want) {
					t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
				}
			}
			// /count and /stats take them too.
			var count struct{ Total int }
			decode(t, get(t, srv, "/count?bbox="+ftBox(6770000, 1868000, 6773000, 1889000)+"&bbox-crs=EPSG:2230"), &count)
			if count.Total != 2 {
				t.Errorf("/count with a bbox in 2230: %d, want 2", count.Total)
			}
		})
	}
}

// TestCRSErrors: an unknown or not offered CRS in any of the parameters is
// a 400 naming the parameter and listing the offered CRSs.
func TestCRSErrors(t *testing.T) {
	srv, _ := demoServer(t)
	filter := "&filter=" + url.QueryEscape("S_INTERSECTS(geometry, POINT(1 2))")
	for _, tc := range []struct{ path, param, says string }{
		{"/collections/stop_signs/items?crs=EPSG:27700", "crs", "not offered"},
		{"/collections/stop_signs/items?crs=nonsense", "crs", "not offered"},
		{"/collections/stop_signs/items?crs=" + url.QueryEscape("http://www.opengis.net/def/crs/EPSG/0/99999"), "crs", "not offered"},
		{"/collections/stop_signs/items/1?crs=EPSG:27700", "crs", "not offered"},
		{"/collections/stop_signs/items?crs=EPSG:2230&crs=EPSG:3857", "crs", "once"},
		{"/collections/stop_signs/items?f=html&crs=EPSG:2230", "crs", "HTML"},
		{"/collections/stop_signs/items?bbox=1,2,3,4&bbox-crs=EPSG:27700", "bbox-crs", "not offered"},
		{"/collections/stop_signs/items?bbox-crs=EPSG:27700", "bbox-crs", "not offered"},
		{"/collections/stop_signs/items?bbox=6770000,1890000,6773000,1889000&bbox-crs=EPSG:2230", "bbox", "minimum"},
		{"/collections/stop_signs/items?bbox=33,-116,32,-115&bbox-crs=EPSG:4326", "bbox", "latitude first"},
		{"/collections/stop_signs/items?filter-crs=urn:ogc:def:crs:EPSG::27700" + filter, "filter-crs", "not offered"},
		{"/count?filter-crs=EPSG:27700" + filter, "filter-crs", "not offered"},
		{"/collections/stop_signs/stats?bbox-crs=EPSG:27700", "bbox-crs", "not offered"},
		{"/collections/stop_signs/items?filter-crs=EPSG:32611&filter=" + url.QueryEscape("S_INTERSECTS(geometry, POINT(1e9 1e9))"), "filter", "outside"},
	} {
		r := get(t, srv, tc.path)
		var p struct {
			Status    int
			Parameter string
			Detail    string
		}
		if r.status != 400 || r.header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %d %s %s", tc.path, r.status, r.header.Get("Content-Type"), r.body)
			continue
		}
		decode(t, r, &p)
		if p.Parameter != tc.param || !strings.Contains(p.Detail, tc.says) {
			t.Errorf("%s: parameter %q detail %q, want %q saying %q", tc.path, p.Parameter, p.Detail, tc.param, tc.says)
		}
		if strings.Contains(tc.says, "offered") {
			for _, u := range []string{uriCRS84, uri4326, uri3857, uri32611, uri2230} {
				if !strings.Contains(p.Detail, u) {
					t.Errorf("%s: the problem does not list %s: %s", tc.path, u, p.Detail)
				}
			}
		}
	}
}

// TestCRSMetadata: /collections, /collections/{id} and /conformance say
// what is offered, and the OpenAPI document lists it.
func TestCRSMetadata(t *testing.T) {
	srv, _ := demoServer(t)
	want := []string{uriCRS84, uri4326, uri3857, uri32611, uri2230}
	var all struct {
		CRS         []string `json:"crs"`
		Collections []struct {
			ID         string   `json:"id"`
			CRS        []string `json:"crs"`
			StorageCRS string   `json:"storageCrs"`
		}
	}
	decode(t, get(t, srv, "/collections"), &all)
	if !slices.Equal(all.CRS, want) {
		t.Errorf("/collections crs %v, want %v", all.CRS, want)
	}
	for _, c := range all.Collections {
		if !slices.Equal(c.CRS, want) || c.StorageCRS != uriCRS84 {
			t.Errorf("%s: crs %v storageCrs %q", c.ID, c.CRS, c.StorageCRS)
		}
	}
	var one struct {
		CRS        []string `json:"crs"`
		StorageCRS string   `json:"storageCrs"`
	}
	decode(t, get(t, srv, "/collections/stop_signs"), &one)
	if !slices.Equal(one.CRS, want) || one.StorageCRS != uriCRS84 {
		t.Errorf("/collections/stop_signs: crs %v storageCrs %q", one.CRS, one.StorageCRS)
	}
	if page := string(get(t, srv, "/collections/stop_signs?f=html").body); !strings.Contains(page, `<code title="`+uri2230+`">EPSG:2230</code>`) {
		t.Errorf("the collection's HTML page does not list EPSG:2230")
	}
	var conf struct{ ConformsTo []string }
	decode(t, get(t, srv, "/conformance"), &conf)
	if !slices.Contains(conf.ConformsTo, "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs") {
		t.Errorf("/conformance lacks Part 2's crs class: %v", conf.ConformsTo)
	}
	r := get(t, srv, "/api")
	for _, u := range want {
		if !strings.Contains(string(r.body), u) {
			t.Errorf("/api does not list %s", u)
		}
	}
	// The demo's other layers: a polygon layer in 2230 keeps its rings.
	var fc featureCollection
	decode(t, get(t, srv, "/collections/parks/items?limit=1&crs="+url.QueryEscape(uri2230)), &fc)
	var g struct {
		Type        string
		Coordinates [][][][2]float64
	}
	if len(fc.Features) != 1 || json.Unmarshal(fc.Features[0].Geometry, &g) != nil || g.Type != "MultiPolygon" {
		t.Fatalf("a park in 2230: %s", fc.Features[0].Geometry)
	}
	if c := g.Coordinates[0][0][0]; c[0] < 6.6e6 || c[0] > 6.9e6 || c[1] < 1.8e6 || c[1] > 2.1e6 {
		t.Errorf("a park in 2230 starts at %v, outside Imperial's State Plane feet", c)
	}
}

// TestCRSDownloads: downloads take crs for the formats that can carry it
// (CSV columns, GeoJSON, FlatGeobuf's EPSG code, read back by GDAL) and
// refuse it for the others.
func TestCRSDownloads(t *testing.T) {
	places := readPlaces(t)
	byName := map[string]place{}
	for _, p := range places {
		byName[p.name] = p
	}
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			b, _ := be.open(t)
			srv, _ := crsEnv(t, b, places)
			r := get(t, srv, "/collections/places/download?f=csv&crs=EPSG:2230")
			rows, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
			if err != nil || r.status != 200 || r.header.Get("Content-Crs") != "<"+uri2230+">" {
				t.Fatalf("CSV download: %d %v %q %s", r.status, err, r.header.Get("Content-Crs"), r.body)
			}
			if !slices.Equal(rows[0], []string{"id", "name", "easting", "northing", "wkt"}) || len(rows) != len(places)+1 {
				t.Fatalf("CSV download in 2230: header %v, %d rows", rows[0], len(rows))
			}
			for _, row := range rows[1:] {
				p := byName[row[1]]
				x, _ := strconv.ParseFloat(row[2], 64)
				y, _ := strconv.ParseFloat(row[3], 64)
				if d := math.Hypot(x-p.x2230, y-p.y2230) * usFoot; d > 0.001 || row[4] != "POINT ("+row[2]+" "+row[3]+")" {
					t.Errorf("%s: %v, PROJ %.4f %.4f", p.name, row, p.x2230, p.y2230)
				}
			}
			in4326 := pointsIn(t, get(t, srv, "/collections/places/download?f=geojson&crs="+url.QueryEscape(uri4326)), uri4326)
			if g := in4326["Imperial"]; g != [2]float64{byName["Imperial"].lat, byName["Imperial"].lon} {
				t.Errorf("GeoJSON download in 4326: Imperial at %v, want latitude first", g)
			}
			r = get(t, srv, "/collections/places/download?f=gpkg&crs=EPSG:2230")
			var p struct{ Parameter, Detail string }
			decode(t, r, &p)
			if r.status != 400 || p.Parameter != "crs" || !strings.Contains(p.Detail, "fgb") {
				t.Errorf("GeoPackage in 2230: %d %s", r.status, r.body)
			}
			if r := get(t, srv, "/collections/places/download?f=kml&crs="+url.QueryEscape(uriCRS84)); r.status != 200 {
				t.Errorf("KML in CRS84: %d %s", r.status, r.body)
			}
		})
	}
	t.Run("GDAL reads FlatGeobuf in 2230", func(t *testing.T) {
		ogrinfo := needGDAL(t, "ogrinfo")
		b, _ := backends[0].open(t)
		srv, _ := crsEnv(t, b, places)
		r := get(t, srv, "/collections/places/download?f=fgb&crs="+url.QueryEscape(uri2230))
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		path := t.TempDir() + "/places.fgb"
		if err := os.WriteFile(path, r.body, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(ogrinfo, "-al", "-where", "name = 'Imperial'", path).CombinedOutput()
		if err != nil {
			t.Fatalf("ogrinfo: %v\n%s", err, out)
		}
		s := string(out)
		if !strings.Contains(s, `"NAD83 / California zone 6 (ftUS)"`) || !strings.Contains(s, "POINT (6770683.8948 1888840.5404)") {
			t.Errorf("ogrinfo of the FlatGeobuf in 2230:\n%s", s)
		}
	})
}
