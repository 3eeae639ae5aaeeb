package importers

import (
	"archive/zip"
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// The shapefile reader is this package's own: github.com/twpayne/go-shapefile
// v0.0.7 fails a record on a "**********" number or a blank date, needs each
// hole to follow its outer ring, always returns Multi geometries, requires
// M values in Z shapes, refuses zero-area rings and has no message for
// MultiPatch, so it is not used.
//
// Sidecars: the .shx is never needed (records are read in order from the
// .shp); without a .dbf the features have no properties; the .prj, when
// present, is reported by SRS as it is written.
//
// Text in the .dbf is decoded with, in order: Options.Encoding; the .cpg
// file when it names a known encoding (UTF-8, ISO-8859-x, Windows and DOS
// code pages by number or name); otherwise each value that is valid UTF-8 is
// taken as UTF-8 and any other is decoded with the code page of the .dbf's
// language driver byte, or Windows-1252 when that byte is 0 or unknown.
//
// Records marked deleted in the .dbf are skipped. Blank and "*****" numbers,
// blank dates and "?" logicals are nil. Each record's shape type must be the
// file's or null; null shapes give a nil Geometry. Polygon rings keep the
// file's orientation (outer rings clockwise); see assembleRings.

// shapefileReader streams one shapefile.
type shapefileReader struct {
	name      string
	shp       *bufio.Reader
	shpLeft   int64 // bytes of the .shp not read yet; -1 when unknown
	shapeType uint32
	dbf       *dbfTable
	srs       string
	closers   []io.Closer
	record    int
	err       error // final error
	buf       []byte
	limits    Limits
}

// sidecarOpener opens the file of the shapefile with the given extension
// (".dbf", ".prj"...), matching the name in any case. It returns an error
// wrapping fs.ErrNotExist when there is none.
type sidecarOpener func(ext string) (io.ReadCloser, int64, error)

// newShapefileReader reads the headers of a shapefile and prepares to
// stream its records.
func newShapefileReader(name string, open sidecarOpener, opts Options) (_ *shapefileReader, err error) {
	r := &shapefileReader{name: name, srs: opts.SRS, limits: opts.Limits.withDefaults()}
	defer func() {
		if err != nil {
			r.Close()
		}
	}()
	shp, size, err := open(".shp")
	if err != nil {
		return nil, fmt.Errorf("importers: %s: %w", name, err)
	}
	r.closers = append(r.closers, shp)
	r.shp = bufio.NewReaderSize(shp, 64<<10)
	h := make([]byte, shpHeaderLen)
	if _, err := io.ReadFull(r.shp, h); err != nil {
		return nil, fmt.Errorf("importers: %s: %w: .shp header: %v", name, ErrFormat, err)
	}
	if r.shapeType, err = shpHeader(h); err != nil {
		return nil, fmt.Errorf("importers: %s: %w", name, err)
	}
	r.shpLeft = -1
	if size >= shpHeaderLen {
		r.shpLeft = size - shpHeaderLen
	}

	if r.srs == "" {
		if prj, _, err := open(".prj"); err == nil {
			b, rerr := io.ReadAll(io.LimitReader(prj, 1<<20))
			prj.Close()
			if rerr != nil {
				return nil, fmt.Errorf("importers: %s: .prj: %w", name, rerr)
			}
			r.srs = strings.TrimSpace(strings.TrimPrefix(string(b), "\ufeff"))
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("importers: %s: %w", name, err)
		}
	}

	dbf, _, err := open(".dbf")
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return r, nil
	case err != nil:
		return nil, fmt.Errorf("importers: %s: %w", name, err)
	}
	r.closers = append(r.closers, dbf)
	if r.dbf, err = readDBFHeader(bufio.NewReaderSize(dbf, 64<<10)); err != nil {
		return nil, fmt.Errorf("importers: %s: %w", name, err)
	}
	dec, err := shapefileDecoder(open, r.dbf.ldid, opts)
	if err != nil {
		return nil, fmt.Errorf("importers: %s: %w", name, err)
	}
	r.dbf.setDecoder(dec)
	return r, nil
}

// shapefileDecoder picks the .dbf text decoder (see the comment at the top
// of this file).
func shapefileDecoder(open sidecarOpener, ldid byte, opts Options) (textDecoder, error) {
	if opts.Encoding != "" {
		return explicitDecoder(opts.Encoding)
	}
	if cpg, _, err := open(".cpg"); err == nil {
		b, _ := io.ReadAll(io.LimitReader(cpg, 256))
		cpg.Close()
		if enc, ok := lookupEncoding(string(b)); ok {
			return textDecoder{name: strings.TrimSpace(string(b)), enc: enc}, nil
		}
	}
	fallback := "1252"
	if cp, ok := ldidCodePages[ldid]; ok {
		fallback = cp
	}
	enc, _ := codePage(fallback)
	return textDecoder{name: "utf-8 or windows-" + fallback, enc: enc, auto: true}, nil
}

func (r *shapefileReader) Name() string { return r.name }
func (r *shapefileReader) SRS() string  { return r.srs }

func (r *shapefileReader) GeometryType() string { return shapeTypeName(r.shapeType) }

func (r *shapefileReader) Fields() []Field {
	if r.dbf == nil {
		return []Field{}
	}
	return r.dbf.fieldList()
}

func (r *shapefileReader) Close() error {
	var first error
	for _, c := range r.closers {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	r.closers = nil
	if r.err == nil {
		r.err = fmt.Errorf("importers: %s: reader is closed", r.name)
	}
	return first
}

func (r *shapefileReader) fail(err error) (Feature, error) {
	r.err = err
	return Feature{}, err
}

// Next reads the next record. A bad shape or .dbf value is a *RecordError;
// a truncated .shp is final.
func (r *shapefileReader) Next() (Feature, error) {
	for {
		if r.err != nil {
			return Feature{}, r.err
		}
		var hdr [8]byte
		n, err := io.ReadFull(r.shp, hdr[:])
		switch {
		case errors.Is(err, ErrLimit):
			return r.fail(fmt.Errorf("importers: after record %d: %w", r.record, err))
		case err == io.EOF || (n == 0 && errors.Is(err, io.ErrUnexpectedEOF)):
			return r.fail(io.EOF)
		case err != nil:
			return r.fail(fmt.Errorf("importers: %s: %w: .shp is truncated after record %d: %w", r.name, ErrFormat, r.record, err))
		}
		r.record++
		contentLen := int64(binary.BigEndian.Uint32(hdr[4:8])) * 2
		if contentLen < 4 {
			// Every record starts with its shape type: a shorter one
			// means the rest of the file cannot be trusted either (a
			// file of zeros would otherwise be read to its end, one bad
			// record every 8 bytes).
			return r.fail(fmt.Errorf("importers: %s: %w: record %d has %d bytes, too few for its shape type: the .shp is corrupt", r.name, ErrFormat, r.record, contentLen))
		}
		if r.shpLeft >= 0 {
			r.shpLeft -= 8
			if contentLen > r.shpLeft {
				return r.fail(fmt.Errorf("importers: %s: %w: record %d claims %d bytes but %d are left in the .shp", r.name, ErrFormat, r.record, contentLen, r.shpLeft))
			}
			r.shpLeft -= contentLen
		} else if contentLen > 1<<30 {
			return r.fail(fmt.Errorf("importers: %s: %w: record %d claims %d bytes", r.name, ErrFormat, r.record, contentLen))
		}
		if contentLen > r.limits.RecordBytes {
			return r.fail(fmt.Errorf("importers: %s: record %d: %w: %d bytes, more than %s (--max-record-bytes)", r.name, r.record, ErrLimit, contentLen, FormatBytes(r.limits.RecordBytes)))
		}
		if int64(cap(r.buf)) < contentLen {
			r.buf = make([]byte, contentLen)
		}
		content := r.buf[:contentLen]
		if _, err := io.ReadFull(r.shp, content); errors.Is(err, ErrLimit) {
			return r.fail(fmt.Errorf("importers: record %d: %w", r.record, err))
		} else if err != nil {
			return r.fail(fmt.Errorf("importers: %s: %w: record %d is truncated: %w", r.name, ErrFormat, r.record, err))
		}

		f := Feature{Record: r.record, Properties: map[string]any{}}
		var recErr *RecordError
		if r.dbf != nil {
			props, deleted, err := r.dbf.next()
			var fe *fieldError
			switch {
			case errors.Is(err, errDBFEnd):
				recErr = &RecordError{File: r.name, Record: r.record, Err: fmt.Errorf("%w: the .dbf has no row for this shape (it has %d rows)", ErrFormat, r.dbf.read)}
			case errors.As(err, &fe):
				recErr = &RecordError{File: r.name, Record: r.record, Field: fe.field, Err: fe.err}
			case err != nil:
				return r.fail(fmt.Errorf("importers: %s: %w", r.name, err))
			case deleted:
				continue
			}
			if props != nil {
				f.Properties = props
			}
		}
		g, err := parseShape(content)
		if err == nil && g != nil && len(content) >= 4 {
			if t := binary.LittleEndian.Uint32(content); t != r.shapeType {
				err = fmt.Errorf("%w: record shape type %d in a file of shape type %d", ErrFormat, t, r.shapeType)
			}
		}
		if err == nil {
			err = checkVertices(g, r.limits)
		}
		if err != nil {
			return Feature{}, &RecordError{File: r.name, Record: r.record, Err: err}
		}
		if recErr != nil {
			return Feature{}, recErr
		}
		f.Geometry = g
		return f, nil
	}
}

// openShapefileDir opens a .shp and finds its sidecars beside it.
func openShapefileDir(shpPath string, opts Options) (Reader, error) {
	dir := filepath.Dir(shpPath)
	base := strings.TrimSuffix(filepath.Base(shpPath), filepath.Ext(shpPath))
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("importers: %w", err)
	}
	open := func(ext string) (io.ReadCloser, int64, error) {
		want := base + ext
		for _, e := range entries {
			if strings.EqualFold(e.Name(), want) && !e.IsDir() {
				name := filepath.Join(dir, e.Name())
				if err := checkRegular(name); err != nil {
					return nil, 0, err
				}
				f, err := os.Open(name)
				if err != nil {
					return nil, 0, err
				}
				st, err := f.Stat()
				if err != nil {
					f.Close()
					return nil, 0, err
				}
				return opts.guard(f), st.Size(), nil
			}
		}
		return nil, 0, fmt.Errorf("%s: %w", want, fs.ErrNotExist)
	}
	return newShapefileReader(shpPath, open, opts)
}

// openShapefileZip returns a reader for every .shp in a zip archive, in
// name order, skipping macOS resource forks.
func openShapefileZip(zipPath string, opts Options) ([]Reader, error) {
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return nil, fmt.Errorf("importers: %s: %w: %v", zipPath, ErrFormat, err)
	}
	var shps []string
	for _, f := range zr.File {
		n := f.Name
		if strings.EqualFold(path.Ext(n), ".shp") && !strings.HasPrefix(n, "__MACOSX/") && !strings.HasPrefix(path.Base(n), "._") {
			shps = append(shps, n)
		}
	}
	zr.Close()
	if len(shps) == 0 {
		return nil, fmt.Errorf("importers: %s: %w: the zip holds no .shp file", zipPath, ErrFormat)
	}
	sort.Strings(shps)
	var readers []Reader
	for _, shp := range shps {
		r, err := openZipMember(zipPath, shp, opts)
		if err != nil {
			for _, o := range readers {
				o.Close()
			}
			return nil, err
		}
		readers = append(readers, r)
	}
	return readers, nil
}

// openZipMember opens one shapefile in a zip; it holds its own handle on
// the archive so that each reader closes independently.
func openZipMember(zipPath, shp string, opts Options) (Reader, error) {
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return nil, fmt.Errorf("importers: %s: %w: %v", zipPath, ErrFormat, err)
	}
	base := strings.TrimSuffix(shp, path.Ext(shp))
	open := func(ext string) (io.ReadCloser, int64, error) {
		for _, f := range zr.File {
			if strings.EqualFold(f.Name, base+ext) {
				rc, err := f.Open()
				if err != nil {
					return nil, 0, fmt.Errorf("%s: %w", f.Name, err)
				}
				lim := newZipLimitReader(rc, zipPath+"!"+f.Name, f.CompressedSize64, opts.Limits)
				return opts.guard(lim), int64(f.UncompressedSize64), nil
			}
		}
		return nil, 0, fmt.Errorf("%s%s: %w", base, ext, fs.ErrNotExist)
	}
	r, err := newShapefileReader(zipPath+"!"+shp, open, opts)
	if err != nil {
		zr.Close()
		return nil, err
	}
	r.closers = append(r.closers, zr)
	return r, nil
}
