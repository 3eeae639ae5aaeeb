// Package formats writes features as a stream to the file formats that
// open-data users ask for: GeoJSON, GeoJSON text sequences and NDJSON, CSV,
// KML, GeoPackage, zipped shapefiles, FlatGeobuf and GeoParquet.
//
// Every writer takes an io.Writer and the features one at a time, and holds
// only a bounded buffer in memory. Two formats cannot be written front to
// back: a GeoPackage is an SQLite database and a shapefile's headers hold
// the file's length, so those writers build their files in a temporary
// directory and copy them to the io.Writer when closed.
//
// Coordinates are WGS84 longitude/latitude (CRS84) in every format, unless
// the Layer names another CRS for a format that can carry one
// (Format.AnyCRS).
package formats

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/twpayne/go-geom"

	"github.com/cityatlas/cityatlas/store"
)

// Layer describes the features a writer receives.
type Layer struct {
	// Name is the layer's name inside the file (a collection id).
	Name        string
	Title       string
	Description string
	Geometry    store.GeometryType
	// Fields are the properties, in the order of Feature.Values.
	Fields []store.Field
	// Count is the number of features that will be written, or -1 when
	// unknown (FlatGeobuf records it in its header when known).
	Count int
	// Extent is [minLon, minLat, maxLon, maxLat] of the features, when known.
	Extent *[4]float64
	// TempDir is where the GeoPackage and shapefile writers build their
	// files ("" means os.TempDir()).
	TempDir string
	// CRS, when not nil, is the coordinate system of the geometries the
	// writer receives, in place of CRS84; only for a Format with AnyCRS.
	// Extent is then in that CRS too (or nil).
	CRS *CRS
	// Meta is what the file says about the layer (title, licence,
	// keywords, ...) where its format has a place for it: GeoPackage's
	// gpkg_contents and metadata tables, FlatGeobuf's header, GeoParquet's
	// key-value metadata, KML's and GeoJSON's description. LayerOf fills
	// it; Source (the layer's web address) is the caller's to add.
	Meta []MetaItem
}

// CRS names a coordinate system other than CRS84 for the writers that can
// write one (Format.AnyCRS).
type CRS struct {
	// EPSG is the code written where the format has a place for it
	// (FlatGeobuf's header); 0 for none.
	EPSG int
	// Axes names the two coordinates in their order ("easting",
	// "northing"; "latitude", "longitude"): CSV's column names.
	Axes [2]string
}

// Feature is one feature to write.
type Feature struct {
	ID int64
	// Geometry in WGS84 lon/lat (Z kept where the format has it); nil for
	// none. It is valid only during Write: a writer must not keep it.
	Geometry geom.T
	// Values holds the JSON text of each property, in Layer.Fields order
	// (`"good"`, `36`, `true`); "" when the feature has no value.
	Values []string
}

// Writer writes one layer's features.
type Writer interface {
	// Write adds one feature. An error leaves the output unfinished.
	Write(f *Feature) error
	// Close finishes the file and flushes it to the io.Writer. It does not
	// close that io.Writer. After a failed Write, call Abort instead.
	Close() error
	// Abort releases what the writer holds (temporary files) without
	// finishing the output.
	Abort()
}

// Format is one output format.
type Format struct {
	// Name is the f= value ("geojson", "gpkg", ...).
	Name string
	// Ext is the file name extension, without the dot.
	Ext string
	// MediaType is the Content-Type of the file.
	MediaType string
	// Title names the format for people ("GeoPackage").
	Title string
	// New starts a writer of l to w.
	New func(w io.Writer, l Layer) (Writer, error)
	// AnyCRS says the format can hold coordinates in a CRS other than
	// CRS84 (Layer.CRS): it has no CRS of its own to declare (the GeoJSON
	// family, CSV) or takes an EPSG code (FlatGeobuf). GeoPackage,
	// shapefile and GeoParquet need the CRS's full definition, KML is
	// WGS84 by its standard.
	AnyCRS bool
}

// All lists the formats in the order they are offered.
var All = []Format{
	{Name: "geojson", Ext: "geojson", MediaType: "application/geo+json", Title: "GeoJSON", New: NewGeoJSON, AnyCRS: true},
	{Name: "geojsonseq", Ext: "geojsons", MediaType: "application/geo+json-seq", Title: "GeoJSON text sequence (RFC 8142)", New: NewGeoJSONSeq, AnyCRS: true},
	{Name: "ndjson", Ext: "ndjson", MediaType: "application/x-ndjson", Title: "Newline-delimited GeoJSON", New: NewNDJSON, AnyCRS: true},
	{Name: "csv", Ext: "csv", MediaType: "text/csv; charset=utf-8", Title: "CSV (UTF-8, WKT and longitude/latitude columns)", New: NewCSV, AnyCRS: true},
	{Name: "gpkg", Ext: "gpkg", MediaType: "application/geopackage+sqlite3", Title: "GeoPackage", New: NewGeoPackage},
	{Name: "shp", Ext: "shp.zip", MediaType: "application/zip", Title: "Shapefile (zipped)", New: NewShapefile},
	{Name: "fgb", Ext: "fgb", MediaType: "application/flatgeobuf", Title: "FlatGeobuf", New: NewFlatGeobuf, AnyCRS: true},
	{Name: "parquet", Ext: "parquet", MediaType: "application/vnd.apache.parquet", Title: "GeoParquet", New: NewGeoParquet},
	{Name: "kml", Ext: "kml", MediaType: "application/vnd.google-earth.kml+xml", Title: "KML", New: NewKML},
}

// Lookup returns the format called name (case-insensitive).
func Lookup(name string) (Format, bool) {
	i := slices.IndexFunc(All, func(f Format) bool { return strings.EqualFold(f.Name, name) })
	if i < 0 {
		return Format{}, false
	}
	return All[i], true
}

// Names returns every format's name.
func Names() []string {
	out := make([]string, len(All))
	for i, f := range All {
		out[i] = f.Name
	}
	return out
}

// LayerOf returns the Layer of a collection with the features that a
// selection of n of them holds.
func LayerOf(ci store.CollectionInfo, fields []store.Field, n int) Layer {
	l := Layer{Name: ci.ID, Title: ci.Title, Description: ci.Description, Geometry: ci.Geometry, Fields: fields, Count: n, Meta: metaOf(ci)}
	if ci.HasExtent {
		e := ci.Extent
		l.Extent = &e
	}
	return l
}

// Copy writes the features of sel to w in id order, the properties picked
// by fields (indexes into the collection's schema, in the order of the
// writer's Layer.Fields). It checks ctx as it goes and returns the number
// of features written. It neither closes nor aborts w.
func Copy(ctx context.Context, w Writer, sel *store.Selection, fields []int) (int, error) {
	f := Feature{Values: make([]string, len(fields))}
	// One point for every 2D point feature: a writer reads f.Geometry only
	// during Write.
	pt := geom.NewPointFlat(geom.XY, []float64{0, 0}).SetSRID(4326)
	n := 0
	var err error
	sel.Each(func(h *store.Hit) bool {
		if n&255 == 255 {
			if err = ctx.Err(); err != nil {
				return false
			}
		}
		f.ID, f.Geometry = h.ID, h.GeomInto(pt)
		for i, fi := range fields {
			f.Values[i] = h.Value(fi)
		}
		if err = w.Write(&f); err != nil {
			return false
		}
		n++
		return true
	})
	return n, err
}

// text returns the string a JSON string value holds (its raw text for
// other values).
func text(raw string) string {
	if len(raw) < 2 || raw[0] != '"' {
		return raw
	}
	if strings.IndexByte(raw, '\\') < 0 {
		return raw[1 : len(raw)-1]
	}
	var s string
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		return raw
	}
	return s
}

// number parses a JSON number value.
func number(raw string) (float64, bool) {
	x, err := strconv.ParseFloat(raw, 64)
	return x, err == nil
}

// integer parses a JSON integer value (written as 36 or 3.6e1).
func integer(raw string) (int64, bool) {
	if n, err := strconv.ParseInt(raw, 10, 64); err == nil {
		return n, true
	}
	x, err := strconv.ParseFloat(raw, 64)
	if err != nil || x != float64(int64(x)) {
		return 0, false
	}
	return int64(x), true
}

// errorf prefixes a writer's error with its format.
func errorf(format, msg string, args ...any) error {
	return fmt.Errorf(format+": "+msg, args...)
}
