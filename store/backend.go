package store

import (
	"context"
	"io"
	"regexp"
)

// Backend is the storage contract that every adapter (store/postgis,
// store/gpkg) implements and that store/storetest checks. A Backend is the
// source of truth; Store keeps its in-memory index in step with it.
//
// Every method is safe for concurrent use.
type Backend interface {
	// Collections returns every collection, ordered by id.
	Collections(ctx context.Context) ([]Collection, error)

	// CreateCollection adds a collection. It returns an error wrapping
	// ErrInvalid if c does not pass ValidateCollection and ErrConflict if a
	// collection with that id exists. It returns the collection as stored
	// (Created set).
	CreateCollection(ctx context.Context, c Collection) (Collection, error)

	// DeleteCollection removes a collection with all its features
	// (ErrNotFound if there is none) and appends a change-log entry of op
	// OpCollection with actor (whoever follows the log then finds the
	// collection gone).
	DeleteCollection(ctx context.Context, id, actor string) error

	// UpdateCollection replaces the descriptive fields of the stored
	// collection c.ID (Title, Description, License, Keywords, Metadata)
	// with c's; the rest of c is ignored. It appends a change-log entry of
	// op OpCollection with actor and returns the collection as stored and
	// the entry's seq. ErrNotFound if there is no such collection,
	// ErrInvalid if the result does not pass ValidateCollection.
	UpdateCollection(ctx context.Context, c Collection, actor string) (Collection, int64, error)

	// RenameCollection gives collection id the id newID. Its features keep
	// their ids, versions and history (their change-log entries move to
	// newID); key grants follow it. It appends an OpCollection entry for
	// id (gone) and one for newID, with actor. ErrNotFound if
	// there is no collection id, ErrConflict if newID is taken, ErrInvalid
	// if newID is not a valid collection id.
	RenameCollection(ctx context.Context, id, newID, actor string) (Collection, error)

	// Apply performs the mutations on one collection in a single
	// transaction: either all of them take effect, or none does and the
	// error says which failed (ErrNotFound for a missing collection or
	// feature, ErrConflict for a failed IfVersion or a duplicate external
	// id, ErrInvalid for a property that breaks the schema or a geometry
	// the collection does not take). Each successful write appends a
	// change-log entry with actor. Results are in the order of ms.
	// Features passed in must have properties already encoded by
	// EncodeProperties for this collection.
	Apply(ctx context.Context, collection string, ms []Mutation, actor string) ([]Result, error)

	// Feature returns one feature (ErrNotFound if the collection or the
	// feature does not exist).
	Feature(ctx context.Context, collection string, id int64) (Feature, error)

	// Query returns the features matching q, ordered by id, and the number
	// matched before limit and offset. ErrNotFound if the collection does
	// not exist. It is the backend's own answer (SQL), used to check the
	// index and by tools; the api is served from the index.
	Query(ctx context.Context, collection string, q Query) (features []Feature, matched int, err error)

	// Scan calls fn for every feature of the collection in id order,
	// stopping at fn's first error, which it returns. It is how the index
	// is built at start-up.
	Scan(ctx context.Context, collection string, fn func(Feature) error) error

	// Changes returns up to limit change-log entries with Seq > after, in
	// Seq order.
	Changes(ctx context.Context, after int64, limit int) ([]Change, error)

	// LastSeq returns the highest change-log sequence number (0 if none).
	LastSeq(ctx context.Context) (int64, error)

	// Close releases the backend's resources.
	Close() error
}

// StreamApplier is implemented by backends that can write a batch too large
// to hold in memory in one transaction (package ingest uses it for imports
// of millions of rows). It is optional: a caller without it falls back to
// one Apply with the whole batch.
type StreamApplier interface {
	// ApplyStream is Apply for a stream: it calls next until next returns
	// io.EOF and performs every mutation in one transaction, holding only a
	// bounded chunk of them in memory at a time. It calls result with each
	// mutation's Result, in order, as chunks are written; results are
	// provisional until ApplyStream returns nil (nothing is committed
	// before). Any other error from next or from result, or from a
	// mutation (the same errors as Apply), rolls everything back and is
	// returned wrapped. Each successful write appends a change-log entry
	// with actor; a backend may instead log a bulk load into an empty
	// collection as one entry of op OpLoad, whose seq the loaded features'
	// Results share.
	ApplyStream(ctx context.Context, collection string, next func() (Mutation, error), actor string, result func(Result) error) error
}

// CreateStreamer is implemented by backends that can make a collection
// and fill it in one transaction, so that a failed or killed import leaves
// no collection behind (package ingest uses it for --create).
type CreateStreamer interface {
	// CreateStream is CreateCollection and ApplyStream into the new
	// collection in one transaction: nobody sees the collection before
	// its features, and on any error (CreateCollection's, ApplyStream's)
	// neither exists. It returns the collection as stored.
	CreateStream(ctx context.Context, c Collection, next func() (Mutation, error), actor string, result func(Result) error) (Collection, error)
}

// Extenter is implemented by backends that can give a collection's extent
// without reading its features.
type Extenter interface {
	// Extent returns [minLon, minLat, maxLon, maxLat] of the collection's
	// geometries; ok is false when it has none. ErrNotFound if the
	// collection does not exist.
	Extent(ctx context.Context, collection string) (box [4]float64, ok bool, err error)
}

// Stream returns a next function for ApplyStream that yields ms in order,
// then fail if it is not nil, else io.EOF.
func Stream(ms []Mutation, fail error) func() (Mutation, error) {
	i := 0
	return func() (Mutation, error) {
		if i == len(ms) {
			if fail != nil {
				return Mutation{}, fail
			}
			return Mutation{}, io.EOF
		}
		i++
		return ms[i-1], nil
	}
}

// Batches returns a next function for ApplyStream that yields, in order,
// the mutations of the batches received from ch and, once ch is closed,
// the error end gives (io.EOF if that is nil). end is called only after
// ch is closed, so it may read what the sender set before closing it.
func Batches(ch <-chan []Mutation, end func() error) func() (Mutation, error) {
	var (
		batch []Mutation
		pos   int
	)
	return func() (Mutation, error) {
		for pos == len(batch) {
			b, ok := <-ch
			if !ok {
				if err := end(); err != nil {
					return Mutation{}, err
				}
				return Mutation{}, io.EOF
			}
			batch, pos = b, 0
		}
		m := batch[pos]
		batch[pos] = Mutation{} // the batch may be long-lived; the mutation is the caller's
		pos++
		return m, nil
	}
}

var collectionIDRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// Describe copies the descriptive fields (those UpdateCollection sets)
// of from onto to.
func Describe(to *Collection, from Collection) {
	to.Title, to.Description, to.License = from.Title, from.Description, from.License
	to.Keywords, to.Metadata = from.Keywords, from.Metadata
}

// ValidateCollection checks a collection definition, returning an error
// wrapping ErrInvalid that names the first problem.
func ValidateCollection(c *Collection) error {
	if !collectionIDRe.MatchString(c.ID) {
		return Invalidf("collection id %q must be lower-case letters, digits and underscores, starting with a letter, at most 63 characters", c.ID)
	}
	switch c.Geometry {
	case GeometryPoint, GeometryLineString, GeometryPolygon, GeometryMultiPoint,
		GeometryMultiLineString, GeometryMultiPolygon, GeometryGeometryCollection, GeometryAny:
	default:
		return Invalidf("collection %q: geometry type %q is not one of Point, LineString, Polygon, MultiPoint, MultiLineString, MultiPolygon, GeometryCollection, Geometry", c.ID, c.Geometry)
	}
	if !c.Role.Valid() {
		return Invalidf("collection %q: role %q is not one of \"\" (an asset layer), base, boundary", c.ID, c.Role)
	}
	if len(c.Fields) > MaxFields {
		return Invalidf("collection %q has %d fields; at most %d", c.ID, len(c.Fields), MaxFields)
	}
	seen := map[string]bool{}
	for _, f := range c.Fields {
		if !ValidFieldName(f.Name) {
			return Invalidf("collection %q: field name %q must be letters, digits and underscores, starting with a letter or underscore", c.ID, f.Name)
		}
		if reservedField[f.Name] {
			return Invalidf("collection %q: field name %q is reserved", c.ID, f.Name)
		}
		if seen[f.Name] {
			return Invalidf("collection %q: field %q appears twice", c.ID, f.Name)
		}
		seen[f.Name] = true
		if !f.Type.Valid() {
			return Invalidf("collection %q: field %q has unknown type %q (string, integer, number, boolean, date, datetime, array)", c.ID, f.Name, f.Type)
		}
	}
	if err := validateMetadata(c.ID, &c.Metadata); err != nil {
		return err
	}
	if c.TimeField != "" {
		f, ok := c.Field(c.TimeField)
		if !ok || (f.Type != TypeDate && f.Type != TypeDateTime) {
			return Invalidf("collection %q: time field %q must be a date or datetime field of the schema", c.ID, c.TimeField)
		}
	}
	return nil
}

// MaxFields is the most properties a collection's schema may have.
const MaxFields = 1000

// reservedField are names that the backends use for their own columns.
var reservedField = map[string]bool{
	"fid": true, "id": true, "geom": true, "geometry": true, "external_id": true,
	"version": true, "created": true, "updated": true, "properties": true, "collection": true,
}

// GeometryAllowed reports whether a geometry of type t (a GeoJSON type name)
// may be stored in collection c. A single type also admits its Multi form.
func GeometryAllowed(c GeometryType, t string) bool {
	switch c {
	case GeometryAny:
		return true
	case GeometryPoint, GeometryMultiPoint:
		return t == "Point" || t == "MultiPoint"
	case GeometryLineString, GeometryMultiLineString:
		return t == "LineString" || t == "MultiLineString"
	case GeometryPolygon, GeometryMultiPolygon:
		return t == "Polygon" || t == "MultiPolygon"
	}
	return string(c) == t
}
