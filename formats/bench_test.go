package formats_test

import (
	"io"
	"os"
	"strconv"
	"testing"

	"github.com/twpayne/go-geom"

	"github.com/cityatlas/cityatlas/formats"
	"github.com/cityatlas/cityatlas/store"
)

// BenchmarkWriters writes 10,000 (or $BENCH_N) stop-sign-like points per op in each
// format to io.Discard (GeoPackage and shapefile through their temporary
// files). bench/downloads.sh measures the served downloads.
func BenchmarkWriters(b *testing.B) {
	fields := []store.Field{
		{Name: "condition", Type: store.TypeString}, {Name: "installed", Type: store.TypeDate},
		{Name: "height_m", Type: store.TypeNumber}, {Name: "reflective", Type: store.TypeBoolean},
		{Name: "approaches", Type: store.TypeInteger},
	}
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("BENCH_N")); err == nil && v > 0 {
		n = v // BENCH_N=1000000 for the scale of a real layer
	}
	feats := make([]formats.Feature, n)
	for i := range feats {
		feats[i] = formats.Feature{ID: int64(i + 1),
			Geometry: geom.NewPointFlat(geom.XY, []float64{-115.5 + float64(i)*1e-5, 32.8 + float64(i%100)*1e-4}),
			Values:   []string{`"good"`, `"2019-04-01"`, strconv.FormatFloat(2.1+float64(i%7)/10, 'f', -1, 64), `true`, strconv.Itoa(i % 4)}}
	}
	for _, f := range formats.All {
		b.Run(f.Name, func(b *testing.B) {
			b.ReportAllocs()
			l := formats.Layer{Name: "stop_signs", Geometry: store.GeometryPoint, Fields: fields, Count: n, TempDir: benchDir(b)}
			for b.Loop() {
				w, err := f.New(io.Discard, l)
				if err != nil {
					b.Fatal(err)
				}
				for i := range feats {
					if err := w.Write(&feats[i]); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "features/s")
		})
	}
}

// benchDir is where the GeoPackage and shapefile writers build their
// files: $BENCH_TMPDIR (say /dev/shm, to leave the disk out), else a
// temporary directory.
func benchDir(b *testing.B) string {
	if d := os.Getenv("BENCH_TMPDIR"); d != "" {
		return d
	}
	return b.TempDir()
}
