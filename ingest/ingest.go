// Package ingest is cityatlas's import pipeline: it reads files through
// package importers, reprojects their geometry to WGS84 lon/lat (package
// geo/proj), checks every row against the target collection's schema and
// expected area, and writes them through a store.Backend in one
// transaction.
//
// The pipeline streams: one row is converted at a time, and a backend that
// implements store.StreamApplier (both store/gpkg and store/postgis do)
// receives the rows as a stream inside a single transaction, so memory does
// not grow with the file. A backend without it gets one Apply with the
// whole batch.
//
// All or nothing: a row that cannot be imported (a reader's per-record
// error, a value of the wrong type for the schema, a geometry the
// collection does not take, a geometry far outside the expected area) is
// reported with its file, record or line and field, and, unless
// Options.SkipInvalid, the whole import is rolled back after every row has
// been checked, so that the report lists every bad row. A collection made
// by Options.Create is removed again when the import fails.
//
// Rows are upserted by external id, so importing the same file again
// changes nothing and importing a corrected file updates in place. The
// external id is the Options.IDField value; else the GeoJSON feature id
// or the GeoPackage feature id; else "FILE#RECORD" (the file's base name
// and the record number). An id that two rows give is a bad row: the
// check keeps a 64-bit hash of each id (16 bytes a row, the only memory
// that grows with the file).
//
// A store.Store on the same backend sees the new rows after its next Sync
// (the change log), as a running server does.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"path/filepath"
	"time"

	"github.com/cityatlas/cityatlas/geo"
	"github.com/cityatlas/cityatlas/geo/proj"
	"github.com/cityatlas/cityatlas/importers"
	"github.com/cityatlas/cityatlas/store"
)

// Sentinel errors that callers branch on with errors.Is.
var (
	// ErrRejected: rows were rejected and Options.SkipInvalid was not set,
	// so nothing was written; Report.Problems lists them.
	ErrRejected = errors.New("rows rejected, nothing written")
	// ErrOutside is wrapped by the *importers.RecordError of a row whose
	// geometry lies far outside the expected area (the CRS's area of use,
	// the collection's current extent): usually a wrong .prj or --srs.
	ErrOutside = errors.New("far outside the expected area")
	// ErrCRS: a file's CRS is missing, unreadable or unsupported, and the
	// user named none (Options.SRS). It also wraps proj.ErrUnknownCRS when
	// the definition could not be parsed.
	ErrCRS = errors.New("unknown CRS")
)

// Options say what to import and how. Collection is required.
type Options struct {
	// Collection is the id of the target collection.
	Collection string
	// Create makes the collection when it does not exist, from the files'
	// fields (names sanitised, see Sanitize; types as the readers infer
	// them) and geometry type. Title is its title (default: the id).
	Create bool
	Title  string
	// Description, License (an SPDX id or a URL) and Keywords are the
	// metadata of a collection made by Create.
	Description string
	License     string
	Keywords    []string
	// Metadata is the catalog metadata of a collection made by Create
	// (AccrualPeriodicity already in ISO 8601 form, see store.Periodicity).
	Metadata store.Metadata
	// Force imports even when the rows would add as many features as the
	// collection already has (see ErrWouldDouble).
	Force bool
	// Location is the zone of date-times without a UTC offset
	// ("2022-04-16T10:15:10"); nil is UTC. A note says how many there were.
	Location *time.Location
	// Layer names the one GeoPackage layer to import (default: all).
	Layer string
	// Role is the role of a collection made by Create: store.RoleBase
	// for a base layer such as streets, store.RoleBoundary for the city
	// limits; empty for a layer of assets.
	Role store.Role
	// DryRun reads and checks everything and writes nothing.
	DryRun bool
	// IDField names the source field (as in the file) whose value is a
	// row's external id.
	IDField string
	// Map renames source fields: SRC → DST property; DST "" drops SRC.
	Map map[string]string
	// AddFields adds the files' fields that an existing collection does
	// not have (and Map does not map or drop) to its schema, named and
	// typed as Create would, in the transaction of the import's writes
	// (the backend must be a store.SchemaChanger). Without it such fields
	// are an error.
	AddFields bool
	// SkipInvalid imports the good rows and reports the bad ones, instead
	// of writing nothing when any row is bad.
	SkipInvalid bool
	// DeleteMissing makes the collection mirror the files: its features
	// whose external id no row of the files has are deleted, in the same
	// transaction. It cannot go with SkipInvalid (a row refused would
	// delete its feature).
	DeleteMissing bool
	// SRS is the CRS the data is in ("EPSG:2230", WKT), overriding what
	// the files say.
	SRS string
	// NoSanity turns off the expected-area check.
	NoSanity bool
	// MakeValid repairs polygons that break the OGC validity rules (see
	// geo.MakeValid) instead of refusing their rows; the report counts
	// them. A repair that would lose part of a polygon is still refused.
	MakeValid bool
	// Reader tunes the readers (encoding, CSV columns, ...). Its SRS is
	// replaced by Options.SRS.
	Reader importers.Options
	// Actor is written to the change log (default "import").
	Actor string
	// Progress, when not nil, is called every ProgressEvery (default
	// 200ms) while rows are read, and once at the end with Done set.
	Progress      func(Progress)
	ProgressEvery time.Duration
}

// Progress is what a progress display needs.
type Progress struct {
	Read    int           // rows read so far, good and bad
	Total   int           // estimated rows of all files; 0 when unknown
	Elapsed time.Duration // since reading started
	Done    bool          // reading has finished (the write may be committing)
}

// FileInfo describes one source of the import.
type FileInfo struct {
	Name string // the reader's name: the file, or "archive.zip!dir/a.shp"
	// CRS is what the source's coordinates were read as, for example
	// "NAD83 / California zone 6 (ftUS) (EPSG:2230)".
	CRS          string
	GeometryType string // as the reader reports it
	Records      int    // rows read from it
}

// Report says what an import did, or would do in a dry run.
type Report struct {
	Collection string
	// Created: the import made the collection (in a dry run: would make
	// it). Fields and Geometry are then its schema.
	Created  bool
	Fields   []store.Field
	Geometry store.GeometryType
	// Added are the fields Options.AddFields added to the collection (in
	// a dry run: would add).
	Added   []store.Field
	Renamed []Rename
	DryRun  bool
	// Committed: the rows were written (false in a dry run and on error).
	Committed bool
	Files     []FileInfo
	// Read counts every row; Rejected the bad ones (len(Problems) minus
	// whole-file problems). Inserted, Updated, Unchanged and Deleted are
	// what the backend did, zero unless Committed; in a dry run they are
	// what the import would do (rows compared with the stored features by
	// external id and contents) and Deleted is what Options.DeleteMissing
	// would delete. Valid is Read minus Rejected.
	Read, Valid, Rejected                 int
	Inserted, Updated, Unchanged, Deleted int
	Problems                              []*importers.RecordError
	Omitted                               int
	Flagged                               int // of Problems, rows outside the expected area (ErrOutside)
	// SuggestedSRS is the built-in CRS that puts the first row refused as
	// outside the expected area inside its own area of use (the same zone
	// in feet for a .prj that says metres), or "".
	SuggestedSRS string
	// Repaired counts the rows whose invalid geometry Options.MakeValid
	// repaired; Rewound those whose polygon rings were wound against the
	// RFC 7946 right-hand rule (rewound, not refused).
	Repaired, Rewound int
	Notes             []string
	Elapsed           time.Duration
}

// source is one opened reader with what the pipeline needs for it.
type source struct {
	r       importers.Reader
	crs     *proj.CRS // nil: already WGS84 lon/lat
	plan    plan
	boxes   []box // the geometry must lie inside each
	idField string
	cols    *columns // for rows read as Values
	warned  bool     // a note says this source has rows outside the expected area
	// suggested: suggestCRS has run for this source
	suggested bool
	base      string
	info      *FileInfo
}

// Run imports the files into the collection through b, as opts say, and
// returns the report, also when it fails (then with what it found). Errors:
// ErrRejected (wrapped) when rows were bad and nothing was written;
// ErrCRS for a source without a usable CRS; store.ErrNotFound for a
// missing collection without Options.Create; store.ErrInvalid for a bad
// mapping or unknown fields; the readers' and the backend's errors.
func Run(ctx context.Context, b store.Backend, files []string, opts Options) (*Report, error) {
	if opts.Reader.SurveyRows == 0 && opts.Reader.SampleRows == 0 {
		// CSV files are read once, their layout guessed from the first
		// rows; if a later row proves the guess wrong, the import stops,
		// having written nothing, and starts again with a first pass over
		// the whole file.
		quick := opts
		quick.Reader.SurveyRows = surveyRows
		rep, err := runInserts(ctx, b, files, quick)
		if !errors.Is(err, importers.ErrGuess) {
			return rep, err
		}
	}
	return runInserts(ctx, b, files, opts)
}

// runInserts runs the import with inserts where it can (see run). A
// repeated id among them makes the backend refuse the stream before the
// import could report it as a bad row: then it runs again with upserts,
// which report every repeat.
func runInserts(ctx context.Context, b store.Backend, files []string, opts Options) (*Report, error) {
	rep, err := run(ctx, b, files, opts, true)
	if errors.Is(err, errRepeatedInsert) {
		return run(ctx, b, files, opts, false)
	}
	return rep, err
}

// errRepeatedInsert: the backend refused an import of inserts for an
// external id given twice.
var errRepeatedInsert = errors.New("an external id repeated among inserts")

// surveyRows is how many rows of a CSV file the guess of its layout reads.
const surveyRows = 20_000

// maxProblems is how many bad rows the report lists (it counts them all).
const maxProblems = 1000

func run(ctx context.Context, b store.Backend, files []string, opts Options, inserts bool) (*Report, error) {
	start := time.Now()
	rep := &Report{Collection: opts.Collection, DryRun: opts.DryRun}
	defer func() { rep.Elapsed = time.Since(start) }()
	if len(files) == 0 {
		return rep, fmt.Errorf("ingest: %w", store.Invalidf("no files to import"))
	}
	if opts.Actor == "" {
		opts.Actor = "import"
	}
	if opts.ProgressEvery <= 0 {
		opts.ProgressEvery = 200 * time.Millisecond
	}
	if opts.DeleteMissing && opts.SkipInvalid {
		return rep, fmt.Errorf("ingest: %w", store.Invalidf("--delete-missing cannot go with --skip-invalid: a row refused would delete its feature"))
	}

	// The target collection, if it exists.
	var (
		coll   store.Collection
		exists bool
	)
	cs, err := b.Collections(ctx)
	if err != nil {
		return rep, fmt.Errorf("ingest: %w", err)
	}
	for _, c := range cs {
		if c.ID == opts.Collection {
			coll, exists = c, true
		}
	}
	if !exists {
		if !opts.Create {
			return rep, fmt.Errorf("ingest: collection %q does not exist (add --create to make it from the file): %w", opts.Collection, store.ErrNotFound)
		}
		probe := store.Collection{ID: opts.Collection, Geometry: store.GeometryAny}
		if err := store.ValidateCollection(&probe); err != nil {
			return rep, fmt.Errorf("ingest: %w", err)
		}
	} else if opts.Create {
		rep.Notes = append(rep.Notes, fmt.Sprintf("collection %q exists: importing into it (--create does nothing)", coll.ID))
	}

	// Open every source.
	ropts := opts.Reader
	ropts.SRS = opts.SRS
	ropts.Values = true
	ropts.Layer = opts.Layer
	ropts.Location = opts.Location
	if exists {
		ropts.Types = typesFor(&coll, opts.Map)
		for k, v := range opts.Reader.Types {
			ropts.Types[k] = v
		}
	}
	var srcs []*source
	defer func() {
		for _, s := range srcs {
			s.r.Close()
		}
	}()
	for _, path := range files {
		rs, err := importers.OpenContext(ctx, path, ropts)
		if err != nil {
			return rep, fmt.Errorf("ingest: %w", err)
		}
		for _, r := range rs {
			srcs = append(srcs, &source{r: r, base: filepath.Base(r.Name())})
		}
	}
	rep.Files = make([]FileInfo, len(srcs))
	for i, s := range srcs {
		s.info = &rep.Files[i]
		s.info.Name = s.r.Name()
		s.info.GeometryType = s.r.GeometryType()
		if err := s.openCRS(opts.SRS); err != nil {
			return rep, err
		}
	}

	// The schema: made from the files, or the collection's.
	names := make([]string, len(srcs))
	fields := make([][]importers.Field, len(srcs))
	gtypes := make([]string, len(srcs))
	for i, s := range srcs {
		names[i], fields[i], gtypes[i] = s.r.Name(), s.r.Fields(), s.r.GeometryType()
	}
	if err := checkMapKeys(opts.Map, opts.IDField, fields); err != nil {
		return rep, err
	}
	if !exists {
		fs, plans, renames, err := schemaFor(names, fields, opts.Map)
		if err != nil {
			return rep, fmt.Errorf("ingest: %w", err)
		}
		if coll, err = newCollection(opts, fs, gtypes); err != nil {
			return rep, err
		}
		rep.Created, rep.Fields, rep.Geometry, rep.Renamed = true, fs, coll.Geometry, renames
		for i, s := range srcs {
			s.plan = plans[i]
		}
	} else {
		if opts.AddFields {
			add, err := fieldsToAdd(names, fields, &coll, opts.Map)
			if err != nil {
				return rep, fmt.Errorf("ingest: %w", err)
			}
			if len(add) > 0 {
				if _, ok := b.(store.SchemaChanger); !ok {
					return rep, fmt.Errorf("ingest: --add-fields: %w", store.Invalidf("this backend cannot change a collection's schema"))
				}
				if coll, err = store.ChangedFields(coll, store.FieldChange{Add: add}); err != nil {
					return rep, fmt.Errorf("ingest: --add-fields: %w", err)
				}
				rep.Added = add
			}
		}
		for i, s := range srcs {
			p, err := planFor(names[i], fields[i], &coll, opts.Map)
			if err != nil {
				return rep, fmt.Errorf("ingest: %w", err)
			}
			s.plan = p
		}
	}
	if opts.IDField == "" {
		rep.Notes = append(rep.Notes, "no --id-field: rows are identified by their GeoJSON id, or else by file name and record number, so re-importing the same file updates in place but reordered rows do not")
	}
	for _, s := range srcs {
		s.idField = opts.IDField
	}

	// The expected area.
	if !opts.NoSanity {
		var ext *box
		if exists {
			if e, ok, err := extentOf(ctx, b, coll.ID); err != nil {
				return rep, err
			} else if ok {
				x := extentBox(e, coll.ID)
				ext = &x
			}
		}
		for _, s := range srcs {
			if s.crs != nil {
				if a, ok := s.crs.AreaOfUse(); ok {
					if x, ok := areaBox(a, s.crs.String()); ok {
						s.boxes = append(s.boxes, x)
					}
				}
			}
			if ext != nil {
				s.boxes = append(s.boxes, *ext)
			}
		}
	}

	// Read, check, write.
	p := &pipeline{ctx: ctx, opts: &opts, coll: &coll, srcs: srcs, rep: rep, start: time.Now(), seed: maphash.MakeSeed(),
		// Into a collection made for this import every row is new:
		// inserts, which spare the backend matching them (and a bulk load,
		// remembering the ids it has seen). A repeated id makes the
		// backend refuse them; runInserts then runs again with upserts.
		fresh: inserts && !exists}
	defer p.noteNaive() // after stop: the readers' counts are final
	defer p.stop()
	for _, f := range files {
		p.total += estimateRows(f)
	}
	p.ids = newIDLog(idRun)
	defer p.ids.close()
	if exists {
		if p.old, err = readExisting(ctx, b, coll.ID, p.seed, opts.DryRun); err != nil {
			return rep, fmt.Errorf("ingest: %w", err)
		}
	}
	if opts.DeleteMissing && exists {
		// What the collection holds before the import: the features the
		// files do not have are deleted when they have been read.
		bad, err := scanSkipping(ctx, b, coll.ID, func(f store.Feature) error {
			p.stored = append(p.stored, stored{hash: maphash.String(p.seed, f.ExternalID), id: f.ID})
			return nil
		})
		if err != nil {
			return rep, fmt.Errorf("ingest: read the collection's ids: %w", err)
		}
		if len(bad) > 0 {
			// A row the backend cannot read has no external id to match
			// against the files': deleting it could delete a row this
			// import updates, so it is left as it is, and said.
			rep.Notes = append(rep.Notes, fmt.Sprintf("%d stored rows cannot be read (quarantined, ids %s): --delete-missing left them as they are; fix or delete them in the database", len(bad), sampleIDs(bad)))
		}
	}
	if opts.DryRun {
		for {
			m, err := p.next()
			if err == nil {
				p.dryCount(m)
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if errors.Is(err, errBadRows) {
				break
			}
			if err != nil {
				return rep, err
			}
		}
		p.progress(true)
		rep.Valid = rep.Read - rep.Rejected
		if rep.Rejected > 0 && !opts.SkipInvalid {
			rep.Inserted, rep.Updated, rep.Unchanged = 0, 0, 0
			return rep, fmt.Errorf("ingest: dry run: %d of %d rows: %w", rep.Rejected, rep.Read, ErrRejected)
		}
		if err := p.doubling(); err != nil {
			return rep, fmt.Errorf("ingest: dry run: %w", err)
		}
		return rep, nil
	}

	// A backend that can make the collection in the transaction of its
	// rows does (nothing is left behind should the process be killed);
	// another makes it first and removes it again when the import fails.
	_, together := b.(store.CreateStreamer)
	if _, ok := b.(store.StreamApplier); !ok {
		together = false
	}
	p.create = !exists && together
	if !exists && !together {
		if _, err := b.CreateCollection(ctx, coll); err != nil {
			return rep, fmt.Errorf("ingest: create collection: %w", err)
		}
	}
	werr := p.write(ctx, b)
	p.progress(true)
	rep.Valid = rep.Read - rep.Rejected
	if werr != nil {
		rep.Inserted, rep.Updated, rep.Unchanged, rep.Deleted = 0, 0, 0, 0
		if !exists && !together {
			// All or nothing: the collection goes too.
			if err := b.DeleteCollection(context.WithoutCancel(ctx), coll.ID, opts.Actor); err != nil {
				werr = errors.Join(werr, fmt.Errorf("ingest: remove the collection made for the failed import: %w", err))
			}
		}
		if errors.Is(werr, errBadRows) {
			return rep, fmt.Errorf("ingest: %d of %d rows: %w", rep.Rejected, rep.Read, ErrRejected)
		}
		if p.fresh && errors.Is(werr, store.ErrConflict) {
			werr = fmt.Errorf("%w: %w", errRepeatedInsert, werr)
		}
		return rep, fmt.Errorf("ingest: %w", werr)
	}
	rep.Committed = true
	return rep, nil
}

// openCRS finds the source's CRS; s.crs stays nil for WGS84 lon/lat.
// newCollection is the definition of the collection that opts.Create
// makes with fields fs from files of geometry types gtypes.
func newCollection(opts Options, fs []store.Field, gtypes []string) (store.Collection, error) {
	title := opts.Title
	if title == "" {
		title = opts.Collection
	}
	coll := store.Collection{ID: opts.Collection, Title: title, Geometry: geometryFor(gtypes), Fields: fs,
		Description: opts.Description, License: opts.License, Keywords: opts.Keywords, Metadata: opts.Metadata, Role: opts.Role}
	if err := store.ValidateCollection(&coll); err != nil {
		return store.Collection{}, fmt.Errorf("ingest: new collection: %w", err)
	}
	return coll, nil
}

func (s *source) openCRS(userSRS string) error {
	def := s.r.SRS()
	if def == "" && s.r.GeometryType() == "" {
		if h, ok := s.r.(importers.GeometryHinter); ok {
			return fmt.Errorf("ingest: %s: no geometry found: %s; name them with --lon-column and --lat-column, --wkt-column or --location-column: %w", s.r.Name(), h.GeometryHint(), importers.ErrFormat)
		}
		s.info.CRS = "no geometry"
		return nil // a GeoPackage attribute table, an empty layer
	}
	if def == "" {
		return fmt.Errorf("ingest: %s: the file does not say which CRS its coordinates are in (no .prj or crs member, or coordinates outside the lon/lat range); name it with --srs, for example --srs EPSG:4326 for longitude/latitude or --srs EPSG:2230 for California zone 6 feet: %w", s.r.Name(), ErrCRS)
	}
	c, err := proj.Parse(def)
	if err != nil {
		what := "its CRS"
		if userSRS != "" {
			what = "the --srs given"
		}
		return fmt.Errorf("ingest: %s: %s cannot be used (%w); name a supported one with --srs EPSG:NNNN: %w", s.r.Name(), what, err, ErrCRS)
	}
	s.info.CRS = c.String()
	switch c.Code() {
	case "EPSG:4326", "OGC:CRS84":
		return nil
	}
	s.crs = c
	return nil
}

// checkMapKeys refuses a --map or --id-field naming a field no file has
// (a typo would otherwise pass silently).
func checkMapKeys(m map[string]string, idField string, fields [][]importers.Field) error {
	has := map[string]bool{}
	for _, fs := range fields {
		for _, f := range fs {
			has[f.Name] = true
		}
	}
	for src := range m {
		if !has[src] {
			return fmt.Errorf("ingest: --map %s=...: %w", src, store.Invalidf("no file has a field %q", src))
		}
	}
	if idField != "" {
		for i, fs := range fields {
			found := false
			for _, f := range fs {
				found = found || f.Name == idField
			}
			if !found {
				return fmt.Errorf("ingest: --id-field %s: %w", idField, store.Invalidf("source %d has no field %q", i+1, idField))
			}
		}
	}
	return nil
}

// extentOf scans the collection for the bounds of its geometries (constant
// memory).
func extentOf(ctx context.Context, b store.Backend, coll string) ([4]float64, bool, error) {
	if e, ok := b.(store.Extenter); ok {
		box, has, err := e.Extent(ctx, coll)
		if err != nil {
			return box, false, fmt.Errorf("ingest: extent of %q: %w", coll, err)
		}
		return box, has, nil
	}
	ext := [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	ok := false
	err := b.Scan(ctx, coll, func(f store.Feature) error {
		if r, has := geo.Bounds(f.Geometry); has {
			ext = [4]float64{math.Min(ext[0], r[0]), math.Min(ext[1], r[1]), math.Max(ext[2], r[2]), math.Max(ext[3], r[3])}
			ok = true
		}
		return nil
	})
	if err != nil {
		return ext, false, fmt.Errorf("ingest: extent of %q: %w", coll, err)
	}
	return ext, ok, nil
}

// errBadRows ends the stream when a row was bad and SkipInvalid is off: the
// backend then rolls back.
var errBadRows = errors.New("bad rows")
