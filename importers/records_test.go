package importers

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
)

// FuzzPlainRecords: on text without quotes, plainRecords reads the rows
// and line numbers that encoding/csv reads; with a quote it gives up.
func FuzzPlainRecords(f *testing.F) {
	for _, s := range []string{"a,b,c\n1,2,3\n", "x;y\n\n\n1;2", "a\tb\n1\t\t\n", "a|b\n\"q\"|1\n", "\n\n", "a,b\r\n1,2\r\n", "é,ü\n1,2\n", strings.Repeat("long,", 70000) + "\nx\n"} {
		for _, d := range []byte{',', ';', '\t', '|'} {
			f.Add([]byte(s), d)
		}
	}
	f.Fuzz(func(t *testing.T, text []byte, d byte) {
		delim := rune(d)
		pr, ok := newPlainRecords(&crReader{r: bytes.NewReader(text)}, delim)
		if !ok {
			return
		}
		cr := csv.NewReader(&crReader{r: bytes.NewReader(text)})
		cr.Comma = delim
		cr.FieldsPerRecord = -1
		cr.LazyQuotes = delim == '\t'
		if cr.Comma == 0 || strings.ContainsRune("\r\n\"", delim) {
			return
		}
		for row := 1; ; row++ {
			got, gerr := pr.Read()
			if errors.Is(gerr, errQuoted) {
				if !bytes.Contains(text, []byte{'"'}) {
					t.Fatalf("errQuoted without a quote in %q", text)
				}
				return
			}
			want, werr := cr.Read()
			if errors.Is(werr, io.EOF) != errors.Is(gerr, io.EOF) || (werr == nil) != (gerr == nil) {
				t.Fatalf("row %d: plain %q, %v; csv %q, %v", row, got, gerr, want, werr)
			}
			if werr != nil {
				return
			}
			if !slices.Equal(got, want) {
				t.Fatalf("row %d: plain %q, csv %q", row, got, want)
			}
			gl, _ := pr.FieldPos(0)
			wl, _ := cr.FieldPos(0)
			if gl != wl {
				t.Fatalf("row %d: plain line %d, csv line %d", row, gl, wl)
			}
		}
	})
}

// chunkReader reads at most n bytes at a time.
type chunkReader struct {
	b []byte
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	k := min(len(p), c.n, len(c.b))
	copy(p, c.b[:k])
	c.b = c.b[k:]
	return k, nil
}

// FuzzCRReader: CR and CRLF become LF, however the text is cut into
// reads.
func FuzzCRReader(f *testing.F) {
	for _, s := range []string{"a\r\nb\rc\n", "\r\r\n\n\r", "x\r", "\n\r\n", "plain\ntext\n"} {
		for _, n := range []uint8{1, 2, 3, 64} {
			f.Add(s, n)
		}
	}
	f.Fuzz(func(t *testing.T, s string, n uint8) {
		if n == 0 {
			return
		}
		want := strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
		got, err := io.ReadAll(&crReader{r: &chunkReader{b: []byte(s), n: int(n)}})
		if err != nil || string(got) != want {
			t.Fatalf("%q in reads of %d: %q, %v; want %q", s, n, got, err, want)
		}
	})
}
