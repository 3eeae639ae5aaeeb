package api_test

import (
	"net/url"
	"testing"
)

// BenchmarkItemsCRS serves a page of 1000 stop signs (points) and of 100
// parks (polygons) of the demo city in CRS84 and in State Plane feet.
func BenchmarkItemsCRS(b *testing.B) {
	srv, _ := demoServer(b)
	for _, bc := range []struct{ name, path string }{
		{"points/CRS84", "/collections/stop_signs/items?limit=1000"},
		{"points/EPSG2230", "/collections/stop_signs/items?limit=1000&crs=" + url.QueryEscape(uri2230)},
		{"points/EPSG4326", "/collections/stop_signs/items?limit=1000&crs=" + url.QueryEscape(uri4326)},
		{"polygons/CRS84", "/collections/parks/items?limit=100"},
		{"polygons/EPSG2230", "/collections/parks/items?limit=100&crs=" + url.QueryEscape(uri2230)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if r := get(b, srv, bc.path); r.status != 200 {
					b.Fatalf("%d %s", r.status, r.body)
				}
			}
		})
	}
}
