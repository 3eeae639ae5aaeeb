// Package geo is cityatlas's pure geometry code: conversion between go-geom
// (the storage boundary, with Z and M) and orb (serving and planar maths),
// GeoJSON geometry encoding and validation, and exact intersection tests
// between rectangles, polygons and geometries. Coordinates are WGS84
// longitude/latitude unless a function says otherwise. No I/O.
package geo

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"
)

// Bounds returns the bounding rectangle of g as [minLon, minLat, maxLon,
// maxLat], and false for a nil or empty geometry.
// Collections are walked here rather than by go-geom's Bounds, which
// panics on a collection inside a collection.
func Bounds(g geom.T) ([4]float64, bool) {
	if g == nil || isEmpty(g) {
		return [4]float64{}, false
	}
	b := [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	extend(&b, g)
	return b, true
}

func extend(b *[4]float64, g geom.T) {
	if gc, ok := g.(*geom.GeometryCollection); ok {
		for i := range gc.NumGeoms() {
			extend(b, gc.Geom(i))
		}
		return
	}
	flat, stride := g.FlatCoords(), g.Stride()
	if stride < 2 {
		return
	}
	for i := 0; i+1 < len(flat); i += stride {
		x, y := flat[i], flat[i+1]
		b[0], b[1] = math.Min(b[0], x), math.Min(b[1], y)
		b[2], b[3] = math.Max(b[2], x), math.Max(b[3], y)
	}
}

func isEmpty(g geom.T) bool {
	if gc, ok := g.(*geom.GeometryCollection); ok {
		for i := range gc.NumGeoms() {
			if !isEmpty(gc.Geom(i)) {
				return false
			}
		}
		return true
	}
	return len(g.FlatCoords()) == 0
}

// ToOrb converts a go-geom geometry to orb, dropping Z and M. The result
// of a 2D geometry shares g's coordinates: modify neither. It returns an
// error for a type orb has no counterpart for.
func ToOrb(g geom.T) (orb.Geometry, error) {
	switch g := g.(type) {
	case *geom.Point:
		if g.Empty() {
			return nil, fmt.Errorf("geo: empty point")
		}
		return orb.Point{g.X(), g.Y()}, nil
	case *geom.LineString:
		return orb.LineString(points(g.FlatCoords(), g.Stride())), nil
	case *geom.Polygon:
		return polygon(g.FlatCoords(), 0, g.Ends(), g.Stride()), nil
	case *geom.MultiPoint:
		return orb.MultiPoint(points(g.FlatCoords(), g.Stride())), nil
	case *geom.MultiLineString:
		flat, stride := g.FlatCoords(), g.Stride()
		out := make(orb.MultiLineString, 0, len(g.Ends()))
		start := 0
		for _, end := range g.Ends() {
			out = append(out, orb.LineString(points(flat[start:end], stride)))
			start = end
		}
		return out, nil
	case *geom.MultiPolygon:
		flat, stride := g.FlatCoords(), g.Stride()
		out := make(orb.MultiPolygon, 0, len(g.Endss()))
		start := 0
		for _, ends := range g.Endss() {
			if len(ends) == 0 {
				continue
			}
			out = append(out, polygon(flat, start, ends, stride))
			start = ends[len(ends)-1]
		}
		return out, nil
	case *geom.GeometryCollection:
		out := make(orb.Collection, 0, g.NumGeoms())
		for i := range g.NumGeoms() {
			o, err := ToOrb(g.Geom(i))
			if err != nil {
				return nil, err
			}
			out = append(out, o)
		}
		return out, nil
	case nil:
		return nil, fmt.Errorf("geo: nil geometry")
	}
	return nil, fmt.Errorf("geo: unsupported geometry type %T", g)
}

// points returns the 2D points of flat coordinates. For 2D coordinates
// they are the same memory (an orb.Point is two float64s, as a 2D
// position of go-geom's flat layout): the index keeps a geometry in both
// forms without a second copy of its coordinates, so neither may be
// modified (neither ever is: both are immutable once built).
func points(flat []float64, stride int) []orb.Point {
	if stride == 2 && len(flat) >= 2 {
		return unsafe.Slice((*orb.Point)(unsafe.Pointer(unsafe.SliceData(flat))), len(flat)/2)
	}
	out := make([]orb.Point, 0, len(flat)/stride)
	for i := 0; i+1 < len(flat); i += stride {
		out = append(out, orb.Point{flat[i], flat[i+1]})
	}
	return out
}

func polygon(flat []float64, start int, ends []int, stride int) orb.Polygon {
	p := make(orb.Polygon, 0, len(ends))
	for _, end := range ends {
		p = append(p, orb.Ring(points(flat[start:end], stride)))
		start = end
	}
	return p
}

// FromOrb converts an orb geometry to go-geom (2D, SRID 4326).
func FromOrb(g orb.Geometry) (geom.T, error) {
	switch g := g.(type) {
	case orb.Point:
		return geom.NewPointFlat(geom.XY, []float64{g[0], g[1]}).SetSRID(4326), nil
	case orb.MultiPoint:
		return geom.NewMultiPointFlat(geom.XY, flatten(g)).SetSRID(4326), nil
	case orb.LineString:
		return geom.NewLineStringFlat(geom.XY, flatten(g)).SetSRID(4326), nil
	case orb.MultiLineString:
		var flat []float64
		var ends []int
		for _, l := range g {
			flat = append(flat, flatten(l)...)
			ends = append(ends, len(flat))
		}
		return geom.NewMultiLineStringFlat(geom.XY, flat, ends).SetSRID(4326), nil
	case orb.Ring:
		return FromOrb(orb.Polygon{g})
	case orb.Polygon:
		var flat []float64
		var ends []int
		for _, r := range g {
			flat = append(flat, flatten(r)...)
			ends = append(ends, len(flat))
		}
		return geom.NewPolygonFlat(geom.XY, flat, ends).SetSRID(4326), nil
	case orb.MultiPolygon:
		var flat []float64
		var endss [][]int
		for _, p := range g {
			var ends []int
			for _, r := range p {
				flat = append(flat, flatten(r)...)
				ends = append(ends, len(flat))
			}
			endss = append(endss, ends)
		}
		return geom.NewMultiPolygonFlat(geom.XY, flat, endss).SetSRID(4326), nil
	case orb.Bound:
		return FromOrb(g.ToPolygon())
	case orb.Collection:
		gc := geom.NewGeometryCollection()
		for _, x := range g {
			t, err := FromOrb(x)
			if err != nil {
				return nil, err
			}
			if err := gc.Push(t); err != nil {
				return nil, err
			}
		}
		return gc.SetSRID(4326), nil
	}
	return nil, fmt.Errorf("geo: unsupported orb geometry %T", g)
}

func flatten[P ~[]orb.Point](ps P) []float64 {
	out := make([]float64, 0, 2*len(ps))
	for _, p := range ps {
		out = append(out, p[0], p[1])
	}
	return out
}

// Dims numbers the layouts a stored geometry may have: 0 for XY, 1 XYZ,
// 2 XYM, 3 XYZM (the thousands of ISO WKB type codes; one less than the
// envelope indicator of GeoPackage binary). ok is false for other layouts.
func Dims(l geom.Layout) (n int, ok bool) {
	switch l {
	case geom.XY:
		return 0, true
	case geom.XYZ:
		return 1, true
	case geom.XYM:
		return 2, true
	case geom.XYZM:
		return 3, true
	}
	return 0, false
}

// TypeName returns the GeoJSON type name of g ("Point", ...,
// "GeometryCollection"), or "" for nil or a type GeoJSON has no name for.
func TypeName(g geom.T) string {
	switch g.(type) {
	case *geom.Point:
		return "Point"
	case *geom.LineString:
		return "LineString"
	case *geom.Polygon:
		return "Polygon"
	case *geom.MultiPoint:
		return "MultiPoint"
	case *geom.MultiLineString:
		return "MultiLineString"
	case *geom.MultiPolygon:
		return "MultiPolygon"
	case *geom.GeometryCollection:
		return "GeometryCollection"
	}
	return ""
}
