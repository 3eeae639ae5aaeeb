package ingest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/cityatlas/cityatlas/store/gpkg"
)

// writeAssets writes a CSV of n points and returns its path.
func writeAssets(b *testing.B, n int) string {
	path := filepath.Join(b.TempDir(), "assets.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	fmt.Fprintln(f, "asset_id,name,kind,install_year,height_m,lon,lat")
	for i := range n {
		fmt.Fprintf(f, "A%d,Main St #%d,stop_sign,%d,%.1f,%.6f,%.6f\n", i, i%900, 1960+i%65, 2+float64(i%100)/10, -115.8+float64(i%1000)/2000, 32.6+float64(i/1000)/2000)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkImportPostGIS imports 50,000 points into a new PostGIS
// collection (the COPY path) per iteration.
func BenchmarkImportPostGIS(b *testing.B) {
	const n = 50_000
	path := writeAssets(b, n)
	ctx := context.Background()
	be := openPostGIS(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		rep, err := Run(ctx, be, []string{path}, Options{Collection: fmt.Sprint("assets", i), Create: true, IDField: "asset_id"})
		if err != nil || rep.Inserted != n {
			b.Fatalf("%v, %d inserted", err, rep.Inserted)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkDryRun reads and checks a generated CSV of 20,000 points (no
// writes): the cost of the pipeline itself.
func BenchmarkDryRun(b *testing.B) {
	const n = 20_000
	path := writeAssets(b, n)
	ctx := context.Background()
	be, err := gpkg.Open(ctx, filepath.Join(b.TempDir(), "b.gpkg"))
	if err != nil {
		b.Fatal(err)
	}
	defer be.Close()
	b.ReportAllocs()
	for b.Loop() {
		rep, err := Run(ctx, be, []string{path}, Options{Collection: "assets", Create: true, DryRun: true, IDField: "asset_id"})
		if err != nil || rep.Valid != n {
			b.Fatalf("%v, %d valid", err, rep.Valid)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
