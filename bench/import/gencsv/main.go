// Command gencsv writes a deterministic CSV of point assets for the import
// benchmark (bench/import/run.sh): N rows (default 1,000,000) of street
// assets scattered over a 0.5° square around Imperial, CA, with an id, a
// name, a kind, an install year, a condition, a height and lon/lat columns.
// The same -n and -seed always give the same bytes, and a larger -n starts
// with the rows of a smaller one. -change K gives every Kth row another
// condition: with a larger -n, a corrected and extended version of a file.
//
//	go run ./bench/import/gencsv -n 1000000 > /tmp/assets.csv
//	go run ./bench/import/gencsv -n 1100000 -change 10 > /tmp/assets-revised.csv
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
)

func main() {
	n := flag.Int("n", 1_000_000, "rows to write")
	seed := flag.Uint64("seed", 1, "random seed")
	change := flag.Int("change", 0, "give every `K`th row another condition (0: none)")
	flag.Parse()
	if err := write(os.Stdout, *n, *seed, *change); err != nil {
		fmt.Fprintln(os.Stderr, "gencsv:", err)
		os.Exit(1)
	}
}

var (
	kinds      = []string{"stop_sign", "traffic_signal", "street_light", "hydrant", "bench", "bin"}
	conditions = []string{"good", "fair", "poor"}
	streets    = []string{"Main St", "Imperial Ave", "4th St", "Aten Rd", "Worthington Rd", "Barioni Blvd", "Cross Rd", "Neckel Rd"}
)

func write(f *os.File, n int, seed uint64, change int) error {
	rng := rand.New(rand.NewPCG(seed, 0x1badb002))
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("asset_id,name,kind,install_year,condition,height_m,lon,lat\n")
	buf := make([]byte, 0, 256)
	for i := range n {
		buf = buf[:0]
		buf = append(buf, 'A')
		buf = strconv.AppendInt(buf, int64(i+1), 10)
		buf = append(buf, ',')
		buf = append(buf, streets[rng.IntN(len(streets))]...)
		buf = append(buf, " #"...)
		buf = strconv.AppendInt(buf, int64(rng.IntN(900)+100), 10)
		buf = append(buf, ',')
		buf = append(buf, kinds[rng.IntN(len(kinds))]...)
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, int64(1960+rng.IntN(65)), 10)
		buf = append(buf, ',')
		c := rng.IntN(len(conditions))
		if change > 0 && (i+1)%change == 0 {
			c = (c + 1) % len(conditions)
		}
		buf = append(buf, conditions[c]...)
		buf = append(buf, ',')
		buf = strconv.AppendFloat(buf, 2+float64(rng.IntN(100))/10, 'f', 1, 64)
		buf = append(buf, ',')
		buf = strconv.AppendFloat(buf, -115.8+rng.Float64()*0.5, 'f', 6, 64)
		buf = append(buf, ',')
		buf = strconv.AppendFloat(buf, 32.6+rng.Float64()*0.5, 'f', 6, 64)
		buf = append(buf, '\n')
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	return w.Flush()
}
