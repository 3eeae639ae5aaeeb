package mvt

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/planar"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name    string
		z, x, y int
		ok      bool
	}{
		{"world", 0, 0, 0, true},
		{"last column", 3, 7, 7, true},
		{"max zoom", MaxZoom, 1, 1, true},
		{"negative zoom", -1, 0, 0, false},
		{"zoom too deep", MaxZoom + 1, 0, 0, false},
		{"x too big", 3, 8, 0, false},
		{"y too big", 3, 0, 8, false},
		{"negative x", 3, -1, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(tc.z, tc.x, tc.y)
			if (err == nil) != tc.ok {
				t.Fatalf("Check(%d,%d,%d) = %v, want ok=%v", tc.z, tc.x, tc.y, err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrRange) {
				t.Fatalf("error %v does not wrap ErrRange", err)
			}
		})
	}
}

func TestProjectionMatchesMaptile(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 1000; i++ {
		z := maptile.Zoom(r.IntN(20))
		ll := orb.Point{r.Float64()*360 - 180, r.Float64()*170 - 85}
		tile := maptile.At(ll, z)
		p := NewProjection(tile, 4096)
		x, y := p.Point(ll[0], ll[1])
		if x < -1e-6 || x > 4096+1e-6 || y < -1e-6 || y > 4096+1e-6 {
			t.Fatalf("%v at z%d lands at %g,%g outside tile %v", ll, z, x, y, tile)
		}
		lon, lat := p.LonLat(x, y)
		if math.Abs(lon-ll[0]) > 1e-9 || math.Abs(lat-ll[1]) > 1e-9 {
			t.Fatalf("round trip %v → %g,%g", ll, lon, lat)
		}
		b := tile.Bound()
		pb := p.Bound(0)
		for k, want := range []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]} {
			if math.Abs(pb[k]-want) > 1e-9 {
				t.Fatalf("tile %v bound %v, maptile says %v", tile, pb, b)
			}
		}
	}
}

// decode reads a tile with orb's independent decoder and returns its
// layers in WGS84.
func decode(t *testing.T, data []byte, tile maptile.Tile) map[string]*mvt.Layer {
	t.Helper()
	layers, err := mvt.Unmarshal(data)
	if err != nil {
		t.Fatalf("orb cannot decode the tile: %v", err)
	}
	layers.ProjectToWGS84(tile)
	out := map[string]*mvt.Layer{}
	for _, l := range layers {
		out[l.Name] = l
	}
	return out
}

func TestEncodeDecodesWithOrb(t *testing.T) {
	tile := maptile.At(orb.Point{-115.57, 32.85}, 14)
	e := NewEncoder()
	e.Reset(tile, Options{Buffer: DefaultBuffer})
	c := tile.Center()
	d := 0.002
	park := orb.Polygon{
		{{c[0] - d, c[1] - d}, {c[0] + d, c[1] - d}, {c[0] + d, c[1] + d}, {c[0] - d, c[1] + d}, {c[0] - d, c[1] - d}},
		{{c[0] - d/4, c[1] - d/4}, {c[0] - d/4, c[1] + d/4}, {c[0] + d/4, c[1] + d/4}, {c[0] + d/4, c[1] - d/4}, {c[0] - d/4, c[1] - d/4}},
	}
	saved := orb.Clone(park).(orb.Polygon)
	road := orb.LineString{{c[0] - 1, c[1]}, {c[0] + 1, c[1] + 0.0001}} // crosses the whole tile
	e.StartLayer("signs")
	if !e.AddLonLat(7, c[0], c[1], []Prop{{"name", String("Main & 1st")}, {"status", String("active")}, {"size", Int(-36)}, {"lit", Bool(true)}, {"r", Float(7.5)}}) {
		t.Fatal("a point at the tile centre was not added")
	}
	if e.AddLonLat(8, c[0]+1, c[1], nil) {
		t.Fatal("a point far outside the tile was added")
	}
	e.AddLonLat(9, c[0]+d, c[1]+d, []Prop{{"status", String("active")}})
	e.EndLayer()
	e.StartLayer("empty")
	e.EndLayer()
	e.StartLayer("parks")
	if !e.AddGeometry(11, park, []Prop{{"name", String("Eager Park")}}) {
		t.Fatal("park not added")
	}
	if !e.AddGeometry(12, road, nil) {
		t.Fatal("road not added")
	}
	e.EndLayer()
	if !orb.Equal(park, saved) {
		t.Fatal("AddGeometry modified its input")
	}
	layers := decode(t, e.Bytes(), tile)
	if len(layers) != 2 || layers["empty"] != nil {
		t.Fatalf("layers %v, want signs and parks", layers)
	}
	signs := layers["signs"]
	if len(signs.Features) != 2 || signs.Extent != 4096 || signs.Version != 2 {
		t.Fatalf("signs: %d features, extent %d, version %d", len(signs.Features), signs.Extent, signs.Version)
	}
	f := signs.Features[0]
	if fmt.Sprint(f.ID) != "7" {
		t.Errorf("id %v, want 7", f.ID)
	}
	want := map[string]any{"name": "Main & 1st", "status": "active", "size": float64(-36), "lit": true, "r": 7.5}
	for k, v := range want {
		if got := f.Properties[k]; got != v {
			t.Errorf("property %s = %#v, want %#v", k, got, v)
		}
	}
	p := f.Geometry.(orb.Point)
	tol := 360.0 / 4096 / (1 << 14) // one tile unit in degrees of longitude
	if math.Abs(p[0]-c[0]) > tol || math.Abs(p[1]-c[1]) > tol {
		t.Errorf("point decoded at %v, want %v", p, c)
	}
	parks := layers["parks"]
	pg, ok := parks.Features[0].Geometry.(orb.Polygon)
	if !ok || len(pg) != 2 {
		t.Fatalf("park decoded as %T %v", parks.Features[0].Geometry, parks.Features[0].Geometry)
	}
	if a, b := planar.Area(pg), planar.Area(park); math.Abs(a-b)/b > 0.01 {
		t.Errorf("park area %g, want %g", a, b)
	}
	ls, ok := parks.Features[1].Geometry.(orb.LineString)
	if !ok {
		t.Fatalf("road decoded as %T", parks.Features[1].Geometry)
	}
	// Clipped to the tile plus its buffer.
	buf := e.Projection().Bound(DefaultBuffer)
	for _, q := range ls {
		if q[0] < buf[0]-tol || q[0] > buf[2]+tol {
			t.Errorf("road point %v outside the buffered tile %v", q, buf)
		}
	}
}

func TestEmptyTile(t *testing.T) {
	e := NewEncoder()
	e.Reset(maptile.New(0, 0, 1), Options{})
	e.StartLayer("a")
	e.EndLayer()
	if len(e.Bytes()) != 0 || e.Features() != 0 {
		t.Fatalf("empty tile has %d bytes", len(e.Bytes()))
	}
}

func TestSimplifyDropsTinyPolygons(t *testing.T) {
	// A 1 m square at zoom 5 rounds to nothing.
	tiny := orb.Polygon{{{-115.57, 32.85}, {-115.56999, 32.85}, {-115.56999, 32.85001}, {-115.57, 32.85001}, {-115.57, 32.85}}}
	e := NewEncoder()
	e.Reset(maptile.At(orb.Point{-115.57, 32.85}, 5), Options{Tolerance: 1})
	e.StartLayer("parks")
	if e.AddGeometry(1, tiny, nil) {
		t.Fatal("a polygon smaller than a tile unit was kept")
	}
}

func TestGrid(t *testing.T) {
	var g Grid
	g.Reset(4096, 64)
	pts := [][2]float64{{10, 10}, {20, 30}, {100, 10}, {4095, 4095}, {-1, 5}, {4096, 0}}
	firsts := 0
	for _, p := range pts {
		_, first, ok := g.Add(p[0], p[1])
		if first {
			firsts++
		}
		if ok != (p[0] >= 0 && p[0] < 4096 && p[1] >= 0 && p[1] < 4096) {
			t.Errorf("Add(%v) ok=%v", p, ok)
		}
	}
	if g.Len() != 3 || firsts != 3 {
		t.Fatalf("%d clusters (%d firsts), want 3", g.Len(), firsts)
	}
	n, x, y := g.Cluster(0)
	if n != 2 || x != 15 || y != 20 {
		t.Errorf("cluster 0 = %d at %g,%g; want 2 at 15,20", n, x, y)
	}
	g.Reset(4096, 64)
	if g.Len() != 0 {
		t.Fatal("Reset kept clusters")
	}
	if c, first, _ := g.Add(10, 10); c != 0 || !first {
		t.Fatal("slot not cleared by Reset")
	}
}

// FuzzEncode encodes random points and lines and checks that orb decodes
// every tile to the same number of features.
func FuzzEncode(f *testing.F) {
	f.Add(uint8(14), -115.57, 32.85, 0.01, int64(5))
	f.Add(uint8(0), 0.0, 0.0, 180.0, int64(-1))
	f.Fuzz(func(t *testing.T, z uint8, lon, lat, span float64, iv int64) {
		if math.IsNaN(lon+lat+span) || math.IsInf(lon+lat+span, 0) {
			return
		}
		lon = math.Mod(lon, 180)
		lat = math.Mod(lat, 85)
		tile := maptile.At(orb.Point{lon, lat}, maptile.Zoom(z%20))
		e := NewEncoder()
		e.Reset(tile, Options{Buffer: 64, Tolerance: 1})
		e.StartLayer("l")
		e.AddLonLat(1, lon, lat, []Prop{{"i", Int(iv)}})
		e.AddGeometry(2, orb.LineString{{lon, lat}, {lon + span, lat - span/2}}, nil)
		e.EndLayer()
		layers, err := mvt.Unmarshal(e.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, l := range layers {
			n += len(l.Features)
		}
		if n != e.Features() {
			t.Fatalf("decoded %d features, encoded %d", n, e.Features())
		}
	})
}

func BenchmarkAddLonLat(b *testing.B) {
	tile := maptile.At(orb.Point{-115.57, 32.85}, 14)
	e := NewEncoder()
	bd := tile.Bound()
	r := rand.New(rand.NewPCG(1, 2))
	pts := make([]orb.Point, 10000)
	for i := range pts {
		pts[i] = orb.Point{bd.Min[0] + r.Float64()*(bd.Max[0]-bd.Min[0]), bd.Min[1] + r.Float64()*(bd.Max[1]-bd.Min[1])}
	}
	props := []Prop{{"status", String("active")}, {"condition", String("good")}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.Reset(tile, Options{Buffer: 64})
		e.StartLayer("points")
		for j, p := range pts {
			e.AddLonLat(uint64(j+1), p[0], p[1], props)
		}
		e.EndLayer()
	}
	b.ReportMetric(float64(len(e.Bytes()))/1024, "KB/tile")
}
