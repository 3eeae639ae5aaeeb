// Package cql2 reads and writes OGC CQL2 (OGC 21-065) filter expressions.
//
// ParseText reads the CQL2-text encoding and ParseJSON the CQL2-JSON
// encoding; both give the same tree of Expr values, and Text and JSON write
// a tree back out. The package is pure: no I/O, no knowledge of any store.
// Parse errors are *Error values that carry the position (a byte offset in
// text, a JSON path in JSON) and a message a person can act on.
//
// Coordinates in geometry literals are kept as written (CRS84: longitude,
// latitude, optional height).
package cql2

import (
	"strconv"
	"time"
)

// Limits on what the parsers accept, so that a request's cost is bounded.
const (
	// MaxInput is the longest input, in bytes, ParseText and ParseJSON read.
	MaxInput = 256 << 10
	// MaxDepth is the deepest nesting of expressions (and of arrays and
	// geometry coordinates) they accept.
	MaxDepth = 64
)

// Expr is a node of a CQL2 expression tree: one of Bool, Number, String,
// Property, Date, Timestamp, Unbounded, Interval, BBox, Geometry, Array, Op
// or Function.
type Expr interface{ isExpr() }

// Bool is TRUE or FALSE.
type Bool bool

// Number is a numeric literal.
type Number float64

// String is a character literal.
type String string

// Property names a property of the features (or their geometry).
type Property string

// Date is a calendar date (DATE('2001-02-03') or {"date": "2001-02-03"});
// Time is midnight UTC of that day.
type Date struct{ Time time.Time }

// Timestamp is an instant in UTC (TIMESTAMP('2001-02-03T04:05:06Z') or
// {"timestamp": ...}).
type Timestamp struct{ Time time.Time }

// Unbounded is the open end '..' of an interval; it appears only as an
// Interval's Start or End.
type Unbounded struct{}

// Interval is INTERVAL(start, end): each end is a Date, a Timestamp,
// Unbounded, a Property or a Function.
type Interval struct{ Start, End Expr }

// BBox is BBOX(west, south, east, north) or, with heights, BBOX(west,
// south, minZ, east, north, maxZ): 4 or 6 numbers in that order.
type BBox []float64

// Array is a list of expressions (the operands of the array functions and
// the list of IN).
type Array []Expr

// Op is one of the standard's operators, Op being its CQL2-JSON name:
// and, or, not; =, <>, <, >, <=, >=, like, between, in, isNull; casei,
// accenti; s_intersects, s_equals, s_disjoint, s_touches, s_within,
// s_overlaps, s_crosses, s_contains; t_after, t_before, t_contains,
// t_disjoint, t_during, t_equals, t_finishedBy, t_finishes, t_intersects,
// t_meets, t_metBy, t_overlappedBy, t_overlaps, t_startedBy, t_starts;
// a_equals, a_contains, a_containedBy, a_overlaps; +, -, *, /, %, div, ^.
// "in" has two Args, the second an Array.
type Op struct {
	Op   string
	Args []Expr
}

// Function is a call of a function that is not a standard operator
// (avg(windSpeed), Buffer(geometry, 10, 'm')). Name keeps its case.
type Function struct {
	Name string
	Args []Expr
}

// GeometryType is a GeoJSON geometry type name.
type GeometryType string

// The geometry types a literal can have.
const (
	Point              GeometryType = "Point"
	LineString         GeometryType = "LineString"
	Polygon            GeometryType = "Polygon"
	MultiPoint         GeometryType = "MultiPoint"
	MultiLineString    GeometryType = "MultiLineString"
	MultiPolygon       GeometryType = "MultiPolygon"
	GeometryCollection GeometryType = "GeometryCollection"
)

// Position is one coordinate: x (longitude), y (latitude) and, in 3D, z.
type Position []float64

// Geometry is a geometry literal (WKT in text, GeoJSON in JSON). The field
// used depends on Type: Coords for Point (one position), LineString and
// MultiPoint; Rings for Polygon (rings) and MultiLineString (lines); Polys
// for MultiPolygon; Geoms for GeometryCollection. Every position of one
// literal has the same dimension (2 or 3). Nothing checks that rings close
// or that polygons are valid: that is the evaluator's concern.
type Geometry struct {
	Type   GeometryType
	Coords []Position
	Rings  [][]Position
	Polys  [][][]Position
	Geoms  []Geometry
}

func (Bool) isExpr()      {}
func (Number) isExpr()    {}
func (String) isExpr()    {}
func (Property) isExpr()  {}
func (Date) isExpr()      {}
func (Timestamp) isExpr() {}
func (Unbounded) isExpr() {}
func (Interval) isExpr()  {}
func (BBox) isExpr()      {}
func (Array) isExpr()     {}
func (Op) isExpr()        {}
func (Function) isExpr()  {}
func (Geometry) isExpr()  {}

// Error is a parse error: Pos is the byte offset in CQL2 text (-1 for JSON),
// Path the JSON path ("$.args[1]") in CQL2-JSON, Msg what is wrong.
type Error struct {
	Pos  int
	Path string
	Msg  string
}

func (e *Error) Error() string {
	if e.Path != "" {
		return "at " + e.Path + ": " + e.Msg
	}
	return "at character " + strconv.Itoa(e.Pos+1) + ": " + e.Msg
}
