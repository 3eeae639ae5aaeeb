package formats_test

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkb"

	"github.com/cityatlas/cityatlas/formats"
	"github.com/cityatlas/cityatlas/store"
)

// polygons: a square with a hole, given counter-clockwise outside (as
// RFC 7946 has it), and a multipolygon of two squares.
func polygons() []formats.Feature {
	sq := func(x, y, d float64, ccw bool) []float64 {
		if ccw {
			return []float64{x, y, x + d, y, x + d, y + d, x, y + d, x, y}
		}
		return []float64{x, y, x, y + d, x + d, y + d, x + d, y, x, y}
	}
	holed := geom.NewPolygonFlat(geom.XY, append(sq(0, 0, 10, true), sq(2, 2, 2, false)...), []int{10, 20})
	multi := geom.NewMultiPolygonFlat(geom.XY, append(sq(20, 0, 1, true), sq(30, 0, 2, true)...), [][]int{{10}, {20}})
	return []formats.Feature{
		{ID: 3, Geometry: holed, Values: []string{`"holed"`}},
		{ID: 4, Geometry: multi, Values: []string{`"two"`}},
		{ID: 5, Geometry: nil, Values: []string{`"none"`}},
	}
}

// area returns the area of a GeoJSON (Multi)Polygon, holes subtracted.
func area(t *testing.T, raw json.RawMessage) float64 {
	t.Helper()
	if string(raw) == "null" || len(raw) == 0 {
		return 0
	}
	var g struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	var polys [][][][2]float64
	if g.Type == "Polygon" {
		var p [][][2]float64
		json.Unmarshal(g.Coordinates, &p)
		polys = append(polys, p)
	} else {
		json.Unmarshal(g.Coordinates, &polys)
	}
	total := 0.0
	for _, p := range polys {
		for i, r := range p {
			a := 0.0
			for k := 0; k+1 < len(r); k++ {
				a += r[k][0]*r[k+1][1] - r[k+1][0]*r[k][1]
			}
			a = math.Abs(a) / 2
			if i > 0 {
				a = -a
			}
			total += a
		}
	}
	return total
}

func TestGDALReadsPolygons(t *testing.T) {
	l := formats.Layer{Name: "parks", Geometry: store.GeometryAny, Fields: fields[:1], Count: 3}
	feats := polygons()
	wantArea := []float64{100 - 4, 1 + 4, 0}
	for _, name := range []string{"geojson", "gpkg", "shp", "fgb", "kml"} {
		t.Run(name, func(t *testing.T) {
			ll := l
			if name == "shp" {
				ll.Geometry = store.GeometryMultiPolygon
			}
			path := write(t, name, ll, feats)
			if name == "shp" {
				path = "/vsizip/" + path
			}
			got := readGDAL(t, path)
			if len(got) != len(feats) {
				t.Fatalf("GDAL reads %d features, want %d", len(got), len(feats))
			}
			for i, g := range got {
				if a := area(t, g.Geometry); math.Abs(a-wantArea[i]) > 1e-9 {
					t.Errorf("feature %d: area %g, want %g (%s)", feats[i].ID, a, wantArea[i], g.Geometry)
				}
			}
		})
	}
}

func TestShapefileRefusesMixedTypes(t *testing.T) {
	l := formats.Layer{Name: "mixed", Geometry: store.GeometryAny, Count: 2, TempDir: t.TempDir()}
	var buf bytes.Buffer
	w, err := formats.NewShapefile(&buf, l)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if err := w.Write(&formats.Feature{ID: 1, Geometry: point(1, 2)}); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(&formats.Feature{ID: 2, Geometry: polygons()[0].Geometry}); err == nil {
		t.Fatal("a polygon after a point was accepted")
	}
}

// Debian 12's GDAL 3.6 has no Parquet driver: the GeoParquet file is read
// back with parquet-go.
func TestGeoParquetReadBack(t *testing.T) {
	l := formats.Layer{Name: "signs", Geometry: store.GeometryPoint, Fields: fields, Count: 4}
	feats := fixture()
	path := write(t, "parquet", l, feats)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	meta, ok := pf.Lookup("geo")
	if !ok {
		t.Fatal("no geo metadata")
	}
	var geo struct {
		Primary string `json:"primary_column"`
		Columns map[string]struct {
			Encoding string     `json:"encoding"`
			Types    []string   `json:"geometry_types"`
			BBox     [4]float64 `json:"bbox"`
		} `json:"columns"`
	}
	if err := json.Unmarshal([]byte(meta), &geo); err != nil {
		t.Fatal(err)
	}
	gc := geo.Columns[geo.Primary]
	if geo.Primary != "geometry" || gc.Encoding != "WKB" || len(gc.Types) != 1 || gc.Types[0] != "Point" {
		t.Errorf("geo metadata %s", meta)
	}
	if gc.BBox != [4]float64{-115.5, 32.75, -114.123456789, 33} {
		t.Errorf("bbox %v", gc.BBox)
	}
	if n := pf.NumRows(); n != int64(len(feats)) {
		t.Fatalf("%d rows, want %d", n, len(feats))
	}
	r := parquet.NewReader(pf)
	defer r.Close()
	for _, want := range feats {
		row := map[string]any{}
		if err := r.Read(&row); err != nil {
			t.Fatal(err)
		}
		if row["id"] != want.ID {
			t.Errorf("id %v, want %d", row["id"], want.ID)
		}
		var blob []byte
		switch v := row["geometry"].(type) {
		case []byte:
			blob = v
		case string:
			blob = []byte(v)
		}
		g, err := wkb.Unmarshal(blob)
		if err != nil {
			t.Fatal(err)
		}
		if c, w := g.FlatCoords(), want.Geometry.FlatCoords(); c[0] != w[0] || c[1] != w[1] {
			t.Errorf("feature %d at %v, want %v", want.ID, c, w)
		}
		if want.Values[0] != "" {
			var name string
			json.Unmarshal([]byte(want.Values[0]), &name)
			if row["name"] != name {
				t.Errorf("feature %d: name %v, want %q", want.ID, row["name"], name)
			}
		} else if row["name"] != nil {
			t.Errorf("feature %d: name %v, want null", want.ID, row["name"])
		}
		if want.Values[1] == "-3" && row["lanes"] != int64(-3) {
			t.Errorf("lanes %v (%T)", row["lanes"], row["lanes"])
		}
	}
}
