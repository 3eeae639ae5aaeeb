package demo

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"regexp"
	"runtime"
	"sort"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/twpayne/go-geom"

	"github.com/cityatlas/cityatlas/store"
)

// digest hashes everything Generate yields, in order.
func digest(t testing.TB, opts Options) ([32]byte, int) {
	t.Helper()
	h := sha256.New()
	n := 0
	err := Generate(opts, func(col string, f store.Feature) error {
		n++
		fmt.Fprintf(h, "%s|%s|%s|%T|", col, f.Collection, f.ExternalID, f.Geometry)
		for _, x := range f.Geometry.FlatCoords() {
			_ = binary.Write(h, binary.LittleEndian, x)
		}
		fmt.Fprint(h, f.Geometry.Ends(), f.Geometry.Endss(), "|")
		h.Write(f.Properties)
		return nil
	})
	if err != nil {
		t.Fatalf("Generate(%+v): %v", opts, err)
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return sum, n
}

func TestGenerateDeterministic(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"real city", Options{Seed: 1, Scale: 1}},
		{"zero options", Options{}},
		{"other seed, scale 2.5", Options{Seed: 20250630, Scale: 2.5}},
		{"negative seed, small scale", Options{Seed: -7, Scale: 0.2}},
	}
	seen := map[[32]byte]string{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, n := digest(t, tc.opts)
			b, m := digest(t, tc.opts)
			if a != b || n != m {
				t.Fatalf("two runs differ: %x (%d features) vs %x (%d)", a, n, b, m)
			}
			if n == 0 {
				t.Fatal("no features")
			}
			if other, ok := seen[a]; ok {
				t.Errorf("same data as %q", other)
			}
			seen[a] = tc.name
		})
	}
}

func TestSeedsDiffer(t *testing.T) {
	a, _ := digest(t, Options{Seed: 1})
	b, _ := digest(t, Options{Seed: 2})
	if a == b {
		t.Error("seeds 1 and 2 give the same data")
	}
}

func geomType(g geom.T) string {
	switch g.(type) {
	case *geom.Point:
		return "Point"
	case *geom.Polygon:
		return "Polygon"
	case *geom.MultiPolygon:
		return "MultiPolygon"
	}
	return fmt.Sprintf("%T", g)
}

// feature is what the checks below keep of a generated feature.
type feature struct {
	col  string
	id   string
	geom geom.T
	vals map[string]any
}

func collect(t testing.TB, opts Options) map[string][]feature {
	t.Helper()
	cols := map[string]*store.Collection{}
	all := Collections()
	for k := range all {
		cols[all[k].ID] = &all[k]
	}
	out := map[string][]feature{}
	err := Generate(opts, func(col string, f store.Feature) error {
		c, ok := cols[col]
		if !ok {
			return fmt.Errorf("unknown collection %q", col)
		}
		if f.Collection != col {
			return fmt.Errorf("%s: feature of collection %q", col, f.Collection)
		}
		vals, err := f.Properties.Values(c)
		if err != nil {
			return fmt.Errorf("%s %s: %w", col, f.ExternalID, err)
		}
		again, err := store.EncodeProperties(c, vals)
		if err != nil {
			return fmt.Errorf("%s %s: re-encode: %w", col, f.ExternalID, err)
		}
		if !bytes.Equal(again, f.Properties) {
			return fmt.Errorf("%s %s: properties not canonical:\n%s\n%s", col, f.ExternalID, f.Properties, again)
		}
		if !store.GeometryAllowed(c.Geometry, geomType(f.Geometry)) {
			return fmt.Errorf("%s %s: geometry %s not allowed in a %s collection", col, f.ExternalID, geomType(f.Geometry), c.Geometry)
		}
		if f.Geometry.SRID() != 4326 {
			return fmt.Errorf("%s %s: SRID %d", col, f.ExternalID, f.Geometry.SRID())
		}
		out[col] = append(out[col], feature{col: col, id: f.ExternalID, geom: f.Geometry, vals: vals})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestGenerateRealCity(t *testing.T) {
	for _, seed := range []int64{1, 2, 99} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			opts := Options{Seed: seed, Scale: 1}
			got := collect(t, opts)
			counts, err := Count(opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("seed %d: %v", seed, counts)
			ranges := map[string][2]int{
				StopSigns:      {200, 2000},
				TrafficSignals: {10, 80},
				Parks:          {5, 40},
				WifiTowers:     {5, 60},
			}
			for col, r := range ranges {
				n := len(got[col])
				if n < r[0] || n > r[1] {
					t.Errorf("%d %s, want %d to %d", n, col, r[0], r[1])
				}
				if counts[col] != n {
					t.Errorf("Count says %d %s, Generate made %d", counts[col], col, n)
				}
			}
			checkInside(t, opts, got)
			checkIDs(t, got)
			checkDates(t, got)
			checkParks(t, opts, got[Parks])
			checkTowers(t, got)
		})
	}
}

// checkInside checks that every vertex lies strictly inside the city
// limits and inside Bounds.
func checkInside(t *testing.T, opts Options, got map[string][]feature) {
	t.Helper()
	limits, err := CityLimits(opts)
	if err != nil {
		t.Fatal(err)
	}
	ol := toOrb(limits)
	b := Bounds(opts)
	for col, fs := range got {
		for _, f := range fs {
			flat := f.geom.FlatCoords()
			for k := 0; k+1 < len(flat); k += 2 {
				p := orb.Point{flat[k], flat[k+1]}
				if !planar.PolygonContains(ol, p) || p[0] < b[0] || p[1] < b[1] || p[0] > b[2] || p[1] > b[3] {
					t.Errorf("%s %s: vertex %v outside the city limits", col, f.id, p)
					return
				}
			}
		}
	}
}

var idRe = map[string]*regexp.Regexp{
	StopSigns:      regexp.MustCompile(`^SS-\d{6,}$`),
	TrafficSignals: regexp.MustCompile(`^TS-\d{6,}$`),
	Parks:          regexp.MustCompile(`^PK-\d{6,}$`),
	WifiTowers:     regexp.MustCompile(`^WT-\d{6,}$`),
}

func checkIDs(t *testing.T, got map[string][]feature) {
	t.Helper()
	for col, fs := range got {
		seen := map[string]bool{}
		where := map[[2]float64]string{}
		for _, f := range fs {
			if !idRe[col].MatchString(f.id) || seen[f.id] {
				t.Errorf("%s: external id %q malformed or repeated", col, f.id)
			}
			seen[f.id] = true
			if p, ok := f.geom.(*geom.Point); ok {
				xy := [2]float64{p.X(), p.Y()}
				if other, dup := where[xy]; dup {
					t.Errorf("%s: %s and %s at the same place %v", col, other, f.id, xy)
				}
				where[xy] = f.id
			}
		}
	}
}

func checkDates(t *testing.T, got map[string][]feature) {
	t.Helper()
	day := func(v any) time.Time {
		d, err := time.Parse(time.DateOnly, v.(string))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for col, fs := range got {
		for _, f := range fs {
			var prev time.Time
			for _, name := range []string{"opened", "installed", "last_upgraded", "last_inspected"} {
				v, ok := f.vals[name]
				if !ok {
					continue
				}
				d := day(v)
				if d.After(asOf) || d.Year() < 1920 || d.Before(prev) {
					t.Errorf("%s %s: %s %v out of order or range", col, f.id, name, v)
				}
				if name == "installed" {
					prev = d
				}
			}
		}
	}
}

// checkParks recomputes each park's area from its lon/lat geometry.
func checkParks(t *testing.T, opts Options, parks []feature) {
	t.Helper()
	c := mustCity(t, opts)
	for _, f := range parks {
		mp, ok := f.geom.(*geom.MultiPolygon)
		if !ok {
			t.Fatalf("park %s is a %T", f.id, f.geom)
		}
		var deg2 float64
		for k := 0; k < mp.NumPolygons(); k++ {
			p := toOrb(mp.Polygon(k))
			if planar.Area(p[0]) <= 0 {
				t.Errorf("park %s: outer ring clockwise", f.id)
			}
			deg2 += planar.Area(p) // orb subtracts holes
		}
		acres := deg2 * c.mLon * c.mLat / acre
		if got := f.vals["acres"].(float64); math.Abs(got-acres) > 0.01+0.001*acres {
			t.Errorf("park %s: acres %v, geometry gives %.3f", f.id, got, acres)
		}
		if acres < 0.5 || acres > 50 {
			t.Errorf("park %s: %.2f acres is not a plausible city park", f.id, acres)
		}
	}
}

func checkTowers(t *testing.T, got map[string][]feature) {
	t.Helper()
	parks := map[string]bool{}
	for _, p := range got[Parks] {
		parks[p.vals["name"].(string)] = true
	}
	civic := 0
	for _, w := range got[WifiTowers] {
		switch w.vals["site_type"] {
		case "park":
			if !parks[w.vals["site_name"].(string)] {
				t.Errorf("tower %s in park %q, which is not in parks", w.id, w.vals["site_name"])
			}
		case "civic":
			civic++
		}
	}
	if civic < 5 {
		t.Errorf("%d towers at civic sites, want at least City Hall, the library, police, a fire station and the community center", civic)
	}
}

// TestParkShapes looks for each kind of geometry a park can take.
func TestParkShapes(t *testing.T) {
	got := collect(t, Options{Seed: 3, Scale: 4})
	var holes, multi, lShaped int
	for _, f := range got[Parks] {
		mp := f.geom.(*geom.MultiPolygon)
		if mp.NumPolygons() > 1 {
			multi++
		}
		for k := 0; k < mp.NumPolygons(); k++ {
			p := mp.Polygon(k)
			if p.NumLinearRings() > 1 {
				holes++
			}
			if p.LinearRing(0).NumCoords() == 7 {
				lShaped++
			}
		}
	}
	if holes == 0 || multi == 0 || lShaped == 0 {
		t.Errorf("%d parks with a pond, %d in two parts, %d L-shaped; want some of each", holes, multi, lShaped)
	}
}

// TestDistributions checks that attributes look like a real inventory.
func TestDistributions(t *testing.T) {
	got := collect(t, Options{Seed: 5, Scale: 4})
	share := func(col, name string, want any) float64 {
		n := 0
		for _, f := range got[col] {
			if f.vals[name] == want {
				n++
			}
		}
		return float64(n) / float64(len(got[col]))
	}
	median := func(col, name string) string {
		var ds []string
		for _, f := range got[col] {
			ds = append(ds, f.vals[name].(string))
		}
		sort.Strings(ds)
		return ds[len(ds)/2]
	}
	tests := []struct {
		name     string
		col, fld string
		value    any
		lo, hi   float64
	}{
		{"most stop signs good", StopSigns, "condition", "good", 0.4, 0.8},
		{"few stop signs damaged", StopSigns, "condition", "damaged", 0.005, 0.08},
		{"some stop signs need repair", StopSigns, "status", "needs_repair", 0.03, 0.3},
		{"stop signs are R1-1", StopSigns, "mutcd_code", "R1-1", 1, 1},
		{"most signals operational", TrafficSignals, "status", "operational", 0.8, 0.99},
		{"few towers decommissioned", WifiTowers, "status", "decommissioned", 0, 0.1},
		{"most parks open", Parks, "status", "open", 0.8, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if s := share(tc.col, tc.fld, tc.value); s < tc.lo || s > tc.hi {
				t.Errorf("%s %s=%v in %.3f of features, want %.3f to %.3f", tc.col, tc.fld, tc.value, s, tc.lo, tc.hi)
			}
		})
	}
	if s, g := median(TrafficSignals, "installed"), median(StopSigns, "installed"); s >= g {
		t.Errorf("median signal installed %s, not older than median stop sign %s", s, g)
	}
	span := func(col string) int {
		lo, hi := 9999, 0
		for _, f := range got[col] {
			var y int
			fmt.Sscan(f.vals["installed"].(string)[:4], &y)
			lo, hi = min(lo, y), max(hi, y)
		}
		return hi - lo
	}
	if s := span(StopSigns); s < 25 {
		t.Errorf("stop signs installed over %d years, want decades", s)
	}
	if s := span(TrafficSignals); s < 40 {
		t.Errorf("signals installed over %d years, want decades", s)
	}
	// Imperial Ave is State Route 86: its signals are Caltrans's, others not.
	for _, f := range got[TrafficSignals] {
		onSR86 := f.vals["street"] == "Imperial Ave" || f.vals["cross_street"] == "Imperial Ave"
		if caltrans := f.vals["owner"] == "Caltrans"; caltrans != onSR86 {
			t.Errorf("signal %s %q owned by %v", f.id, f.vals["name"], f.vals["owner"])
		}
	}
}

func TestCountGrowsWithArea(t *testing.T) {
	tests := []struct {
		name         string
		small, large float64
	}{
		{"25 to 100", 25, 100},
		{"100 to 400", 100, 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Count(Options{Seed: 1, Scale: tc.small})
			if err != nil {
				t.Fatal(err)
			}
			b, err := Count(Options{Seed: 1, Scale: tc.large})
			if err != nil {
				t.Fatal(err)
			}
			want := tc.large / tc.small
			for _, col := range []string{StopSigns, TrafficSignals, Parks, WifiTowers} {
				if r := float64(b[col]) / float64(a[col]); math.Abs(r-want) > 0.15*want {
					t.Errorf("%s: %d at scale %v, %d at %v: ratio %.2f, want about %.0f", col, a[col], tc.small, b[col], tc.large, r, want)
				}
			}
			ba, bb := Bounds(Options{Scale: tc.small}), Bounds(Options{Scale: tc.large})
			if r := (bb[2] - bb[0]) * (bb[3] - bb[1]) / ((ba[2] - ba[0]) * (ba[3] - ba[1])); math.Abs(r-want) > 0.1*want {
				t.Errorf("bounds area grows %.2f times, want about %.0f", r, want)
			}
		})
	}
}

func TestGenerateOtherScales(t *testing.T) {
	tests := []struct {
		name  string
		scale float64
		short bool // runs in -short mode
	}{
		{"odd cell count, city hall mid-cell", 1.36, true},
		{"smallest", 0.01, true},
		{"30 000 features", 25, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if testing.Short() && !tc.short {
				t.Skip("slow")
			}
			opts := Options{Seed: 11, Scale: tc.scale}
			got := collect(t, opts)
			checkInside(t, opts, got)
			checkIDs(t, got)
			checkDates(t, got)
			checkParks(t, opts, got[Parks])
			checkTowers(t, got)
		})
	}
}

func TestInvalidOptions(t *testing.T) {
	tests := []struct {
		name  string
		scale float64
	}{
		{"negative", -1},
		{"NaN", math.NaN()},
		{"infinite", math.Inf(1)},
		{"too large", MaxScale * 1.01},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := Options{Seed: 1, Scale: tc.scale}
			called := false
			err := Generate(opts, func(string, store.Feature) error { called = true; return nil })
			if !errors.Is(err, store.ErrInvalid) || called {
				t.Errorf("Generate: error %v, called fn %v; want ErrInvalid before any feature", err, called)
			}
			if _, err := Count(opts); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("Count: error %v, want ErrInvalid", err)
			}
			if _, err := CityLimits(opts); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("CityLimits: error %v, want ErrInvalid", err)
			}
			if b := Bounds(opts); b != ([4]float64{}) {
				t.Errorf("Bounds = %v, want the zero rectangle", b)
			}
		})
	}
}

func TestGenerateStopsOnError(t *testing.T) {
	stop := errors.New("stop")
	for _, col := range []string{StopSigns, TrafficSignals, Parks, WifiTowers} {
		t.Run(col, func(t *testing.T) {
			calls := 0
			err := Generate(Options{Seed: 1}, func(c string, _ store.Feature) error {
				calls++
				if c == col {
					return stop
				}
				return nil
			})
			if !errors.Is(err, stop) {
				t.Fatalf("error %v, want fn's error", err)
			}
			n, _ := Count(Options{Seed: 1})
			want := 1
			for _, c := range []string{StopSigns, TrafficSignals, Parks, WifiTowers} {
				if c == col {
					break
				}
				want += n[c]
			}
			if calls != want {
				t.Errorf("fn called %d times, want %d", calls, want)
			}
		})
	}
}

// TestMemoryFlat checks that Generate streams: the live heap stays small
// while 230 000 features go by.
func TestMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 230 000 features")
	}
	var peak uint64
	var ms runtime.MemStats
	n := 0
	err := Generate(Options{Seed: 1, Scale: 200}, func(string, store.Feature) error {
		if n++; n%50000 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d features, peak live heap %.1f MB", n, float64(peak)/1e6)
	if peak > 16<<20 {
		t.Errorf("live heap reached %.1f MB while generating; Generate must stream", float64(peak)/1e6)
	}
}

// benchScales: the real city, and the benchmark dataset of about a million
// features (see BenchmarkGenerate's report).
var benchScales = []float64{1, 860}

func BenchmarkGenerate(b *testing.B) {
	for _, s := range benchScales {
		b.Run(fmt.Sprintf("scale=%v", s), func(b *testing.B) {
			b.ReportAllocs()
			var n int
			start := time.Now()
			for b.Loop() {
				n = 0
				if err := Generate(Options{Seed: 1, Scale: s}, func(string, store.Feature) error { n++; return nil }); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n), "features/op")
			b.ReportMetric(float64(n)*float64(b.N)/time.Since(start).Seconds(), "features/s")
		})
	}
}

func BenchmarkCount(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Count(Options{Seed: 1, Scale: 860}); err != nil {
			b.Fatal(err)
		}
	}
}
