package gpkg

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cityatlas/cityatlas/geo"
	"github.com/cityatlas/cityatlas/internal/tooltest"

	"github.com/twpayne/go-geom"

	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/storetest"
)

// needTool returns the path of a GDAL command line tool (see tooltest).
func needTool(t *testing.T, name string) string { return tooltest.Need(t, name, "gdal-bin") }

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// ogrLayer is what `ogrinfo -so -al` says about one layer.
type ogrLayer struct {
	geometry string
	count    int
	extent   string
	fields   map[string]string // name → type as ogrinfo prints it
}

var fieldLine = regexp.MustCompile(`^(\w+): ([\w()]+) \(`)

func parseOgrinfo(t *testing.T, out string) map[string]*ogrLayer {
	t.Helper()
	layers := map[string]*ogrLayer{}
	var cur *ogrLayer
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "Layer name: "):
			cur = &ogrLayer{fields: map[string]string{}}
			layers[strings.TrimPrefix(line, "Layer name: ")] = cur
		case cur == nil:
		case strings.HasPrefix(line, "Geometry: "):
			cur.geometry = strings.TrimPrefix(line, "Geometry: ")
		case strings.HasPrefix(line, "Feature Count: "):
			n, err := strconv.Atoi(strings.TrimPrefix(line, "Feature Count: "))
			if err != nil {
				t.Fatalf("ogrinfo line %q: %v", line, err)
			}
			cur.count = n
		case strings.HasPrefix(line, "Extent: "):
			cur.extent = strings.TrimPrefix(line, "Extent: ")
		default:
			if m := fieldLine.FindStringSubmatch(line); m != nil {
				cur.fields[m[1]] = m[2]
			}
		}
	}
	return layers
}

// gdalFixture writes two collections into a fresh GeoPackage, closes it and
// returns its path with the features as written.
func gdalFixture(t *testing.T) (string, map[string][]store.Feature) {
	ctx := context.Background()
	s, path := MustOpen(t)
	signs := storetest.MustCreate(t, s, storetest.Assets("stop_signs", store.GeometryPoint))
	parks := storetest.MustCreate(t, s, store.Collection{
		ID: "parks", Title: "Parks", Geometry: store.GeometryPolygon,
		Fields: []store.Field{{Name: "name", Type: store.TypeString}, {Name: "acres", Type: store.TypeNumber}},
	})
	type rec struct {
		g     geom.T
		props map[string]any
	}
	signRecs := []rec{
		{storetest.Point(-115.5694, 32.8476), map[string]any{"name": "Main & 1st", "lanes": 4, "height": 2.25, "lit": true,
			"installed": "2019-04-30", "seen": "2024-01-02T03:04:05.5Z", "condition": "good"}},
		{storetest.Point(-115.5, 32.9), map[string]any{"name": "Ünïcode \"quoted\"", "lit": false, "condition": "poor"}},
		{geom.NewPointFlat(geom.XYZ, []float64{-115.6, 32.8, 12}), map[string]any{"lanes": -2, "seen": "2023-12-31T23:59:59Z"}},
		{storetest.Point(-115.55, 32.85), map[string]any{"name": "to delete"}},
	}
	parkRecs := []rec{
		{geom.NewPolygonFlat(geom.XY, []float64{-115.6, 32.8, -115.5, 32.8, -115.5, 32.9, -115.6, 32.9, -115.6, 32.8,
			-115.58, 32.82, -115.58, 32.84, -115.56, 32.84, -115.56, 32.82, -115.58, 32.82}, []int{10, 20}),
			map[string]any{"name": "Holed", "acres": 12.5}},
		{geom.NewMultiPolygonFlat(geom.XY, []float64{-115.4, 33, -115.3, 33, -115.3, 33.1, -115.4, 33}, [][]int{{8}}),
			map[string]any{"name": "Multi"}},
	}
	write := func(c store.Collection, recs []rec) []store.Feature {
		var ms []store.Mutation
		for i, r := range recs {
			ms = append(ms, store.Mutation{Op: store.OpInsert, Feature: store.Feature{
				ExternalID: fmt.Sprint(c.ID, "-", i), Geometry: r.g, Properties: storetest.Props(t, c, r.props)}})
		}
		var out []store.Feature
		for _, r := range storetest.MustApply(t, s, c.ID, ms...) {
			out = append(out, r.Feature)
		}
		return out
	}
	fs := map[string][]store.Feature{"stop_signs": write(signs, signRecs), "parks": write(parks, parkRecs)}
	// An update that moves a point and a delete: the R-tree triggers must
	// follow them.
	moved := fs["stop_signs"][1]
	moved.Geometry = storetest.Point(-115.45, 32.95)
	r := storetest.MustApply(t, s, signs.ID, store.Mutation{Op: store.OpUpdate, Feature: moved})[0]
	fs["stop_signs"][1] = r.Feature
	storetest.MustApply(t, s, signs.ID, store.Mutation{Op: store.OpDelete, Feature: fs["stop_signs"][3]})
	fs["stop_signs"] = fs["stop_signs"][:3]
	if _, err := s.Collections(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path, fs
}

func TestGDALReadsFile(t *testing.T) {
	ogrinfo := needTool(t, "ogrinfo")
	ogr2ogr := needTool(t, "ogr2ogr")
	path, written := gdalFixture(t)

	t.Run("layers", func(t *testing.T) {
		out := run(t, ogrinfo, "-ro", path)
		// parks holds a Polygon and a MultiPolygon: it is a Polygon layer
		// all the same, the collection's type.
		for _, want := range []string{": stop_signs (3D Point)\n", ": parks (Polygon)\n"} {
			if !strings.Contains(out, want) {
				t.Errorf("ogrinfo does not list %q:\n%s", want, out)
			}
		}
		for _, hidden := range []string{"cityatlas_collections", "cityatlas_sequence", "cityatlas_changes", "cityatlas_keys", "cityatlas_versions"} {
			if strings.Contains(out, hidden) {
				t.Errorf("ogrinfo lists internal table %s:\n%s", hidden, out)
			}
		}
	})

	t.Run("summary", func(t *testing.T) {
		layers := parseOgrinfo(t, run(t, ogrinfo, "-ro", "-so", "-al", path))
		cases := []struct {
			layer, geometry string
			count           int
			extent          string
			fields          map[string]string
		}{
			{"stop_signs", "3D Point", 3, "(-115.600000, 32.800000) - (-115.450000, 32.950000)", map[string]string{
				"name": "String", "lanes": "Integer64", "height": "Real", "lit": "Integer(Boolean)",
				"installed": "Date", "seen": "DateTime", "condition": "String",
				"external_id": "String", "version": "Integer64", "created": "DateTime", "updated": "DateTime",
			}},
			{"parks", "Polygon", 2, "(-115.600000, 32.800000) - (-115.300000, 33.100000)", map[string]string{
				"name": "String", "acres": "Real", "external_id": "String",
			}},
		}
		for _, tc := range cases {
			l := layers[tc.layer]
			if l == nil {
				t.Errorf("no layer %s", tc.layer)
				continue
			}
			if l.geometry != tc.geometry || l.count != tc.count || l.extent != tc.extent {
				t.Errorf("%s: geometry %q count %d extent %q, want %q %d %q", tc.layer, l.geometry, l.count, l.extent, tc.geometry, tc.count, tc.extent)
			}
			for name, typ := range tc.fields {
				if l.fields[name] != typ {
					t.Errorf("%s.%s: type %q, want %q", tc.layer, name, l.fields[name], typ)
				}
			}
		}
	})

	t.Run("spatial filter uses the R-tree", func(t *testing.T) {
		cases := []struct {
			name string
			spat []string
			want int
		}{
			{"moved point at new place", []string{"-115.46", "32.94", "-115.44", "32.96"}, 1},
			{"moved point's old place", []string{"-115.51", "32.89", "-115.49", "32.91"}, 0},
			{"deleted point", []string{"-115.551", "32.849", "-115.549", "32.851"}, 0},
			{"everything", []string{"-116", "32", "-115", "34"}, 3},
		}
		for _, tc := range cases {
			args := append([]string{"-ro", "-so", "-spat"}, tc.spat...)
			args = append(args, path, "stop_signs")
			l := parseOgrinfo(t, run(t, ogrinfo, args...))["stop_signs"]
			if l == nil || l.count != tc.want {
				t.Errorf("%s: %+v, want count %d", tc.name, l, tc.want)
			}
		}
	})

	t.Run("ogr2ogr GeoJSON", func(t *testing.T) {
		for layer, fs := range written {
			out := filepath.Join(t.TempDir(), layer+".geojson")
			run(t, ogr2ogr, "-f", "GeoJSON", "-preserve_fid", out, path, layer)
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			var fc struct {
				Features []struct {
					ID         int64          `json:"id"`
					Geometry   map[string]any `json:"geometry"`
					Properties map[string]any `json:"properties"`
				} `json:"features"`
			}
			if err := json.Unmarshal(b, &fc); err != nil {
				t.Fatal(err)
			}
			if len(fc.Features) != len(fs) {
				t.Fatalf("%s: %d features, want %d", layer, len(fc.Features), len(fs))
			}
			for i, got := range fc.Features {
				want := fs[i]
				if got.ID != want.ID || got.Properties["external_id"] != want.ExternalID || got.Properties["version"] != float64(want.Version) {
					t.Errorf("%s feature %d: id %d external_id %v version %v, want %d %q %d", layer, i, got.ID,
						got.Properties["external_id"], got.Properties["version"], want.ID, want.ExternalID, want.Version)
				}
				if gt := got.Geometry["type"]; gt != geo.TypeName(want.Geometry) {
					t.Errorf("%s feature %d: geometry %v, want %s", layer, i, gt, geo.TypeName(want.Geometry))
				}
				var props map[string]any
				if err := json.Unmarshal(want.Properties, &props); err != nil {
					t.Fatal(err)
				}
				for k, v := range props {
					if !sameProperty(got.Properties[k], v) {
						t.Errorf("%s feature %d: %s = %#v, want %#v", layer, i, k, got.Properties[k], v)
					}
				}
				for k, v := range got.Properties {
					if _, ok := props[k]; !ok && v != nil && !systemColumn[k] {
						t.Errorf("%s feature %d: unexpected %s = %v", layer, i, k, v)
					}
				}
			}
		}
	})

	t.Run("validate_gpkg.py", func(t *testing.T) {
		script := "/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py"
		python, err := exec.LookPath("python3")
		if _, serr := os.Stat(script); serr != nil || err != nil {
			t.Skip("GDAL's validate_gpkg.py (Debian package python3-gdal) not installed")
		}
		// parks holds a Polygon and a MultiPolygon in its Polygon layer, as
		// ogr2ogr writes a shapefile's polygons; requirement 32 would have
		// GEOMETRY there, which QGIS shows as "Unknown". The rest of the
		// file is checked on a copy without the MultiPolygon.
		cp := filepath.Join(t.TempDir(), "copy.gpkg")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(cp, b, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := Open(context.Background(), cp)
		if err != nil {
			t.Fatal(err)
		}
		storetest.MustApply(t, s, "parks", store.Mutation{Op: store.OpDelete, Feature: written["parks"][1]})
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		run(t, python, script, "--extra", "--warning-as-error", cp)
	})
}

var systemColumn = map[string]bool{"external_id": true, "version": true, "created": true, "updated": true}

// sameProperty compares a property as GDAL's GeoJSON has it with the
// canonical JSON value: booleans come out as true/false, datetimes in
// another (equal) spelling.
func sameProperty(got, want any) bool {
	if got == want {
		return true
	}
	gs, ok1 := got.(string)
	ws, ok2 := want.(string)
	if ok1 && ok2 {
		gt, err1 := time.Parse(time.RFC3339Nano, strings.Replace(strings.Replace(gs, "/", "-", 2), " ", "T", 1))
		wt, err2 := time.Parse(time.RFC3339Nano, ws)
		return err1 == nil && err2 == nil && gt.Equal(wt)
	}
	return false
}
