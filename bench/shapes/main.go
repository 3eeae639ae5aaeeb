// Command shapes writes the random query areas of bench/compare.sh, the
// same for every run with the same seed, so that cityatlas and PostGIS are
// asked about the same places: regular polygons of -vertices vertices and
// -diameter metres across, and circle centres, inside a collection's extent
// (shrunk by a margin so that no area sticks out of the data).
//
//	go run ./bench/shapes -url http://127.0.0.1:8080 -collection stop_signs -n 1000 -out DIR
//
// DIR receives polygons.geojson (one GeoJSON Polygon a line, the body of
// POST /count), polygons.wkt (the same polygons as WKT, for PostGIS and
// for CQL filters) and centres.txt ("lon lat" a line).
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:8080", "cityatlas base URL (for the collection's extent)")
	coll := flag.String("collection", "stop_signs", "collection id")
	n := flag.Int("n", 1000, "number of polygons and of centres")
	vertices := flag.Int("vertices", 20, "vertices of a polygon")
	diameter := flag.Float64("diameter", 2000, "polygon diameter in metres")
	seed := flag.Uint64("seed", 1, "random seed")
	out := flag.String("out", ".", "output directory")
	flag.Parse()
	if err := run(*url, *coll, *out, *n, *vertices, *diameter, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "shapes:", err)
		os.Exit(1)
	}
}

func extent(url, coll string) ([4]float64, error) {
	var doc struct {
		Extent struct {
			Spatial struct {
				BBox [][4]float64 `json:"bbox"`
			} `json:"spatial"`
		} `json:"extent"`
	}
	res, err := http.Get(url + "/collections/" + coll)
	if err != nil {
		return [4]float64{}, err
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
		return [4]float64{}, err
	}
	if len(doc.Extent.Spatial.BBox) == 0 {
		return [4]float64{}, fmt.Errorf("collection %s has no extent", coll)
	}
	return doc.Extent.Spatial.BBox[0], nil
}

func run(url, coll, out string, n, vertices int, diameter float64, seed uint64) error {
	e, err := extent(url, coll)
	if err != nil {
		return err
	}
	// Degrees per metre near the extent's middle latitude.
	lat0 := (e[1] + e[3]) / 2
	dy := 1 / 111320.0
	dx := dy / math.Cos(lat0*math.Pi/180)
	r := diameter / 2
	mx, my := 2*r*dx, 2*r*dy
	rng := rand.New(rand.NewPCG(seed, 3))
	point := func() (float64, float64) {
		return e[0] + mx + rng.Float64()*(e[2]-e[0]-2*mx), e[1] + my + rng.Float64()*(e[3]-e[1]-2*my)
	}
	var gj, wkt, ctr strings.Builder
	for range n {
		cx, cy := point()
		ring := make([][2]float64, 0, vertices+1)
		for k := range vertices {
			a := 2 * math.Pi * float64(k) / float64(vertices)
			ring = append(ring, [2]float64{round7(cx + r*dx*math.Cos(a)), round7(cy + r*dy*math.Sin(a))})
		}
		ring = append(ring, ring[0])
		b, _ := json.Marshal(map[string]any{"type": "Polygon", "coordinates": [][][2]float64{ring}})
		gj.Write(b)
		gj.WriteByte('\n')
		pts := make([]string, len(ring))
		for i, p := range ring {
			pts[i] = fmt.Sprintf("%.7f %.7f", p[0], p[1])
		}
		fmt.Fprintf(&wkt, "POLYGON((%s))\n", strings.Join(pts, ", "))
	}
	for range n {
		x, y := point()
		fmt.Fprintf(&ctr, "%.7f %.7f\n", x, y)
	}
	for name, s := range map[string]string{"polygons.geojson": gj.String(), "polygons.wkt": wkt.String(), "centres.txt": ctr.String()} {
		if err := write(filepath.Join(out, name), s); err != nil {
			return err
		}
	}
	return nil
}

// round7 rounds to the 7 decimals of the WKT, so both forms are the same polygon.
func round7(v float64) float64 { return math.Round(v*1e7) / 1e7 }

func write(path, s string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	w.WriteString(s)
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
