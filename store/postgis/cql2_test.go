package postgis

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twpayne/go-geom"

	"github.com/cityatlas/cityatlas/cql2"
	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/storetest"
)

// TestCQL2Agreement: random CQL2 filters over random features select the
// same features in the index (the cql2 evaluator) and in PostGIS (the SQL
// translation). Coordinates are on an integer grid and numbers small, so
// that both sides compute exactly.
func TestCQL2Agreement(t *testing.T) {
	ctx := context.Background()
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 11))
	b := mustOpen(t)
	coll := storetest.Assets("agree", store.GeometryAny)
	coll.Fields = append(coll.Fields, store.Field{Name: "tags", Type: store.TypeArray})
	c := storetest.MustCreate(t, b, coll)
	var ms []store.Mutation
	for range 300 {
		ms = append(ms, store.Mutation{Op: store.OpInsert, Feature: store.Feature{Geometry: randShape(rng), Properties: storetest.Props(t, c, randValues(rng))}})
	}
	storetest.MustApply(t, b, c.ID, ms...)
	s, err := store.Open(ctx, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	rounds := 400
	if testing.Short() {
		rounds = 100
	}
	telling := 0 // filters that select some features but not all
	for range rounds {
		text := randFilter(rng, 0)
		e, err := cql2.ParseText(text)
		if err != nil {
			t.Fatalf("generated %q: %v", text, err)
		}
		page, err := s.Items(ctx, c.ID, store.Filter{Where: e})
		if err != nil {
			t.Fatalf("index, %s: %v", text, err)
		}
		fs, n, err := b.Query(ctx, c.ID, store.Query{Where: e})
		if err != nil {
			t.Fatalf("PostGIS, %s: %v", text, err)
		}
		idx, db := ids(page.Features), ids(fs)
		if !slices.Equal(idx, db) || n != page.Matched {
			t.Fatalf("%s:\nindex   %v (%d)\nPostGIS %v (%d)", text, idx, page.Matched, db, n)
		}
		if n > 0 && n < len(ms) {
			telling++
		}
	}
	t.Logf("%d of %d filters select some features but not all", telling, rounds)
	if telling < rounds/3 {
		t.Errorf("only %d of %d filters tell anything", telling, rounds)
	}
}

func ids(fs []store.Feature) []int64 {
	out := []int64{}
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}

var names = []string{"Oak St", "oak st", "Elm Ave", "Main St", "Maple", "O'Hara Rd", "100% Pure", "a_b"}

func randValues(rng *rand.Rand) map[string]any {
	v := map[string]any{}
	maybe := func(k string, x any) {
		if rng.IntN(5) > 0 {
			v[k] = x
		}
	}
	maybe("name", names[rng.IntN(len(names))])
	maybe("lanes", rng.IntN(7)-1)
	maybe("height", float64(rng.IntN(20))/2)
	maybe("lit", rng.IntN(2) == 0)
	day := time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(30*365))
	maybe("installed", day.Format(time.DateOnly))
	maybe("seen", day.Add(time.Duration(rng.IntN(48))*time.Hour).Format(time.RFC3339))
	maybe("condition", []string{"good", "fair", "poor"}[rng.IntN(3)])
	maybe("tags", randList(rng))
	return v
}

func randShape(rng *rand.Rand) geom.T {
	x, y := float64(rng.IntN(10)), float64(rng.IntN(10))
	w, h := float64(1+rng.IntN(4)), float64(1+rng.IntN(4))
	switch rng.IntN(3) {
	case 0:
		return storetest.Point(x, y)
	case 1:
		return geom.NewLineStringFlat(geom.XY, []float64{x, y, x + w, y + h}).SetSRID(4326)
	}
	return geom.NewPolygonFlat(geom.XY, []float64{x, y, x + w, y, x + w, y + h, x, y + h, x, y}, []int{10}).SetSRID(4326)
}

func randGeomLiteral(rng *rand.Rand) string {
	x, y := rng.IntN(12)-1, rng.IntN(12)-1
	w, h := 1+rng.IntN(5), 1+rng.IntN(5)
	switch rng.IntN(4) {
	case 0:
		return fmt.Sprintf("POINT(%d %d)", x, y)
	case 1:
		return fmt.Sprintf("LINESTRING(%d %d, %d %d)", x, y, x+w, y+h)
	case 2:
		return fmt.Sprintf("BBOX(%d, %d, %d, %d)", x, y, x+w, y+h)
	}
	return fmt.Sprintf("POLYGON((%d %d, %d %d, %d %d, %d %d))", x, y, x+w, y, x, y+h, x, y)
}

func randDate(rng *rand.Rand) string {
	return time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(30*365)).Format(time.DateOnly)
}

// tagValues are the elements of random lists: text, numbers (1 and 1.0
// are the same element) and booleans.
var tagValues = []any{"a", "b", "1", 1, 2.5, true}

func randList(rng *rand.Rand) []any {
	out := []any{}
	for range rng.IntN(4) {
		out = append(out, tagValues[rng.IntN(len(tagValues))])
	}
	return out
}

// cql2List writes a list as a CQL2 array literal.
func cql2List(l []any) string {
	parts := []string{}
	for _, x := range l {
		switch x := x.(type) {
		case string:
			parts = append(parts, "'"+x+"'")
		case bool:
			parts = append(parts, strings.ToUpper(fmt.Sprint(x)))
		default:
			parts = append(parts, fmt.Sprint(x))
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// randFilter writes a random condition over the Assets schema and tags.
func randFilter(rng *rand.Rand, depth int) string {
	if depth < 3 {
		switch rng.IntN(8) {
		case 0:
			return "(" + randFilter(rng, depth+1) + " AND " + randFilter(rng, depth+1) + ")"
		case 1:
			return "(" + randFilter(rng, depth+1) + " OR " + randFilter(rng, depth+1) + ")"
		case 2:
			return "NOT (" + randFilter(rng, depth+1) + ")"
		}
	}
	ops := []string{"=", "<>", "<", ">", "<=", ">="}
	op := ops[rng.IntN(len(ops))]
	quote := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	num := func() string {
		switch rng.IntN(4) {
		case 0:
			return "lanes"
		case 1:
			return "height"
		case 2:
			return fmt.Sprintf("(lanes %s %d)", []string{"+", "-", "*", "/", "%", "div", "^"}[rng.IntN(7)], rng.IntN(4)-1)
		}
		return fmt.Sprint(float64(rng.IntN(14)-2) / 2)
	}
	switch rng.IntN(17) {
	case 0:
		return "name " + op + " " + quote(names[rng.IntN(len(names))])
	case 1:
		pats := []string{"Oak%", "%St", "_ak St", "%\\%%", "a\\_b", "%", "O''%"}
		return "name LIKE '" + pats[rng.IntN(len(pats))] + "'"
	case 2:
		return "CASEI(name) = CASEI(" + quote(names[rng.IntN(len(names))]) + ")"
	case 3, 4:
		return num() + " " + op + " " + num()
	case 5:
		return num() + " BETWEEN " + num() + " AND " + num()
	case 6:
		return fmt.Sprintf("lanes IN (%d, %d, %d)", rng.IntN(7)-1, rng.IntN(7)-1, rng.IntN(7)-1)
	case 7:
		return []string{"name", "lanes", "height", "lit", "installed", "seen", "condition", "geometry"}[rng.IntN(8)] + " IS NULL"
	case 8:
		return "lit = " + []string{"TRUE", "FALSE"}[rng.IntN(2)]
	case 9:
		return "condition IN ('good', 'poor')"
	case 10, 11:
		fns := []string{"S_INTERSECTS", "S_EQUALS", "S_DISJOINT", "S_TOUCHES", "S_WITHIN", "S_OVERLAPS", "S_CROSSES", "S_CONTAINS"}
		return fns[rng.IntN(len(fns))] + "(geometry, " + randGeomLiteral(rng) + ")"
	case 12:
		return "installed " + op + " DATE('" + randDate(rng) + "')"
	case 13:
		return "seen " + op + " TIMESTAMP('" + randDate(rng) + "T12:00:00Z')"
	case 14:
		fns := []string{"T_AFTER", "T_BEFORE", "T_CONTAINS", "T_DISJOINT", "T_DURING", "T_EQUALS", "T_FINISHEDBY", "T_FINISHES",
			"T_INTERSECTS", "T_MEETS", "T_METBY", "T_OVERLAPPEDBY", "T_OVERLAPS", "T_STARTEDBY", "T_STARTS"}
		ends := []string{"'" + randDate(rng) + "'", "'..'", "installed"}
		a, b := ends[rng.IntN(3)], ends[rng.IntN(3)]
		return fns[rng.IntN(len(fns))] + "(INTERVAL(installed, seen), INTERVAL(" + a + ", " + b + "))"
	case 15:
		fns := []string{"A_EQUALS", "A_CONTAINS", "A_CONTAINEDBY", "A_OVERLAPS"}
		args := []string{"tags", cql2List(randList(rng))}
		if rng.IntN(4) == 0 {
			args[0], args[1] = args[1], args[0]
		}
		return fns[rng.IntN(len(fns))] + "(" + args[0] + ", " + args[1] + ")"
	}
	return "installed < seen"
}

// TestCQL2NotTranslated: what the SQL translation lacks is ErrInvalid.
func TestCQL2NotTranslated(t *testing.T) {
	b := mustOpen(t)
	c := storetest.MustCreate(t, b, storetest.Assets("untranslated", store.GeometryAny))
	for _, text := range []string{"ACCENTI(name) = ACCENTI('e')", "A_CONTAINS((name), ('a'))", "colour = 1"} {
		e, err := cql2.ParseText(text)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := b.Query(context.Background(), c.ID, store.Query{Where: e}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", text, err)
		}
	}
}
