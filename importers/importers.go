// Package importers reads the files a city's GIS staff receive (shapefiles,
// CSV exports, GeoJSON, GeoPackage, FlatGeobuf) into a stream of features with typed properties and
// per-record errors.
//
// A Reader yields one Feature at a time, so memory does not grow with the
// file. Geometry is returned in the source's own coordinates (Z and M kept);
// this package never reprojects: SRS reports what the source says its CRS is
// (a .prj's WKT, a GeoJSON crs member, or the user's Options.SRS) and the
// caller transforms.
//
// Errors follow one rule: a *RecordError from Next describes one bad record
// and the reader can go on to the next one; any other error from Next is
// final and every later call returns it again.
//
// This package must stay a leaf: it never imports package store.
package importers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/twpayne/go-geom"
)

// Sentinel errors that callers may branch on with errors.Is. They are
// wrapped, usually inside a *RecordError.
var (
	// ErrUnsupported: the file format, shape type or encoding is not
	// supported (for example a MultiPatch shapefile).
	ErrUnsupported = errors.New("unsupported")
	// ErrGeometry: a geometry breaks the format's rules (an unclosed ring,
	// a one-dimensional position, an unknown geometry type...).
	ErrGeometry = errors.New("invalid geometry")
	// ErrNotLonLat: a GeoJSON coordinate is outside the lon/lat range, so
	// the file is probably in a projected CRS; the message says how to name
	// it (Options.SRS, --srs EPSG:NNNN on the command line).
	ErrNotLonLat = errors.New("coordinates outside lon/lat range")
	// ErrValue: a property value does not parse as its field's type.
	ErrValue = errors.New("invalid value")
	// ErrGuess: a row does not fit what the CSV reader guessed from the
	// first rows (see Options.SurveyRows).
	ErrGuess = errors.New("a guess from the first rows was wrong")
	// ErrFormat: the file is not well formed (bad JSON, a truncated
	// shapefile, a missing required member...).
	ErrFormat = errors.New("malformed file")
)

// Feature is one record read from a file.
type Feature struct {
	// Geometry in the source's coordinates (see Reader.SRS), with Z and M
	// kept. nil when the record has no geometry (a null shape, an empty CSV
	// location, a GeoJSON null geometry or empty coordinates array).
	Geometry geom.T
	// Properties maps field names to string, int64, float64, bool,
	// time.Time (dates and datetimes, UTC unless the source gave a zone) or
	// nil for null. GeoJSON values keep their JSON types (strings stay
	// strings even when Fields calls them dates); nested GeoJSON objects and
	// arrays are given as their compact JSON text.
	Properties map[string]any
	// Values, instead of Properties when Options.Values asks for it (CSV
	// only), holds the values of Reader.Fields in their order.
	Values []any
	// Record is the 1-based record number: the shapefile record, the CSV
	// data row (the header is not counted), the GeoJSON feature's position
	// in the file.
	Record int
	// ID is the GeoJSON feature id (a string, or a number as written) or
	// the GeoPackage feature id (the table's integer primary key); empty
	// when the source has none.
	ID string
	// Rewound: a polygon's rings were wound against the RFC 7946
	// right-hand rule (exterior counter-clockwise, holes clockwise) in the
	// GeoJSON or WKT, and Geometry has them rewound. Not an error: OGC
	// validity does not depend on it. (A shapefile's rings are clockwise
	// by that format's rule, and are not reported.)
	Rewound bool
}

// Field is one property column of a source.
type Field struct {
	Name string
	// Type is one of "string", "integer", "number", "boolean", "date",
	// "datetime" (the names of store.FieldType).
	Type string
}

// Field types reported by Reader.Fields.
const (
	TypeString   = "string"
	TypeInteger  = "integer"
	TypeNumber   = "number"
	TypeBoolean  = "boolean"
	TypeDate     = "date"
	TypeDateTime = "datetime"
	// TypeArray is a list of strings, numbers and booleans (GeoJSON); its
	// values are json.RawMessage.
	TypeArray = "array"
)

// RecordError describes one bad record. The reader that returned it can
// continue with the next record.
type RecordError struct {
	// File is the reader's Name (for a shapefile in a zip, "a.zip!dir/b.shp").
	File string
	// Record is the 1-based record number (see Feature.Record); 0 when the
	// error is not about one record.
	Record int
	// Line is the 1-based line in the file where the record starts, when
	// known (CSV); 0 otherwise.
	Line int
	// Field names the property or column at fault; empty for the geometry
	// or the record as a whole.
	Field string
	Err   error
}

// Error formats the error as "file: line L: record R: field "F": reason".
func (e *RecordError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ": line %d", e.Line)
	}
	if e.Record > 0 {
		fmt.Fprintf(&b, ": record %d", e.Record)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ": field %q", e.Field)
	}
	b.WriteString(": ")
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else {
		b.WriteString("invalid record")
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *RecordError) Unwrap() error { return e.Err }

// Reader is a stream of features from one source (one shapefile, one CSV
// file, one GeoJSON file).
type Reader interface {
	// Name identifies the source in messages: the file name, or
	// "archive.zip!path/in/zip.shp".
	Name() string
	// Next returns the next feature, io.EOF at the end, a *RecordError for
	// a bad record (call Next again to continue) or another error that is
	// final.
	Next() (Feature, error)
	// Fields lists the property columns and their types in source order.
	// For GeoJSON the first call reads the file once more to find them.
	Fields() []Field
	// SRS is the source CRS: Options.SRS when given; else a shapefile's raw
	// .prj WKT, "EPSG:NNNN" (or the raw name) from a GeoJSON crs member,
	// "EPSG:4326" for GeoJSON without one (lon/lat order, CRS84 is reported
	// as EPSG:4326 too); for CSV "EPSG:4326" when every coordinate lies in
	// the lon/lat range; "" when unknown.
	SRS() string
	// GeometryType is the GeoJSON name of the geometry the source holds:
	// "Point", "MultiPoint", "LineString", "Polygon", the Multi form when
	// single and multi forms are mixed (a shapefile polyline or polygon
	// layer is always reported in its Multi form, as each record may have
	// several parts), "GeometryCollection", "Geometry" for a mix of
	// families, "" when the source has no geometry. For GeoJSON the first
	// call reads the file once more.
	GeometryType() string
	// Close releases the files.
	Close() error
}

// HeaderMode says whether a CSV file starts with a header row.
type HeaderMode int

// Header modes.
const (
	HeaderAuto    HeaderMode = iota // detect
	HeaderPresent                   // the first row names the columns
	HeaderAbsent                    // no header: columns are field_1, field_2...
)

// Options tune the readers. The zero value detects everything.
type Options struct {
	// Encoding of CSV text and shapefile .dbf text: "utf-8",
	// "windows-1252", "latin1" (ISO-8859-1), or any name or Windows code
	// page number known to the WHATWG encoding index ("1252", "cp1251",
	// "shift_jis"...). It overrides CSV detection and a shapefile's .cpg.
	Encoding string
	// SRS, when set, is the CRS the user says the data is in (for example
	// "EPSG:2230"). It is reported by Reader.SRS instead of what the file
	// says, and a GeoJSON file in a CRS other than lon/lat is then not
	// refused for its coordinate range.
	SRS string

	// Delimiter of a CSV file; 0 detects among , ; tab and |.
	Delimiter rune
	// Header says whether a CSV file has a header row; HeaderAuto detects.
	Header HeaderMode
	// LonColumn and LatColumn name the CSV columns holding the point's x
	// (longitude) and y (latitude); both or neither. WKTColumn names a
	// column of WKT geometries; LocationColumn a Socrata "(lat, lon)"
	// column. When none is given the reader looks for them by name and
	// content (see the CSV reader's documentation).
	LonColumn, LatColumn string
	WKTColumn            string
	LocationColumn       string
	// Types gives the type of CSV columns by name, overriding inference. A
	// value that does not parse is a *RecordError wrapping ErrValue.
	Types map[string]string
	// KeepGeometryColumns keeps the CSV columns the geometry was read from
	// as properties too (by default they are dropped).
	KeepGeometryColumns bool
	// SampleRows limits CSV type inference to the first SampleRows data
	// rows; 0 reads the whole file first (two passes, constant memory).
	SampleRows int
	// SurveyRows, when more than 0, makes the CSV reader guess the text
	// encoding, column types and geometry columns from the first
	// SurveyRows data rows instead of a first pass over the whole file.
	// When a later row proves a guess wrong (a value of another type, text
	// that is not UTF-8, a quoted cell where the rows surveyed had none,
	// a geometry cell that does not parse), Next fails with an error
	// wrapping ErrGuess: read the file again with SurveyRows 0.
	SurveyRows int
	// Values makes the CSV reader give each row's values in
	// Feature.Values, in the order of Reader.Fields, rather than in
	// Feature.Properties: no map a row.
	Values bool
	// Limits bound the memory one record may take (see Limits); the zero
	// value takes DefaultLimits.
	Limits Limits
	// Layer, when set, is the one GeoPackage table to read (by default
	// every feature and attribute table is a Reader of its own).
	Layer string
	// Location is the zone of date-times written without a UTC offset
	// ("2022-04-16T10:15:10"); nil is UTC.
	Location *time.Location

	ctx context.Context // OpenContext's: reads stop when it is done
}

// Open reads the file at path and returns one Reader per source in it: a
// .shp with its sidecars (.shx is not needed, .dbf and .prj and .cpg are
// optional, names in any case), a .zip holding one or more shapefiles in any
// folder, a CSV (.csv, .txt, .tsv, .tab), GeoJSON (.geojson, .json, or the
// sequences .geojsonl, .geojsons, .ndjson, .jsonl), a GeoPackage (.gpkg, a
// Reader per layer, or Options.Layer's) or FlatGeobuf (.fgb). Close every Reader when
// done. Errors wrap ErrUnsupported for an unknown extension or shape type,
// ErrFormat for a file that cannot be read as its format, and the os errors
// for a missing file.
//
// Only regular files (and zip archives of them) are read: a FIFO, a device
// or a directory is refused at once with an error wrapping ErrNotRegular.
// Input beyond opts.Limits is an error wrapping ErrLimit.
func Open(path string, opts Options) ([]Reader, error) {
	return OpenContext(context.Background(), path, opts)
}

// OpenContext is Open with a context: once ctx is done, every read of the
// readers' files fails with ctx's error, so that a long pass over a file
// (a survey of its fields, a record) stops when the import is cancelled.
func OpenContext(ctx context.Context, path string, opts Options) ([]Reader, error) {
	opts.ctx = ctx
	opts.Limits = opts.Limits.withDefaults()
	if err := checkRegular(path); err != nil {
		return nil, err
	}
	ext := strings.ToLower(filepath.Ext(path))
	switch ext {
	case ".shp":
		r, err := openShapefileDir(path, opts)
		if err != nil {
			return nil, err
		}
		return []Reader{r}, nil
	case ".zip":
		return openShapefileZip(path, opts)
	case ".csv", ".txt", ".tsv", ".tab":
		r, err := openCSVFile(path, opts)
		if err != nil {
			return nil, err
		}
		return []Reader{r}, nil
	case ".geojson", ".json", ".geojsonl", ".geojsons", ".ndjson", ".jsonl", ".geojsonseq":
		r, err := openGeoJSONFile(path, opts)
		if err != nil {
			return nil, err
		}
		return []Reader{r}, nil
	case ".gpkg":
		return openGeoPackage(path, opts)
	case ".fgb":
		r, err := openFlatGeobufFile(path, opts)
		if err != nil {
			return nil, err
		}
		return []Reader{r}, nil
	}
	return nil, fmt.Errorf("importers: %s: %w file type %q (want .shp, .zip, .csv, .tsv, .txt, .geojson, .json, .geojsonl, .ndjson, .gpkg, .fgb)", path, ErrUnsupported, ext)
}

// fileOpener opens a file afresh for each pass over it.
func fileOpener(path string) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return os.Open(path) }
}
