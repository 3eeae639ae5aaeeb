package fgb_test

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"

	flatbuffers "github.com/google/flatbuffers/go"
	"github.com/twpayne/go-geom"

	"github.com/cityatlas/cityatlas/formats/fgb"
)

// A small FlatGeobuf reader for the tests (the tests also read the files
// with GDAL: see package formats).

type table struct{ flatbuffers.Table }

func root(b []byte) table {
	return table{flatbuffers.Table{Bytes: b, Pos: flatbuffers.GetUOffsetT(b)}}
}

func (t table) field(slot int) flatbuffers.UOffsetT {
	return flatbuffers.UOffsetT(t.Offset(flatbuffers.VOffsetT(4 + 2*slot)))
}

func (t table) str(slot int) string {
	o := t.field(slot)
	if o == 0 {
		return ""
	}
	return string(t.ByteVector(o + t.Pos))
}

func (t table) bytes(slot int) []byte {
	o := t.field(slot)
	if o == 0 {
		return nil
	}
	return t.ByteVector(o + t.Pos)
}

func (t table) byteAt(slot int) byte {
	o := t.field(slot)
	if o == 0 {
		return 0
	}
	return t.GetByte(o + t.Pos)
}

func (t table) floats(slot int) []float64 {
	o := t.field(slot)
	if o == 0 {
		return nil
	}
	a, n := t.Vector(o), t.VectorLen(o)
	out := make([]float64, n)
	for i := range out {
		out[i] = t.GetFloat64(a + flatbuffers.UOffsetT(i*8))
	}
	return out
}

func (t table) uints(slot int) []uint32 {
	o := t.field(slot)
	if o == 0 {
		return nil
	}
	a, n := t.Vector(o), t.VectorLen(o)
	out := make([]uint32, n)
	for i := range out {
		out[i] = t.GetUint32(a + flatbuffers.UOffsetT(i*4))
	}
	return out
}

func (t table) tables(slot int) []table {
	o := t.field(slot)
	if o == 0 {
		return nil
	}
	a, n := t.Vector(o), t.VectorLen(o)
	out := make([]table, n)
	for i := range out {
		x := t.Indirect(a + flatbuffers.UOffsetT(i*4))
		out[i] = table{flatbuffers.Table{Bytes: t.Bytes, Pos: x}}
	}
	return out
}

func (t table) sub(slot int) (table, bool) {
	o := t.field(slot)
	if o == 0 {
		return table{}, false
	}
	return table{flatbuffers.Table{Bytes: t.Bytes, Pos: t.Indirect(o + t.Pos)}}, true
}

type readFeature struct {
	typ   fgb.GeometryType
	xy    []float64
	ends  []uint32
	parts int
	props []byte
}

func read(t *testing.T, b []byte) (fgb.Header, []readFeature) {
	t.Helper()
	if !bytes.HasPrefix(b, fgb.Magic) {
		t.Fatal("no magic")
	}
	b = b[8:]
	next := func() []byte {
		if len(b) < 4 {
			t.Fatalf("%d bytes left, want a size", len(b))
		}
		n := binary.LittleEndian.Uint32(b)
		if int(n) > len(b)-4 {
			t.Fatalf("table of %d bytes in %d", n, len(b)-4)
		}
		tb := b[4 : 4+n]
		b = b[4+n:]
		return tb
	}
	h := root(next())
	var hd fgb.Header
	hd.Name = h.str(0)
	hd.GeometryType = fgb.GeometryType(h.byteAt(2))
	hd.Title, hd.Description, hd.Metadata = h.str(11), h.str(12), h.str(13)
	for _, c := range h.tables(7) {
		hd.Columns = append(hd.Columns, fgb.Column{Name: c.str(0), Type: fgb.ColumnType(c.byteAt(1))})
	}
	if o := h.field(8); o != 0 {
		hd.Count = h.GetUint64(o + h.Pos)
	}
	if o := h.field(9); o == 0 || h.GetUint16(o+h.Pos) != 0 {
		t.Error("index_node_size is not 0: readers would look for an index")
	}
	var out []readFeature
	for len(b) > 0 {
		f := root(next())
		var rf readFeature
		if g, ok := f.sub(0); ok {
			rf.typ, rf.xy, rf.ends, rf.parts = fgb.GeometryType(g.byteAt(6)), g.floats(1), g.uints(0), len(g.tables(7))
		}
		rf.props = f.bytes(1)
		out = append(out, rf)
	}
	return hd, out
}

func TestRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	h := fgb.Header{Name: "x", GeometryType: fgb.Unknown, Count: 3, EPSG: 4326,
		Title: "Parks", Description: "All the parks", Metadata: `{"LICENSE":"CC0-1.0"}`,
		Columns: []fgb.Column{{Name: "id", Type: fgb.Long}, {Name: "name", Type: fgb.String}}}
	w, err := fgb.NewWriter(&buf, h)
	if err != nil {
		t.Fatal(err)
	}
	poly := geom.NewPolygonFlat(geom.XY, []float64{0, 0, 1, 0, 1, 1, 0, 0, 0.2, 0.2, 0.4, 0.2, 0.4, 0.4, 0.2, 0.2}, []int{8, 16})
	multi := geom.NewMultiPolygonFlat(geom.XY, []float64{0, 0, 1, 0, 1, 1, 0, 0, 5, 5, 6, 5, 6, 6, 5, 5}, [][]int{{8}, {16}})
	for i, g := range []geom.T{geom.NewPointFlat(geom.XY, []float64{1.5, -2.25}), poly, multi} {
		if err := w.Write(g, []fgb.Value{{Col: 0, Int: int64(i + 1)}, {Col: 1, Text: "n" + string(rune('a'+i))}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Write(nil, nil); err != nil {
		t.Fatal(err)
	}
	hd, feats := read(t, buf.Bytes())
	if hd.Title != h.Title || hd.Description != h.Description || hd.Metadata != h.Metadata {
		t.Errorf("title %q, description %q, metadata %q", hd.Title, hd.Description, hd.Metadata)
	}
	if hd.Name != "x" || hd.Count != 3 || len(hd.Columns) != 2 || hd.Columns[1].Name != "name" || hd.Columns[1].Type != fgb.String {
		t.Errorf("header %+v", hd)
	}
	if len(feats) != 4 {
		t.Fatalf("%d features", len(feats))
	}
	if f := feats[0]; f.typ != fgb.Point || len(f.xy) != 2 || f.xy[0] != 1.5 || f.xy[1] != -2.25 {
		t.Errorf("point %+v", f)
	}
	if f := feats[1]; f.typ != fgb.Polygon || len(f.xy) != 16 || len(f.ends) != 2 || f.ends[0] != 4 || f.ends[1] != 8 {
		t.Errorf("polygon %+v", f)
	}
	if f := feats[2]; f.typ != fgb.MultiPolygon || f.parts != 2 {
		t.Errorf("multipolygon %+v", f)
	}
	p := feats[0].props
	if len(p) != 2+8+2+4+2 || binary.LittleEndian.Uint16(p) != 0 || binary.LittleEndian.Uint64(p[2:]) != 1 || string(p[16:]) != "na" {
		t.Errorf("properties % x", p)
	}
	if feats[3].xy != nil || feats[3].props != nil {
		t.Errorf("empty feature %+v", feats[3])
	}
}

// FuzzWriter writes fuzzed lines and text and reads them back.
func FuzzWriter(f *testing.F) {
	f.Add([]byte("abcdefghijklmnopqrstuvwxyz0123456789"), "name")
	f.Fuzz(func(t *testing.T, data []byte, text string) {
		var coords []float64
		for len(data) >= 8 {
			coords = append(coords, math.Float64frombits(binary.LittleEndian.Uint64(data)))
			data = data[8:]
		}
		coords = coords[:len(coords)/2*2]
		var buf bytes.Buffer
		w, err := fgb.NewWriter(&buf, fgb.Header{Name: text, Columns: []fgb.Column{{Name: text, Type: fgb.String}, {Name: "n", Type: fgb.Double}}})
		if err != nil {
			t.Fatal(err)
		}
		var g geom.T
		if len(coords) >= 4 {
			g = geom.NewLineStringFlat(geom.XY, coords)
		}
		x := float64(len(coords))
		if err := w.Write(g, []fgb.Value{{Col: 0, Text: text}, {Col: 1, Num: x}}); err != nil {
			t.Fatal(err)
		}
		hd, feats := read(t, buf.Bytes())
		if hd.Name != text || len(hd.Columns) != 2 || hd.Columns[0].Name != text || len(feats) != 1 {
			t.Fatalf("header %+v, %d features", hd, len(feats))
		}
		got := feats[0]
		if g != nil && (got.typ != fgb.LineString || len(got.xy) != len(coords)) {
			t.Fatalf("line of %d coordinates read as %v with %d", len(coords), got.typ, len(got.xy))
		}
		for i := range got.xy {
			if math.Float64bits(got.xy[i]) != math.Float64bits(coords[i]) {
				t.Fatalf("coordinate %d: %v, want %v", i, got.xy[i], coords[i])
			}
		}
		want := binary.LittleEndian.AppendUint16(nil, 0)
		want = binary.LittleEndian.AppendUint32(want, uint32(len(text)))
		want = append(want, text...)
		want = binary.LittleEndian.AppendUint16(want, 1)
		want = binary.LittleEndian.AppendUint64(want, math.Float64bits(x))
		if !bytes.Equal(got.props, want) {
			t.Fatalf("properties % x, want % x", got.props, want)
		}
	})
}
