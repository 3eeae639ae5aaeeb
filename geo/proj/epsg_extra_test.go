package proj

import (
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestExtraTable: every row of epsg_extra.csv parses and builds, and the
// codes the issue named are there.
func TestExtraTable(t *testing.T) {
	extra, _, err := extraEntries()
	if err != nil {
		t.Fatal(err)
	}
	if len(extra) < 1900 {
		t.Fatalf("%d extra codes, want the EPSG dataset's ~1,910", len(extra))
	}
	for _, e := range extra {
		if _, err := e.build(); err != nil {
			t.Errorf("%s: %v", e.def.code, err)
		}
	}
	for code, name := range map[string]string{
		"EPSG:2802":  "NAD83(HARN) / Maine East",
		"EPSG:26847": "NAD83 / Maine East (ftUS)",
		"EPSG:32185": "NAD83 / MTM zone 5", // beyond State Plane
		"EPSG:26711": "NAD27 / UTM zone 11N",
		"EPSG:32011": "NAD27 / New Jersey",
		"EPSG:6423":  "NAD83(2011) / California zone 5",
		"EPSG:32761": "",
	} {
		c, err := Parse(code)
		if err != nil {
			if name == "" {
				continue // polar stereographic: not a family this package has
			}
			t.Errorf("%s: %v", code, err)
			continue
		}
		if c.Name() != name {
			t.Errorf("%s is %q, want %q", code, c.Name(), name)
		}
	}
}

// TestExtraTableAgainstGDAL compares a sample of the table (every 40th
// row and the codes issue 16 named) with what GDAL's gdalsrsinfo says of
// each code, parameter by parameter.
func TestExtraTableAgainstGDAL(t *testing.T) {
	gdalsrsinfo, err := exec.LookPath("gdalsrsinfo")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("gdalsrsinfo not found: install the Debian/Ubuntu package gdal-bin")
		}
		t.Skip("gdalsrsinfo not found")
	}
	extra, _, err := extraEntries()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i, e := range extra {
		z := e.def
		if i%40 != 0 && z.code != "EPSG:2802" && z.code != "EPSG:26847" {
			continue
		}
		out, err := exec.Command(gdalsrsinfo, "-o", "proj4", z.code).Output()
		if err != nil {
			t.Errorf("gdalsrsinfo %s: %v", z.code, err)
			continue
		}
		p := proj4Params(strings.TrimSpace(string(out)))
		n++
		want := map[string]float64{"lat_0": z.lat0, "lon_0": z.lon0, "x_0": z.fe * z.unit, "y_0": z.fn * z.unit}
		switch z.method {
		case tm:
			want["k"] = z.p1
		case lcc, aea:
			want["lat_1"], want["lat_2"] = z.p1, z.p2
		}
		method := map[byte]string{tm: "tmerc", lcc: "lcc", aea: "aea"}[z.method]
		if p["proj"] == "utm" {
			// +proj=utm +zone=N [+south] is Transverse Mercator with these.
			zone, _ := strconv.Atoi(p["zone"])
			p["proj"], p["lat_0"], p["lon_0"], p["k"], p["x_0"], p["y_0"] = "tmerc", "0", strconv.Itoa(6*zone-183), "0.9996", "500000", "0"
			if _, south := p["south"]; south {
				p["y_0"] = "10000000"
			}
		}
		if p["proj"] != method {
			t.Errorf("%s: GDAL says +proj=%s, the table %s", z.code, p["proj"], method)
			continue
		}
		for k, w := range want {
			g, err := strconv.ParseFloat(p[k], 64)
			if p[k] == "" {
				g, err = 0, nil // proj4 leaves out zeros
				if k == "k" {
					g = 1
				}
			}
			tol := 1e-9
			if k == "x_0" || k == "y_0" {
				tol = 1e-3 // metres
			}
			if err != nil || math.Abs(g-w) > tol {
				t.Errorf("%s: %s = %v in the table, %q in GDAL", z.code, k, w, p[k])
			}
		}
		unit := map[string]float64{"m": m, "us-ft": ftUS, "ft": ft}[p["units"]]
		if unit != z.unit {
			t.Errorf("%s: unit %v m in the table, +units=%s in GDAL", z.code, z.unit, p["units"])
		}
		datum := p["datum"]
		if datum == "" {
			datum = p["ellps"]
		}
		wantDatum := map[string][]string{grs80.name: {"NAD83", "GRS80"}, clarke1866.name: {"NAD27", "clrk66"}, wgs84Ell.name: {"WGS84"}}[e.ell.name]
		if !contains(wantDatum, datum) {
			t.Errorf("%s: ellipsoid %s in the table, %s in GDAL", z.code, e.ell.name, datum)
		}
	}
	if n < 45 {
		t.Errorf("only %d codes compared", n)
	}
	t.Logf("%d codes compared with gdalsrsinfo", n)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// proj4Params splits "+proj=tmerc +lat_0=1 +south" into a map.
func proj4Params(s string) map[string]string {
	out := map[string]string{}
	for _, f := range strings.Fields(s) {
		k, v, _ := strings.Cut(strings.TrimPrefix(f, "+"), "=")
		out[k] = v
	}
	return out
}
