package proj

import "testing"

func BenchmarkParseESRIPrj(b *testing.B) {
	def := readDef(b, "testdata/chicago/Neighborhoods_2012b.prj")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(def); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkToWGS84(b *testing.B) {
	for _, code := range []string{"EPSG:2230", "EPSG:3435", "EPSG:5070", "EPSG:3857", "EPSG:26711"} {
		b.Run(code, func(b *testing.B) {
			c := mustParse(b, code)
			x, y, err := c.FromWGS84(-100, 40)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := c.ToWGS84(x, y); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
