package store

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/twpayne/go-geom"
)

// TestFloat32TreeIsExact: the R-tree keeps float32 rectangles, but a bbox
// search, a count, Visit and the extent answer in float64: points a hair
// outside a box whose edges float32 cannot represent are left out, points
// on its edges kept, and the extent is the points' own.
func TestFloat32TreeIsExact(t *testing.T) {
	box := [4]float64{-115.56789012345, 32.81234567891, -115.55678901234, 32.82345678912}
	rng := rand.New(rand.NewPCG(5, 6))
	// Coordinates on, just inside and just outside the box's edges, where
	// float32 (about 4e-6 degrees apart here) cannot tell them apart.
	near := func(edge float64) float64 {
		return edge + []float64{0, 1e-12, -1e-12, 3e-9, -3e-9}[rng.IntN(5)]
	}
	var pts [][2]float64
	for range 2000 {
		x := box[0] + (box[2]-box[0])*(rng.Float64()*1.2-0.1)
		y := box[1] + (box[3]-box[1])*(rng.Float64()*1.2-0.1)
		switch rng.IntN(3) {
		case 0:
			x = near(box[rng.IntN(2)*2])
		case 1:
			y = near(box[1+rng.IntN(2)*2])
		}
		pts = append(pts, [2]float64{x, y})
	}
	c := Collection{ID: "points", Geometry: GeometryPoint}
	s := storeOf(t, c, len(pts), func(i int) Feature {
		return Feature{ID: int64(i + 1), Geometry: geom.NewPointFlat(geom.XY, pts[i][:]), Version: 1}
	})
	var want []int64
	ext := [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for i, p := range pts {
		if p[0] >= box[0] && p[0] <= box[2] && p[1] >= box[1] && p[1] <= box[3] {
			want = append(want, int64(i+1))
		}
		ext = [4]float64{min(ext[0], p[0]), min(ext[1], p[1]), max(ext[2], p[0]), max(ext[3], p[1])}
	}
	if len(want) == 0 || len(want) == len(pts) {
		t.Fatalf("%d of %d points in the box: the test needs both kinds", len(want), len(pts))
	}
	ctx := context.Background()
	sel, err := s.Select(ctx, "points", Filter{BBox: &box})
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	sel.Each(func(h *Hit) bool { got = append(got, h.ID); return true })
	if !slices.Equal(got, want) {
		t.Errorf("bbox: got %d ids, want %d", len(got), len(want))
	}
	if n, err := s.Count(ctx, "points", Filter{BBox: &box}); err != nil || n != len(want) {
		t.Errorf("count: %d, %v; want %d", n, err, len(want))
	}
	got = got[:0]
	if err := s.Visit(ctx, "points", box, Filter{}, func(h *Hit) bool { got = append(got, h.ID); return true }); err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("visit: got %d ids, want %d", len(got), len(want))
	}
	info, err := s.Collection("points")
	if err != nil {
		t.Fatal(err)
	}
	if !info.HasExtent || info.Extent != ext {
		t.Errorf("extent %v, want %v", info.Extent, ext)
	}
}

// TestIDOrder: the B-tree's split ids order as int64s, negative and past
// 32 bits included.
func TestIDOrder(t *testing.T) {
	ids := []int64{math.MinInt64, -1 << 40, -(1 << 32) - 1, -1 << 32, -5, -1, 0, 1, 7, 1<<31 - 1, 1 << 31, 1<<32 - 1, 1 << 32, 1<<32 + 1, 1 << 50, math.MaxInt64}
	shuffled := slices.Clone(ids)
	rand.New(rand.NewPCG(7, 8)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	c := Collection{ID: "points", Geometry: GeometryPoint}
	s := storeOf(t, c, len(ids), func(i int) Feature {
		return Feature{ID: shuffled[i], Geometry: geom.NewPointFlat(geom.XY, []float64{1, 2}), Version: 1}
	})
	page, err := s.Items(context.Background(), "points", Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, f := range page.Features {
		got = append(got, f.ID)
	}
	if !slices.Equal(got, ids) {
		t.Errorf("order %v, want %v", got, ids)
	}
	for _, id := range ids {
		if f, err := s.Feature("points", id); err != nil || f.ID != id {
			t.Errorf("feature %d: %v, %v", id, f.ID, err)
		}
	}
}

// TestValueRows: rows of value indexes past one and two bytes (tens of
// thousands of distinct values), unset fields and values larger than a
// quarter of a chunk of the dictionary read back as written, whole
// (Properties) and field by field (Value).
func TestValueRows(t *testing.T) {
	c := Collection{ID: "points", Geometry: GeometryPoint, Fields: []Field{
		{Name: "kind", Type: TypeString}, {Name: "serial", Type: TypeInteger}, {Name: "note", Type: TypeString}, {Name: "size", Type: TypeNumber},
	}}
	const n = 40_000
	values := func(i int) map[string]any {
		v := map[string]any{"kind": []string{"a", "b", "c"}[i%3], "serial": int64(i * 7)}
		if i%5 != 0 {
			v["note"] = fmt.Sprintf("note %d", i/2)
		}
		if i%1000 == 3 { // longer than a quarter of a chunk of vals
			v["note"] = strings.Repeat(fmt.Sprint(i), 20_000)[:17_000+i%7]
		}
		if i%2 == 0 {
			v["size"] = float64(i%300) / 4
		}
		return v
	}
	props := make([]Properties, n)
	s := storeOf(t, c, n, func(i int) Feature {
		p, err := EncodeProperties(&c, values(i))
		if err != nil {
			t.Fatal(err)
		}
		props[i] = p
		return Feature{ID: int64(i + 1), Geometry: geom.NewPointFlat(geom.XY, []float64{float64(i % 200), float64(i / 200)}), Properties: p, Version: 1}
	})
	l, _ := s.layer("points")
	if l.vals.len() < 1<<14 {
		t.Fatalf("%d values: the test needs indexes past two bytes", l.vals.len())
	}
	for _, i := range []int{0, 1, 2, 3, 5, 127, 128, 1003, 1004, 16383, 16384, 30001, 39003, n - 1} {
		f, err := s.Feature("points", int64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		if string(f.Properties) != string(props[i]) {
			t.Errorf("feature %d: %s, want %s", i+1, f.Properties, props[i])
		}
		it, _ := l.get(int64(i + 1))
		for k, fd := range c.Fields {
			want, ok := props[i].Get(fd.Name)
			got := l.value(it, k)
			if ok != (got != "") || ok && got != want.Raw {
				t.Errorf("feature %d %s: %q, want %q", i+1, fd.Name, got, want.Raw)
			}
		}
	}
}
