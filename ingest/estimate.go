package ingest

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// estimateRows guesses how many records the file at path holds, for the
// progress bar's ETA, reading it once with constant memory: lines for a
// CSV (minus a header), the record count of a shapefile's .dbf, occurrences
// of "Feature" for GeoJSON. It returns 0 when it cannot tell.
func estimateRows(path string) int {
	ext := strings.ToLower(filepath.Ext(path))
	switch ext {
	case ".csv", ".txt", ".tsv", ".tab":
		n := countIn(path, []byte{'\n'})
		if n > 0 {
			n-- // the header, usually
		}
		return n
	case ".shp":
		base := strings.TrimSuffix(path, filepath.Ext(path))
		for _, e := range []string{".dbf", ".DBF", ".Dbf"} {
			f, err := os.Open(base + e)
			if err != nil {
				continue
			}
			var hdr [8]byte
			_, err = io.ReadFull(f, hdr[:])
			f.Close()
			if err == nil {
				return int(binary.LittleEndian.Uint32(hdr[4:8]))
			}
		}
		return 0
	case ".geojson", ".json", ".geojsonl", ".geojsons", ".ndjson", ".jsonl", ".geojsonseq":
		return countIn(path, []byte(`"Feature"`))
	}
	return 0
}

// countIn counts the occurrences of sep in the file (0 on error).
func countIn(path string, sep []byte) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	n, carry := 0, 0
	for {
		k, err := f.Read(buf[carry:])
		chunk := buf[:carry+k]
		n += bytes.Count(chunk, sep)
		// Keep the last len(sep)-1 bytes: a sep split across reads is then
		// counted once (the tail alone is too short to hold one).
		carry = 0
		if len(sep) > 1 && len(chunk) >= len(sep)-1 {
			carry = copy(buf, chunk[len(chunk)-(len(sep)-1):])
		}
		if err != nil {
			return n
		}
	}
}
