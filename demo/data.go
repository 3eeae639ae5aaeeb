package demo

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"

	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/geojson"
)

//go:embed data/places.csv
var placesCSV []byte

//go:embed data/imperial_county.geojson
var countyGeoJSON []byte

// Place is a populated place of Imperial County from GeoNames (CC-BY-4.0).
type Place struct {
	Name string
	// Lon and Lat are WGS84 degrees.
	Lon, Lat float64
}

// Places returns the 12 GeoNames places of Imperial County embedded in the
// package (for map labels), in file order. It panics only if the embedded
// file is corrupt, which the package tests rule out.
func Places() []Place {
	p := embedded()
	return append([]Place(nil), p.places...)
}

// Boundary returns the generated city limits at scale 1 (a *geom.Polygon)
// and the real boundary of Imperial County from us-atlas (a *geom.Polygon),
// both in WGS84 lon/lat with SRID 4326. Use CityLimits for other scales.
// It panics only if the embedded county file is corrupt, which the package
// tests rule out.
func Boundary() (cityLimits, county geom.T) {
	c, err := newCity(Options{Scale: 1})
	if err != nil {
		panic(err) // scale 1 is always valid
	}
	return c.limitsPolygon(), embedded().county
}

type embeddedData struct {
	places []Place
	county geom.T
	centre Place
}

var embedded = sync.OnceValue(func() embeddedData {
	places, err := parsePlaces(bytes.NewReader(placesCSV))
	if err != nil {
		panic(fmt.Sprintf("demo: embedded data/places.csv: %v", err))
	}
	county, err := parseBoundary(countyGeoJSON)
	if err != nil {
		panic(fmt.Sprintf("demo: embedded data/imperial_county.geojson: %v", err))
	}
	d := embeddedData{places: places, county: county}
	for _, p := range places {
		if p.Name == "Imperial" {
			d.centre = p
		}
	}
	if d.centre.Name == "" {
		panic("demo: embedded data/places.csv has no record for Imperial")
	}
	return d
})

// errParse is wrapped by every error of the embedded-data parsers.
var errParse = errors.New("demo: parse")

// parsePlaces reads a GeoNames extract: a CSV file whose header names at
// least the columns name, lat and lng (any order). It returns an error
// wrapping errParse for a missing column, a bad number or coordinates out of
// range.
func parsePlaces(r io.Reader) ([]Place, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%w: places header: %v", errParse, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for _, want := range []string{"name", "lat", "lng"} {
		if _, ok := col[want]; !ok {
			return nil, fmt.Errorf("%w: places header %q has no column %q", errParse, header, want)
		}
	}
	var out []Place
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: places line %d: %v", errParse, line, err)
		}
		get := func(name string) string {
			if i := col[name]; i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		p := Place{Name: get("name")}
		if p.Name == "" {
			return nil, fmt.Errorf("%w: places line %d: empty name", errParse, line)
		}
		if p.Lat, err = strconv.ParseFloat(get("lat"), 64); err != nil || math.IsNaN(p.Lat) || math.Abs(p.Lat) > 90 {
			return nil, fmt.Errorf("%w: places line %d: lat %q is not a latitude in degrees", errParse, line, get("lat"))
		}
		if p.Lon, err = strconv.ParseFloat(get("lng"), 64); err != nil || math.IsNaN(p.Lon) || math.Abs(p.Lon) > 180 {
			return nil, fmt.Errorf("%w: places line %d: lng %q is not a longitude in degrees", errParse, line, get("lng"))
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: places file has no records", errParse)
	}
	return out, nil
}

// parseBoundary reads a GeoJSON FeatureCollection and returns the geometry
// of its first feature, which must be a Polygon or MultiPolygon with every
// coordinate a WGS84 lon/lat. The result has SRID 4326. Errors wrap
// errParse.
func parseBoundary(data []byte) (geom.T, error) {
	var fc geojson.FeatureCollection
	if err := fc.UnmarshalJSON(data); err != nil {
		return nil, fmt.Errorf("%w: boundary: %v", errParse, err)
	}
	if len(fc.Features) == 0 || fc.Features[0] == nil || fc.Features[0].Geometry == nil {
		return nil, fmt.Errorf("%w: boundary: no feature with a geometry", errParse)
	}
	g := fc.Features[0].Geometry
	var rings int
	switch t := g.(type) {
	case *geom.Polygon:
		rings = t.NumLinearRings()
		t.SetSRID(4326)
	case *geom.MultiPolygon:
		for i := 0; i < t.NumPolygons(); i++ {
			rings += t.Polygon(i).NumLinearRings()
		}
		t.SetSRID(4326)
	default:
		return nil, fmt.Errorf("%w: boundary: geometry is %T, want a Polygon or MultiPolygon", errParse, g)
	}
	if rings == 0 {
		return nil, fmt.Errorf("%w: boundary: polygon has no rings", errParse)
	}
	flat, stride := g.FlatCoords(), g.Stride()
	if len(flat) < 4*stride {
		return nil, fmt.Errorf("%w: boundary: fewer than 4 positions", errParse)
	}
	for i := 0; i+1 < len(flat); i += stride {
		lon, lat := flat[i], flat[i+1]
		if !(math.Abs(lon) <= 180 && math.Abs(lat) <= 90) {
			return nil, fmt.Errorf("%w: boundary: position (%v, %v) is not WGS84 lon/lat", errParse, lon, lat)
		}
	}
	return g, nil
}
