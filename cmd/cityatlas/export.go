package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cityatlas/cityatlas/formats"
	"github.com/cityatlas/cityatlas/ingest"
	"github.com/cityatlas/cityatlas/store"
)

// exportCmd writes a collection, or the part of it a query selects, to a
// file or stdout in one of the download formats.
func exportCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg config
	fs := cfg.flagSet("export", getenv, stderr)
	var (
		collection, format, output, bbox, datetime, properties, progress string
		where                                                            = map[string]string{}
	)
	fs.StringVar(&collection, "collection", "", "the collection to export (required)")
	fs.StringVar(&format, "format", "", "output format: "+strings.Join(formats.Names(), ", ")+"; default: from the --output file's extension, else geojson")
	fs.StringVar(&output, "output", "-", "file to write; - for stdout. A file is written whole or not at all")
	fs.StringVar(&bbox, "bbox", "", "only features intersecting minLon,minLat,maxLon,maxLat (WGS84)")
	fs.StringVar(&datetime, "datetime", "", "only features whose time lies in an RFC 3339 instant, a date, or an interval START/END (.. for an open end)")
	fs.StringVar(&properties, "properties", "", "comma-separated properties to write (default: all)")
	fs.Var(pairFlag{where, "where"}, "where", "only features whose PROPERTY=VALUE (repeatable)")
	fs.StringVar(&progress, "progress", "auto", "progress bar on stderr: auto (when stderr is a terminal), always, never")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: cityatlas export --collection ID [--format F] [--output FILE] [query flags]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{"export: " + err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("export: unexpected argument %q (the collection goes in --collection)", fs.Arg(0))}
	}
	if err := cfg.validate(getenv); err != nil {
		return err
	}
	if collection == "" {
		return usageError{"export: give --collection ID"}
	}
	ff, err := exportFormat(format, output)
	if err != nil {
		return err
	}
	filter := store.Filter{}
	if filter.BBox, err = parseBBoxFlag(bbox); err != nil {
		return err
	}
	if filter.Time, err = parseTimeFlag(datetime); err != nil {
		return err
	}
	for _, k := range slices.Sorted(mapsKeys(where)) {
		filter.Props = append(filter.Props, store.PropFilter{Name: k, Value: where[k]})
	}
	var show bool
	switch progress {
	case "auto":
		show = isTerminal(stderr)
	case "always":
		show = true
	case "never":
	default:
		return usageError{fmt.Sprintf("export: --progress %q: use auto, always or never", progress)}
	}

	log := cfg.logger(stderr)
	b, err := openBackend(ctx, &cfg, log)
	if err != nil {
		return err
	}
	defer b.Close()
	st, err := store.Open(ctx, b, log)
	if err != nil {
		return err
	}
	ci, err := st.Collection(collection)
	if err != nil {
		return usageError{fmt.Sprintf("export: there is no collection %q", collection)}
	}
	picked, err := pickFields(ci, properties)
	if err != nil {
		return err
	}
	if ci.TimeField == "" && filter.Time != nil {
		// The index filters on the features' update time then, as the api does.
		log.Debug("export: --datetime applies to the features' update time")
	}
	sel, err := st.Select(ctx, ci.ID, filter)
	if err != nil {
		if errors.Is(err, store.ErrInvalid) {
			return usageError{"export: " + err.Error()}
		}
		return fmt.Errorf("export: %w", err)
	}
	fields := make([]store.Field, len(picked))
	for i, fi := range picked {
		fields[i] = ci.Fields[fi]
	}
	var bar *progressBar
	if show {
		bar = &progressBar{w: stderr}
	}
	n, err := writeExport(ctx, output, stdout, ff, formats.LayerOf(ci, fields, sel.Len()), sel, picked, bar)
	if bar != nil {
		bar.clear()
	}
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if output != "-" {
		fmt.Fprintf(stderr, "%s features of %s written to %s (%s)\n", group(n), ci.ID, output, ff.Title)
	}
	return nil
}

func mapsKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// exportFormat picks the format from --format, else the output's extension.
func exportFormat(name, output string) (formats.Format, error) {
	if name != "" {
		f, ok := formats.Lookup(name)
		if !ok {
			return f, usageError{fmt.Sprintf("export: --format %q: use one of %s", name, strings.Join(formats.Names(), ", "))}
		}
		return f, nil
	}
	lower := strings.ToLower(output)
	for _, f := range formats.All {
		if strings.HasSuffix(lower, "."+f.Ext) {
			return f, nil
		}
	}
	switch filepath.Ext(lower) {
	case ".json":
		return formats.All[0], nil
	case ".zip":
		f, _ := formats.Lookup("shp")
		return f, nil
	case "":
		return formats.All[0], nil
	}
	return formats.Format{}, usageError{fmt.Sprintf("export: cannot tell the format of %q from its extension; give --format", output)}
}

func pickFields(ci store.CollectionInfo, list string) ([]int, error) {
	var out []int
	if list == "" {
		for i := range ci.Fields {
			out = append(out, i)
		}
		return out, nil
	}
	want := map[string]bool{}
	for _, n := range strings.Split(list, ",") {
		n = strings.TrimSpace(n)
		if _, ok := ci.Field(n); !ok {
			return nil, usageError{fmt.Sprintf("export: --properties: collection %q has no property %q", ci.ID, n)}
		}
		want[n] = true
	}
	for i, fd := range ci.Fields {
		if want[fd.Name] {
			out = append(out, i)
		}
	}
	return out, nil
}

// writeExport writes the selection to output ("-": w). A file is written
// under a temporary name and renamed when complete, so a failed export
// leaves no file that looks whole.
func writeExport(ctx context.Context, output string, w io.Writer, ff formats.Format, l formats.Layer, sel *store.Selection, picked []int, bar *progressBar) (int, error) {
	var f *os.File
	if output != "-" {
		var err error
		if f, err = os.CreateTemp(filepath.Dir(output), "."+filepath.Base(output)+".*.partial"); err != nil {
			return 0, err
		}
		defer func() {
			if f != nil {
				f.Close()
				os.Remove(f.Name())
			}
		}()
		w = f
	}
	fw, err := ff.New(w, l)
	if err != nil {
		return 0, err
	}
	var pw formats.Writer = fw
	if bar != nil {
		pw = &progressWriter{Writer: fw, bar: bar, total: l.Count, start: time.Now()}
	}
	n, err := formats.Copy(ctx, pw, sel, picked)
	if err != nil {
		fw.Abort()
		return n, err
	}
	if bar != nil {
		bar.update(ingest.Progress{Read: n, Total: l.Count, Elapsed: time.Since(pw.(*progressWriter).start), Done: true})
	}
	if err := fw.Close(); err != nil {
		return n, err
	}
	if f != nil {
		if err := f.Close(); err != nil {
			return n, err
		}
		if err := os.Rename(f.Name(), output); err != nil {
			return n, err
		}
		f = nil
	}
	return n, nil
}

// progressWriter updates the progress bar as features are written.
type progressWriter struct {
	formats.Writer
	bar   *progressBar
	total int
	n     int
	start time.Time
	last  time.Time
}

func (p *progressWriter) Write(f *formats.Feature) error {
	p.n++
	if p.n&4095 == 0 {
		if now := time.Now(); now.Sub(p.last) > 200*time.Millisecond {
			p.last = now
			p.bar.update(ingest.Progress{Read: p.n, Total: p.total, Elapsed: now.Sub(p.start)})
		}
	}
	return p.Writer.Write(f)
}

func parseBBoxFlag(s string) (*[4]float64, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return nil, usageError{fmt.Sprintf("export: --bbox %q: give minLon,minLat,maxLon,maxLat", s)}
	}
	var b [4]float64
	for i, p := range parts {
		x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return nil, usageError{fmt.Sprintf("export: --bbox value %d (%q) is not a number", i+1, p)}
		}
		b[i] = x
	}
	if b[0] > b[2] || b[1] > b[3] || b[0] < -180 || b[2] > 180 || b[1] < -90 || b[3] > 90 {
		return nil, usageError{fmt.Sprintf("export: --bbox %q: want minLon,minLat,maxLon,maxLat within -180..180, -90..90", s)}
	}
	return &b, nil
}

func parseTimeFlag(s string) (*store.Interval, error) {
	if s == "" {
		return nil, nil
	}
	parse := func(v string, end bool) (*time.Time, error) {
		if v == "" || v == ".." {
			return nil, nil
		}
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return &t, nil
		}
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return nil, usageError{fmt.Sprintf("export: --datetime %q: %q is not an RFC 3339 time or a date", s, v)}
		}
		if end {
			t = t.Add(24*time.Hour - time.Nanosecond)
		}
		return &t, nil
	}
	a, b, interval := strings.Cut(s, "/")
	if !interval {
		b = a
	}
	var iv store.Interval
	var err error
	if iv.Start, err = parse(a, false); err != nil {
		return nil, err
	}
	if iv.End, err = parse(b, true); err != nil {
		return nil, err
	}
	if iv.Start == nil && iv.End == nil {
		return nil, usageError{fmt.Sprintf("export: --datetime %q: give at least one end", s)}
	}
	return &iv, nil
}
