package store

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/cityatlas/cityatlas/cql2"
)

// BenchmarkFilter1M: issue 9's planner filter on 1 M points, a page of 100
// as the items endpoint asks for it: two comparisons and S_INTERSECTS with
// a 20-vertex polygon about 4 km across, against the same page with the
// polygon's bbox and no filter (the goal: the filter at most 2× the cost).
//
//	go test -run XXX -bench Filter1M -cpuprofile /tmp/filter.prof -o /tmp/store.test ./store/
func BenchmarkFilter1M(b *testing.B) {
	s := benchStore(b, 1_000_000)
	cx, cy, r := -115.57, 32.85, 0.02
	pts := make([]string, 0, 21)
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for k := range 21 {
		a := 2 * math.Pi * float64(k%20) / 20
		x, y := cx+r*math.Cos(a), cy+r*math.Sin(a)
		x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
		pts = append(pts, fmt.Sprintf("%.7f %.7f", x, y))
	}
	where, err := cql2.ParseText("condition = 'poor' AND installed < DATE('2020-01-01') AND S_INTERSECTS(geometry, POLYGON((" + strings.Join(pts, ", ") + ")))")
	if err != nil {
		b.Fatal(err)
	}
	bb := [4]float64{x0, y0, x1, y1}
	for _, c := range []struct {
		name string
		f    Filter
	}{{"filter", Filter{Where: where, Limit: 100}}, {"bbox", Filter{BBox: &bb, Limit: 100}}} {
		b.Run(c.name, func(b *testing.B) {
			matched := 0
			for b.Loop() {
				p, err := s.Select(context.Background(), "points", c.f)
				if err != nil {
					b.Fatal(err)
				}
				matched = p.Matched
			}
			b.ReportMetric(float64(matched), "matched")
		})
	}
}
