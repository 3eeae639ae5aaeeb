package importers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/twpayne/go-geom"
)

// ErrLimit is wrapped by the error for input that exceeds one of the
// Limits: a record too long, JSON nested too deep, a geometry with too many
// positions, an archive member that inflates too far. The message names
// the limit (and the command-line flag that raises it) and the record.
var ErrLimit = errors.New("over a limit")

// Limits bound what one record may take, so that a reader's memory stays
// bounded by configuration whatever the file holds. A zero field takes
// its default (DefaultLimits).
type Limits struct {
	// RecordBytes is the most bytes of text one record may have: a CSV
	// row (its line, or lines when a quoted cell holds line breaks), a
	// GeoJSON feature (or any other member of the top-level object), a
	// shapefile record. More is final: the rest of the file cannot be
	// told apart from the record.
	RecordBytes int64
	// Depth is how deep a GeoJSON feature may nest arrays and objects
	// (the feature object itself is depth 1; a MultiPolygon's positions
	// are at depth 6).
	Depth int
	// Vertices is the most positions one geometry may have.
	Vertices int
	// UnzippedBytes is the most bytes one member of a zip archive may
	// inflate to; ZipRatio is the most it may inflate to relative to its
	// compressed size (a zip bomb inflates by thousands).
	UnzippedBytes int64
	ZipRatio      int64
}

// DefaultLimits are the limits a zero Limits field takes. The record size
// keeps the memory of one record within a few hundred megabytes while
// allowing a polygon of a million vertices written out in GeoJSON; a
// shapefile member cannot exceed 4 GiB by the format's 32-bit offsets;
// real shapefiles and CSV compress by 2 to 20 times.
var DefaultLimits = Limits{
	RecordBytes:   64 << 20,
	Depth:         64,
	Vertices:      2_000_000,
	UnzippedBytes: 4 << 30,
	ZipRatio:      200,
}

// withDefaults fills the zero fields of l.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.RecordBytes <= 0 {
		l.RecordBytes = d.RecordBytes
	}
	if l.Depth <= 0 {
		l.Depth = d.Depth
	}
	if l.Vertices <= 0 {
		l.Vertices = d.Vertices
	}
	if l.UnzippedBytes <= 0 {
		l.UnzippedBytes = d.UnzippedBytes
	}
	if l.ZipRatio <= 0 {
		l.ZipRatio = d.ZipRatio
	}
	return l
}

// FormatBytes writes n bytes for a person: "64 MiB", "1.5 GiB", "300 bytes".
func FormatBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// errRecordBudget is what budgetReader returns when a record outgrows
// its budget; the readers turn it into an error naming the record.
var errRecordBudget = errors.New("record budget exceeded")

// budgetReader passes reads through while the record being read (which
// starts at offset mark of the stream, in the bytes a parser consumed) is
// within max bytes, and fails with errRecordBudget past that. A parser
// with a buffer of its own calls begin with the offset it has consumed
// up to at the start of each record.
type budgetReader struct {
	r    io.Reader
	max  int64
	read int64 // bytes passed on so far
	mark int64 // where the current record starts
}

func (b *budgetReader) begin(offset int64) { b.mark = offset }

func (b *budgetReader) Read(p []byte) (int, error) {
	left := b.mark + b.max - b.read
	if left <= 0 {
		return 0, errRecordBudget
	}
	if int64(len(p)) > left {
		p = p[:left]
	}
	n, err := b.r.Read(p)
	b.read += int64(n)
	return n, err
}

// ctxReader fails reads once ctx is done, so that a long pass over a file
// stops when the import is cancelled (SIGINT, SIGTERM).
type ctxReader struct {
	ctx context.Context
	io.ReadCloser
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.ReadCloser.Read(p)
}

// ErrNotRegular is wrapped by the error for a path that is not a regular
// file (a FIFO, a device, a directory, a socket): such input may never
// end, or block for ever, so it is refused before it is opened.
var ErrNotRegular = errors.New("not a regular file")

// checkRegular refuses a path that is not a regular file (following
// symbolic links).
func checkRegular(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("importers: %w", err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("importers: %s: %w (%s): only regular files and zip archives of them are read", path, ErrNotRegular, modeName(st.Mode()))
	}
	return nil
}

func modeName(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a FIFO"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0, m&os.ModeCharDevice != 0:
		return "a device"
	}
	return "mode " + m.String()
}

// opener opens path afresh for each pass over it, checking each time
// that it is still a regular file, with reads that stop when o's context
// is done.
func (o Options) opener(path string) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		if err := checkRegular(path); err != nil {
			return nil, err
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		return o.guard(f), nil
	}
}

// guard makes rc's reads stop when o's context is done.
func (o Options) guard(rc io.ReadCloser) io.ReadCloser {
	if o.ctx == nil {
		return rc
	}
	return ctxReader{o.ctx, rc}
}

// zipLimitReader inflates one zip member within the limits: at most max
// bytes, and at most ratio times its compressed size (plus a first
// mebibyte, so that tiny members are not refused).
type zipLimitReader struct {
	io.ReadCloser
	name      string
	n, max    int64
	ratioMax  int64
	ratio     int64
	truncated bool
}

func newZipLimitReader(rc io.ReadCloser, name string, compressed uint64, l Limits) *zipLimitReader {
	byRatio := int64(1 << 20)
	if c := int64(compressed); c > 0 && c < (1<<62)/l.ZipRatio {
		byRatio += c * l.ZipRatio
	} else if c > 0 {
		byRatio = 1 << 62
	}
	return &zipLimitReader{ReadCloser: rc, name: name, max: l.UnzippedBytes, ratioMax: byRatio, ratio: l.ZipRatio}
}

func (z *zipLimitReader) Read(p []byte) (int, error) {
	n, err := z.ReadCloser.Read(p)
	z.n += int64(n)
	switch {
	case z.n > z.max:
		return n, fmt.Errorf("%w: %s inflates to more than %s (--max-unzipped-bytes)", ErrLimit, z.name, FormatBytes(z.max))
	case z.n > z.ratioMax:
		return n, fmt.Errorf("%w: %s inflates more than %d times its compressed size (--max-zip-ratio): a zip bomb?", ErrLimit, z.name, z.ratio)
	}
	return n, err
}

// checkVertices refuses a geometry of more than l.Vertices positions.
func checkVertices(g geom.T, l Limits) error {
	if g == nil {
		return nil
	}
	max := l.withDefaults().Vertices
	if n := countVertices(g); n > max {
		return fmt.Errorf("%w: the geometry has %d positions, more than %d (--max-vertices)", ErrLimit, n, max)
	}
	return nil
}

func countVertices(g geom.T) int {
	if gc, ok := g.(*geom.GeometryCollection); ok {
		n := 0
		for _, m := range gc.Geoms() {
			n += countVertices(m)
		}
		return n
	}
	if g.Stride() == 0 {
		return 0
	}
	return len(g.FlatCoords()) / g.Stride()
}

// ctxErr is the error of o's context, nil while it is not done.
func (o Options) ctxErr() error {
	if o.ctx == nil {
		return nil
	}
	return o.ctx.Err()
}
