// Package demo generates a plausible, deterministic asset inventory for the
// city of Imperial, California (centre 32.84755 N, 115.56944 W, from
// GeoNames): stop signs, traffic signals, parks and Wi-Fi towers laid out
// on a synthetic street grid the way a real city has them.
//
// The city is a grid of 800 m cells bounded by arterials (Imperial Ave and
// Barioni Blvd cross at the centre). Developed cells hold a local grid of
// 200 m × 133 m blocks with a collector through the middle each way; open
// cells are farmland. Stop signs stand on the approaches of local and
// collector intersections, signals at busy arterial and collector
// crossings, parks on blocks, and Wi-Fi towers in parks and at civic sites.
//
// Generate streams the features; the same Options give the same bytes.
// Scale grows the grid for benchmark datasets (Scale 860 gives about a
// million features) while memory stays constant. All coordinates are WGS84
// lon/lat (EPSG:4326), rounded to 1e-7 degree.
package demo

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/twpayne/go-geom"

	"github.com/cityatlas/cityatlas/store"
)

// asOf is the date the inventory describes: no install or inspection date
// is later.
var asOf = time.Date(2025, time.June, 30, 0, 0, 0, 0, time.UTC)

// External id prefixes, per collection.
const (
	stopPrefix   = "SS-"
	signalPrefix = "TS-"
	parkPrefix   = "PK-"
	towerPrefix  = "WT-"
)

// Generate calls fn for every feature of the demo dataset described by
// opts: first every stop sign, then every traffic signal, park and Wi-Fi
// tower, each collection's external ids numbered from 1 ("SS-000001", ...).
// Features have Collection, ExternalID, Geometry (SRID 4326) and
// Properties encoded for the collection's schema from Collections; the
// Feature and its Properties belong to fn. Generate holds no more than one
// feature at a time, whatever the scale.
//
// It returns an error wrapping store.ErrInvalid for a Scale out of range,
// and otherwise stops at fn's first error and returns it unchanged.
func Generate(opts Options, fn func(collection string, f store.Feature) error) error {
	c, err := newCity(opts)
	if err != nil {
		return err
	}
	cols := map[string]*store.Collection{}
	all := Collections()
	for k := range all {
		cols[all[k].ID] = &all[k]
	}
	g := &generator{c: c, vals: map[string]any{}}

	seq := 0
	col := cols[StopSigns]
	err = c.walkStops(func(s *stopSite) error {
		seq++
		g.stopProps(seq, s)
		x, y := c.stopPos(s)
		return g.emit(fn, col, stopPrefix, seq, c.point(x, y))
	})
	if err != nil {
		return err
	}

	seq = 0
	col = cols[TrafficSignals]
	err = c.walkSignals(func(s *signalSite) error {
		seq++
		g.signalProps(seq, s)
		x, y := c.nodeXY(s.gx, s.gy)
		return g.emit(fn, col, signalPrefix, seq, c.point(x, y))
	})
	if err != nil {
		return err
	}

	seq = 0
	col = cols[Parks]
	err = c.walkParks(func(ps *parkSite) error {
		seq++
		rings := c.parkRings(ps)
		g.parkProps(seq, ps, rings)
		return g.emit(fn, col, parkPrefix, seq, c.multiPolygon(rings))
	})
	if err != nil {
		return err
	}

	seq = 0
	col = cols[WifiTowers]
	return c.walkTowers(func(t *cellTower) error {
		seq++
		g.towerProps(seq, t)
		return g.emit(fn, col, towerPrefix, seq, c.point(t.x, t.y))
	})
}

// Count returns the number of features Generate yields for opts, per
// collection id, without building them (a hundred times faster). It returns
// an error wrapping store.ErrInvalid for a Scale out of range.
func Count(opts Options) (map[string]int, error) {
	c, err := newCity(opts)
	if err != nil {
		return nil, err
	}
	m := map[string]int{}
	_ = c.walkStops(func(*stopSite) error { m[StopSigns]++; return nil })
	_ = c.walkSignals(func(*signalSite) error { m[TrafficSignals]++; return nil })
	_ = c.walkParks(func(*parkSite) error { m[Parks]++; return nil })
	_ = c.walkTowers(func(*cellTower) error { m[WifiTowers]++; return nil })
	return m, nil
}

// generator turns placements into features. vals is reused for every
// feature (EncodeProperties does not keep it).
type generator struct {
	c    *city
	r    rnd
	vals map[string]any
}

func (g *generator) emit(fn func(string, store.Feature) error, col *store.Collection, prefix string, seq int, geometry geom.T) error {
	props, err := store.EncodeProperties(col, g.vals)
	if err != nil {
		// A bug in this package: the values do not fit the schema.
		return fmt.Errorf("demo: %s %s%06d: %w", col.ID, prefix, seq, err)
	}
	return fn(col.ID, store.Feature{
		Collection: col.ID,
		ExternalID: fmt.Sprintf("%s%06d", prefix, seq),
		Geometry:   geometry,
		Properties: props,
	})
}

func (c *city) multiPolygon(polys [][][]float64) *geom.MultiPolygon {
	var flat []float64
	endss := make([][]int, 0, len(polys))
	for _, rings := range polys {
		var ends []int
		for _, r := range rings {
			for k := 0; k+1 < len(r); k += 2 {
				lon, lat := c.toLonLat(r[k], r[k+1])
				flat = append(flat, lon, lat)
			}
			ends = append(ends, len(flat))
		}
		endss = append(endss, ends)
	}
	return geom.NewMultiPolygonFlat(geom.XY, flat, endss).SetSRID(4326)
}

func date(t time.Time) string { return t.Format(time.DateOnly) }

// ageDate returns the date years before asOf.
func ageDate(years float64) time.Time {
	return asOf.AddDate(0, 0, -int(years*365.25))
}

// inspected returns a date between max(installed, asOf-within years) and asOf.
func (g *generator) inspected(installed time.Time, within float64) time.Time {
	from := ageDate(within)
	if installed.After(from) {
		from = installed
	}
	days := int(asOf.Sub(from).Hours() / 24)
	return from.AddDate(0, 0, g.r.intn(days+1))
}

// conditionByAge draws a condition whose chance of being poor grows with
// age measured in service lives; damaged is rare and independent of age.
func (g *generator) conditionByAge(lives float64, damaged float64) string {
	if g.r.chance(damaged) {
		return "damaged"
	}
	pGood := math.Max(0.1, 0.9-0.6*lives)
	pPoor := math.Min(0.5, 0.02+0.3*lives)
	return pick(&g.r, conditions[:3], pGood, 1-pGood-pPoor, pPoor)
}

func (g *generator) stopProps(seq int, s *stopSite) {
	c, r, v := g.c, &g.r, g.vals
	clear(v)
	r.reset(c.seed, tagStopAttr, seq, 0)
	street, cross := c.nsName(s.gx), c.ewName(s.gy)
	cls := nsClass(s.gx)
	if !s.ns() {
		street, cross = cross, street
		cls = ewClass(s.gy)
	}
	v["name"] = "Stop at " + street + " & " + cross
	v["street"] = street
	v["cross_street"] = cross
	v["approach"] = approaches[s.dir]
	v["street_class"] = cls.String()
	v["mutcd_code"] = "R1-1"
	if s.allWay {
		v["control"] = "all_way"
		v["plaque"] = "R1-3P"
	} else {
		v["control"] = "side_street"
		if r.chance(0.12) {
			v["plaque"] = "W4-4P"
		}
	}
	size := int64(30)
	switch cls {
	case local:
		if r.chance(0.1) {
			size = 36
		}
	case collector:
		size = 36
	case arterial:
		size = pick(r, []int64{36, 48}, 0.7, 0.3)
	}
	v["sign_size_in"] = size

	// Sign faces are replaced every decade or so: ages are exponential,
	// mean 9 years, at most 40.
	age := math.Min(40, -math.Log(1-r.float())*9)
	installed := ageDate(age)
	year := installed.Year()
	var sheeting string
	switch {
	case year < 2000:
		sheeting = pick(r, []string{"engineer_grade", "high_intensity"}, 0.6, 0.4)
	case year < 2013:
		sheeting = pick(r, []string{"high_intensity", "diamond_grade"}, 0.8, 0.2)
	default:
		sheeting = pick(r, []string{"high_intensity", "diamond_grade"}, 0.5, 0.5)
	}
	v["sheeting"] = sheeting
	initial := 45.0 // new red sheeting, cd/lx/m²
	switch sheeting {
	case "engineer_grade":
		initial = 15
	case "diamond_grade":
		initial = 75
	}
	retro := initial * math.Exp(-0.06*age) * r.between(0.85, 1.15)
	v["retroreflectivity"] = math.Round(retro*10) / 10
	v["post_type"] = pick(r, []string{"u_channel", "square_tube", "round_pipe", "wood"}, 0.55, 0.3, 0.1, 0.05)
	cond := g.conditionByAge(age/12, 0.03)
	v["condition"] = cond
	status := "active"
	switch {
	case r.chance(0.008):
		status = "removed"
	case cond == "damaged" && r.chance(0.9), cond == "poor" && r.chance(0.6), retro < 7:
		status = "needs_repair"
	}
	v["status"] = status
	v["installed"] = date(installed)
	if r.chance(0.93) {
		v["last_inspected"] = date(g.inspected(installed, 4))
	}
}

func (g *generator) signalProps(seq int, s *signalSite) {
	c, r, v := g.c, &g.r, g.vals
	clear(v)
	r.reset(c.seed, tagSignalAttr, seq, 0)
	ns, ew := nsClass(s.gx), ewClass(s.gy)
	street, cross := c.nsName(s.gx), c.ewName(s.gy)
	if ew > ns {
		street, cross = cross, street
	}
	v["name"] = street + " & " + cross
	v["street"] = street
	v["cross_street"] = cross
	typ := "arterial_collector"
	switch {
	case ns == arterial && ew == arterial:
		typ = "arterial_arterial"
	case ns == collector && ew == collector:
		typ = "collector_collector"
	}
	v["intersection_type"] = typ

	// Signals are old: first signalized 2 to 60 years ago, skewed older
	// than the signs.
	age := 2 + 58*math.Pow(r.float(), 0.7)
	installed := ageDate(age)
	v["installed"] = date(installed)
	sinceUpgrade := age
	if r.chance(0.7) {
		sinceUpgrade = r.between(0.5, math.Min(age, 20))
		v["last_upgraded"] = date(ageDate(sinceUpgrade))
	}
	modern := asOf.Year() - int(sinceUpgrade)
	switch {
	case modern < 1995:
		v["controller"] = "Type 170E"
		v["cabinet"] = "332L"
	case modern < 2010:
		v["controller"] = pick(r, []string{"Type 170E", "McCain 2070", "Econolite ASC/3"}, 0.3, 0.4, 0.3)
		v["cabinet"] = pick(r, []string{"332L", "TS-1"}, 0.8, 0.2)
	default:
		v["controller"] = pick(r, []string{"McCain 2070", "Econolite ASC/3", "Econolite Cobalt", "Siemens m60"}, 0.3, 0.2, 0.35, 0.15)
		v["cabinet"] = pick(r, []string{"332L", "TS-2"}, 0.7, 0.3)
	}
	signalType := pick(r, []string{"fixed_time", "semi_actuated", "actuated", "adaptive"}, 0.1, 0.3, 0.5, 0.1)
	if modern < 1995 && signalType == "adaptive" {
		signalType = "actuated"
	}
	v["signal_type"] = signalType
	var phases int64
	switch typ {
	case "arterial_arterial":
		phases = pick(r, []int64{8, 6, 4}, 0.7, 0.15, 0.15)
	case "arterial_collector":
		phases = pick(r, []int64{6, 4, 3}, 0.3, 0.55, 0.15)
	default:
		phases = pick(r, []int64{4, 2}, 0.6, 0.4)
	}
	v["phases"] = phases
	v["protected_left"] = phases >= 6
	v["has_ped_signal"] = r.chance(0.4) || (s.urban && r.chance(0.95))
	detection := "none"
	if signalType != "fixed_time" {
		detection = pick(r, []string{"inductive_loop", "video", "radar"}, 0.55, 0.3, 0.15)
	}
	v["detection"] = detection
	v["preemption"] = r.chance(0.6)
	owner := "City of Imperial"
	if nsClass(s.gx) == arterial && s.gx/nsLines-c.n/2 == imperialAve {
		owner = "Caltrans" // Imperial Ave is State Route 86
	}
	v["owner"] = owner
	cond := g.conditionByAge(sinceUpgrade/25, 0.03)
	v["condition"] = cond
	status := pick(r, []string{"operational", "flashing", "under_repair"}, 0.93, 0.03, 0.04)
	if cond == "damaged" {
		status = "under_repair"
	}
	v["status"] = status
	v["last_inspected"] = date(g.inspected(installed, 1))
}

// parkStems name the parks; past the end of the list they repeat with a
// number.
var parkStems = []string{
	"Freedom", "Sunset", "Palm", "Mesquite", "Ocotillo", "Heritage", "Victoria",
	"Pioneer", "Desert Rose", "Cottonwood", "Valley View", "Canal", "Saguaro",
	"Date Palm", "Sun Valley", "Alfalfa", "Harvest", "Mariposa", "Willow",
	"Veterans", "Founders", "Bluebonnet", "Quail Run", "Roadrunner", "Citrus",
	"Jacaranda", "Olive Grove", "Adobe", "Mission", "Vista Del Sol", "Sierra",
	"Lantana", "Oleander", "Agave", "Dove", "Hawk", "Crestview", "Meadow",
}

func parkName(seq int, k parkKind) string {
	stem := parkStems[(seq-1)%len(parkStems)]
	if n := (seq-1)/len(parkStems) + 1; n > 1 {
		stem = fmt.Sprintf("%s %d", stem, n)
	}
	switch k {
	case community:
		return stem + " Community Park"
	case sportsComplex:
		return stem + " Sports Complex"
	}
	return stem + " Park"
}

func (g *generator) parkProps(seq int, ps *parkSite, rings [][][]float64) {
	c, r, v := g.c, &g.r, g.vals
	clear(v)
	r.reset(c.seed, tagParkAttr, seq, 0)
	pp := ps.plan
	v["name"] = parkName(seq, pp.kind)
	v["park_type"] = parkKinds[pp.kind]
	var area float64
	for _, poly := range rings {
		for _, ring := range poly {
			area += ringArea(ring) // holes are clockwise, so they subtract
		}
	}
	v["acres"] = math.Round(area/acre*100) / 100
	var am []string
	playground, restrooms := false, false
	switch pp.kind {
	case pocket:
		am = []string{"benches", "shade trees"}
		playground = r.chance(0.4)
	case neighborhood:
		am = []string{"picnic tables", "walking path"}
		playground = r.chance(0.9)
		restrooms = r.chance(0.3)
		if r.chance(0.5) {
			am = append(am, "basketball court")
		}
	case community:
		am = []string{"picnic shelter", "walking path", "splash pad"}
		playground, restrooms = true, true
		if pp.shape == pond {
			am = append(am, "fishing pond")
		}
		if r.chance(0.6) {
			am = append(am, "soccer field")
		}
	case sportsComplex:
		am = []string{"baseball fields", "soccer fields", "concession stand", "parking"}
		restrooms = true
		playground = r.chance(0.5)
	}
	if playground {
		am = append(am, "playground")
	}
	if restrooms {
		am = append(am, "restrooms")
	}
	if r.chance(0.5) {
		am = append(am, "dog area")
	}
	v["amenities"] = strings.Join(am, ", ")
	v["has_playground"] = playground
	v["has_restrooms"] = restrooms
	by := pp.by
	if pp.shape == canal {
		by = 0 // faces the arterial on the south side of its cell
	}
	v["adjacent_street"] = c.ewName(ewLines*ps.j + by)
	maint := "City of Imperial Public Services"
	switch {
	case pp.kind == sportsComplex && r.chance(0.3), pp.kind == community && r.chance(0.15):
		maint = "Imperial Unified School District"
	case pp.kind == pocket && r.chance(0.4):
		maint = "Homeowners association"
	}
	v["maintained_by"] = maint
	status := pick(r, []string{"open", "closed_for_renovation", "under_construction"}, 0.92, 0.04, 0.04)
	v["status"] = status
	if status != "under_construction" {
		// Imperial was incorporated in 1904; parks opened since 1920,
		// more of them recently as the city grew.
		v["opened"] = date(ageDate(1 + 104*math.Pow(r.float(), 1.6)))
	}
}

func (g *generator) towerProps(seq int, t *cellTower) {
	c, r, v := g.c, &g.r, g.vals
	clear(v)
	r.reset(c.seed, tagTowerAttr, seq, 0)
	var siteName string
	if t.park != nil {
		siteName = parkName(t.park.seq+1, t.park.plan.kind)
	} else {
		siteName = siteNames[t.site]
		if t.siteSeq > 1 || t.site == fireStation {
			siteName = fmt.Sprintf("%s %d", siteName, t.siteSeq)
		}
	}
	v["name"] = siteName + " Wi-Fi"
	v["site_type"] = t.siteType
	v["site_name"] = siteName
	provider := pick(r, []string{"City of Imperial", "Spectrum", "AT&T", "Verizon", "T-Mobile"}, 0.5, 0.2, 0.1, 0.1, 0.1)
	v["provider"] = provider
	if provider == "City of Imperial" {
		v["ssid"] = "Imperial-Free-WiFi"
	} else {
		v["ssid"] = strings.ReplaceAll(provider, " ", "") + "-Public"
	}
	age := r.between(0.2, 17) // municipal Wi-Fi since 2008
	installed := ageDate(age)
	year := installed.Year()
	switch {
	case year < 2014:
		v["standard"] = "802.11n"
		v["band"] = pick(r, []string{"2.4GHz", "2.4/5GHz"}, 0.5, 0.5)
	case year < 2020:
		v["standard"] = "802.11ac"
		v["band"] = "2.4/5GHz"
	default:
		v["standard"] = "802.11ax"
		v["band"] = pick(r, []string{"2.4/5GHz", "2.4/5/6GHz"}, 0.5, 0.5)
	}
	var structure string
	var height float64
	switch t.siteType {
	case "park":
		structure = pick(r, []string{"light_pole", "monopole"}, 0.7, 0.3)
	case "utility":
		structure = "lattice"
	default:
		structure = pick(r, []string{"rooftop", "monopole"}, 0.6, 0.4)
	}
	switch structure {
	case "light_pole":
		height = r.between(8, 12)
	case "rooftop":
		height = r.between(9, 18)
	case "monopole":
		height = r.between(15, 30)
	default:
		height = r.between(25, 40)
	}
	height = math.Round(height*10) / 10
	v["structure"] = structure
	v["height_m"] = height
	// Outdoor range grows with antenna height; 2.4 GHz reaches farthest.
	base := 110.0
	if v["band"] == "2.4GHz" {
		base = 140
	}
	v["coverage_radius_m"] = math.Round(base*math.Sqrt(height/10)*r.between(0.9, 1.1)/5) * 5
	v["backhaul"] = pick(r, []string{"fiber", "cable", "microwave"}, 0.55, 0.25, 0.2)
	cond := g.conditionByAge(age/10, 0.02)
	v["condition"] = cond
	status := pick(r, []string{"active", "maintenance", "offline", "decommissioned"}, 0.88, 0.05, 0.05, 0.02)
	if cond == "damaged" && status == "active" {
		status = "offline"
	}
	v["status"] = status
	v["installed"] = date(installed)
}
