// Command bboxes writes random bbox query strings for a load test: boxes
// inside a collection's extent, sized so that each holds about -hits
// features on average. The same seed gives the same boxes, so two servers
// can be measured on the same requests.
//
//	go run ./bench/bboxes -url http://127.0.0.1:8080 -collection stop_signs -n 10000 > boxes.txt
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:8080", "cityatlas base URL (for the collection's extent and count)")
	coll := flag.String("collection", "stop_signs", "collection id")
	n := flag.Int("n", 10000, "number of boxes")
	hits := flag.Float64("hits", 100, "features per box on average")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if err := run(*url, *coll, *n, *hits, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "bboxes:", err)
		os.Exit(1)
	}
}

func run(url, coll string, n int, hits float64, seed uint64) error {
	res, err := http.Get(url + "/collections/" + coll)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	var doc struct {
		Count  int `json:"numberOfFeatures"`
		Extent struct {
			Spatial struct {
				BBox [][4]float64 `json:"bbox"`
			} `json:"spatial"`
		} `json:"extent"`
	}
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
		return err
	}
	if doc.Count == 0 || len(doc.Extent.Spatial.BBox) == 0 {
		return fmt.Errorf("collection %s is empty", coll)
	}
	e := doc.Extent.Spatial.BBox[0]
	w, h := e[2]-e[0], e[3]-e[1]
	// A square (in degrees) whose share of the extent is hits/count.
	side := math.Sqrt(hits / float64(doc.Count) * w * h)
	rng := rand.New(rand.NewPCG(seed, 2))
	for range n {
		x := e[0] + rng.Float64()*(w-side)
		y := e[1] + rng.Float64()*(h-side)
		fmt.Printf("%.6f,%.6f,%.6f,%.6f\n", x, y, x+side, y+side)
	}
	return nil
}
