// Package store is cityatlas's source of truth: the domain types
// (collections, features, changes), the Backend contract that every storage
// adapter implements, and Store, which keeps an in-memory R-tree index of
// every collection in front of a Backend.
//
// Coordinates are WGS84 longitude/latitude (EPSG:4326, axis order lon, lat)
// everywhere in this package.
package store

import (
	"errors"
	"fmt"
	"time"

	"github.com/twpayne/go-geom"

	"github.com/cityatlas/cityatlas/cql2"
)

// Errors that callers branch on. Backends translate their driver errors into
// these (wrapped with %w and context); the api maps them to HTTP statuses.
var (
	// ErrNotFound: the collection or feature does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a version precondition failed, or an id or external id
	// already exists.
	ErrConflict = errors.New("conflict")
	// ErrInvalid: the input breaks a rule of the data model (bad id, a
	// property of the wrong type, an unsupported geometry, ...).
	ErrInvalid = errors.New("invalid")
)

// Invalidf returns an error that wraps ErrInvalid with a message a person can
// act on.
func Invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// FieldType is the type of a property in a collection's schema.
type FieldType string

// Property types. Values in Properties are, per type: string → string,
// integer → int64 (float64 after a JSON round trip, always integral),
// number → float64, boolean → bool, date → string "YYYY-MM-DD",
// datetime → string in RFC 3339 (UTC), array → a JSON array of strings,
// numbers and booleans ([]any).
const (
	TypeString   FieldType = "string"
	TypeInteger  FieldType = "integer"
	TypeNumber   FieldType = "number"
	TypeBoolean  FieldType = "boolean"
	TypeDate     FieldType = "date"
	TypeDateTime FieldType = "datetime"
	// TypeArray holds a list of strings, numbers and booleans (tags,
	// amenities, the lanes a signal controls): CQL2's array functions
	// test it.
	TypeArray FieldType = "array"
)

// Valid reports whether t is one of the known field types.
func (t FieldType) Valid() bool {
	switch t {
	case TypeString, TypeInteger, TypeNumber, TypeBoolean, TypeDate, TypeDateTime, TypeArray:
		return true
	}
	return false
}

// Field is one property of a collection's schema.
type Field struct {
	Name        string    `json:"name"`
	Type        FieldType `json:"type"`
	Title       string    `json:"title,omitempty"`
	Description string    `json:"description,omitempty"`
	// Values, when not empty, lists the allowed values of a string field
	// (an enumeration such as a condition rating).
	Values []string `json:"values,omitempty"`
}

// GeometryType names the geometry a collection holds.
type GeometryType string

// Geometry types of a collection. GeometryAny admits every type.
const (
	GeometryPoint              GeometryType = "Point"
	GeometryLineString         GeometryType = "LineString"
	GeometryPolygon            GeometryType = "Polygon"
	GeometryMultiPoint         GeometryType = "MultiPoint"
	GeometryMultiLineString    GeometryType = "MultiLineString"
	GeometryMultiPolygon       GeometryType = "MultiPolygon"
	GeometryGeometryCollection GeometryType = "GeometryCollection"
	GeometryAny                GeometryType = "Geometry"
)

// Collection is a layer of assets.
type Collection struct {
	// ID is the collection's name in URLs: lower case letters, digits and
	// underscores, starting with a letter, at most 63 characters.
	ID          string       `json:"id"`
	Title       string       `json:"title"`
	Description string       `json:"description,omitempty"`
	Geometry    GeometryType `json:"geometryType"`
	Fields      []Field      `json:"fields"`
	License     string       `json:"license,omitempty"`
	Keywords    []string     `json:"keywords,omitempty"`
	// Metadata is what a data catalog says of the collection besides its
	// title, description, licence and keywords.
	Metadata
	// TimeField names the date or datetime field that the items endpoint's
	// datetime parameter filters on; empty means the feature's Updated time.
	TimeField string `json:"timeField,omitempty"`
	// Role says how the web map draws the layer: RoleAsset (empty, the
	// default), RoleBase or RoleBoundary.
	Role Role `json:"role,omitempty"`
	// Private collections are read only with a key (viewer and up, with a
	// grant for the collection); others are public.
	Private bool `json:"private,omitempty"`
	// Created is set by the backend.
	Created time.Time `json:"created"`
}

// Role is what a collection is for on the map.
type Role string

// Collection roles.
const (
	// RoleAsset (empty) is an ordinary layer of assets: listed and counted
	// in the map's panel.
	RoleAsset Role = ""
	// RoleBase is a base layer such as streets: drawn under the others,
	// labelled, searched, but not counted in the map's panel.
	RoleBase Role = "base"
	// RoleBoundary marks the city limits: the map draws its polygons as the
	// city's boundary and opens on them.
	RoleBoundary Role = "boundary"
)

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool { return r == RoleAsset || r == RoleBase || r == RoleBoundary }

// Field returns the schema field called name.
func (c *Collection) Field(name string) (Field, bool) {
	for _, f := range c.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Feature is one asset.
type Feature struct {
	// ID is assigned by the backend on insert (1, 2, 3, ... per backend,
	// unique across collections) and never changes.
	ID int64
	// Collection is the id of the collection the feature belongs to.
	Collection string
	// ExternalID is the id of the asset in the source system; empty when
	// there is none. Unique within a collection.
	ExternalID string
	// Geometry in WGS84 lon/lat, with Z kept where the source had it.
	// nil means the feature has no geometry.
	Geometry geom.T
	// Properties is the canonical JSON object of the feature's properties
	// (see EncodeProperties).
	Properties Properties
	// Version starts at 1 and increments on every change.
	Version int64
	// Created and Updated are set by the backend (UTC).
	Created time.Time
	Updated time.Time
}

// Op is the kind of a write.
type Op string

// Write operations.
const (
	// OpInsert adds a new feature; ExternalID, when set, must be new.
	OpInsert Op = "insert"
	// OpUpdate replaces the geometry and properties of feature ID.
	OpUpdate Op = "update"
	// OpUpsert inserts, or updates the feature with the same ExternalID;
	// an upsert that changes nothing leaves the version as it was.
	OpUpsert Op = "upsert"
	// OpDelete removes feature ID.
	OpDelete Op = "delete"
	// OpCollection appears only in the change log: the collection's
	// definition (its metadata) changed (FeatureID 0, Version 0). Whoever
	// follows the log reads the collection's definition again.
	OpCollection Op = "collection"
	// OpLoad appears only in the change log: a bulk load filled an empty
	// collection at once (FeatureID 0, Version the number of features).
	// Whoever follows the log reloads the collection.
	OpLoad Op = "load"
	// OpSchema appears only in the change log: the collection's fields
	// changed (FeatureID 0, Version 0; see SchemaChanger). Whoever follows
	// the log reloads the collection.
	OpSchema Op = "schema"
)

// Mutation is one write in a batch.
type Mutation struct {
	Op      Op
	Feature Feature
	// IfVersion, when non-zero, makes an update or delete fail with
	// ErrConflict unless the stored version equals it.
	IfVersion int64
}

// Outcome says what a mutation did.
type Outcome string

// Outcomes of a mutation.
const (
	Inserted  Outcome = "inserted"
	Updated   Outcome = "updated"
	Unchanged Outcome = "unchanged"
	Deleted   Outcome = "deleted"
)

// Result is the effect of one Mutation: the feature as stored after it (for
// a delete, the feature as it was) and the change-log sequence number of the
// write (0 when unchanged).
type Result struct {
	Outcome Outcome
	Feature Feature
	Seq     int64
}

// Change is one entry of the change log.
type Change struct {
	Seq        int64     `json:"seq"`
	Collection string    `json:"collection"`
	FeatureID  int64     `json:"featureId"`
	Op         Op        `json:"op"` // insert, update, delete or load
	Version    int64     `json:"version"`
	Actor      string    `json:"actor"`
	Time       time.Time `json:"time"`
}

// Query selects features from a backend. Results are ordered by ID.
type Query struct {
	// BBox, when not nil, keeps features whose geometry intersects the
	// rectangle [minLon, minLat, maxLon, maxLat].
	BBox *[4]float64
	// Limit caps the number of features returned; 0 means no limit.
	Limit int
	// Offset skips that many features of the ordered result.
	Offset int
	// Where, when set, keeps the features a CQL2 filter selects, with the
	// meaning the index gives it (Filter.Where). store/postgis translates
	// it to SQL (all but ACCENTI, the array functions and functions);
	// store/gpkg does not take one. Either answers ErrInvalid for what it
	// cannot do.
	Where cql2.Expr
}
