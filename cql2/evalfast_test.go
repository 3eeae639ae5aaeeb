package cql2

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/paulmach/orb"
)

// idView is a record with interned values: the same text of a field has
// the same id, as the store's index gives them.
type idView struct {
	props []string
	ids   []uint32
}

func (v idView) Value(i int) string     { return v.props[i] }
func (v idView) Geometry() orb.Geometry { return orb.Point{1, 1} }
func (v idView) ValueID(i int) uint32   { return v.ids[i] }

// plainView is the same record without ids.
type plainView struct{ props []string }

func (v plainView) Value(i int) string     { return v.props[i] }
func (v plainView) Geometry() orb.Geometry { return orb.Point{1, 1} }

// TestCompareConstAgrees: a comparison of a property with a constant
// compiled on the fast path (text compares, numbers parsed in place, the
// per-value cache) answers as the general path does, for random values
// (missing, null, non-canonical dates, escaped strings) and every
// operator, constant on either side.
func TestCompareConstAgrees(t *testing.T) {
	q := Queryables{Fields: []Field{{"s", TypeString}, {"n", TypeNumber}, {"i", TypeInteger}, {"d", TypeDate}}}
	rnd := rand.New(rand.NewPCG(1, 2))
	pick := func(xs ...string) string { return xs[rnd.IntN(len(xs))] }
	values := [][]string{
		{"", "null", `"poor"`, `"good"`, `"fair"`, `"po\"or"`, `"Ünter"`, `""`},
		{"", "null", "1", "2.5", "-3", "1e3", "10", "2"},
		{"", "null", "1", "36", "48", "30", "-7"},
		{"", "null", `"1999-12-31"`, `"2000-01-01"`, `"2020-06-15"`, `"0999-01-01"`, `"2000-1-2"`, `"2000-01-01T00:00:00Z"`},
	}
	consts := []string{"'poor'", "'fair'", "'Ünter'", "2", "2.5", "36", "DATE('2000-01-01')", "DATE('2019-12-31')"}
	intern := map[string]uint32{}
	rec := func() idView {
		v := idView{props: make([]string, 4), ids: make([]uint32, 4)}
		for f := range 4 {
			x := values[f][rnd.IntN(len(values[f]))]
			v.props[f] = x
			if x != "" {
				key := strconv.Itoa(f) + x
				if intern[key] == 0 {
					intern[key] = uint32(len(intern) + 1)
				}
				v.ids[f] = intern[key]
			}
		}
		return v
	}
	recs := make([]idView, 400)
	for i := range recs {
		recs[i] = rec()
	}
	tested, onFast := 0, 0
	for _, field := range []string{"s", "n", "i", "d"} {
		for _, k := range consts {
			for _, op := range []string{"=", "<>", "<", ">", "<=", ">="} {
				text := field + " " + op + " " + k
				if pick("a", "b") == "b" {
					text = k + " " + op + " " + field
				}
				e, err := ParseText(text)
				if err != nil {
					t.Fatal(err)
				}
				if Check(e, q) != nil {
					continue // incompatible types
				}
				fast, err := Compile(e, q)
				if err != nil {
					t.Fatal(err)
				}
				gc := &compiler{q: q, general: true}
				gp, err := gc.pred(e)
				if err != nil {
					t.Fatal(err)
				}
				general := &Filter{pred: gp}
				for _, r := range recs {
					want := general.Match(plainView{r.props})
					if got := fast.Match(r); got != want {
						t.Fatalf("%s on %q (ids %v): fast %v, general %v", text, r.props, r.ids, got, want)
					}
					if got := fast.Match(plainView{r.props}); got != want {
						t.Fatalf("%s on %q without ids: fast %v, general %v", text, r.props, got, want)
					}
				}
				tested++
				if _, ok := (&compiler{q: q}).compareConst(e.(Op)); ok {
					onFast++
				}
			}
		}
	}
	if tested < 60 || onFast < tested*3/4 {
		t.Errorf("%d comparisons type-checked, %d on the fast path", tested, onFast)
	}
}
