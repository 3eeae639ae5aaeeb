package cql2

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

// rec is a test record: JSON texts by field and a geometry.
type rec struct {
	id    int
	props map[string]string
	geom  orb.Geometry
}

var fixtureQ = Queryables{Geometry: "geometry", Fields: []Field{
	{"name", TypeString}, {"condition", TypeString}, {"installed", TypeDate},
	{"inspected", TypeDateTime}, {"height", TypeNumber}, {"count", TypeInteger},
	{"active", TypeBoolean}, {"ends", TypeDate},
}}

type recView struct{ r rec }

func (v recView) Value(i int) string     { return v.r.props[fixtureQ.Fields[i].Name] }
func (v recView) Geometry() orb.Geometry { return v.r.geom }

var square = orb.Polygon{{{0, 0}, {4, 0}, {4, 4}, {0, 4}, {0, 0}}}

var fixtures = []rec{
	{1, map[string]string{"name": `"Stop A"`, "condition": `"poor"`, "installed": `"1995-05-01"`, "inspected": `"2020-01-01T10:00:00Z"`, "height": "2.1", "count": "3", "active": "true", "ends": `"2001-01-01"`}, orb.Point{1, 1}},
	{2, map[string]string{"name": `"Stop B"`, "condition": `"good"`, "installed": `"2005-01-01"`, "inspected": `"2021-06-01T00:00:00Z"`, "height": "1.8", "count": "5", "active": "false", "ends": `"2010-01-01"`}, orb.Point{10, 10}},
	{3, map[string]string{"name": `"Straße Ünter"`, "condition": `"poor"`, "installed": `"1999-12-31"`, "height": "2.5", "active": "true"}, orb.LineString{{-1, -1}, {2, 2}}},
	{4, map[string]string{"name": `"Imperial \"Tower\""`, "condition": `"fair"`, "count": "10"}, square},
	{5, map[string]string{}, nil},
}

func TestEvaluate(t *testing.T) {
	for _, tc := range []struct {
		filter string
		want   []int
	}{
		// basic-cql2
		{"condition = 'poor'", []int{1, 3}},
		{"condition <> 'poor'", []int{2, 4}},
		{"height > 2", []int{1, 3}},
		{"height <= 2.1", []int{1, 2}},
		{"active = true", []int{1, 3}},
		{"active = false OR count >= 10", []int{2, 4}},
		{"NOT (condition = 'poor')", []int{2, 4}},
		{"installed < DATE('2000-01-01') AND condition = 'poor'", []int{1, 3}},
		{"inspected >= TIMESTAMP('2021-01-01T00:00:00Z')", []int{2}},
		{"count IS NULL", []int{3, 5}},
		{"count IS NOT NULL", []int{1, 2, 4}},
		{"TRUE", []int{1, 2, 3, 4, 5}},
		{"NOT count > 4", []int{1}},
		// advanced-comparison-operators
		{"name LIKE 'Stop%'", []int{1, 2}},
		{"name LIKE 'Stop _'", []int{1, 2}},
		{"name NOT LIKE 'Stop%'", []int{3, 4}},
		{`name LIKE 'Imperial "T%'`, []int{4}},
		{"name LIKE 'imp%'", nil},
		{"height BETWEEN 1.8 AND 2.1", []int{1, 2}},
		{"height NOT BETWEEN 1.8 AND 2.1", []int{3}},
		{"NOT (height BETWEEN count AND 2)", []int{1, 2, 3}}, // 2.5 BETWEEN NULL AND 2 is false, as in SQL
		{"condition IN ('good', 'fair')", []int{2, 4}},
		{"condition NOT IN ('good', 'fair')", []int{1, 3}},
		{"count IN (3, 10)", []int{1, 4}},
		// case- and accent-insensitive
		{"CASEI(name) LIKE CASEI('imp%')", []int{4}},
		{"CASEI(condition) = CASEI('POOR')", []int{1, 3}},
		{"CASEI(name) = CASEI('STRASSE ÜNTER')", []int{3}},
		{"ACCENTI(name) = ACCENTI('Straße Unter')", []int{3}},
		{"ACCENTI(CASEI(name)) LIKE ACCENTI(CASEI('%unter'))", []int{3}},
		// spatial
		{"S_INTERSECTS(geometry, POLYGON((0 0, 3 0, 3 3, 0 3, 0 0)))", []int{1, 3, 4}},
		{"S_INTERSECTS(geometry, BBOX(9, 9, 11, 11))", []int{2}},
		{"S_WITHIN(geometry, BBOX(-2, -2, 5, 5))", []int{1, 3, 4}},
		{"S_CONTAINS(geometry, POINT(1 1))", []int{1, 3, 4}},
		{"S_DISJOINT(geometry, POINT(1 1))", []int{2}},
		{"S_EQUALS(geometry, POINT(10 10))", []int{2}},
		{"S_TOUCHES(geometry, POINT(4 2))", []int{4}},
		{"S_CROSSES(geometry, LINESTRING(0 2, 2 0))", []int{3}},
		{"S_OVERLAPS(geometry, POLYGON((2 2, 6 2, 6 6, 2 6, 2 2)))", []int{4}},
		{"S_INTERSECTS(geometry, GEOMETRYCOLLECTION(POINT(10 10), LINESTRING(4 -1, 4 5)))", []int{2, 4}},
		{"S_WITHIN(geometry, MULTIPOLYGON(((0 0, 3 0, 3 3, 0 3, 0 0)), ((9 9, 11 9, 11 11, 9 11, 9 9))))", []int{1, 2}},
		{"S_INTERSECTS(geometry, MULTILINESTRING((1 0, 1 2)))", []int{1, 3, 4}},
		{"S_INTERSECTS(geometry, MULTIPOINT((10 10), (20 20)))", []int{2}},
		{"S_INTERSECTS(POINT(0 0), POINT(0 0))", []int{1, 2, 3, 4, 5}},
		// temporal
		{"T_BEFORE(installed, DATE('2000-01-01'))", []int{1, 3}},
		{"T_AFTER(inspected, TIMESTAMP('2020-06-01T00:00:00Z'))", []int{2}},
		{"T_DURING(inspected, INTERVAL('2020-01-01', '2020-12-31'))", []int{1}},
		{"T_INTERSECTS(INTERVAL(installed, ends), INTERVAL('2000-01-01', '..'))", []int{1, 2}},
		{"T_CONTAINS(INTERVAL(installed, ends), DATE('2000-06-01'))", []int{1}},
		{"T_EQUALS(installed, DATE('1999-12-31'))", []int{3}},
		{"T_DISJOINT(INTERVAL(installed, ends), INTERVAL('2002-01-01', '2003-01-01'))", []int{1, 2}},
		{"T_MEETS(INTERVAL(installed, ends), INTERVAL('2001-01-01', '2002-01-01'))", []int{1}},
		{"T_METBY(INTERVAL(installed, ends), INTERVAL('1990-01-01', '2005-01-01'))", []int{2}},
		{"T_OVERLAPS(INTERVAL(installed, ends), INTERVAL('2000-01-01', '2003-01-01'))", []int{1}},
		{"T_OVERLAPPEDBY(INTERVAL(installed, ends), INTERVAL('2000-01-01', '2007-01-01'))", []int{2}},
		{"T_STARTS(INTERVAL(installed, ends), INTERVAL('1995-05-01', '2003-01-01'))", []int{1}},
		{"T_STARTEDBY(INTERVAL(installed, ends), INTERVAL('2005-01-01', '2006-01-01'))", []int{2}},
		{"T_FINISHES(INTERVAL(installed, ends), INTERVAL('2000-01-01', '2010-01-01'))", []int{2}},
		{"T_FINISHEDBY(INTERVAL(installed, ends), INTERVAL('1999-01-01', '2001-01-01'))", []int{1}},
		// arrays (of literals: no queryable is an array)
		{"A_CONTAINS(('a', 'b', 1), ('a', 1))", []int{1, 2, 3, 4, 5}},
		{"A_CONTAINEDBY(('a', 'c'), ('a', 'b'))", nil},
		{"A_EQUALS((condition, 1), ('poor', 1))", []int{1, 3}},
		{"A_OVERLAPS((condition), ('fair', 'good'))", []int{2, 4}},
		// property-property and arithmetic
		{"height > count", nil},
		{"count > height", []int{1, 2}},
		{"height * 10 > count + 17", []int{1}},
		{"count % 2 = 1", []int{1, 2}},
		{"count div 2 = 2", []int{2}},
		{"2 ^ count = 8", []int{1}},
		{"count / 0 = 1", nil},
		{"-count < -4", []int{2, 4}},
	} {
		e, err := ParseText(tc.filter)
		if err != nil {
			t.Errorf("%s: %v", tc.filter, err)
			continue
		}
		f, err := Compile(e, fixtureQ)
		if err != nil {
			t.Errorf("%s: %v", tc.filter, err)
			continue
		}
		var got []int
		for _, r := range fixtures {
			if f.Match(recView{r}) {
				got = append(got, r.id)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.filter, got, tc.want)
		}
		if box, ok := f.Envelope(); ok {
			checkEnvelope(t, tc.filter, box, got)
		}
	}
}

// checkEnvelope: every match's geometry intersects the filter's envelope.
func checkEnvelope(t *testing.T, filter string, box [4]float64, ids []int) {
	t.Helper()
	b := orb.Bound{Min: orb.Point{box[0], box[1]}, Max: orb.Point{box[2], box[3]}}
	for _, id := range ids {
		g := fixtures[id-1].geom
		if g == nil || !g.Bound().Intersects(b) {
			t.Errorf("%s: feature %d matches outside the envelope %v", filter, id, box)
		}
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct{ filter, prop, want string }{
		{"colour = 'red'", "colour", `no queryable "colour"`},
		{"condition = 5", "condition", "compared with 5"},
		{"height = 'tall'", "height", "compared with 'tall'"},
		{"name LIKE 'x%' AND count LIKE '1%'", "count", "not a string"},
		{"S_INTERSECTS(name, POINT(0 0))", "name", "not a geometry"},
		{"T_BEFORE(height, DATE('2000-01-01'))", "height", "not a date"},
		{"active > true", "active", "booleans compare with = or <> only"},
		{"count IN (1, 'two')", "", "in the list of property \"count\""},
		{"A_CONTAINS(name, ('a'))", "name", "not an array"},
		{"avg(height) > 2", "", "unknown function avg()"},
		{"geometry = 5", "geometry", "cannot be compared"},
		{"S_INTERSECTS(geometry, POLYGON((0 0, 2 2, 2 0, 0 2, 0 0)))", "", "is not valid"},
		{"S_INTERSECTS(geometry, BBOX(5, 0, 1, 1))", "", "minimum above its maximum"},
	} {
		e, err := ParseText(tc.filter)
		if err != nil {
			t.Errorf("%s: %v", tc.filter, err)
			continue
		}
		_, err = Compile(e, fixtureQ)
		var cerr *CheckError
		if !errors.As(err, &cerr) || cerr.Property != tc.prop || !strings.Contains(cerr.Msg, tc.want) {
			t.Errorf("%s: got %#v, want property %q and %q", tc.filter, err, tc.prop, tc.want)
		}
	}
}

func ExampleParseText() {
	e, _ := ParseText("condition = 'poor' AND installed < DATE('2000-01-01')")
	j, _ := JSON(e)
	fmt.Println(string(j))
	// Output: {"op":"and","args":[{"op":"=","args":[{"property":"condition"},"poor"]},{"op":"<","args":[{"property":"installed"},{"date":"2000-01-01"}]}]}
}
