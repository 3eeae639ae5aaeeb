package formats

import (
	"io"
	"strconv"
	"strings"

	"github.com/twpayne/go-geom"

	"github.com/cityatlas/cityatlas/geo"
	"github.com/cityatlas/cityatlas/store"
)

type kmlWriter struct {
	w      io.Writer
	buf    []byte
	fields []store.Field
	schema string
	name   int // the field written as the Placemark's name, or -1
}

// NewKML returns a writer of a KML 2.2 document: one Folder of Placemarks,
// the properties typed by a Schema as ExtendedData, the feature id in an
// "id" field. A text property called "name" becomes the Placemark's
// <name> (GDAL reads it as the field "Name").
func NewKML(w io.Writer, l Layer) (Writer, error) {
	kw := &kmlWriter{w: w, buf: make([]byte, 0, flushAt+4096), fields: l.Fields, schema: l.Name, name: -1}
	b := append(kw.buf, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\">\n<Document>\n<name>"...)
	b = appendXML(b, orName(l.Title, l.Name))
	b = append(b, "</name>\n"...)
	if d := kmlDescription(&l); d != "" {
		b = append(b, "<description>"...)
		b = appendXML(b, d)
		b = append(b, "</description>\n"...)
	}
	b = append(b, "<Schema name=\""...)
	b = appendXML(b, l.Name)
	b = append(b, "\" id=\""...)
	b = appendXML(b, l.Name)
	b = append(b, "\">\n<SimpleField name=\"id\" type=\"int\"></SimpleField>\n"...)
	for i, f := range l.Fields {
		if strings.EqualFold(f.Name, "name") && f.Type == store.TypeString {
			kw.name = i // KML's own <name>, which readers show as the label
			continue
		}
		b = append(b, "<SimpleField name=\""...)
		b = appendXML(b, f.Name)
		b = append(b, "\" type=\""...)
		b = append(b, kmlType(f.Type)...)
		b = append(b, "\"></SimpleField>\n"...)
	}
	b = append(b, "</Schema>\n<Folder>\n<name>"...)
	b = appendXML(b, l.Name)
	kw.buf = append(b, "</name>\n"...)
	return kw, nil
}

// kmlDescription is the Document's description: the layer's, then its
// other metadata one "Key: value" line each (a KML reader shows the
// description as text).
func kmlDescription(l *Layer) string {
	var b strings.Builder
	b.WriteString(l.MetaValue(MetaDescription))
	for _, it := range l.metaExcept(MetaTitle, MetaDescription) {
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(strings.ReplaceAll(it.Key, "_", " ") + ": " + it.Value)
	}
	return b.String()
}

func orName(title, name string) string {
	if title != "" {
		return title
	}
	return name
}

func kmlType(t store.FieldType) string {
	switch t {
	case store.TypeInteger:
		return "int"
	case store.TypeNumber:
		return "double"
	case store.TypeBoolean:
		return "bool"
	}
	return "string"
}

func (kw *kmlWriter) Write(f *Feature) error {
	b := append(kw.buf, "<Placemark>\n"...)
	if kw.name >= 0 && f.Values[kw.name] != "" {
		b = append(b, "<name>"...)
		b = appendXML(b, text(f.Values[kw.name]))
		b = append(b, "</name>\n"...)
	}
	b = append(b, "<ExtendedData><SchemaData schemaUrl=\"#"...)
	b = appendXML(b, kw.schema)
	b = append(b, "\">\n<SimpleData name=\"id\">"...)
	b = strconv.AppendInt(b, f.ID, 10)
	b = append(b, "</SimpleData>\n"...)
	for i, v := range f.Values {
		if v == "" || v == "null" || i == kw.name {
			continue
		}
		b = append(b, "<SimpleData name=\""...)
		b = appendXML(b, kw.fields[i].Name)
		b = append(b, "\">"...)
		switch {
		case kw.fields[i].Type == store.TypeBoolean && v == "true":
			b = append(b, '1')
		case kw.fields[i].Type == store.TypeBoolean:
			b = append(b, '0')
		default:
			b = appendXML(b, text(v))
		}
		b = append(b, "</SimpleData>\n"...)
	}
	b = append(b, "</SchemaData></ExtendedData>\n"...)
	if f.Geometry != nil && !f.Geometry.Empty() {
		var err error
		if b, err = appendKMLGeometry(b, f.Geometry); err != nil {
			return errorf("kml", "feature %d: %w", f.ID, err)
		}
	}
	kw.buf = append(b, "</Placemark>\n"...)
	if len(kw.buf) >= flushAt {
		return kw.flush()
	}
	return nil
}

func (kw *kmlWriter) flush() error {
	_, err := kw.w.Write(kw.buf)
	kw.buf = kw.buf[:0]
	return err
}

func (kw *kmlWriter) Close() error {
	kw.buf = append(kw.buf, "</Folder>\n</Document>\n</kml>\n"...)
	return kw.flush()
}

func (kw *kmlWriter) Abort() { kw.buf = nil }

func appendKMLGeometry(b []byte, g geom.T) ([]byte, error) {
	switch g := g.(type) {
	case *geom.Point:
		b = append(b, "<Point><coordinates>"...)
		b = appendKMLCoords(b, g.FlatCoords(), g.Stride())
		return append(b, "</coordinates></Point>\n"...), nil
	case *geom.LineString:
		b = append(b, "<LineString><coordinates>"...)
		b = appendKMLCoords(b, g.FlatCoords(), g.Stride())
		return append(b, "</coordinates></LineString>\n"...), nil
	case *geom.Polygon:
		b = append(b, "<Polygon>"...)
		for i := 0; i < g.NumLinearRings(); i++ {
			r := g.LinearRing(i)
			if i == 0 {
				b = append(b, "<outerBoundaryIs><LinearRing><coordinates>"...)
			} else {
				b = append(b, "<innerBoundaryIs><LinearRing><coordinates>"...)
			}
			b = appendKMLCoords(b, r.FlatCoords(), r.Stride())
			if i == 0 {
				b = append(b, "</coordinates></LinearRing></outerBoundaryIs>"...)
			} else {
				b = append(b, "</coordinates></LinearRing></innerBoundaryIs>"...)
			}
		}
		return append(b, "</Polygon>\n"...), nil
	case *geom.MultiPoint:
		return appendMulti(b, g.NumPoints(), func(i int) geom.T { return g.Point(i) })
	case *geom.MultiLineString:
		return appendMulti(b, g.NumLineStrings(), func(i int) geom.T { return g.LineString(i) })
	case *geom.MultiPolygon:
		return appendMulti(b, g.NumPolygons(), func(i int) geom.T { return g.Polygon(i) })
	case *geom.GeometryCollection:
		return appendMulti(b, g.NumGeoms(), g.Geom)
	}
	return b, errorf("kml", "unsupported geometry %T", g)
}

func appendMulti(b []byte, n int, part func(int) geom.T) ([]byte, error) {
	b = append(b, "<MultiGeometry>\n"...)
	for i := 0; i < n; i++ {
		p := part(i)
		if p.Empty() {
			continue
		}
		var err error
		if b, err = appendKMLGeometry(b, p); err != nil {
			return b, err
		}
	}
	return append(b, "</MultiGeometry>\n"...), nil
}

func appendKMLCoords(b []byte, flat []float64, stride int) []byte {
	dims := min(stride, 3) // KML has no M
	for i := 0; i+stride <= len(flat); i += stride {
		if i > 0 {
			b = append(b, ' ')
		}
		for d := 0; d < dims; d++ {
			if d > 0 {
				b = append(b, ',')
			}
			b = geo.AppendFloat(b, flat[i+d])
		}
	}
	return b
}

// appendXML appends s escaped as XML character data (and attribute text).
func appendXML(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '<':
			b = append(b, "&lt;"...)
		case '>':
			b = append(b, "&gt;"...)
		case '&':
			b = append(b, "&amp;"...)
		case '"':
			b = append(b, "&quot;"...)
		case '\'':
			b = append(b, "&apos;"...)
		default:
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				b = append(b, "&#xFFFD;"...) // not allowed in XML 1.0
				continue
			}
			b = append(b, c)
		}
	}
	return b
}
