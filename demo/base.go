package demo

import (
	"math"

	"github.com/twpayne/go-geom"

	"github.com/cityatlas/cityatlas/store"
)

// Collection ids of the demo's base layers: what the map draws under the
// assets (GenerateBase emits them in this order).
const (
	Streets         = "streets"
	CityLimitsLayer = "city_limits"
	PlacesLayer     = "places"
)

const streetPrefix = "ST-"

var pavement = []string{"good", "fair", "poor", "very_poor"}

// BaseCollections returns the demo's base layers: the street centre lines
// (role base), the city limits (role boundary) and the GeoNames places of
// the county (role base, for labels). Every call returns a fresh copy.
func BaseCollections() []store.Collection {
	return []store.Collection{
		{
			ID:          Streets,
			Title:       "Streets",
			Description: "Street centre lines of the City of Imperial, California, one feature per street between two arterials, with name, functional class, speed limit and pavement condition. Synthetic demo data.",
			Geometry:    store.GeometryLineString,
			License:     License,
			Keywords:    []string{"streets", "roads", "centre lines", "pavement", "Imperial", "California", "demo"},
			Role:        store.RoleBase,
			TimeField:   "last_paved",
			Fields: []store.Field{
				{Name: "name", Type: store.TypeString, Title: "Street"},
				{Name: "from_street", Type: store.TypeString, Title: "From", Description: "Cross street at the west or south end"},
				{Name: "to_street", Type: store.TypeString, Title: "To", Description: "Cross street at the east or north end"},
				{Name: "street_class", Type: store.TypeString, Title: "Street class", Values: clone(classes)},
				{Name: "speed_limit_mph", Type: store.TypeInteger, Title: "Speed limit (mph)"},
				{Name: "lanes", Type: store.TypeInteger, Title: "Lanes", Description: "Through lanes, both directions"},
				{Name: "surface", Type: store.TypeString, Title: "Surface", Values: []string{"asphalt", "concrete", "chip_seal"}},
				{Name: "pci", Type: store.TypeInteger, Title: "Pavement condition index", Description: "ASTM D6433 PCI, 0 (failed) to 100 (new)"},
				{Name: "pavement_condition", Type: store.TypeString, Title: "Pavement condition", Description: "good: PCI 70 and over; fair: 50-69; poor: 25-49; very_poor: under 25", Values: clone(pavement)},
				{Name: "owner", Type: store.TypeString, Title: "Owner", Values: []string{"City of Imperial", "Caltrans"}},
				{Name: "last_paved", Type: store.TypeDate, Title: "Last paved"},
			},
		},
		{
			ID:          CityLimitsLayer,
			Title:       "City limits",
			Description: "The limits of the City of Imperial, California. Synthetic: the generated city's outline, not the surveyed one.",
			Geometry:    store.GeometryPolygon,
			License:     License,
			Keywords:    []string{"boundary", "city limits", "Imperial", "California", "demo"},
			Role:        store.RoleBoundary,
			Fields: []store.Field{
				{Name: "name", Type: store.TypeString, Title: "Name"},
				{Name: "area_sq_km", Type: store.TypeNumber, Title: "Area (km²)"},
			},
		},
		{
			ID:          PlacesLayer,
			Title:       "Places",
			Description: "Populated places of Imperial County from GeoNames (CC-BY-4.0), for the map's place labels.",
			Geometry:    store.GeometryPoint,
			License:     "CC-BY-4.0",
			Keywords:    []string{"places", "GeoNames", "Imperial County", "California"},
			Role:        store.RoleBase,
			Fields: []store.Field{
				{Name: "name", Type: store.TypeString, Title: "Name"},
			},
		},
	}
}

func clone(s []string) []string { return append([]string(nil), s...) }

// streetRun is one street feature: line g (an N-S line if ns, else E-W)
// from node a to node b along it (grid indices on the other axis).
type streetRun struct {
	ns   bool
	g    int
	a, b int
}

// walkStreets calls fn for every street run, in row order of cells: the
// arterials on the south and west sides of every cell that touches the
// city, then the interior streets of developed cells.
func (c *city) walkStreets(fn func(*streetRun) error) error {
	in := func(i, j int) bool { return c.kindOf(i, j) != outside }
	var r streetRun
	for j := 0; j <= c.n; j++ {
		for i := 0; i <= c.n; i++ {
			if i < c.n && (in(i, j) || in(i, j-1)) {
				r = streetRun{ns: false, g: ewLines * j, a: nsLines * i, b: nsLines * (i + 1)}
				if err := fn(&r); err != nil {
					return err
				}
			}
			if j < c.n && (in(i, j) || in(i-1, j)) {
				r = streetRun{ns: true, g: nsLines * i, a: ewLines * j, b: ewLines * (j + 1)}
				if err := fn(&r); err != nil {
					return err
				}
			}
			if i == c.n || j == c.n || !c.dev(i, j) {
				continue
			}
			for k := 1; k < nsLines; k++ {
				r = streetRun{ns: true, g: nsLines*i + k, a: ewLines * j, b: ewLines * (j + 1)}
				if err := fn(&r); err != nil {
					return err
				}
			}
			for m := 1; m < ewLines; m++ {
				r = streetRun{ns: false, g: ewLines*j + m, a: nsLines * i, b: nsLines * (i + 1)}
				if err := fn(&r); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// GenerateBase calls fn for every feature of the demo's base layers for
// opts (see BaseCollections): the streets, then the city limits, then the
// places. Like Generate it holds one feature at a time and returns an error
// wrapping store.ErrInvalid for a Scale out of range, else fn's first error.
func GenerateBase(opts Options, fn func(collection string, f store.Feature) error) error {
	c, err := newCity(opts)
	if err != nil {
		return err
	}
	cols := BaseCollections()
	g := &generator{c: c, vals: map[string]any{}}
	seq := 0
	err = c.walkStreets(func(r *streetRun) error {
		seq++
		g.streetProps(r)
		return g.emit(fn, &cols[0], streetPrefix, seq, c.streetLine(r))
	})
	if err != nil {
		return err
	}
	clear(g.vals)
	limits := c.limitsPolygon()
	g.vals["name"] = "City of Imperial"
	ring := c.limitsRing()
	g.vals["area_sq_km"] = math.Round(math.Abs(ringArea(ring))/1e4) / 100
	if err := g.emit(fn, &cols[1], "CL-", 1, limits); err != nil {
		return err
	}
	for i, p := range Places() {
		clear(g.vals)
		g.vals["name"] = p.Name
		pt := geom.NewPointFlat(geom.XY, []float64{p.Lon, p.Lat}).SetSRID(4326)
		if err := g.emit(fn, &cols[2], "PL-", i+1, pt); err != nil {
			return err
		}
	}
	return nil
}

// streetLine is the run's centre line with a vertex at every crossing.
func (c *city) streetLine(r *streetRun) *geom.LineString {
	flat := make([]float64, 0, 2*(r.b-r.a+1))
	for k := r.a; k <= r.b; k++ {
		x, y := c.nodeXY(k, r.g)
		if r.ns {
			x, y = c.nodeXY(r.g, k)
		}
		lon, lat := c.toLonLat(x, y)
		flat = append(flat, lon, lat)
	}
	return geom.NewLineStringFlat(geom.XY, flat).SetSRID(4326)
}

func (g *generator) streetProps(r *streetRun) {
	c := g.c
	clear(g.vals)
	g.r.reset(c.seed, tagStreetAttr, 2*r.g+b2i(r.ns), r.a)
	var cls class
	if r.ns {
		cls = nsClass(r.g)
		g.vals["name"] = c.nsName(r.g)
		g.vals["from_street"], g.vals["to_street"] = c.ewName(r.a), c.ewName(r.b)
	} else {
		cls = ewClass(r.g)
		g.vals["name"] = c.ewName(r.g)
		g.vals["from_street"], g.vals["to_street"] = c.nsName(r.a), c.nsName(r.b)
	}
	g.vals["street_class"] = cls.String()
	speed, lanes := 25, 2
	switch cls {
	case arterial:
		speed, lanes = 45, 4
	case collector:
		speed = 35
	}
	owner := "City of Imperial"
	if r.ns && r.g == nsLines*(c.n/2+imperialAve) {
		speed, owner = 55, "Caltrans" // State Route 86
	}
	g.vals["speed_limit_mph"] = speed
	g.vals["lanes"] = lanes
	g.vals["surface"] = pick(&g.r, []string{"asphalt", "concrete", "chip_seal"}, 0.85, 0.05, 0.1)
	g.vals["owner"] = owner
	age := g.r.between(0, 25)
	pci := int(math.Round(math.Max(5, math.Min(100, 100-2.6*age+g.r.between(-10, 10)))))
	g.vals["pci"] = pci
	g.vals["pavement_condition"] = pciRating(pci)
	g.vals["last_paved"] = date(ageDate(age))
}

func pciRating(pci int) string {
	switch {
	case pci >= 70:
		return pavement[0]
	case pci >= 50:
		return pavement[1]
	case pci >= 25:
		return pavement[2]
	}
	return pavement[3]
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
