package formats

import (
	"encoding/json"
	"io"
	"strconv"

	"github.com/cityatlas/cityatlas/geo"
)

// flushAt is the size at which the text writers hand their buffer to the
// io.Writer.
const flushAt = 64 << 10

// jsonWriter writes GeoJSON features: as one FeatureCollection, or one
// feature a line (prefix "\x1e" for RFC 8142 text sequences, "" for
// NDJSON).
type jsonWriter struct {
	w      io.Writer
	buf    []byte
	keys   []string // `"name":` of each field
	seq    bool     // a sequence, not a FeatureCollection
	prefix string
	first  bool
}

// NewGeoJSON returns a writer of an RFC 7946 FeatureCollection. The
// document is closed only by Close: output cut short is not valid JSON.
func NewGeoJSON(w io.Writer, l Layer) (Writer, error) {
	jw := newJSONWriter(w, l)
	jw.buf = append(jw.buf, `{"type":"FeatureCollection","name":`...)
	jw.buf = appendJSONString(jw.buf, l.Name)
	// The layer's metadata as foreign members (RFC 7946 section 6.1);
	// GDAL reads "description" as the layer's.
	for _, it := range l.Meta {
		jw.buf = append(jw.buf, ',')
		jw.buf = appendJSONString(jw.buf, it.Key)
		jw.buf = append(jw.buf, ':')
		jw.buf = appendJSONString(jw.buf, it.Value)
	}
	if l.Extent != nil {
		jw.buf = append(jw.buf, `,"bbox":[`...)
		for i, v := range l.Extent {
			if i > 0 {
				jw.buf = append(jw.buf, ',')
			}
			jw.buf = geo.AppendFloat(jw.buf, v)
		}
		jw.buf = append(jw.buf, ']')
	}
	jw.buf = append(jw.buf, `,"features":[`...)
	return jw, nil
}

// NewGeoJSONSeq returns a writer of a GeoJSON text sequence (RFC 8142):
// each feature is a record separator, the feature and a newline.
func NewGeoJSONSeq(w io.Writer, l Layer) (Writer, error) {
	jw := newJSONWriter(w, l)
	jw.seq, jw.prefix = true, "\x1e"
	return jw, nil
}

// NewNDJSON returns a writer of newline-delimited GeoJSON features.
func NewNDJSON(w io.Writer, l Layer) (Writer, error) {
	jw := newJSONWriter(w, l)
	jw.seq = true
	return jw, nil
}

func newJSONWriter(w io.Writer, l Layer) *jsonWriter {
	jw := &jsonWriter{w: w, buf: make([]byte, 0, flushAt+4096), first: true}
	for _, f := range l.Fields {
		jw.keys = append(jw.keys, string(appendJSONString(nil, f.Name))+":")
	}
	return jw
}

func (jw *jsonWriter) Write(f *Feature) error {
	b := jw.buf
	switch {
	case jw.seq:
		b = append(b, jw.prefix...)
	case !jw.first:
		b = append(b, ",\n"...)
	default:
		b = append(b, '\n')
	}
	jw.first = false
	b = AppendGeoJSONFeature(b, f, jw.keys)
	if jw.seq {
		b = append(b, '\n')
	}
	jw.buf = b
	if len(b) >= flushAt {
		return jw.flush()
	}
	return nil
}

// AppendGeoJSONFeature appends f as a GeoJSON Feature; keys are the fields'
// names as JSON strings followed by a colon.
func AppendGeoJSONFeature(b []byte, f *Feature, keys []string) []byte {
	b = append(b, `{"type":"Feature","id":`...)
	b = strconv.AppendInt(b, f.ID, 10)
	b = append(b, `,"geometry":`...)
	b = geo.AppendGeoJSON(b, f.Geometry)
	b = append(b, `,"properties":{`...)
	n := 0
	for i, v := range f.Values {
		if v == "" {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = append(b, keys[i]...)
		b = append(b, v...)
	}
	return append(b, "}}"...)
}

func (jw *jsonWriter) flush() error {
	if len(jw.buf) == 0 {
		return nil
	}
	_, err := jw.w.Write(jw.buf)
	jw.buf = jw.buf[:0]
	return err
}

func (jw *jsonWriter) Close() error {
	if !jw.seq {
		jw.buf = append(jw.buf, "\n]}\n"...)
	}
	return jw.flush()
}

func (jw *jsonWriter) Abort() { jw.buf = nil }

func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}
