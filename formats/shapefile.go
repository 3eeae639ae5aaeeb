package formats

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cityatlas/cityatlas/formats/shp"
	"github.com/cityatlas/cityatlas/store"
)

// esriWGS84 is the .prj of WGS 84 longitude/latitude in ESRI's WKT.
const esriWGS84 = `GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`

type shpWriter struct {
	out      io.Writer
	dir      string
	name     string
	files    map[string]*os.File
	w        *shp.Writer
	fields   []store.Field
	dbfNames []string
	vals     []string
}

// NewShapefile returns a writer of a zipped shapefile: NAME.shp, .shx,
// .dbf, .prj (WGS 84), .cpg (UTF-8) and NAME.fields.csv, which maps each
// property to its .dbf field (names are cut to the .dbf's 10 characters
// and made unique). The first column is the feature id. A shapefile holds
// one shape type: a layer of mixed geometries takes the type of its first
// geometry and fails on a feature of another. Text over 254 bytes is cut.
// The files are built in Layer.TempDir and zipped to w by Close.
func NewShapefile(w io.Writer, l Layer) (Writer, error) {
	dir, err := os.MkdirTemp(l.TempDir, "cityatlas-shp-")
	if err != nil {
		return nil, errorf("shapefile", "%w", err)
	}
	sw := &shpWriter{out: w, dir: dir, name: l.Name, files: map[string]*os.File{}, fields: l.Fields}
	for _, ext := range []string{"shp", "shx", "dbf", "spool"} {
		f, err := os.Create(filepath.Join(dir, l.Name+"."+ext))
		if err != nil {
			sw.Abort()
			return nil, errorf("shapefile", "%w", err)
		}
		sw.files[ext] = f
	}
	props := make([]string, len(l.Fields))
	for i, f := range l.Fields {
		props[i] = f.Name
	}
	sw.dbfNames = DBFNames(append([]string{"id"}, props...))
	fields := []shp.Field{{Name: sw.dbfNames[0], Kind: shp.Number}}
	for i, f := range l.Fields {
		fields = append(fields, shp.Field{Name: sw.dbfNames[i+1], Kind: dbfKind(f.Type)})
	}
	var typ int32
	switch l.Geometry {
	case store.GeometryPoint:
		typ = shp.Point
	case store.GeometryMultiPoint:
		typ = shp.MultiPoint
	case store.GeometryLineString, store.GeometryMultiLineString:
		typ = shp.PolyLine
	case store.GeometryPolygon, store.GeometryMultiPolygon:
		typ = shp.Polygon
	}
	sw.w, err = shp.NewWriter(sw.files["shp"], sw.files["shx"], sw.files["dbf"], sw.files["spool"], typ, fields)
	if err != nil {
		sw.Abort()
		return nil, err
	}
	sw.vals = make([]string, len(fields))
	return sw, nil
}

func dbfKind(t store.FieldType) shp.Kind {
	switch t {
	case store.TypeInteger, store.TypeNumber:
		return shp.Number
	case store.TypeBoolean:
		return shp.Logical
	case store.TypeDate:
		return shp.Date
	}
	return shp.Character
}

// DBFNames returns .dbf field names for names: ASCII letters, digits and
// underscores, at most 10 bytes, unique regardless of case.
func DBFNames(names []string) []string {
	out := make([]string, len(names))
	seen := map[string]bool{}
	for i, n := range names {
		var b strings.Builder
		for _, r := range n {
			switch {
			case r < 128 && (r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'):
				b.WriteRune(r)
			default:
				b.WriteByte('_')
			}
		}
		base := b.String()
		if base == "" {
			base = "field"
		}
		if len(base) > 10 {
			base = base[:10]
		}
		name := base
		for k := 1; seen[strings.ToLower(name)]; k++ {
			suffix := "_" + strconv.Itoa(k)
			name = base[:min(len(base), 10-len(suffix))] + suffix
		}
		seen[strings.ToLower(name)] = true
		out[i] = name
	}
	return out
}

func (sw *shpWriter) Write(f *Feature) error {
	sw.vals[0] = strconv.FormatInt(f.ID, 10)
	for i, v := range f.Values {
		sw.vals[i+1] = text(v)
		if v == "null" {
			sw.vals[i+1] = ""
		}
	}
	if err := sw.w.Write(f.Geometry, sw.vals); err != nil {
		return fmt.Errorf("feature %d: %w", f.ID, err)
	}
	return nil
}

func (sw *shpWriter) Close() error {
	defer sw.Abort()
	if err := sw.w.Close(); err != nil {
		return err
	}
	zw := zip.NewWriter(sw.out)
	now := time.Now()
	add := func(name string, r io.Reader) error {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: now})
		if err != nil {
			return err
		}
		_, err = io.Copy(fw, r)
		return err
	}
	for _, ext := range []string{"shp", "shx", "dbf"} {
		f := sw.files[ext]
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		if err := add(sw.name+"."+ext, f); err != nil {
			return errorf("shapefile", "%w", err)
		}
	}
	var m strings.Builder
	m.WriteString("property,shapefile_field,type\n")
	m.WriteString("id,id,integer\n")
	for i, f := range sw.fields {
		fmt.Fprintf(&m, "%s,%s,%s\n", f.Name, sw.dbfNames[i+1], f.Type)
	}
	for _, e := range []struct{ name, body string }{
		{sw.name + ".prj", esriWGS84}, {sw.name + ".cpg", "UTF-8"}, {sw.name + ".fields.csv", m.String()},
	} {
		if err := add(e.name, strings.NewReader(e.body)); err != nil {
			return errorf("shapefile", "%w", err)
		}
	}
	return zw.Close()
}

func (sw *shpWriter) Abort() {
	var errs []error
	for _, f := range sw.files {
		errs = append(errs, f.Close())
	}
	sw.files = map[string]*os.File{}
	_ = errors.Join(errs...)
	if sw.dir != "" {
		_ = os.RemoveAll(sw.dir)
		sw.dir = ""
	}
}
