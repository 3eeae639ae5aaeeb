package store

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/twpayne/go-geom"
)

// BenchmarkProperties: reading the properties of 100 features of 16
// fields (the demo's stop signs' shape: a unique name, a few values for
// most fields), as an items page writes them (AppendProperties) and as a
// tile reads them field by field (Value).
func BenchmarkProperties(b *testing.B) {
	var fields []Field
	for k := range 16 {
		fields = append(fields, Field{Name: fmt.Sprintf("field_%d", k), Type: TypeString})
	}
	c := Collection{ID: "signs", Geometry: GeometryPoint, Fields: fields}
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 100_000
	s := storeOf(b, c, n, func(i int) Feature {
		v := map[string]any{"field_0": fmt.Sprintf("Stop at West Rd %d & South Rd %d", i/4, i%97)}
		for k := 1; k < 16; k++ {
			v[fields[k].Name] = fmt.Sprint("value ", rng.IntN(3+k*k*k))
		}
		p, err := EncodeProperties(&c, v)
		if err != nil {
			b.Fatal(err)
		}
		return Feature{ID: int64(i + 1), Geometry: geom.NewPointFlat(geom.XY, []float64{rng.Float64(), rng.Float64()}), Properties: p, Version: 1}
	})
	l, _ := s.layer("signs")
	page := make([]*item, 100)
	for i := range page {
		page[i], _ = l.get(int64(1 + rng.IntN(n)))
	}
	b.Run("append", func(b *testing.B) {
		buf := make([]byte, 0, 64<<10)
		for b.Loop() {
			buf = buf[:0]
			for _, it := range page {
				buf = l.appendProps(buf, l.row(it))
			}
		}
		b.ReportMetric(float64(len(buf))/100, "B/feature")
	})
	b.Run("value", func(b *testing.B) {
		n := 0
		for b.Loop() {
			for _, it := range page {
				for k := range fields {
					n += len(l.value(it, k))
				}
			}
		}
	})
}
