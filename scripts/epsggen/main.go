// Command epsggen writes geo/proj's table of extra EPSG codes
// (epsg_extra.csv) from PROJ's database: every projected CRS of the EPSG
// dataset, not deprecated, on NAD83 (and its realisations HARN, NSRS2007,
// 2011, CSRS), NAD27 or WGS 84, whose projection is one that geo/proj
// implements (Transverse Mercator, Lambert Conic Conformal 2SP, Albers
// Equal Area; Lambert cones of the northern hemisphere) in metres, US
// survey feet or international feet, with axes
// east then north (what GIS files hold). The values
// written are facts of the EPSG dataset; the database itself is not part of
// cityatlas.
//
//	go run ./scripts/epsggen -db /usr/share/proj/proj.db > geo/proj/epsg_extra.csv
package main

import (
	"database/sql"
	"encoding/csv"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"strconv"

	_ "modernc.org/sqlite"
)

func main() {
	db := flag.String("db", "/usr/share/proj/proj.db", "PROJ's proj.db")
	flag.Parse()
	if err := run(*db); err != nil {
		log.Fatal(err)
	}
}

// datums maps the geodetic CRS codes to the datum names geo/proj knows.
var datums = map[string]string{
	"4269": "NAD83", "4152": "NAD83", "4759": "NAD83", "6318": "NAD83", "4617": "NAD83",
	"4267": "NAD27", "4326": "WGS84",
}

// methods maps EPSG method codes to geo/proj's letters and the parameter
// codes in the order lat0, lon0, p1, p2, fe, fn (p1 is the scale factor
// for Transverse Mercator, p2 unused).
var methods = map[string]struct {
	letter string
	params [6]string
}{
	"9807": {"T", [6]string{"8801", "8802", "8805", "", "8806", "8807"}},
	"9802": {"L", [6]string{"8821", "8822", "8823", "8824", "8826", "8827"}},
	"9822": {"A", [6]string{"8821", "8822", "8823", "8824", "8826", "8827"}},
}

// units maps EPSG length unit codes to metres per unit and geo/proj's names.
var units = map[string]struct {
	m    float64
	name string
}{
	"9001": {1, "m"}, "9003": {1200.0 / 3937, "ftUS"}, "9002": {0.3048, "ft"},
}

func run(path string) error {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.Query(`
SELECT p.code, p.name, p.geodetic_crs_code, c.method_code,
       coalesce(c.param1_code, ''), coalesce(c.param1_value, 0), coalesce(c.param1_uom_code, ''),
       coalesce(c.param2_code, ''), coalesce(c.param2_value, 0), coalesce(c.param2_uom_code, ''),
       coalesce(c.param3_code, ''), coalesce(c.param3_value, 0), coalesce(c.param3_uom_code, ''),
       coalesce(c.param4_code, ''), coalesce(c.param4_value, 0), coalesce(c.param4_uom_code, ''),
       coalesce(c.param5_code, ''), coalesce(c.param5_value, 0), coalesce(c.param5_uom_code, ''),
       coalesce(c.param6_code, ''), coalesce(c.param6_value, 0), coalesce(c.param6_uom_code, ''),
       coalesce(c.param7_code, ''), coalesce(c.param7_value, 0), coalesce(c.param7_uom_code, ''),
       (SELECT a.uom_code FROM axis a WHERE a.coordinate_system_auth_name = p.coordinate_system_auth_name
          AND a.coordinate_system_code = p.coordinate_system_code ORDER BY a.coordinate_system_order LIMIT 1),
       e.west_lon, e.south_lat, e.east_lon, e.north_lat
FROM projected_crs p
JOIN conversion c ON c.auth_name = p.conversion_auth_name AND c.code = p.conversion_code
JOIN usage u ON u.object_table_name = 'projected_crs' AND u.object_auth_name = p.auth_name AND u.object_code = p.code
JOIN extent e ON e.auth_name = u.extent_auth_name AND e.code = u.extent_code
WHERE p.auth_name = 'EPSG' AND p.deprecated = 0 AND p.geodetic_crs_auth_name = 'EPSG'
  AND p.geodetic_crs_code IN ('4269', '4152', '4759', '6318', '4617', '4267', '4326')
  AND c.method_auth_name = 'EPSG' AND c.method_code IN ('9807', '9802', '9822')
  AND (SELECT group_concat(orientation, ',') FROM (SELECT a.orientation FROM axis a WHERE a.coordinate_system_auth_name = p.coordinate_system_auth_name
          AND a.coordinate_system_code = p.coordinate_system_code ORDER BY a.coordinate_system_order)) = 'east,north'
GROUP BY p.code
ORDER BY CAST(p.code AS INTEGER)`)
	if err != nil {
		return err
	}
	defer rows.Close()
	w := csv.NewWriter(os.Stdout)
	w.Write([]string{"code", "name", "method", "unit", "lat0", "lon0", "p1", "p2", "fe", "fn", "west", "south", "east", "north", "datum", "base"})
	n := 0
	for rows.Next() {
		var code, name, gcrs, method, unit string
		var pc [7]string
		var pv [7]float64
		var pu [7]string
		var area [4]float64
		dest := []any{&code, &name, &gcrs, &method}
		for i := range 7 {
			dest = append(dest, &pc[i], &pv[i], &pu[i])
		}
		dest = append(dest, &unit, &area[0], &area[1], &area[2], &area[3])
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		u, ok := units[unit]
		if !ok {
			continue
		}
		m := methods[method]
		vals := map[string]float64{}
		bad := false
		for i := range 7 {
			if pc[i] == "" {
				continue
			}
			v, err := convert(pv[i], pu[i], u.m)
			if err != nil {
				bad = true
				break
			}
			vals[pc[i]] = v
		}
		if bad {
			continue
		}
		rec := []string{"EPSG:" + code, name, m.letter, u.name}
		for _, p := range m.params {
			v, ok := vals[p]
			if p != "" && !ok {
				bad = true
			}
			rec = append(rec, num(v))
		}
		if bad || m.letter == "L" && vals["8823"]+vals["8824"] < 0 {
			// geo/proj's Lambert conic is the northern hemisphere's.
			continue
		}
		for _, a := range area {
			rec = append(rec, num(a))
		}
		rec = append(rec, datums[gcrs], "EPSG:"+gcrs)
		w.Write(rec)
		n++
	}
	w.Flush()
	log.Printf("%d codes", n)
	return rows.Err()
}

// convert turns a parameter value into degrees (angles), the CRS's unit
// (lengths, given its metres per unit) or a plain number (scale).
func convert(v float64, uom string, unitM float64) (float64, error) {
	switch uom {
	case "9102", "9122":
		return v, nil
	case "9110": // sexagesimal DMS: D.MMSSsss
		return sexagesimal(v), nil
	case "9105": // grad
		return v * 0.9, nil
	case "9201", "9202":
		return v, nil
	case "9001", "9002", "9003", "9005", "9030", "9036":
		per := map[string]float64{"9001": 1, "9002": 0.3048, "9003": 1200.0 / 3937}[uom]
		if per == 0 {
			return 0, fmt.Errorf("unit %s", uom)
		}
		return v * per / unitM, nil
	}
	return 0, fmt.Errorf("unit %s", uom)
}

func sexagesimal(v float64) float64 {
	sign := 1.0
	if v < 0 {
		sign, v = -1, -v
	}
	// Rounded to avoid 43.39999... giving 43° 39' 99".
	s := strconv.FormatFloat(v, 'f', 10, 64)
	x, _ := strconv.ParseFloat(s, 64)
	d := math.Floor(x)
	rest := math.Round((x-d)*1e10) / 1e10 * 100
	mins := math.Floor(rest + 1e-9)
	secs := (rest - mins) * 100
	return sign * (d + mins/60 + secs/3600)
}

func num(v float64) string {
	return strconv.FormatFloat(v, 'g', -1, 64)
}
