package importers

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
)

// records is what the CSV reader reads rows with: encoding/csv's Reader,
// or plainRecords for text without quotes.
type records interface {
	Read() ([]string, error)
	FieldPos(field int) (line, column int)
	// InputOffset is how many bytes of the input the rows read so far
	// took.
	InputOffset() int64
}

// errQuoted: plainRecords met a double quote, which it does not parse.
var errQuoted = errors.New("importers: quoted CSV")

// plainRecords reads CSV text that has no double quotes, with LF line ends,
// as encoding/csv would (no quotes means no escaping: a row is a line, its
// cells are what lies between delimiters; empty lines are skipped), at a
// third of the cost. Seeing a double quote, it returns errQuoted: the caller
// starts again with encoding/csv.
type plainRecords struct {
	br    *bufio.Reader
	delim byte
	line  int    // number of the row last returned
	off   int64  // bytes consumed
	long  []byte // a line longer than br's buffer
	rec   []string
}

func newPlainRecords(in io.Reader, delim rune) (*plainRecords, bool) {
	if delim <= 0 || delim >= 0x80 || delim == '"' || delim == '\n' || delim == '\r' {
		return nil, false
	}
	return &plainRecords{br: bufio.NewReaderSize(in, 256<<10), delim: byte(delim)}, true
}

func (p *plainRecords) Read() ([]string, error) {
	for {
		line, err := p.br.ReadSlice('\n')
		p.off += int64(len(line))
		if errors.Is(err, bufio.ErrBufferFull) {
			p.long = append(p.long[:0], line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = p.br.ReadSlice('\n')
				p.off += int64(len(line))
				p.long = append(p.long, line...)
			}
			line = p.long
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		if len(line) == 0 && err != nil {
			return nil, io.EOF
		}
		p.line++
		if line[len(line)-1] == '\n' {
			line = line[:len(line)-1]
		}
		if len(line) == 0 {
			if err != nil {
				return nil, io.EOF
			}
			continue // encoding/csv skips empty lines
		}
		if bytes.IndexByte(line, '"') >= 0 {
			return nil, errQuoted
		}
		s := string(line) // one allocation a row, as encoding/csv
		p.rec = p.rec[:0]
		for {
			i := strings.IndexByte(s, p.delim)
			if i < 0 {
				p.rec = append(p.rec, s)
				break
			}
			p.rec = append(p.rec, s[:i])
			s = s[i+1:]
		}
		return p.rec, nil
	}
}

// InputOffset is how many bytes the rows read so far took.
func (p *plainRecords) InputOffset() int64 { return p.off }

// FieldPos gives the line of the row last read (the column is not kept).
func (p *plainRecords) FieldPos(int) (int, int) { return p.line, 1 }

var _ records = (*csv.Reader)(nil)
