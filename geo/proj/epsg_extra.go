package proj

import (
	_ "embed" // the table below
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
)

// epsgExtra is every projected CRS of the EPSG dataset (as PROJ's proj.db
// has it) on NAD83 and its realisations, NAD27 or WGS 84 whose projection
// this package implements (Transverse Mercator, Lambert Conic Conformal
// 2SP, Albers) in metres, US survey feet or international feet: State
// Plane on NAD83, NAD83(HARN), NAD83(NSRS2007), NAD83(2011) and NAD27,
// UTM zones north and south, state and county systems. The numbers are
// facts of the EPSG dataset, written by scripts/epsggen (angles in
// degrees, false easting and northing in the CRS's unit, areas of use in
// WGS84 degrees [west, south, east, north], the datum as this package
// treats it and the base geographic CRS's code). The hand-kept table
// (builtinEntries, spcsZones) wins where both have a code.
//
//go:embed epsg_extra.csv
var epsgExtra string

// extraEntries parses epsgExtra. The table is fixed: TestExtraTable checks
// that every row parses and builds.
func extraEntries() ([]builtinEntry, map[string]string, error) {
	recs, err := csv.NewReader(strings.NewReader(epsgExtra)).ReadAll()
	if err != nil {
		return nil, nil, fmt.Errorf("epsg_extra.csv: %w", err)
	}
	var out []builtinEntry
	bases := map[string]string{}
	for i, r := range recs[1:] {
		if len(r) != 16 || len(r[2]) != 1 {
			return nil, nil, fmt.Errorf("epsg_extra.csv: row %d: %d columns", i+2, len(r))
		}
		var nums [10]float64
		for j, s := range append(r[4:10:10], r[10:14]...) {
			if nums[j], err = strconv.ParseFloat(s, 64); err != nil {
				return nil, nil, fmt.Errorf("epsg_extra.csv: row %d: %w", i+2, err)
			}
		}
		z := spcsZone{code: r[0], name: r[1], method: r[2][0], lat0: nums[0], lon0: nums[1], p1: nums[2], p2: nums[3], fe: nums[4], fn: nums[5],
			area: [4]float64{nums[6], nums[7], nums[8], nums[9]}}
		switch r[3] {
		case "m":
			z.unit = m
		case "ftUS":
			z.unit = ftUS
		case "ft":
			z.unit = ft
		default:
			return nil, nil, fmt.Errorf("epsg_extra.csv: row %d: unit %q", i+2, r[3])
		}
		e := builtinEntry{def: z}
		bases[z.code] = r[15]
		switch r[14] {
		case "NAD83":
			e.ell, e.datum = grs80, datumNAD83
		case "NAD27":
			e.ell, e.datum = clarke1866, datumNAD27
		case "WGS84":
			e.ell, e.datum = wgs84Ell, datumWGS84
		default:
			return nil, nil, fmt.Errorf("epsg_extra.csv: row %d: datum %q", i+2, r[14])
		}
		out = append(out, e)
	}
	return out, bases, nil
}
