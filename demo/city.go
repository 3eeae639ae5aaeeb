package demo

import (
	"fmt"
	"math"

	"github.com/twpayne/go-geom"

	"github.com/cityatlas/cityatlas/store"
)

// The street grid. The city is n×n cells of cellSize metres bounded by
// arterials (section-line roads, as in the Imperial Valley); each developed
// cell holds a local street grid of nsLines×ewLines blocks with a collector
// through its middle each way.
const (
	cellSize   = 800.0              // m between arterials
	nsLines    = 4                  // N-S streets per cell: arterial, local, collector, local
	ewLines    = 6                  // E-W streets per cell: arterial, 2 local, collector, 2 local
	blockW     = cellSize / nsLines // m, block width (200)
	blockH     = cellSize / ewLines // m, block height (133.3)
	baseCells  = 6                  // cells per side at scale 1 (4.8 km)
	limitGap   = 40.0               // m between the outer arterials and the city limits
	parkInset  = 12.0               // m between a street centreline and a park boundary
	signAlong  = 10.0               // m from the intersection centre back along the approach
	signAside  = 7.0                // m from the centreline to the right-hand side
	acre       = 4046.8564224       // m² in an international acre
	coordRound = 1e7                // coordinates are rounded to 1e-7 degree (about 1 cm)
	maxCells   = baseCells * 100    // cells per side at MaxScale
	minCells   = 2                  // cells per side at the smallest scale
	superExp   = 3.0                // exponent of the superellipse that shapes the city limits
)

// MaxScale is the largest Options.Scale: 10 000 times the area of the real
// city, about 480 km across and some ten million features.
const MaxScale = 10000

// Options choose a demo dataset.
type Options struct {
	// Seed selects one of many plausible cities; the same Options give the
	// same features, byte for byte.
	Seed int64
	// Scale multiplies the area of the city: 1 (or 0, which means 1) is the
	// real city, about 5 km across with some 1 500 assets; the street grid
	// grows with Scale, so feature counts grow linearly with it (860 gives
	// about a million features, 141 km across). Scale must be finite and in
	// (0, MaxScale].
	Scale float64
}

type kind uint8

const (
	outside   kind = iota
	open           // inside the limits, farmland or vacant
	developed      // inside the limits, with a local street grid
)

// city is the street model for one Options value. All lengths are metres
// in a local plane centred on Imperial, x east and y north.
type city struct {
	seed uint64
	n    int     // cells per side
	half float64 // half the grid's width, m
	lo   []int   // per row of cells, the first column inside the limits
	hi   []int   // per row of cells, the last column inside the limits
	// metres per degree at the centre
	lon0, lat0, mLon, mLat float64
}

func newCity(opts Options) (*city, error) {
	s := opts.Scale
	if s == 0 {
		s = 1
	}
	if math.IsNaN(s) || s <= 0 || s > MaxScale {
		return nil, store.Invalidf("demo: scale %v must be in (0, %d]", opts.Scale, MaxScale)
	}
	n := int(math.Round(baseCells * math.Sqrt(s)))
	n = max(minCells, min(n, maxCells))
	centre := embedded().centre
	phi := centre.Lat * math.Pi / 180
	c := &city{
		seed: uint64(opts.Seed),
		n:    n,
		half: float64(n) * cellSize / 2,
		lo:   make([]int, n),
		hi:   make([]int, n),
		lon0: centre.Lon,
		lat0: centre.Lat,
		// Length of a degree on the WGS84 ellipsoid at latitude phi.
		mLat: 111132.92 - 559.82*math.Cos(2*phi) + 1.175*math.Cos(4*phi),
		mLon: 111412.84*math.Cos(phi) - 93.5*math.Cos(3*phi),
	}
	// The limits: the cells whose centres lie in a superellipse, row by
	// row, so each row is one run of cells.
	for j := 0; j < n; j++ {
		y := c.unit(j)
		xmax := math.Pow(1-math.Pow(math.Abs(y), superExp), 1/superExp)
		c.lo[j], c.hi[j] = n, -1
		for i := 0; i < n; i++ {
			if math.Abs(c.unit(i)) <= xmax+1e-9 {
				c.lo[j] = min(c.lo[j], i)
				c.hi[j] = max(c.hi[j], i)
			}
		}
	}
	return c, nil
}

// unit maps cell index i to the position of its centre in [-1, 1].
func (c *city) unit(i int) float64 { return (float64(i)+0.5)/float64(c.n)*2 - 1 }

func (c *city) inCity(i, j int) bool {
	return j >= 0 && j < c.n && i >= c.lo[j] && i <= c.hi[j]
}

// core reports whether cell (i, j) is downtown: its centre within one cell
// of the city centre.
func (c *city) core(i, j int) bool {
	x := (float64(i)+0.5)*cellSize - c.half
	y := (float64(j)+0.5)*cellSize - c.half
	return math.Abs(x) < cellSize && math.Abs(y) < cellSize
}

// kindOf decides whether a cell is developed, depending only on the seed
// and the cell, so neighbours agree without a shared plan. The chance falls
// with the distance from the centre relative to the city's size, so the
// developed share does not depend on Scale.
func (c *city) kindOf(i, j int) kind {
	if !c.inCity(i, j) {
		return outside
	}
	if c.core(i, j) {
		return developed
	}
	x, y := c.unit(i), c.unit(j)
	p := 0.95 - 0.55*(x*x+y*y)
	if unitHash(c.seed, tagDevelop, i, j) < max(p, 0.1) {
		return developed
	}
	return open
}

// toLonLat converts local metres to WGS84 degrees, rounded to 1e-7.
func (c *city) toLonLat(x, y float64) (lon, lat float64) {
	lon = c.lon0 + x/c.mLon
	lat = c.lat0 + y/c.mLat
	return math.Round(lon*coordRound) / coordRound, math.Round(lat*coordRound) / coordRound
}

func (c *city) point(x, y float64) *geom.Point {
	lon, lat := c.toLonLat(x, y)
	return geom.NewPointFlat(geom.XY, []float64{lon, lat}).SetSRID(4326)
}

// nodeXY is the position of the crossing of N-S line gx and E-W line gy.
func (c *city) nodeXY(gx, gy int) (x, y float64) {
	return float64(gx)*blockW - c.half, float64(gy)*blockH - c.half
}

// limitsRing returns the city limits as a closed counter-clockwise ring in
// local metres: the union of the in-city cells, each grown by limitGap.
func (c *city) limitsRing() []float64 {
	n, g := c.n, limitGap
	left := func(j int) float64 { return float64(c.lo[j])*cellSize - c.half - g }
	right := func(j int) float64 { return float64(c.hi[j]+1)*cellSize - c.half + g }
	yb := func(j int) float64 { return float64(j)*cellSize - c.half } // bottom of row j
	var r []float64
	add := func(x, y float64) { r = append(r, x, y) }
	bottom, top := yb(0)-g, yb(n)+g
	add(left(0), bottom)
	add(right(0), bottom)
	for j := 0; j+1 < n; j++ { // up the east side
		a, b := right(j), right(j+1)
		switch {
		case b > a:
			add(a, yb(j+1)-g)
			add(b, yb(j+1)-g)
		case b < a:
			add(a, yb(j+1)+g)
			add(b, yb(j+1)+g)
		}
	}
	add(right(n-1), top)
	add(left(n-1), top)
	for j := n - 1; j > 0; j-- { // down the west side
		a, b := left(j), left(j-1)
		switch {
		case b < a:
			add(a, yb(j)+g)
			add(b, yb(j)+g)
		case b > a:
			add(a, yb(j)-g)
			add(b, yb(j)-g)
		}
	}
	add(left(0), bottom)
	return r
}

func (c *city) limitsPolygon() *geom.Polygon {
	ring := c.limitsRing()
	flat := make([]float64, len(ring))
	for i := 0; i < len(ring); i += 2 {
		flat[i], flat[i+1] = c.toLonLat(ring[i], ring[i+1])
	}
	return geom.NewPolygonFlat(geom.XY, flat, []int{len(flat)}).SetSRID(4326)
}

// bounds is the lon/lat rectangle of the city limits.
func (c *city) bounds() [4]float64 {
	ring := c.limitsRing()
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for i := 0; i < len(ring); i += 2 {
		minX, maxX = min(minX, ring[i]), max(maxX, ring[i])
		minY, maxY = min(minY, ring[i+1]), max(maxY, ring[i+1])
	}
	w, s := c.toLonLat(minX, minY)
	e, n := c.toLonLat(maxX, maxY)
	return [4]float64{w, s, e, n}
}

// CityLimits returns the generated city limits for opts as a polygon in
// WGS84 lon/lat (SRID 4326). Every generated feature lies inside it. The
// limits depend on Scale only, not on Seed. It returns an error wrapping
// store.ErrInvalid for a Scale out of range.
func CityLimits(opts Options) (*geom.Polygon, error) {
	c, err := newCity(opts)
	if err != nil {
		return nil, err
	}
	return c.limitsPolygon(), nil
}

// Bounds returns [minLon, minLat, maxLon, maxLat] of the city limits for
// opts, a rectangle that holds every feature Generate yields. For options
// Generate rejects it returns the zero rectangle.
func Bounds(opts Options) [4]float64 {
	c, err := newCity(opts)
	if err != nil {
		return [4]float64{}
	}
	return c.bounds()
}

// Street names. Arterials and collectors are indexed from the centre
// (Imperial Ave and Barioni Blvd cross there); local streets are lettered
// west to east and numbered south to north.
var (
	nsArterials  = []string{"Forrester Rd", "La Brucherie Rd", "Clark Rd", "Imperial Ave", "Cross Rd", "Dogwood Rd", "Austin Rd"}
	ewArterials  = []string{"Aten Rd", "Ralph Rd", "Neckel Rd", "Barioni Blvd", "Worthington Rd", "Larsen Rd", "Keystone Rd"}
	nsCollectors = []string{"Cypress Dr", "Mesquite Dr", "Palm Ave", "Olive Ave", "Tamarisk Dr", "Sunset Dr"}
	ewCollectors = []string{"Bonita Ave", "Victoria Ave", "Washington Ave", "Main St", "Jefferson Ave", "Hope Ave"}
)

// imperialAve is the index of Imperial Ave (State Route 86) among the N-S
// arterials counted from the centre.
const imperialAve = 0

type class uint8

const (
	local class = iota
	collector
	arterial
)

func (k class) String() string { return classes[2-int(k)] }

// nsClass is the class of N-S line gx; ewClass of E-W line gy.
func nsClass(gx int) class { return lineClass(gx, nsLines) }
func ewClass(gy int) class { return lineClass(gy, ewLines) }

func lineClass(g, per int) class {
	switch mod(g, per) {
	case 0:
		return arterial
	case per / 2:
		return collector
	}
	return local
}

func mod(a, b int) int { return ((a % b) + b) % b }

func (c *city) nsName(gx int) string {
	i, k := gx/nsLines, mod(gx, nsLines)
	switch nsClass(gx) {
	case arterial:
		return centreName(nsArterials, i-c.n/2, 3, "West Rd", "East Rd")
	case collector:
		return centreName(nsCollectors, i-c.n/2, 3, "West Dr", "East Dr")
	}
	rank := 2*i + k/2 // locals at k = 1 and 3
	return letters(rank) + " St"
}

func (c *city) ewName(gy int) string {
	j, k := gy/ewLines, mod(gy, ewLines)
	switch ewClass(gy) {
	case arterial:
		return centreName(ewArterials, j-c.n/2, 3, "South Rd", "North Rd")
	case collector:
		return centreName(ewCollectors, j-c.n/2, 3, "South Ave", "North Ave")
	}
	rank := 4*j + k - 1 // locals at k = 1, 2, 4, 5
	if k > ewLines/2 {
		rank--
	}
	return ordinal(rank+1) + " St"
}

// centreName names line k of a list whose entry mid is at the centre; past
// either end of the list it makes a numbered name.
func centreName(list []string, k, mid int, below, above string) string {
	if i := k + mid; i >= 0 && i < len(list) {
		return list[i]
	}
	if k < 0 {
		return fmt.Sprintf("%s %d", below, -k-mid)
	}
	return fmt.Sprintf("%s %d", above, k-(len(list)-1-mid))
}

// letters returns A, B, ..., Z, AA, AB, ... for 0, 1, ...
func letters(i int) string {
	var b []byte
	for i++; i > 0; i = (i - 1) / 26 {
		b = append([]byte{byte('A' + (i-1)%26)}, b...)
	}
	return string(b)
}

func ordinal(n int) string {
	suffix := "th"
	if n%100 < 11 || n%100 > 13 {
		switch n % 10 {
		case 1:
			suffix = "st"
		case 2:
			suffix = "nd"
		case 3:
			suffix = "rd"
		}
	}
	return fmt.Sprint(n, suffix)
}
