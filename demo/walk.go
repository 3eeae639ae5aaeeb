package demo

import (
	"math"
)

// The walkers below lay assets out without attributes; Generate adds the
// attributes and Count only counts. Each visits the grid in the same order:
// rows of "extended cells" (i, j) in 0..n, each owning its south-west corner
// node, its south and west edges, and (when i, j < n) its interior.

// Approaches, in the order the walkers emit them.
const (
	northbound = iota
	southbound
	eastbound
	westbound
)

type stopSite struct {
	gx, gy int // the intersection: N-S line gx crosses E-W line gy
	dir    int // approach
	allWay bool
}

// ns reports whether the stopped street runs north-south.
func (s *stopSite) ns() bool { return s.dir == northbound || s.dir == southbound }

// stopPos is the sign position in local metres: back from the intersection
// along the approach, on the right-hand side of the road.
func (c *city) stopPos(s *stopSite) (x, y float64) {
	x, y = c.nodeXY(s.gx, s.gy)
	switch s.dir {
	case northbound:
		return x + signAside, y - signAlong
	case southbound:
		return x - signAside, y + signAlong
	case eastbound:
		return x - signAlong, y - signAside
	}
	return x + signAlong, y + signAside
}

type signalSite struct {
	gx, gy int
	urban  bool // at least two developed cells around it, or downtown
}

func (c *city) dev(i, j int) bool { return c.kindOf(i, j) == developed }

// cornerCounts returns how many of the four cells around node (i, j) (in
// cell units) are inside the city and how many are developed.
func (c *city) cornerCounts(i, j int) (in, devd int) {
	for _, d := range [4][2]int{{-1, -1}, {0, -1}, {-1, 0}, {0, 0}} {
		switch c.kindOf(i+d[0], j+d[1]) {
		case developed:
			devd++
			in++
		case open:
			in++
		}
	}
	return in, devd
}

// Signal warrants: which intersections have signals. Each depends only on
// the seed and the intersection, so the stop-sign and signal walkers agree.
// An arterial crossing is signalized more often the more developed cells
// touch it; an unsignalized one is an all-way stop.
func (c *city) signalAA(i, j, devd int) bool {
	h := unitHash(c.seed, tagSignal, nsLines*i, ewLines*j)
	switch devd {
	case 0:
		return false
	case 1:
		return h < 0.15
	case 2:
		return h < 0.6
	}
	return true
}

func (c *city) signalAC(gx, gy int, both bool) bool {
	p := 0.05
	if both {
		p = 0.2
	}
	return unitHash(c.seed, tagSignal, gx, gy) < p
}

func (c *city) signalCC(i, j int) bool {
	return c.core(i, j) || unitHash(c.seed, tagSignal, nsLines*i+nsLines/2, ewLines*j+ewLines/2) < 0.15
}

// walkStops calls fn for every stop sign.
func (c *city) walkStops(fn func(*stopSite) error) error {
	var s stopSite
	emit := func(gx, gy, dir int, allWay bool) error {
		s = stopSite{gx: gx, gy: gy, dir: dir, allWay: allWay}
		return fn(&s)
	}
	all := func(gx, gy int) error {
		for dir := northbound; dir <= westbound; dir++ {
			if err := emit(gx, gy, dir, true); err != nil {
				return err
			}
		}
		return nil
	}
	for j := 0; j <= c.n; j++ {
		for i := 0; i <= c.n; i++ {
			if in, devd := c.cornerCounts(i, j); in > 0 && !c.signalAA(i, j, devd) {
				if err := all(nsLines*i, ewLines*j); err != nil {
					return err
				}
			}
			if i < c.n { // south edge: an E-W arterial
				up, down := c.dev(i, j), c.dev(i, j-1)
				for k := 1; k < nsLines; k++ {
					gx, gy := nsLines*i+k, ewLines*j
					if (!up && !down) || (nsClass(gx) == collector && c.signalAC(gx, gy, up && down)) {
						continue
					}
					if up {
						if err := emit(gx, gy, southbound, false); err != nil {
							return err
						}
					}
					if down {
						if err := emit(gx, gy, northbound, false); err != nil {
							return err
						}
					}
				}
			}
			if j < c.n { // west edge: a N-S arterial
				right, left := c.dev(i, j), c.dev(i-1, j)
				for m := 1; m < ewLines; m++ {
					gx, gy := nsLines*i, ewLines*j+m
					if (!right && !left) || (ewClass(gy) == collector && c.signalAC(gx, gy, right && left)) {
						continue
					}
					if right {
						if err := emit(gx, gy, westbound, false); err != nil {
							return err
						}
					}
					if left {
						if err := emit(gx, gy, eastbound, false); err != nil {
							return err
						}
					}
				}
			}
			if i == c.n || j == c.n || !c.dev(i, j) {
				continue
			}
			for m := 1; m < ewLines; m++ { // interior
				for k := 1; k < nsLines; k++ {
					gx, gy := nsLines*i+k, ewLines*j+m
					var err error
					switch ns, ew := nsClass(gx), ewClass(gy); {
					case ns == collector && ew == collector:
						if !c.signalCC(i, j) {
							err = all(gx, gy)
						}
					case ns == collector: // the E-W local street stops
						if err = emit(gx, gy, eastbound, false); err == nil {
							err = emit(gx, gy, westbound, false)
						}
					case ew == collector: // the N-S local street stops
						if err = emit(gx, gy, northbound, false); err == nil {
							err = emit(gx, gy, southbound, false)
						}
					default:
						switch h := unitHash(c.seed, tagNode, gx, gy); {
						case h < 0.35:
							err = all(gx, gy)
						case h < 0.675:
							if err = emit(gx, gy, northbound, false); err == nil {
								err = emit(gx, gy, southbound, false)
							}
						default:
							if err = emit(gx, gy, eastbound, false); err == nil {
								err = emit(gx, gy, westbound, false)
							}
						}
					}
					if err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// walkSignals calls fn for every signalized intersection.
func (c *city) walkSignals(fn func(*signalSite) error) error {
	var s signalSite
	for j := 0; j <= c.n; j++ {
		for i := 0; i <= c.n; i++ {
			if in, devd := c.cornerCounts(i, j); in > 0 && c.signalAA(i, j, devd) {
				s = signalSite{gx: nsLines * i, gy: ewLines * j, urban: devd >= 2}
				if err := fn(&s); err != nil {
					return err
				}
			}
			if i < c.n {
				up, down := c.dev(i, j), c.dev(i, j-1)
				gx, gy := nsLines*i+nsLines/2, ewLines*j
				if (up || down) && c.signalAC(gx, gy, up && down) {
					s = signalSite{gx: gx, gy: gy, urban: up && down}
					if err := fn(&s); err != nil {
						return err
					}
				}
			}
			if j < c.n {
				right, left := c.dev(i, j), c.dev(i-1, j)
				gx, gy := nsLines*i, ewLines*j+ewLines/2
				if (right || left) && c.signalAC(gx, gy, right && left) {
					s = signalSite{gx: gx, gy: gy, urban: right && left}
					if err := fn(&s); err != nil {
						return err
					}
				}
			}
			if i < c.n && j < c.n && c.dev(i, j) && c.signalCC(i, j) {
				s = signalSite{gx: nsLines*i + nsLines/2, gy: ewLines*j + ewLines/2, urban: true}
				if err := fn(&s); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// parkSite is one park: its plan, its cell and its number in the city.
type parkSite struct {
	plan *parkPlan
	i, j int
	seq  int // 0, 1, 2, ... in walk order
}

// cellTower is one Wi-Fi tower.
type cellTower struct {
	x, y     float64 // local metres
	siteType string  // park, civic or utility
	site     siteKind
	siteSeq  int // 1 for the first site of its kind, 2 for the next, ...
	park     *parkSite
}

// walkCells calls fn with the plan of every cell in the city, in row order.
func (c *city) walkCells(fn func(i, j int, p *plan) error) error {
	var p plan
	for j := 0; j < c.n; j++ {
		for i := c.lo[j]; i <= c.hi[j]; i++ {
			c.planCell(i, j, &p)
			if err := fn(i, j, &p); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *city) walkParks(fn func(*parkSite) error) error {
	seq := 0
	return c.walkCells(func(i, j int, p *plan) error {
		for k := 0; k < p.nParks; k++ {
			ps := parkSite{plan: &p.parks[k], i: i, j: j, seq: seq}
			seq++
			if err := fn(&ps); err != nil {
				return err
			}
		}
		return nil
	})
}

func (c *city) walkTowers(fn func(*cellTower) error) error {
	seq := 0
	var count [len(siteNames)]int
	return c.walkCells(func(i, j int, p *plan) error {
		ox, oy := c.cellOrigin(i, j)
		for k := 0; k < p.nSites; k++ {
			s := p.sites[k]
			count[s.kind]++
			t := cellTower{
				x:        ox + (float64(s.bx)+0.5)*blockW + 15,
				y:        oy + (float64(s.by)+0.5)*blockH + 10,
				siteType: "civic",
				site:     s.kind,
				siteSeq:  count[s.kind],
			}
			if s.kind == publicWorks || s.kind == waterPlant {
				t.siteType = "utility"
			}
			if err := fn(&t); err != nil {
				return err
			}
		}
		for k := 0; k < p.nParks; k++ {
			ps := parkSite{plan: &p.parks[k], i: i, j: j, seq: seq}
			seq++
			if !ps.plan.tower {
				continue
			}
			x0, y0 := c.parkCorner(&ps)
			t := cellTower{x: x0 + 20, y: y0 + 20, siteType: "park", park: &ps}
			if err := fn(&t); err != nil {
				return err
			}
		}
		return nil
	})
}

// cellOrigin is the south-west corner of cell (i, j), local metres.
func (c *city) cellOrigin(i, j int) (x, y float64) {
	return float64(i)*cellSize - c.half, float64(j)*cellSize - c.half
}

// parkRings returns the park's polygons in local metres: for each polygon
// its rings (outer counter-clockwise, holes clockwise), each closed.
func (c *city) parkRings(ps *parkSite) [][][]float64 {
	pp := ps.plan
	ox, oy := c.cellOrigin(ps.i, ps.j)
	rect := func(x0, y0, x1, y1 float64) []float64 {
		return []float64{x0, y0, x1, y0, x1, y1, x0, y1, x0, y0}
	}
	if pp.shape == canal {
		x0, y0 := ox+30, oy+30
		x1, y1 := x0+pp.w, y0+pp.h
		return [][][]float64{{{x0, y0, x1, y0, x1, y1 - pp.cut, x1 - pp.cut, y1, x0, y1, x0, y0}}}
	}
	x0 := ox + float64(pp.bx)*blockW + parkInset
	y0 := oy + float64(pp.by)*blockH + parkInset
	x1 := ox + float64(pp.bx+1)*blockW - parkInset
	y1 := oy + float64(pp.by+1)*blockH - parkInset
	xm, ym := (x0+x1)/2, (y0+y1)/2
	switch pp.shape {
	case westHalf:
		return [][][]float64{{rect(x0, y0, xm-6, y1)}}
	case eastHalf:
		return [][][]float64{{rect(xm+6, y0, x1, y1)}}
	case lShape:
		return [][][]float64{{{x0, y0, x1, y0, x1, ym, xm, ym, xm, y1, x0, y1, x0, y0}}}
	case pond:
		// An octagonal pond in the north-east part of the block, clockwise.
		cx, cy := xm+0.1*(x1-x0), ym+0.05*(y1-y0)
		rx, ry := 0.2*(x1-x0), 0.22*(y1-y0)
		hole := make([]float64, 0, 18)
		for k := 0; k <= 8; k++ {
			a := -2 * math.Pi * float64(k%8) / 8
			hole = append(hole, cx+rx*math.Cos(a), cy+ry*math.Sin(a))
		}
		return [][][]float64{{rect(x0, y0, x1, y1), hole}}
	case twoBlocks:
		return [][][]float64{{rect(x0, y0, x1, y1)}, {rect(x0, y1+2*parkInset, x1, y1+2*parkInset+(y1-y0))}}
	}
	return [][][]float64{{rect(x0, y0, x1, y1)}}
}

// parkCorner is a point near the south-west corner of the park, which every
// shape keeps (the L shape and the pond are cut in the north-east).
func (c *city) parkCorner(ps *parkSite) (x, y float64) {
	r := c.parkRings(ps)[0][0]
	return r[0], r[1]
}

// ringArea is the signed area of a closed ring, m² (positive when counter-clockwise).
func ringArea(r []float64) float64 {
	var a float64
	for k := 0; k+3 < len(r); k += 2 {
		a += r[k]*r[k+3] - r[k+2]*r[k+1]
	}
	return a / 2
}
