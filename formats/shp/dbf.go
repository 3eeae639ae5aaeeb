package shp

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// writeDBF writes the .dbf table from the spooled values.
func (w *Writer) writeDBF() error {
	widths := make([]int, len(w.fields))
	recLen := 1
	for i, f := range w.fields {
		switch f.Kind {
		case Logical:
			widths[i] = 1
		case Date:
			widths[i] = 8
		case Number:
			widths[i] = w.width[i]
			if w.decimals[i] > 0 {
				widths[i] += 1 + w.decimals[i]
			}
			if widths[i] > MaxText {
				return fmt.Errorf("shapefile: field %s needs %d characters; at most %d", f.Name, widths[i], MaxText)
			}
		default:
			widths[i] = min(max(w.width[i], 1), MaxText)
		}
		recLen += widths[i]
	}
	if recLen > 65535 {
		return fmt.Errorf("shapefile: a record of %d bytes is over the .dbf limit of 65535", recLen)
	}
	bw := bufio.NewWriterSize(w.dbf, 64<<10)
	h := make([]byte, 32, 32+32*len(w.fields)+1)
	h[0] = 0x03
	now := time.Now().UTC()
	h[1], h[2], h[3] = byte(now.Year()-1900), byte(now.Month()), byte(now.Day())
	binary.LittleEndian.PutUint32(h[4:], uint32(w.n))
	binary.LittleEndian.PutUint16(h[8:], uint16(32+32*len(w.fields)+1))
	binary.LittleEndian.PutUint16(h[10:], uint16(recLen))
	for i, f := range w.fields {
		var d [32]byte
		copy(d[:11], f.Name)
		d[11] = byte(f.Kind)
		d[16] = byte(widths[i])
		if f.Kind == Number {
			d[17] = byte(w.decimals[i])
		}
		h = append(h, d[:]...)
	}
	h = append(h, 0x0d)
	if _, err := bw.Write(h); err != nil {
		return err
	}
	if _, err := w.spool.Seek(0, io.SeekStart); err != nil {
		return err
	}
	sp := bufio.NewReaderSize(w.spool, 64<<10)
	rec := make([]byte, recLen)
	var val []byte
	for r := 0; r < w.n; r++ {
		rec[0] = ' '
		pos := 1
		for i, f := range w.fields {
			n, err := binary.ReadUvarint(sp)
			if err != nil {
				return fmt.Errorf("shapefile: read spooled values: %w", err)
			}
			if cap(val) < int(n) {
				val = make([]byte, n)
			}
			val = val[:n]
			if _, err := io.ReadFull(sp, val); err != nil {
				return fmt.Errorf("shapefile: read spooled values: %w", err)
			}
			cell := rec[pos : pos+widths[i]]
			pos += widths[i]
			fillCell(cell, f.Kind, string(val), w.decimals[i])
		}
		if _, err := bw.Write(rec); err != nil {
			return err
		}
	}
	bw.WriteByte(0x1a)
	return bw.Flush()
}

func fillCell(cell []byte, k Kind, v string, decimals int) {
	for j := range cell {
		cell[j] = ' '
	}
	switch k {
	case Logical:
		switch v {
		case "true":
			cell[0] = 'T'
		case "false":
			cell[0] = 'F'
		}
	case Date:
		if len(v) == 10 {
			copy(cell, strings.ReplaceAll(v, "-", ""))
		}
	case Number:
		if v == "" {
			return
		}
		if x, err := strconv.ParseFloat(v, 64); err == nil {
			v = strconv.FormatFloat(x, 'f', decimals, 64)
		}
		copy(cell[max(0, len(cell)-len(v)):], v)
	default:
		copy(cell, v)
	}
}
