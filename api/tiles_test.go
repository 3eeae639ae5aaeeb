package api_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"github.com/cityatlas/cityatlas/api"
	"github.com/cityatlas/cityatlas/demo"
	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/gpkg"
)

// tileOf fetches a tile and decodes it with orb's decoder (independent of
// the encoder under test), in WGS84.
func tileOf(t *testing.T, r response, tile maptile.Tile) map[string]*mvt.Layer {
	t.Helper()
	out := map[string]*mvt.Layer{}
	if r.status == http.StatusNoContent {
		return out
	}
	if r.status != http.StatusOK {
		t.Fatalf("tile %v: status %d: %s", tile, r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/vnd.mapbox-vector-tile" {
		t.Fatalf("tile content type %q", ct)
	}
	layers, err := mvt.Unmarshal(r.body)
	if err != nil {
		t.Fatalf("orb cannot decode tile %v: %v", tile, err)
	}
	layers.ProjectToWGS84(tile)
	for _, l := range layers {
		out[l.Name] = l
	}
	return out
}

func tilePath(coll string, tile maptile.Tile) string {
	return fmt.Sprintf("/collections/%s/tiles/WebMercatorQuad/%d/%d/%d", coll, tile.Z, tile.Y, tile.X)
}

func bboxOf(b orb.Bound) string {
	return fmt.Sprintf("%s,%s,%s,%s", ftoa(b.Min[0]), ftoa(b.Min[1]), ftoa(b.Max[0]), ftoa(b.Max[1]))
}

// itemsIn returns the features of a collection the items endpoint finds in
// bound, by id.
func itemsIn(t *testing.T, srvGet func(string) response, coll string, b orb.Bound, extra string) map[int64]map[string]any {
	t.Helper()
	var fc featureCollection
	r := srvGet("/collections/" + coll + "/items?limit=10000&bbox=" + bboxOf(b) + extra)
	if r.status != http.StatusOK {
		t.Fatalf("items: %d %s", r.status, r.body)
	}
	decode(t, r, &fc)
	out := map[int64]map[string]any{}
	for _, f := range fc.Features {
		out[f.ID] = f.Properties
	}
	return out
}

func centreTile(t *testing.T, z maptile.Zoom) maptile.Tile {
	t.Helper()
	b := demo.Bounds(demo.Options{Seed: 1, Scale: 1})
	return maptile.At(orb.Point{(b[0] + b[2]) / 2, (b[1] + b[3]) / 2}, z)
}

// TestTilesMatchItems checks, for every layer and several tiles, that the
// features a tile holds are those the items endpoint returns for the same
// area, with the same properties.
func TestTilesMatchItems(t *testing.T) {
	srv, _ := demoServer(t)
	g := func(p string) response { return get(t, srv, p) }
	c := centreTile(t, 15)
	tiles := []maptile.Tile{c, maptile.New(c.X+1, c.Y, 15), maptile.New(c.X, c.Y+1, 15), centreTile(t, 16), centreTile(t, 14)}
	for _, coll := range []string{demo.StopSigns, demo.TrafficSignals, demo.Parks, demo.WifiTowers} {
		seen := 0
		for _, tile := range tiles {
			t.Run(fmt.Sprintf("%s/%d/%d/%d", coll, tile.Z, tile.X, tile.Y), func(t *testing.T) {
				layers := tileOf(t, g(tilePath(coll, tile)), tile)
				want := itemsIn(t, g, coll, tile.Bound(), "")
				buffered := itemsIn(t, g, coll, tile.Bound(64.0/4096), "")
				got := map[int64]map[string]any{}
				if l := layers[coll]; l != nil {
					for _, f := range l.Features {
						id, _ := strconv.ParseInt(fmt.Sprint(f.ID), 10, 64)
						got[id] = f.Properties
					}
				}
				for id := range want {
					if _, ok := got[id]; !ok {
						t.Errorf("feature %d is in the tile's area but not in the tile", id)
					}
				}
				for id, props := range got {
					full, ok := buffered[id]
					if !ok {
						t.Errorf("tile holds feature %d, which lies outside the tile and its buffer", id)
						continue
					}
					for k, v := range props {
						if full[k] != v {
							t.Errorf("feature %d: tile says %s=%v, items say %v", id, k, v, full[k])
						}
					}
					if props["name"] != full["name"] {
						t.Errorf("feature %d: tile name %v, items name %v", id, props["name"], full["name"])
					}
					if len(props) > 12 {
						t.Errorf("feature %d carries %d properties; tiles keep only name and enumerations", id, len(props))
					}
				}
				seen += len(want)
			})
		}
		if seen == 0 {
			t.Errorf("no %s in the test tiles: the test proves nothing", coll)
		}
	}
}

// TestTileClustersKeepTrueCounts checks that at low zoom the point counts
// of the clusters add up to the layer's count.
func TestTileClustersKeepTrueCounts(t *testing.T) {
	srv, st := demoServer(t)
	for _, coll := range []string{demo.StopSigns, demo.TrafficSignals} {
		for _, z := range []maptile.Zoom{8, 11, 13} {
			t.Run(fmt.Sprintf("%s/z%d", coll, z), func(t *testing.T) {
				ci, err := st.Collection(coll)
				if err != nil {
					t.Fatal(err)
				}
				min := maptile.At(orb.Point{ci.Extent[0], ci.Extent[3]}, z)
				max := maptile.At(orb.Point{ci.Extent[2], ci.Extent[1]}, z)
				total, clusters, features := 0, 0, 0
				for x := min.X; x <= max.X; x++ {
					for y := min.Y; y <= max.Y; y++ {
						tile := maptile.New(x, y, z)
						l := tileOf(t, get(t, srv, tilePath(coll, tile)), tile)[coll]
						if l == nil {
							continue
						}
						for _, f := range l.Features {
							features++
							if f.Properties["cluster"] == true {
								clusters++
								n, _ := f.Properties["point_count"].(float64)
								if n < 2 {
									t.Errorf("cluster with point_count %v", f.Properties["point_count"])
								}
								total += int(n)
							} else {
								total++
							}
						}
					}
				}
				if total != ci.Count {
					t.Fatalf("clusters and points add up to %d, the layer has %d", total, ci.Count)
				}
				if z <= 11 && clusters == 0 {
					t.Errorf("no clusters at zoom %d", z)
				}
				if z == 8 && features > 1024 {
					t.Errorf("%d features at zoom 8; the grid allows 1024", features)
				}
			})
		}
	}
}

func TestTileFilter(t *testing.T) {
	srv, _ := demoServer(t)
	tile := centreTile(t, 14)
	for _, tc := range []struct{ coll, prop, value string }{
		{demo.StopSigns, "condition", "poor"},
		{demo.TrafficSignals, "status", "operational"},
		{demo.Parks, "status", "open"},
	} {
		t.Run(tc.coll+"/"+tc.prop, func(t *testing.T) {
			l := tileOf(t, get(t, srv, tilePath(tc.coll, tile)+"?"+tc.prop+"="+tc.value), tile)[tc.coll]
			want := itemsIn(t, func(p string) response { return get(t, srv, p) }, tc.coll, tile.Bound(), "&"+tc.prop+"="+tc.value)
			if l == nil {
				if len(want) > 0 {
					t.Fatalf("filtered tile is empty; items has %d", len(want))
				}
				return
			}
			inside := 0
			for _, f := range l.Features {
				if f.Properties[tc.prop] != tc.value {
					t.Errorf("feature %v has %s=%v", f.ID, tc.prop, f.Properties[tc.prop])
				}
				id, _ := strconv.ParseInt(fmt.Sprint(f.ID), 10, 64)
				if _, ok := want[id]; ok {
					inside++
				}
			}
			if inside != len(want) {
				t.Errorf("tile has %d of the %d filtered features in its area", inside, len(want))
			}
		})
	}
}

func TestTileRequests(t *testing.T) {
	srv, _ := demoServer(t)
	c := centreTile(t, 15)
	tests := []struct {
		name, path string
		status     int
		detail     string // a fragment of the problem's detail
	}{
		{"collection tile", tilePath(demo.StopSigns, c), 200, ""},
		{"all layers", fmt.Sprintf("/tiles/%d/%d/%d.mvt", c.Z, c.X, c.Y), 200, ""},
		{"all layers, no suffix", fmt.Sprintf("/tiles/%d/%d/%d", c.Z, c.X, c.Y), 200, ""},
		{"some layers", fmt.Sprintf("/tiles/%d/%d/%d.mvt?collections=parks", c.Z, c.X, c.Y), 200, ""},
		{"empty tile", tilePath(demo.StopSigns, maptile.New(0, 0, 3)), 204, ""},
		{"zoom too deep", "/collections/stop_signs/tiles/WebMercatorQuad/25/0/0", 400, "0..24"},
		{"negative zoom", "/tiles/-1/0/0.mvt", 400, "0..24"},
		{"column out of range", "/collections/stop_signs/tiles/WebMercatorQuad/3/0/8", 400, "0..7"},
		{"row out of range", "/tiles/3/0/8.mvt", 400, "0..7"},
		{"not a number", "/tiles/3/a/0.mvt", 400, "whole number"},
		{"unknown property", tilePath(demo.StopSigns, c) + "?colour=red", 400, "colour"},
		{"bad enumeration filter type", tilePath(demo.TrafficSignals, c) + "?phases=many", 400, "phases"},
		{"unknown collection", tilePath("bus_stops", c), 404, "bus_stops"},
		{"unknown layer", "/tiles/3/0/0.mvt?collections=bus_stops", 400, "bus_stops"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := get(t, srv, tc.path)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.detail != "" && !bytes.Contains(r.body, []byte(tc.detail)) {
				t.Errorf("problem %s does not say %q", r.body, tc.detail)
			}
			if tc.status >= 400 && !strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") {
				t.Errorf("error content type %q", r.header.Get("Content-Type"))
			}
			if tc.status < 300 {
				if r.header.Get("ETag") == "" || !strings.Contains(r.header.Get("Cache-Control"), "public") {
					t.Errorf("tile without ETag or Cache-Control: %v", r.header)
				}
				if tc.status == 204 && len(r.body) != 0 {
					t.Errorf("204 with a body of %d bytes", len(r.body))
				}
				r2 := get(t, srv, tc.path, "If-None-Match", r.header.Get("ETag"))
				if r2.status != http.StatusNotModified {
					t.Errorf("If-None-Match with the ETag: status %d, want 304", r2.status)
				}
			}
		})
	}
}

func TestAllLayersTile(t *testing.T) {
	srv, _ := demoServer(t)
	c := centreTile(t, 15)
	layers := tileOf(t, get(t, srv, fmt.Sprintf("/tiles/%d/%d/%d.mvt", c.Z, c.X, c.Y)), c)
	for _, coll := range []string{demo.StopSigns, demo.TrafficSignals, demo.Parks} {
		one := tileOf(t, get(t, srv, tilePath(coll, c)), c)[coll]
		all := layers[coll]
		if one == nil || all == nil {
			t.Fatalf("%s missing: alone %v, in all %v", coll, one != nil, all != nil)
		}
		if len(one.Features) != len(all.Features) {
			t.Errorf("%s: %d features alone, %d in the all-layers tile", coll, len(one.Features), len(all.Features))
		}
	}
}

func TestTileJSON(t *testing.T) {
	srv, st := demoServer(t)
	var doc struct {
		TileJSON     string    `json:"tilejson"`
		Tiles        []string  `json:"tiles"`
		Bounds       []float64 `json:"bounds"`
		MinZoom      *int      `json:"minzoom"`
		MaxZoom      int       `json:"maxzoom"`
		VectorLayers []struct {
			ID     string            `json:"id"`
			Fields map[string]string `json:"fields"`
		} `json:"vector_layers"`
	}
	r := get(t, srv, "/collections/traffic_signals/tiles/WebMercatorQuad?status=flashing")
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	decode(t, r, &doc)
	ci, _ := st.Collection(demo.TrafficSignals)
	if doc.TileJSON != "3.0.0" || len(doc.Tiles) != 1 || doc.MinZoom == nil || doc.MaxZoom < 16 {
		t.Fatalf("bad TileJSON: %s", r.body)
	}
	if !strings.HasSuffix(doc.Tiles[0], "/collections/traffic_signals/tiles/WebMercatorQuad/{z}/{y}/{x}?status=flashing") {
		t.Errorf("tiles URL %q does not keep the filter", doc.Tiles[0])
	}
	if !slices.Equal(doc.Bounds, ci.Extent[:]) {
		t.Errorf("bounds %v, extent %v", doc.Bounds, ci.Extent)
	}
	if len(doc.VectorLayers) != 1 || doc.VectorLayers[0].Fields["status"] != "String" || doc.VectorLayers[0].Fields["point_count"] != "Number" {
		t.Errorf("vector_layers %+v", doc.VectorLayers)
	}
	if _, ok := doc.VectorLayers[0].Fields["phases"]; ok {
		t.Error("a non-enumerated field is listed among the tile fields")
	}
	r = get(t, srv, "/tiles.json")
	decode(t, r, &doc)
	if len(doc.VectorLayers) != len(st.Collections()) || !strings.HasSuffix(doc.Tiles[0], "/tiles/{z}/{x}/{y}.mvt") {
		t.Errorf("tiles.json: %s", r.body)
	}
	if r := get(t, srv, "/collections/parks/tiles/WebMercatorQuad?colour=green"); r.status != 400 {
		t.Errorf("unknown parameter: status %d", r.status)
	}
}

// TestTileGDAL reads a tile with GDAL's MVT driver and compares its
// features with the items endpoint's.
func TestTileGDAL(t *testing.T) {
	ogrinfo, err := exec.LookPath("ogrinfo")
	if err != nil {
		msg := "ogrinfo not found: install the Debian/Ubuntu package gdal-bin"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	srv, _ := demoServer(t)
	tile := centreTile(t, 15)
	for _, coll := range []string{demo.StopSigns, demo.Parks} {
		t.Run(coll, func(t *testing.T) {
			r := get(t, srv, tilePath(coll, tile))
			if r.status != 200 {
				t.Fatalf("status %d", r.status)
			}
			path := filepath.Join(t.TempDir(), "tile.mvt")
			if err := os.WriteFile(path, r.body, 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(ogrinfo, "-ro", "-al", "-q",
				"-oo", fmt.Sprintf("Z=%d", tile.Z), "-oo", fmt.Sprintf("X=%d", tile.X), "-oo", fmt.Sprintf("Y=%d", tile.Y), path).CombinedOutput()
			if err != nil {
				t.Fatalf("ogrinfo: %v\n%s", err, out)
			}
			ids := map[int64]bool{}
			for _, m := range regexp.MustCompile(`mvt_id \(Integer64\) = (\d+)`).FindAllSubmatch(out, -1) {
				id, _ := strconv.ParseInt(string(m[1]), 10, 64)
				ids[id] = true
			}
			want := itemsIn(t, func(p string) response { return get(t, srv, p) }, coll, tile.Bound(), "")
			buffered := itemsIn(t, func(p string) response { return get(t, srv, p) }, coll, tile.Bound(64.0/4096), "")
			if len(ids) == 0 {
				t.Fatalf("GDAL read no features:\n%.2000s", out)
			}
			for id := range want {
				if !ids[id] {
					t.Errorf("GDAL does not find feature %d of the tile's area", id)
				}
			}
			for id := range ids {
				if _, ok := buffered[id]; !ok {
					t.Errorf("GDAL finds feature %d, outside the tile", id)
				}
			}
			for id, props := range want {
				if name, _ := props["name"].(string); name != "" && !bytes.Contains(out, []byte("name (String) = "+name)) {
					t.Errorf("GDAL does not show feature %d's name %q", id, name)
				}
			}
		})
	}
}

// FuzzTileRequest sends arbitrary tile paths and queries: none may be
// answered with a server error.
func FuzzTileRequest(f *testing.F) {
	ctx := context.Background()
	b, err := gpkg.Open(ctx, filepath.Join(f.TempDir(), "fuzz.gpkg"))
	if err != nil {
		f.Fatal(err)
	}
	if _, err := demo.Seed(ctx, b, demo.Options{Seed: 1, Scale: 1}); err != nil {
		f.Fatal(err)
	}
	st, err := store.Open(ctx, b, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	srv := httptest.NewServer(api.NewServer(st, api.Config{}, nil))
	f.Cleanup(srv.Close)
	for _, s := range []string{"/tiles/14/2866/6608.mvt", "/tiles/3/8/0", "/collections/stop_signs/tiles/WebMercatorQuad/15/13217/5733?condition=poor", "/tiles/99999999999999999999/0/0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		req, err := http.NewRequest(http.MethodGet, srv.URL+"/", nil)
		if err != nil {
			return
		}
		u, err := req.URL.Parse(path)
		if err != nil || !strings.HasPrefix(u.Path, "/") {
			return
		}
		req.URL = u
		res, err := srv.Client().Do(req)
		if err != nil {
			return
		}
		res.Body.Close()
		if res.StatusCode >= 500 {
			t.Fatalf("%s: status %d", path, res.StatusCode)
		}
	})
}
