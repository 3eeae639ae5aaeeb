package ingest

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"strconv"
	"strings"

	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkb"

	"github.com/cityatlas/cityatlas/store"
)

// ErrWouldDouble: the import would insert at least as many features as
// the collection already has (usually a re-import with another
// --id-field, whose ids match none of the stored ones), and Options.Force
// was not set. Nothing was written.
var ErrWouldDouble = errors.New("the import would add as many features as the collection has")

// existing is what the import knows of the collection's features before
// it starts.
type existing struct {
	count  int    // features the collection has
	sample string // the external id of one of them, for messages
	// contents, in a dry run, maps each stored feature's external id to
	// its contents (hashes, sorted by id hash), to tell the rows that
	// would be inserted, updated and left unchanged.
	contents []content
}

type content struct{ id, body uint64 }

// readExisting counts the collection's features (and, in a dry run, hashes
// each one's external id and contents: 16 bytes a feature).
func readExisting(ctx context.Context, b store.Backend, coll string, seed maphash.Seed, dryRun bool) (existing, error) {
	var e existing
	fs, n, err := b.Query(ctx, coll, store.Query{Limit: 1})
	if err != nil {
		return e, fmt.Errorf("count the features of %q: %w", coll, err)
	}
	e.count = n
	if len(fs) > 0 {
		e.sample = fs[0].ExternalID
	}
	if !dryRun || n == 0 {
		return e, nil
	}
	e.contents = make([]content, 0, n)
	_, err = scanSkipping(ctx, b, coll, func(f store.Feature) error {
		e.contents = append(e.contents, content{maphash.String(seed, f.ExternalID), contentHash(seed, f.Geometry, f.Properties)})
		return nil
	})
	if err != nil {
		return e, fmt.Errorf("read the features of %q: %w", coll, err)
	}
	slices.SortFunc(e.contents, func(a, b content) int { return cmp.Compare(a.id, b.id) })
	return e, nil
}

// contentHash hashes a feature's geometry (as WKB) and properties.
func contentHash(seed maphash.Seed, g geom.T, p store.Properties) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	if g != nil {
		var buf bytes.Buffer
		if err := wkb.Write(&buf, wkb.NDR, g); err == nil {
			h.Write(buf.Bytes())
		}
	}
	h.WriteByte(0)
	h.Write(p)
	return h.Sum64()
}

// dryCount counts what a dry run's mutation would do.
func (p *pipeline) dryCount(m store.Mutation) {
	switch {
	case m.Op == store.OpDelete:
		p.rep.Deleted++
		return
	case p.old.count == 0:
		p.rep.Inserted++
		return
	}
	id := maphash.String(p.seed, m.Feature.ExternalID)
	i, ok := slices.BinarySearchFunc(p.old.contents, id, func(c content, id uint64) int { return cmp.Compare(c.id, id) })
	switch {
	case !ok:
		p.rep.Inserted++
	case p.old.contents[i].body == contentHash(p.seed, m.Feature.Geometry, m.Feature.Properties):
		p.rep.Unchanged++
	default:
		p.rep.Updated++
	}
}

// doubling returns ErrWouldDouble, explained, when the rows inserted so far
// are as many as the collection had (nine in ten of them: a file may have
// lost a few rows, or repeat an id) and Options.Force is not set. A
// --delete-missing import is not checked: it replaces what it does not
// match.
func (p *pipeline) doubling() error {
	if p.opts.Force || p.opts.DeleteMissing || p.old.count == 0 || p.rep.Inserted*10 < p.old.count*9 {
		return nil
	}
	idNote := ""
	if p.old.sample != "" {
		idNote = fmt.Sprintf(" (it has ids such as %q", p.old.sample)
		if len(p.srcs) > 0 && p.srcs[0].idField != "" {
			idNote += fmt.Sprintf("; this import takes them from --id-field %s", p.srcs[0].idField)
		} else {
			idNote += "; this import has no --id-field"
		}
		idNote += ")"
	}
	return fmt.Errorf("%w: %d rows would be new features beside the %d that %q has (%d rows matched one of them by external id)%s; if the layer was imported before with another --id-field, use that one, or --delete-missing to replace its features; add --force to import anyway",
		ErrWouldDouble, p.rep.Inserted, p.old.count, p.coll.ID, p.rep.Updated+p.rep.Unchanged, idNote)
}

// scanSkipping scans a collection past the rows the backend cannot read
// (quarantined rows), when it can, and returns their ids.
func scanSkipping(ctx context.Context, b store.Backend, coll string, fn func(store.Feature) error) ([]int64, error) {
	ss, ok := b.(store.SkippingScanner)
	if !ok {
		return nil, b.Scan(ctx, coll, fn)
	}
	var bad []int64
	err := ss.ScanSkipping(ctx, coll, fn, func(r store.BadRow) { bad = append(bad, r.ID) })
	return bad, err
}

// sampleIDs lists up to five ids, and how many more there are.
func sampleIDs(ids []int64) string {
	var b strings.Builder
	for i, id := range ids {
		if i == 5 {
			fmt.Fprintf(&b, " and %d more", len(ids)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	return b.String()
}
