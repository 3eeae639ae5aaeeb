package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/cityatlas/cityatlas/importers"
	"github.com/cityatlas/cityatlas/ingest"
	"github.com/cityatlas/cityatlas/store"
)

// importFlags are the flags of "cityatlas import" beyond the storage ones
// of config.
type importFlags struct {
	collection  string
	create      bool
	title       string
	description string
	license     string
	keywords    string
	meta        metaFlags
	force       bool
	timezone    string
	layer       string
	role        string
	dryRun      bool
	idField     string
	maps        map[string]string
	skipInvalid bool
	deleteMiss  bool
	addFields   bool
	srs         string
	noSanity    bool
	makeValid   bool
	progress    string
	limits      importers.Limits

	encoding   string
	delimiter  string
	header     string
	lon, lat   string
	wkt        string
	location   string
	types      map[string]string
	keepGeom   bool
	cpuProfile string
}

// pairFlag is a repeatable KEY=VALUE flag.
type pairFlag struct {
	m    map[string]string
	name string
}

func (p pairFlag) String() string { return "" }

func (p pairFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("--%s %q: want SRC=DST", p.name, s)
	}
	p.m[k] = v
	return nil
}

func importCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var (
		cfg config
		f   = importFlags{maps: map[string]string{}, types: map[string]string{}}
	)
	fs := cfg.flagSet("import", getenv, stderr, "import")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: cityatlas import FILE... --collection ID [flags]

Imports shapefiles (.shp, or .zip of them), CSV, GeoJSON, GeoPackage
(every layer, or --layer) and FlatGeobuf files into a collection, all or nothing, reprojecting to WGS84 from the .prj, the GeoJSON
crs member or --srs. Rows are upserted by external id (--id-field), so a
re-import changes nothing and a corrected file updates in place; with
--delete-missing the features that the files no longer have are deleted too.

Flags:
`)
		fs.PrintDefaults()
	}
	fs.StringVar(&f.collection, "collection", "", "id of the target collection (required)")
	fs.BoolVar(&f.create, "create", false, "make the collection from the files' fields and geometry type when it does not exist")
	fs.StringVar(&f.title, "title", "", "title of a collection made by --create (default: its id)")
	fs.StringVar(&f.description, "description", "", "description of a collection made by --create")
	fs.StringVar(&f.license, "license", "", "licence of a collection made by --create: an SPDX id (CC-BY-4.0, ODbL-1.0) or a URL")
	fs.StringVar(&f.keywords, "keywords", "", "comma-separated keywords of a collection made by --create")
	f.meta.register(fs, "a collection made by --create")
	fs.BoolVar(&f.force, "force", false, "import even when the rows would add as many features as the collection already has (a re-import with another --id-field does that)")
	fs.StringVar(&f.timezone, "timezone", "UTC", "time zone of date-times written without a UTC offset (2022-04-16T10:15:10), e.g. America/Chicago")
	fs.StringVar(&f.layer, "layer", "", "the one GeoPackage layer (table) to import (default: every layer)")
	fs.StringVar(&f.role, "role", "", "role of a collection made by --create on the web map: base (a base layer such as streets) or boundary (the city limits)")
	fs.BoolVar(&f.dryRun, "dry-run", false, "read and check everything, print the report, write nothing")
	fs.StringVar(&f.idField, "id-field", "", "source field holding each row's external id (default: GeoJSON id, else file name and record number)")
	fs.Var(pairFlag{f.maps, "map"}, "map", "rename a source field: SRC=DST; SRC= drops it (repeatable)")
	fs.BoolVar(&f.skipInvalid, "skip-invalid", false, "import the good rows and report the bad ones (default: any bad row means nothing is written)")
	fs.BoolVar(&f.addFields, "add-fields", false, "add the files' fields that the collection does not have to its schema, in the import's transaction (default: they are an error)")
	fs.BoolVar(&f.deleteMiss, "delete-missing", false, "make the collection mirror the files: delete its features whose external id no row has (not with --skip-invalid)")
	fs.StringVar(&f.srs, "srs", "", "CRS of the data, e.g. EPSG:2230, overriding the .prj or crs member")
	fs.BoolVar(&f.noSanity, "no-sanity-check", false, "do not refuse rows far outside the CRS's area of use or the collection's extent")
	fs.BoolVar(&f.makeValid, "make-valid", false, "repair polygons that break the OGC validity rules (self-intersections, overlapping parts) instead of refusing their rows")
	f.limits = importers.DefaultLimits
	fs.Var(byteSize{&f.limits.RecordBytes}, "max-record-bytes", "longest record: a CSV row, a GeoJSON feature, a shapefile record (e.g. 64MiB)")
	fs.IntVar(&f.limits.Depth, "max-depth", f.limits.Depth, "deepest nesting of arrays and objects in a GeoJSON feature")
	fs.IntVar(&f.limits.Vertices, "max-vertices", f.limits.Vertices, "most positions in one geometry")
	fs.Var(byteSize{&f.limits.UnzippedBytes}, "max-unzipped-bytes", "most bytes one file in a .zip may inflate to (e.g. 4GiB)")
	fs.Int64Var(&f.limits.ZipRatio, "max-zip-ratio", f.limits.ZipRatio, "most times a file in a .zip may inflate relative to its compressed size")
	fs.StringVar(&f.progress, "progress", "auto", "progress bar: auto (when stdout is a terminal), always, never")
	fs.StringVar(&f.encoding, "encoding", "", "text encoding of CSV and .dbf text: utf-8, windows-1252, latin1, cp1251... (default: detect, or the .cpg)")
	fs.StringVar(&f.delimiter, "delimiter", "", "CSV delimiter: one character, or \"tab\" (default: detect among , ; tab |)")
	fs.StringVar(&f.header, "header", "auto", "CSV header row: auto, yes, no")
	fs.StringVar(&f.lon, "lon-column", "", "CSV column of longitudes or x (with --lat-column)")
	fs.StringVar(&f.lat, "lat-column", "", "CSV column of latitudes or y (with --lon-column)")
	fs.StringVar(&f.wkt, "wkt-column", "", "CSV column of WKT geometries")
	fs.StringVar(&f.location, "location-column", "", "CSV column of Socrata \"(lat, lon)\" locations")
	fs.Var(pairFlag{f.types, "type"}, "type", "CSV column type: COLUMN=string|integer|number|boolean|date|datetime (repeatable)")
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write a Go CPU profile of the import to this file (for performance work)")
	fs.BoolVar(&f.keepGeom, "keep-geometry-columns", false, "keep the CSV columns the geometry was read from as properties too")

	files, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{"import: " + err.Error()}
	}
	if err := cfg.validate(getenv); err != nil {
		return err
	}
	if len(files) == 0 {
		fs.Usage()
		return usageError{"import: give at least one FILE"}
	}
	if f.collection == "" {
		return usageError{"import: give --collection ID"}
	}
	if f.deleteMiss && f.skipInvalid {
		return usageError{"import: --delete-missing cannot go with --skip-invalid: a row refused would delete its feature"}
	}
	ropts, err := f.readerOptions()
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(f.timezone)
	if err != nil || f.timezone == "" || f.timezone == "Local" {
		return usageError{fmt.Sprintf("import: --timezone %q: give an IANA zone name such as UTC or America/Chicago", f.timezone)}
	}
	set := setFlags(fs)
	if !f.create && (f.title != "" || f.description != "" || f.license != "" || f.keywords != "" || anySet(set, metaFlagNames)) {
		return usageError{"import: --title, --description, --license, --keywords and --" + strings.Join(metaFlagNames, ", --") +
			" describe a new collection: they go with --create (cityatlas collection set changes an existing one)"}
	}
	var md store.Metadata
	if err := f.meta.apply(set, &md); err != nil {
		return err
	}
	var showProgress bool
	switch f.progress {
	case "auto":
		showProgress = isTerminal(stdout)
	case "always":
		showProgress = true
	case "never":
	default:
		return usageError{fmt.Sprintf("--progress %q: use auto, always or never", f.progress)}
	}

	log := cfg.logger(stderr)
	b, err := openBackend(ctx, &cfg, log)
	if err != nil {
		return err
	}
	defer b.Close()

	opts := ingest.Options{
		Collection:    f.collection,
		Create:        f.create,
		Title:         f.title,
		Description:   f.description,
		License:       f.license,
		Keywords:      splitKeywords(f.keywords),
		Metadata:      md,
		Force:         f.force,
		Location:      loc,
		Layer:         f.layer,
		Role:          store.Role(f.role),
		DryRun:        f.dryRun,
		IDField:       f.idField,
		Map:           f.maps,
		SkipInvalid:   f.skipInvalid,
		DeleteMissing: f.deleteMiss,
		AddFields:     f.addFields,
		SRS:           f.srs,
		NoSanity:      f.noSanity,
		MakeValid:     f.makeValid,
		Reader:        ropts,
		Actor:         "cityatlas import",
	}
	var bar *progressBar
	if showProgress {
		bar = &progressBar{w: stdout}
		opts.Progress = bar.update
	}
	if f.cpuProfile != "" {
		pf, err := os.Create(f.cpuProfile)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return fmt.Errorf("import: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	rep, err := ingest.Run(ctx, b, files, opts)
	if bar != nil {
		bar.clear()
	}
	printReport(stdout, rep)
	// A signal cancels ctx; the failure it causes need not wrap ctx's
	// error (a GeoPackage transaction rolled back by the cancellation
	// closes its statements first).
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("import: interrupted (%w): nothing was written, the import's transaction was rolled back", context.Cause(ctx))
	}
	if err != nil {
		if errors.Is(err, ingest.ErrRejected) && !f.skipInvalid {
			if hint := crsHint(rep); hint != "" {
				return fmt.Errorf("import: %w (%s)", err, hint)
			}
			return fmt.Errorf("import: %w (see the problems above; fix the rows, or use --skip-invalid to import the good ones)", err)
		}
		return fmt.Errorf("import: %w", err)
	}
	return nil
}

// parseInterspersed parses flags that may come before, between or after
// the positional arguments (FILE... --collection ID), returning the
// positional ones. "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// flag stops at the first non-flag, or after "--".
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func (f *importFlags) readerOptions() (importers.Options, error) {
	o := importers.Options{
		Encoding:            f.encoding,
		LonColumn:           f.lon,
		LatColumn:           f.lat,
		WKTColumn:           f.wkt,
		LocationColumn:      f.location,
		KeepGeometryColumns: f.keepGeom,
		Limits:              f.limits,
	}
	if l := f.limits; l.RecordBytes <= 0 || l.Depth <= 0 || l.Vertices <= 0 || l.UnzippedBytes <= 0 || l.ZipRatio <= 0 {
		return o, usageError{"import: --max-record-bytes, --max-depth, --max-vertices, --max-unzipped-bytes and --max-zip-ratio must be more than 0"}
	}
	if (f.lon == "") != (f.lat == "") {
		return o, usageError{"import: give --lon-column and --lat-column together"}
	}
	switch d := f.delimiter; {
	case d == "":
	case d == "tab" || d == `\t`:
		o.Delimiter = '\t'
	case len([]rune(d)) == 1:
		o.Delimiter = []rune(d)[0]
	default:
		return o, usageError{fmt.Sprintf("import: --delimiter %q: give one character or tab", d)}
	}
	switch f.header {
	case "auto":
	case "yes", "true":
		o.Header = importers.HeaderPresent
	case "no", "false":
		o.Header = importers.HeaderAbsent
	default:
		return o, usageError{fmt.Sprintf("import: --header %q: use auto, yes or no", f.header)}
	}
	if len(f.types) > 0 {
		o.Types = f.types
	}
	return o, nil
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	file, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := file.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progressBar draws "[=====>    ]  45% 450,000/1,000,000 rows  81,000 rows/s  ETA 0:07"
// on one terminal line.
type progressBar struct {
	w     io.Writer
	drawn bool
}

func (p *progressBar) update(pr ingest.Progress) {
	const width = 30
	rate := 0.0
	if s := pr.Elapsed.Seconds(); s > 0 {
		rate = float64(pr.Read) / s
	}
	var line string
	if pr.Total > 0 {
		frac := min(1, float64(pr.Read)/float64(pr.Total))
		n := int(frac * width)
		bar := strings.Repeat("=", n)
		if n < width {
			bar += ">" + strings.Repeat(" ", width-n-1)
		}
		eta := "--:--"
		if rate > 0 {
			eta = fmtDuration(time.Duration(float64(pr.Total-pr.Read) / rate * float64(time.Second)))
		}
		line = fmt.Sprintf("[%s] %3.0f%% %s/%s rows  %s rows/s  ETA %s", bar, frac*100, group(pr.Read), group(pr.Total), group(int(rate)), eta)
	} else {
		line = fmt.Sprintf("%s rows  %s rows/s  %s", group(pr.Read), group(int(rate)), fmtDuration(pr.Elapsed))
	}
	if pr.Done {
		line = fmt.Sprintf("%s rows read in %s; writing...", group(pr.Read), fmtDuration(pr.Elapsed))
	}
	fmt.Fprintf(p.w, "\r\033[K%s", line)
	p.drawn = true
}

func (p *progressBar) clear() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

func fmtDuration(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// group writes n with thousands separators: 1,234,567.
func group(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return s
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// printReport writes the import report for a person.
// printFields ends a line with the names and types of fs.
func printFields(w io.Writer, fs []store.Field) {
	for i, f := range fs {
		sep := ","
		if i == 0 {
			sep = ""
		}
		fmt.Fprintf(w, "%s %s (%s)", sep, f.Name, f.Type)
	}
	fmt.Fprintln(w)
}

func printReport(w io.Writer, r *ingest.Report) {
	if r == nil {
		return
	}
	for _, f := range r.Files {
		crs := f.CRS
		if crs == "" {
			crs = "unknown CRS"
		}
		fmt.Fprintf(w, "file %s: %s rows, %s, from %s\n", f.Name, group(f.Records), orNone(f.GeometryType), crs)
	}
	if r.Created {
		verb := "created"
		switch {
		case r.DryRun:
			verb = "would be created"
		case !r.Committed:
			verb = "not created (the import failed)"
		}
		fmt.Fprintf(w, "collection %q: %s, geometry %s, %d properties:", r.Collection, verb, r.Geometry, len(r.Fields))
		printFields(w, r.Fields)
		if len(r.Renamed) > 0 {
			fmt.Fprintln(w, "field names changed to valid property names:")
			for _, rn := range r.Renamed {
				fmt.Fprintf(w, "  %q -> %s\n", rn.From, rn.To)
			}
		}
	}
	if len(r.Added) > 0 {
		verb := "added"
		switch {
		case r.DryRun:
			verb = "would be added"
		case !r.Committed:
			verb = "not added (the import failed)"
		}
		fmt.Fprintf(w, "collection %q: %d properties %s:", r.Collection, len(r.Added), verb)
		printFields(w, r.Added)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	if len(r.Problems) > 0 {
		fmt.Fprintf(w, "problems (%d rows", len(r.Problems)+r.Omitted)
		if r.Flagged > 0 {
			fmt.Fprintf(w, ", %d far outside the expected area", r.Flagged)
		}
		fmt.Fprintln(w, "):")
		printProblems(w, r.Problems)
		if r.Omitted > 0 {
			fmt.Fprintf(w, "  ... and %s more\n", group(r.Omitted))
		}
	}
	switch {
	case r.DryRun:
		deleted := ""
		if r.Deleted > 0 {
			deleted = ", would delete " + group(r.Deleted)
		}
		fmt.Fprintf(w, "dry run, nothing written: read %s, valid %s, rejected %s%s; would insert %s, update %s, leave %s unchanged (%s)\n",
			group(r.Read), group(r.Valid), group(r.Rejected), deleted, group(r.Inserted), group(r.Updated), group(r.Unchanged), r.Elapsed.Round(time.Millisecond))
	case r.Committed:
		deleted := ""
		if r.Deleted > 0 {
			deleted = ", deleted " + group(r.Deleted)
		}
		fmt.Fprintf(w, "imported into %q: read %s, inserted %s, updated %s, unchanged %s, rejected %s%s (%s)\n",
			r.Collection, group(r.Read), group(r.Inserted), group(r.Updated), group(r.Unchanged), group(r.Rejected), deleted, r.Elapsed.Round(time.Millisecond))
	default:
		fmt.Fprintf(w, "nothing written to %q: read %s, rejected %s (%s)\n", r.Collection, group(r.Read), group(r.Rejected), r.Elapsed.Round(time.Millisecond))
	}
}

func orNone(s string) string {
	if s == "" {
		return "no geometry"
	}
	return s
}

// byteSize is a flag of a size in bytes: 67108864, 64MiB, 64MB, 1.5GiB.
type byteSize struct{ n *int64 }

func (b byteSize) String() string {
	if b.n == nil {
		return ""
	}
	return importers.FormatBytes(*b.n)
}

func (b byteSize) Set(s string) error {
	n, err := humanize.ParseBytes(s)
	if err != nil || n == 0 || n > 1<<62 {
		return fmt.Errorf("%q is not a size in bytes (e.g. 64MiB)", s)
	}
	*b.n = int64(n)
	return nil
}
