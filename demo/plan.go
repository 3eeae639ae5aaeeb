package demo

// Randomness. Every decision draws from a SplitMix64 stream seeded by a hash
// of (seed, purpose, position), so a cell, a node or a feature comes out the
// same whatever else is generated, and a pass over one collection never
// needs state from another.

// Purposes of the random streams.
const (
	tagDevelop uint64 = iota + 1
	tagPlan
	tagNode
	tagSignal
	tagStopAttr
	tagSignalAttr
	tagParkAttr
	tagTowerAttr
	tagStreetAttr
)

func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func hash4(seed, tag uint64, a, b int) uint64 {
	h := mix64(seed + 0x9e3779b97f4a7c15*tag)
	h = mix64(h ^ uint64(int64(a))*0xd6e8feb86659fd93)
	return mix64(h ^ uint64(int64(b))*0xa0761d6478bd642f)
}

// unitHash is a uniform number in [0, 1) fixed by its arguments.
func unitHash(seed, tag uint64, a, b int) float64 {
	return float64(hash4(seed, tag, a, b)>>11) / (1 << 53)
}

// rnd is a SplitMix64 generator.
type rnd struct{ s uint64 }

func (r *rnd) reset(seed, tag uint64, a, b int) { r.s = hash4(seed, tag, a, b) }

func (r *rnd) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return mix64(r.s)
}

// float is uniform in [0, 1).
func (r *rnd) float() float64 { return float64(r.next()>>11) / (1 << 53) }

// intn is uniform in [0, n).
func (r *rnd) intn(n int) int { return int(r.float() * float64(n)) }

// between is uniform in [a, b).
func (r *rnd) between(a, b float64) float64 { return a + (b-a)*r.float() }

// chance is true with probability p.
func (r *rnd) chance(p float64) bool { return r.float() < p }

// weighted returns index i with probability w[i]/sum(w).
func (r *rnd) weighted(w ...float64) int {
	var sum float64
	for _, x := range w {
		sum += x
	}
	u := r.float() * sum
	for i, x := range w {
		if u < x {
			return i
		}
		u -= x
	}
	return len(w) - 1
}

// pick returns one of list with the given weights.
func pick[T any](r *rnd, list []T, w ...float64) T { return list[r.weighted(w...)] }

// Civic and utility sites.
type siteKind uint8

const (
	cityHall siteKind = iota
	library
	police
	fireStation
	communityCenter
	publicWorks
	waterPlant
)

var siteNames = [...]string{
	cityHall:        "Imperial City Hall",
	library:         "Imperial Public Library",
	police:          "Imperial Police Department",
	fireStation:     "Imperial Fire Station",
	communityCenter: "Imperial Community Center",
	publicWorks:     "Imperial Public Works Yard",
	waterPlant:      "Imperial Water Treatment Plant",
}

// coreSites are the civic sites downtown, shared among the core cells;
// City Hall comes first and sits on the block at the city centre.
var coreSites = []siteKind{cityHall, library, police, fireStation, communityCenter}

type site struct {
	kind   siteKind
	bx, by int // block in the cell; for utilities, the block of the plant
}

type parkKind uint8

const (
	pocket parkKind = iota
	neighborhood
	community
	sportsComplex
)

var parkKinds = [...]string{"pocket", "neighborhood", "community", "sports_complex"}

type parkShape uint8

const (
	fullBlock parkShape = iota
	westHalf
	eastHalf
	lShape    // a block less its north-east quarter
	pond      // a block with a pond (a hole)
	twoBlocks // two blocks across a street: a MultiPolygon of two parts
	canal     // a large lot cut by a diagonal canal: a pentagon
)

type parkPlan struct {
	kind   parkKind
	shape  parkShape
	bx, by int     // first block (south-west one for twoBlocks)
	w, h   float64 // sports complex size, m
	cut    float64 // sports complex canal cut, m
	tower  bool    // a Wi-Fi tower stands in the park
}

// plan is what stands in one cell; it depends only on the seed and the cell.
type plan struct {
	kind   kind
	sites  [8]site
	nSites int
	parks  [3]parkPlan
	nParks int
}

// planCell fills p for cell (i, j).
func (c *city) planCell(i, j int, p *plan) {
	*p = plan{kind: c.kindOf(i, j)}
	var r rnd
	r.reset(c.seed, tagPlan, i, j)
	var used uint32 // blocks taken, bit by*nsLines+bx
	take := func(bx, by int) bool {
		bit := uint32(1) << (by*nsLines + bx)
		if used&bit != 0 {
			return false
		}
		used |= bit
		return true
	}
	free := func() (bx, by int, ok bool) {
		for try := 0; try < 32; try++ {
			bx, by = r.intn(nsLines), r.intn(ewLines)
			if take(bx, by) {
				return bx, by, true
			}
		}
		return 0, 0, false
	}
	addSite := func(k siteKind, bx, by int) {
		if p.nSites < len(p.sites) {
			p.sites[p.nSites] = site{kind: k, bx: bx, by: by}
			p.nSites++
		}
	}
	switch p.kind {
	case open:
		if r.chance(0.12) {
			p.parks[0] = parkPlan{kind: sportsComplex, shape: canal, w: r.between(300, 420), h: r.between(250, 350), cut: r.between(80, 140), tower: true}
			p.nParks = 1
		}
		if r.chance(0.06) {
			addSite(pick(&r, []siteKind{publicWorks, waterPlant}, 1, 1), nsLines-1, ewLines-2)
		}
		return
	case outside:
		return
	}
	if c.core(i, j) {
		ord, cnt := c.coreOrdinal(i, j)
		if hx, hy, ok := c.hallBlock(i, j); ok {
			take(hx, hy)
			addSite(cityHall, hx, hy)
		}
		for k, s := range coreSites[1:] {
			if (k+1)%cnt == ord {
				if bx, by, ok := free(); ok {
					addSite(s, bx, by)
				}
			}
		}
	}
	switch r.weighted(0.06, 0.04, 0.03, 0.87) {
	case 0:
		if bx, by, ok := free(); ok {
			addSite(fireStation, bx, by)
		}
	case 1:
		if bx, by, ok := free(); ok {
			addSite(library, bx, by)
		}
	case 2:
		if bx, by, ok := free(); ok {
			addSite(communityCenter, bx, by)
		}
	}
	nParks := r.weighted(0.45, 0.40, 0.15)
	for k := 0; k < nParks; k++ {
		var pp parkPlan
		switch r.weighted(0.30, 0.45, 0.25) {
		case 0:
			pp = parkPlan{kind: pocket, shape: pick(&r, []parkShape{westHalf, eastHalf}, 1, 1), tower: r.chance(0.1)}
		case 1:
			pp = parkPlan{kind: neighborhood, shape: pick(&r, []parkShape{fullBlock, lShape}, 0.7, 0.3), tower: r.chance(0.5)}
		default:
			pp = parkPlan{kind: community, shape: pick(&r, []parkShape{pond, twoBlocks}, 0.5, 0.5), tower: true}
		}
		bx, by, ok := free()
		if !ok {
			break
		}
		pp.bx, pp.by = bx, by
		if pp.shape == twoBlocks && !(by+1 < ewLines && take(bx, by+1)) {
			pp.shape = pond
		}
		p.parks[p.nParks] = pp
		p.nParks++
	}
}

// coreOrdinal numbers the core cells 0..cnt-1 in row order.
func (c *city) coreOrdinal(i, j int) (ord, cnt int) {
	lo, w := c.n, 0
	for k := 0; k < c.n; k++ {
		if c.core(k, k) {
			lo = min(lo, k)
			w++
		}
	}
	return (j-lo)*w + (i - lo), w * w
}

// hallBlock returns the block of cell (i, j) whose south-west corner is
// the city centre, if the cell has it.
func (c *city) hallBlock(i, j int) (bx, by int, ok bool) {
	lx := c.half - float64(i)*cellSize // the centre in the cell's frame
	ly := c.half - float64(j)*cellSize
	if lx < 0 || ly < 0 || lx >= cellSize || ly >= cellSize {
		return 0, 0, false
	}
	return int(lx / blockW), int(ly/blockH + 1e-9), true
}
