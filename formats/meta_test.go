package formats_test

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/cityatlas/cityatlas/formats"
	"github.com/cityatlas/cityatlas/store"
)

// metaLayer is a layer with catalog metadata, awkward characters included.
func metaLayer() formats.Layer {
	return formats.Layer{Name: "signals", Title: "Traffic signals", Description: "Signals & <beacons> of the city",
		Geometry: store.GeometryPoint, Fields: fields, Count: len(fixture()),
		Meta: []formats.MetaItem{
			{Key: formats.MetaTitle, Value: "Traffic signals"},
			{Key: formats.MetaDescription, Value: "Signals & <beacons> of the city"},
			{Key: formats.MetaLicense, Value: "CC-BY-4.0"},
			{Key: formats.MetaLicenseURL, Value: "https://creativecommons.org/licenses/by/4.0/"},
			{Key: formats.MetaAttribution, Value: "City of Imperial \"GIS\""},
			{Key: formats.MetaKeywords, Value: "traffic, signals"},
			{Key: formats.MetaUpdated, Value: "2026-11-30T08:15:00Z"},
		}}
}

// ogrinfoSummary returns ogrinfo's summary of the layer in path.
func ogrinfoSummary(t *testing.T, path, layer string) string {
	t.Helper()
	bin := needTool(t, "ogrinfo")
	out, err := exec.Command(bin, "-so", "-ro", path, layer).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo %s: %v\n%s", path, err, out)
	}
	return string(out)
}

// TestMetadataInFiles checks that GDAL reads the layer's metadata back
// from the formats that have a place for it (GDAL 3.6 does not read
// FlatGeobuf's title, description and metadata, which came in 3.7:
// TestFlatGeobufMetadata reads them).
func TestMetadataInFiles(t *testing.T) {
	l := metaLayer()
	cases := map[string][]string{
		"gpkg": {"IDENTIFIER=Traffic signals", "DESCRIPTION=Signals & <beacons> of the city", "LICENSE=CC-BY-4.0",
			"LICENSE_URL=https://creativecommons.org/licenses/by/4.0/", `ATTRIBUTION=City of Imperial "GIS"`, "KEYWORDS=traffic, signals"},
		"geojson": {"DESCRIPTION=Signals & <beacons> of the city"},
	}
	for name, wants := range cases {
		t.Run(name, func(t *testing.T) {
			out := ogrinfoSummary(t, write(t, name, l, fixture()), "signals")
			for _, w := range wants {
				if !strings.Contains(out, w) {
					t.Errorf("ogrinfo does not show %q:\n%s", w, out)
				}
			}
		})
	}
	t.Run("gpkg last_change", func(t *testing.T) {
		bin := needTool(t, "ogrinfo")
		out, err := exec.Command(bin, "-ro", write(t, "gpkg", l, fixture()), "-sql", "SELECT last_change FROM gpkg_contents").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "= 2026/11/30 08:15:00+00") {
			t.Errorf("last_change is not the layer's updated time: %v\n%s", err, out)
		}
	})
	t.Run("fgb header", func(t *testing.T) {
		data, err := os.ReadFile(write(t, "fgb", l, fixture()))
		if err != nil {
			t.Fatal(err)
		}
		want := `{"LICENSE":"CC-BY-4.0","LICENSE_URL":"https://creativecommons.org/licenses/by/4.0/","ATTRIBUTION":"City of Imperial \"GIS\"",`
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("FlatGeobuf header has no metadata %s", want)
		}
	})
	t.Run("kml", func(t *testing.T) {
		data, err := os.ReadFile(write(t, "kml", l, fixture()))
		if err != nil {
			t.Fatal(err)
		}
		want := "<description>Signals &amp; &lt;beacons&gt; of the city\nlicense: CC-BY-4.0\n"
		if !strings.Contains(string(data), want) {
			t.Errorf("KML has no %q:\n%.600s", want, data)
		}
	})
	t.Run("parquet", func(t *testing.T) {
		data, err := os.ReadFile(write(t, "parquet", l, fixture()))
		if err != nil {
			t.Fatal(err)
		}
		f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range l.Meta {
			if v, ok := f.Lookup(it.Key); !ok || v != it.Value {
				t.Errorf("key-value metadata %s = %q, %v; want %q", it.Key, v, ok, it.Value)
			}
		}
		if _, ok := f.Lookup("geo"); !ok {
			t.Error("no geo metadata")
		}
	})
}
