package ingest

import (
	"context"
	"encoding/csv"
	"errors"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/cityatlas/cityatlas/geo"
	"github.com/cityatlas/cityatlas/store"
)

// TestImportReimport imports real files into new collections, then imports
// them again: the second time everything is unchanged.
func TestImportReimport(t *testing.T) {
	cases := []struct {
		name     string
		file     string
		opts     Options
		rows     int
		geometry store.GeometryType
		// bbox every geometry must fall in: [minLon, minLat, maxLon, maxLat]
		bbox [4]float64
	}{
		{"shapefile suite points", suitePoints, Options{}, 9, store.GeometryPoint, [4]float64{0, 0, 20, 20}},
		{"chicago landmarks csv", landmarks, Options{}, 317, store.GeometryPoint, [4]float64{-88, 41.6, -87.5, 42.1}},
		{"bangor parks geojson", bangorParks, Options{}, 60, store.GeometryMultiPolygon, [4]float64{-68.9, 44.7, -68.6, 44.9}},
		{"osm points geojson", osmPoints, Options{IDField: "@id"}, 11354, store.GeometryPoint, [4]float64{-123.2, 36.8, -121.2, 38.9}},
	}
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			b := be.open(t)
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					opts := tc.opts
					opts.Collection = Sanitize(tc.name)
					opts.Create = true
					rep := mustRun(t, b, []string{tc.file}, opts)
					if rep.Read != tc.rows || rep.Inserted != tc.rows || rep.Rejected != 0 || !rep.Committed || !rep.Created {
						t.Fatalf("first import: %+v, want %d rows inserted", rep, tc.rows)
					}
					if rep.Geometry != tc.geometry {
						t.Errorf("geometry type %s, want %s", rep.Geometry, tc.geometry)
					}
					got := all(t, b, opts.Collection)
					if len(got) != tc.rows {
						t.Fatalf("%d features stored, want %d", len(got), tc.rows)
					}
					for id, f := range got {
						r, ok := geo.Bounds(f.Geometry)
						if !ok {
							t.Fatalf("feature %s has no geometry", id)
						}
						if r[0] < tc.bbox[0] || r[1] < tc.bbox[1] || r[2] > tc.bbox[2] || r[3] > tc.bbox[3] {
							t.Fatalf("feature %s at %v, outside %v", id, r, tc.bbox)
						}
					}
					opts.Create = false
					again := mustRun(t, b, []string{tc.file}, opts)
					if again.Unchanged != tc.rows || again.Inserted != 0 || again.Updated != 0 {
						t.Fatalf("re-import: inserted %d, updated %d, unchanged %d; want all %d unchanged", again.Inserted, again.Updated, again.Unchanged, tc.rows)
					}
				})
			}
		})
	}
}

// TestLandmarksSchema checks what --create made of the Socrata CSV.
func TestLandmarksSchema(t *testing.T) {
	b := openGPKG(t)
	rep := mustRun(t, b, []string{landmarks}, Options{Collection: "landmarks", Create: true})
	want := map[string]store.FieldType{"landmark_name": store.TypeString, "id_1": store.TypeString, "landmark_designation_date": store.TypeDate}
	for _, f := range rep.Fields {
		if typ, ok := want[f.Name]; ok && typ != f.Type {
			t.Errorf("field %s: %s, want %s", f.Name, f.Type, typ)
		}
		delete(want, f.Name)
	}
	if len(want) > 0 {
		t.Errorf("fields missing: %v (have %v)", want, rep.Fields)
	}
	renamed := map[string]string{}
	for _, r := range rep.Renamed {
		renamed[r.From] = r.To
	}
	if renamed["LANDMARK NAME"] != "landmark_name" || renamed["ID"] != "id_1" {
		t.Errorf("renames %v", rep.Renamed)
	}
	f := all(t, b, "landmarks")["Individual_Landmarks.csv#1"]
	v, _ := f.Properties.Get("landmark_name")
	if v.String() != "(Former) Mid-City Trust and Savings Bank Buildings" {
		t.Errorf("record 1 landmark_name = %q", v.String())
	}
	if c := f.Geometry.FlatCoords(); math.Abs(c[0]+87.6476950505) > 1e-9 || math.Abs(c[1]-41.8814844224) > 1e-9 {
		t.Errorf("record 1 at %v", c)
	}
}

// TestDuplicateIDs: the landmarks file gives "L- 78" twice; with it as the
// id field the import is refused and the report names the row.
func TestDuplicateIDs(t *testing.T) {
	b := openGPKG(t)
	rep, err := Run(context.Background(), b, []string{landmarks}, Options{Collection: "landmarks", Create: true, IDField: "ID"})
	if !errors.Is(err, ErrRejected) {
		t.Fatalf("err = %v, want ErrRejected", err)
	}
	if len(rep.Problems) != 1 || rep.Problems[0].Record != 233 || rep.Problems[0].Field != "ID" || !strings.Contains(rep.Problems[0].Error(), "record 83") {
		t.Fatalf("problems %v", rep.Problems)
	}
	if hasCollection(t, b, "landmarks") {
		t.Fatal("the collection made for the failed import is still there")
	}
	rep = mustRun(t, b, []string{landmarks}, Options{Collection: "landmarks", Create: true, IDField: "ID", SkipInvalid: true})
	if rep.Inserted != 316 || rep.Updated != 1 || rep.Rejected != 0 || !strings.Contains(strings.Join(rep.Notes, "\n"), "record 233") {
		t.Fatalf("skip-invalid: inserted %d, updated %d, rejected %d, notes %q", rep.Inserted, rep.Updated, rep.Rejected, rep.Notes)
	}
}

const assetsCSV = `asset_id,kind,lanes,installed,lon,lat
S1,signal,2,2019-04-01,-115.56,32.79
S2,stop,1,2020-01-15,-115.55,32.80
S3,signal,4,2018-07-30,-115.54,32.78
S4,stop,1,2021-11-02,-115.53,32.77
`

// assetsCollection is an existing collection the CSVs are imported into.
var assetsCollection = store.Collection{ID: "assets", Title: "Assets", Geometry: store.GeometryPoint, Fields: []store.Field{
	{Name: "asset_id", Type: store.TypeString},
	{Name: "kind", Type: store.TypeString, Values: []string{"signal", "stop"}},
	{Name: "lanes", Type: store.TypeInteger},
	{Name: "installed", Type: store.TypeDate},
}}

// TestAllOrNothing: on both backends, a file with bad rows changes nothing
// and the report names every bad row; --skip-invalid imports the others; a
// corrected file updates in place.
func TestAllOrNothing(t *testing.T) {
	bad := strings.NewReplacer("S2,stop,1,", "S2,stop,one,", "S4,stop,", "S4,yield,").Replace(assetsCSV)
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			b := be.open(t)
			if _, err := b.CreateCollection(ctx, assetsCollection); err != nil {
				t.Fatal(err)
			}
			good := writeFile(t, "assets.csv", assetsCSV)
			opts := Options{Collection: "assets", IDField: "asset_id"}
			rep := mustRun(t, b, []string{good}, opts)
			if rep.Inserted != 4 {
				t.Fatalf("inserted %d, want 4", rep.Inserted)
			}
			before := all(t, b, "assets")
			seq := lastSeq(t, b)

			badFile := writeFile(t, "assets-bad.csv", bad)
			rep, err := Run(ctx, b, []string{badFile}, opts)
			if !errors.Is(err, ErrRejected) {
				t.Fatalf("err = %v, want ErrRejected", err)
			}
			if rep.Committed || rep.Rejected != 2 || len(rep.Problems) != 2 {
				t.Fatalf("report %+v", rep)
			}
			wantRows := []struct {
				record int
				field  string
			}{{2, "lanes"}, {4, "kind"}}
			for i, w := range wantRows {
				p := rep.Problems[i]
				if p.File != badFile || p.Record != w.record || p.Field != w.field {
					t.Errorf("problem %d: %v; want record %d field %s", i, p, w.record, w.field)
				}
			}
			if got := lastSeq(t, b); got != seq {
				t.Fatalf("change log moved from %d to %d", seq, got)
			}
			assertSame(t, before, all(t, b, "assets"))

			// --skip-invalid writes the two good rows (unchanged here).
			opts.SkipInvalid = true
			rep = mustRun(t, b, []string{badFile}, opts)
			if rep.Unchanged != 2 || rep.Rejected != 2 || rep.Updated+rep.Inserted != 0 {
				t.Fatalf("skip-invalid: %+v", rep)
			}
			opts.SkipInvalid = false

			// A corrected file updates one feature in place.
			fixed := writeFile(t, "assets-fixed.csv", strings.Replace(assetsCSV, "S3,signal,4,", "S3,signal,6,", 1))
			rep = mustRun(t, b, []string{fixed}, opts)
			if rep.Updated != 1 || rep.Unchanged != 3 || rep.Inserted != 0 {
				t.Fatalf("corrected file: %+v", rep)
			}
			after := all(t, b, "assets")
			if after["S3"].ID != before["S3"].ID || after["S3"].Version != before["S3"].Version+1 {
				t.Errorf("S3 was not updated in place: before %d v%d, after %d v%d", before["S3"].ID, before["S3"].Version, after["S3"].ID, after["S3"].Version)
			}
			if v, _ := after["S3"].Properties.Get("lanes"); v.Int() != 6 {
				t.Errorf("S3 lanes = %v, want 6", v)
			}
		})
	}
}

func assertSame(t *testing.T, want, got map[string]store.Feature) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d features, want %d", len(got), len(want))
	}
	for id, w := range want {
		g := got[id]
		if g.ID != w.ID || g.Version != w.Version || string(g.Properties) != string(w.Properties) {
			t.Errorf("feature %s changed: %+v, was %+v", id, g, w)
		}
	}
}

// TestCreateFailsLeavesNothing: with --create, a failed import removes the
// collection it made (both backends).
func TestCreateFailsLeavesNothing(t *testing.T) {
	csvText := assetsCSV + "S5,stop,1,2021-11-02,-115.53,\n" // no latitude
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			b := be.open(t)
			f := writeFile(t, "assets.csv", csvText)
			seq := lastSeq(t, b)
			rep, err := Run(context.Background(), b, []string{f}, Options{Collection: "fresh", Create: true, IDField: "asset_id"})
			if !errors.Is(err, ErrRejected) || len(rep.Problems) != 1 || rep.Problems[0].Record != 5 {
				t.Fatalf("err %v, problems %v", err, rep.Problems)
			}
			if hasCollection(t, b, "fresh") || lastSeq(t, b) != seq {
				t.Fatal("the failed import left something behind")
			}
		})
	}
}

// TestSanityBangorParking: the parking lots' .prj says metres, the data is
// in feet: every row lands in the Gulf of St Lawrence and is flagged before
// anything is written. Naming the right CRS imports them into Bangor.
func TestSanityBangorParking(t *testing.T) {
	b := openGPKG(t)
	rep, err := Run(context.Background(), b, []string{parking}, Options{Collection: "parking", Create: true})
	if !errors.Is(err, ErrRejected) {
		t.Fatalf("err = %v, want ErrRejected", err)
	}
	if rep.Read != 903 || rep.Flagged != 903 || len(rep.Problems) != 903 || !errors.Is(rep.Problems[0], ErrOutside) {
		t.Fatalf("read %d, flagged %d, problems %d (first %v)", rep.Read, rep.Flagged, len(rep.Problems), rep.Problems[0])
	}
	if !strings.Contains(strings.Join(rep.Notes, "\n"), "--srs") {
		t.Errorf("notes do not say how to fix it: %q", rep.Notes)
	}
	if hasCollection(t, b, "parking") {
		t.Fatal("collection made despite the sanity check")
	}
	// Dry run flags them too.
	rep, err = Run(context.Background(), b, []string{parking}, Options{Collection: "parking", Create: true, DryRun: true})
	if !errors.Is(err, ErrRejected) || rep.Flagged != 903 {
		t.Fatalf("dry run: err %v, flagged %d", err, rep.Flagged)
	}
	// Maine East in US feet.
	rep = mustRun(t, b, []string{parking}, Options{Collection: "parking", Create: true, SRS: "EPSG:26847"})
	if rep.Inserted != 903 {
		t.Fatalf("inserted %d", rep.Inserted)
	}
	for id, f := range all(t, b, "parking") {
		r, _ := geo.Bounds(f.Geometry)
		if r[0] < -68.85 || r[2] > -68.70 || r[1] < 44.75 || r[3] > 44.87 {
			t.Fatalf("%s at %v: not in Bangor", id, r)
		}
	}
}

// TestSanityExtent: a collection in San Francisco does not take points in
// Chicago unless the check is off.
func TestSanityExtent(t *testing.T) {
	b := openGPKG(t)
	mustRun(t, b, []string{osmPoints}, Options{Collection: "points", Create: true, IDField: "@id"})
	chicago := writeFile(t, "chicago.csv", "@id,highway,lon,lat\nc1,stop,-87.63,41.88\n")
	rep, err := Run(context.Background(), b, []string{chicago}, Options{Collection: "points", IDField: "@id"})
	if !errors.Is(err, ErrRejected) || rep.Flagged != 1 {
		t.Fatalf("err %v, flagged %d", err, rep.Flagged)
	}
	rep = mustRun(t, b, []string{chicago}, Options{Collection: "points", IDField: "@id", NoSanity: true})
	if rep.Inserted != 1 {
		t.Fatalf("inserted %d", rep.Inserted)
	}
}

// TestDryRunWritesNothing on both a new and an existing collection.
func TestDryRunWritesNothing(t *testing.T) {
	b := openGPKG(t)
	seq := lastSeq(t, b)
	rep := mustRun(t, b, []string{osmPoints}, Options{Collection: "points", Create: true, DryRun: true})
	if rep.Read != 11354 || rep.Valid != 11354 || rep.Committed || rep.Inserted != 11354 {
		t.Fatalf("dry run report %+v (want every row counted as a would-be insert)", rep)
	}
	if hasCollection(t, b, "points") || lastSeq(t, b) != seq {
		t.Fatal("dry run wrote")
	}
	mustRun(t, b, []string{suitePoints}, Options{Collection: "pts", Create: true})
	seq = lastSeq(t, b)
	f := writeFile(t, "p.csv", "FID,lon,lat\n9,5,5\n")
	rep = mustRun(t, b, []string{f}, Options{Collection: "pts", Map: map[string]string{"FID": "fid_1"}, DryRun: true})
	if rep.Valid != 1 || lastSeq(t, b) != seq || len(all(t, b, "pts")) != 9 {
		t.Fatalf("dry run into existing collection wrote (report %+v)", rep)
	}
	if rep.Inserted != 1 || rep.Updated != 0 || rep.Unchanged != 0 {
		t.Errorf("dry run: would insert %d, update %d, leave %d; want p.csv#1 inserted", rep.Inserted, rep.Updated, rep.Unchanged)
	}
	rep = mustRun(t, b, []string{suitePoints}, Options{Collection: "pts", DryRun: true})
	if rep.Inserted != 0 || rep.Updated != 0 || rep.Unchanged != 9 {
		t.Errorf("dry run of the same file: would insert %d, update %d, leave %d; want 9 unchanged", rep.Inserted, rep.Updated, rep.Unchanged)
	}
}

// TestImperialEPSG2230: control points given in California zone 6 (US feet)
// import to the lon/lat PROJ gives, within 1e-8° (about a millimetre).
func TestImperialEPSG2230(t *testing.T) {
	in, err := os.Open(imperialCSV)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	rows, err := csv.NewReader(in).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("name,x,y\n")
	want := map[string][2]float64{}
	for _, r := range rows[1:] {
		lat, _ := strconv.ParseFloat(r[1], 64)
		lon, _ := strconv.ParseFloat(r[2], 64)
		want[r[0]] = [2]float64{lon, lat}
		b.WriteString(r[0] + "," + r[3] + "," + r[4] + "\n")
	}
	f := writeFile(t, "imperial_ftUS.csv", b.String())
	be := openGPKG(t)
	// Without --srs the file's coordinates are not lon/lat: refused.
	_, err = Run(context.Background(), be, []string{f}, Options{Collection: "places", Create: true, IDField: "name"})
	if !errors.Is(err, ErrCRS) {
		t.Fatalf("without --srs: err = %v, want ErrCRS", err)
	}
	mustRun(t, be, []string{f}, Options{Collection: "places", Create: true, IDField: "name", SRS: "EPSG:2230"})
	got := all(t, be, "places")
	if len(got) != len(want) {
		t.Fatalf("%d places, want %d", len(got), len(want))
	}
	for name, w := range want {
		c := got[name].Geometry.FlatCoords()
		if math.Abs(c[0]-w[0]) > 1e-8 || math.Abs(c[1]-w[1]) > 1e-8 {
			t.Errorf("%s at %.9f, %.9f; PROJ says %.9f, %.9f", name, c[0], c[1], w[0], w[1])
		}
	}
}

// TestErrors: whole-import problems, each with the sentinel callers branch
// on.
func TestErrors(t *testing.T) {
	b := openGPKG(t)
	mustRun(t, b, []string{suitePoints}, Options{Collection: "pts", Create: true})
	cases := []struct {
		name  string
		files []string
		opts  Options
		want  error
	}{
		{"missing collection", []string{suitePoints}, Options{Collection: "nope"}, store.ErrNotFound},
		{"bad collection id", []string{suitePoints}, Options{Collection: "Bad Id", Create: true}, store.ErrInvalid},
		{"no prj", []string{suitePointM}, Options{Collection: "pm", Create: true}, ErrCRS},
		{"unknown srs", []string{suitePoints}, Options{Collection: "pts2", Create: true, SRS: "EPSG:99999"}, ErrCRS},
		{"map of a missing field", []string{suitePoints}, Options{Collection: "pts", Map: map[string]string{"nope": "x"}}, store.ErrInvalid},
		{"map to a missing property", []string{suitePoints}, Options{Collection: "pts", Map: map[string]string{"FID": "x"}}, store.ErrInvalid},
		{"id field missing", []string{suitePoints}, Options{Collection: "pts", IDField: "nope"}, store.ErrInvalid},
		{"fields not in the schema", []string{landmarks}, Options{Collection: "pts"}, store.ErrInvalid},
		{"no files", nil, Options{Collection: "pts"}, store.ErrInvalid},
		{"missing file", []string{"testdata/nope.csv"}, Options{Collection: "pts"}, os.ErrNotExist},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := Run(context.Background(), b, tc.files, tc.opts)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if rep == nil || rep.Committed {
				t.Fatalf("report %+v", rep)
			}
		})
	}
}

// TestMapAndTypes: --map renames and drops fields, and the target schema's
// types are enforced (a CSV column of digits into a string property keeps
// its leading zeros).
func TestMapAndTypes(t *testing.T) {
	ctx := context.Background()
	b := openGPKG(t)
	c := store.Collection{ID: "hydrants", Geometry: store.GeometryPoint, Fields: []store.Field{
		{Name: "code", Type: store.TypeString}, {Name: "flow", Type: store.TypeNumber},
	}}
	if _, err := b.CreateCollection(ctx, c); err != nil {
		t.Fatal(err)
	}
	f := writeFile(t, "h.csv", "HYD NO,Flow GPM,notes,lon,lat\n0012,850,old,-115.5,32.8\n0013,900,,-115.51,32.81\n")
	rep := mustRun(t, b, []string{f}, Options{Collection: "hydrants", IDField: "HYD NO",
		Map: map[string]string{"HYD NO": "code", "Flow GPM": "flow", "notes": ""}})
	if rep.Inserted != 2 {
		t.Fatalf("inserted %d", rep.Inserted)
	}
	got := all(t, b, "hydrants")
	if p := string(got["0012"].Properties); p != `{"code":"0012","flow":850}` {
		t.Errorf("properties %s", p)
	}
}

// TestIndexSeesImport: a store.Store on the same backend (a running server)
// sees the imported rows after Sync.
func TestIndexSeesImport(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			b := be.open(t)
			s, err := store.Open(ctx, b, nil)
			if err != nil {
				t.Fatal(err)
			}
			mustRun(t, b, []string{osmPoints}, Options{Collection: "points", Create: true, IDField: "@id"})
			if err := s.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			info, err := s.Collection("points")
			if err != nil {
				t.Fatal(err)
			}
			if info.Count != 11354 {
				t.Fatalf("index has %d points, want 11354", info.Count)
			}
		})
	}
}

// TestProgress: the callback sees rows grow to the total and ends with Done.
func TestProgress(t *testing.T) {
	b := openGPKG(t)
	var calls []Progress
	mustRun(t, b, []string{osmPoints}, Options{Collection: "points", Create: true, IDField: "@id", DryRun: true,
		Progress: func(p Progress) { calls = append(calls, p) }, ProgressEvery: 1})
	if len(calls) < 2 {
		t.Fatalf("%d progress calls", len(calls))
	}
	last := calls[len(calls)-1]
	if !last.Done || last.Read != 11354 || last.Total < 11354 {
		t.Fatalf("last progress %+v", last)
	}
	for i := 1; i < len(calls); i++ {
		if calls[i].Read < calls[i-1].Read {
			t.Fatalf("progress went back: %+v after %+v", calls[i], calls[i-1])
		}
	}
}

// TestChicagoNeighbourhoods: Illinois State Plane East (US feet) polygons
// with holes land inside Chicago, with every ring kept and holes inside
// their outer ring.
func TestChicagoNeighbourhoods(t *testing.T) {
	b := openGPKG(t)
	shp := "../importers/testdata/chicago/chicago_neighborhoods_shp/Neighborhoods_2012b.shp"
	rep := mustRun(t, b, []string{shp}, Options{Collection: "neighbourhoods", Create: true})
	if rep.Inserted != 98 {
		t.Fatalf("inserted %d neighbourhoods, want 98", rep.Inserted)
	}
	holes := 0
	for id, f := range all(t, b, "neighbourhoods") {
		r, ok := geo.Bounds(f.Geometry)
		if !ok || r[0] < -87.95 || r[2] > -87.5 || r[1] < 41.6 || r[3] > 42.05 {
			t.Fatalf("%s at %v: not in Chicago", id, r)
		}
		o, err := geo.ToOrb(f.Geometry)
		if err != nil {
			t.Fatal(err)
		}
		var polys orb.MultiPolygon
		switch g := o.(type) {
		case orb.Polygon:
			polys = orb.MultiPolygon{g}
		case orb.MultiPolygon:
			polys = g
		default:
			t.Fatalf("%s is a %T", id, o)
		}
		for _, p := range polys {
			for _, hole := range p[1:] {
				holes++
				// Every vertex of a hole lies inside its outer ring.
				for _, v := range hole {
					if !geo.Intersects(v, orb.Polygon{p[0]}) {
						t.Fatalf("%s: hole vertex %v outside its outer ring", id, v)
					}
				}
			}
		}
	}
	if holes == 0 {
		t.Error("no neighbourhood kept a hole")
	}
	t.Logf("%d holes kept", holes)
}
