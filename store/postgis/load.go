package postgis

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"github.com/cityatlas/cityatlas/store"
)

// A large stream of new features into an empty collection is loaded the
// way a bulk loader does it, not row by row into a live table:
//
//  1. a staging table like the collection's, outside the transaction (so that
//     other connections see it), is filled through stageCopies parallel
//     binary COPY streams that the stream's rows are encoded into;
//  2. its keys and spatial index are built once, in parallel;
//  3. in the transaction, which has held the write lock since it began, it
//     replaces the collection's empty table (cityatlas_attach_feature_table,
//     migrations/0010), and one change-log entry, op "load", stands for
//     all its features.
//
// Until the transaction commits nobody sees the rows: the staging table is
// not the collection's table. When anything fails, the staging table is
// dropped; one left by a killed process is dropped by the next load, the
// next Open and the next migrate (DropOrphanStages): while the write lock
// is held no other load is running, so every staging table then is an
// orphan. A collection made for the load (CreateStream) is made in the same
// transaction, so a killed load leaves no empty collection behind.
//
// A mutation the staged load cannot take as it stands (not an insert or
// upsert, an IfVersion, or an external id seen before in the stream) ends
// it early: the rows staged so far are copied into the table, and the
// stream goes on the general way from that mutation.

const (
	// stageMinDefault is the smallest stream (its first chunk full) that
	// is worth a staged load.
	stageMinDefault = streamChunk
	// stageCopies is how many COPY streams fill the staging table.
	stageCopies = 2
	// stageBuffer is the size of the pieces of COPY data handed to the
	// streams.
	stageBuffer = 1 << 20
	// stageIDs is how many feature ids are reserved at a time.
	stageIDs = 1 << 16
	// stagePrefix starts the name of every staging table.
	stagePrefix = "ca_stage_"
)

const (
	sqlStaleStages = `SELECT relname FROM pg_class
WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r' AND relname LIKE 'ca\_stage\_%'`
	sqlNextSeq     = `SELECT nextval(pg_get_serial_sequence('changes', 'seq'))`
	sqlAttachStage = `SELECT cityatlas_attach_feature_table($1, $2)`
	sqlQuickStats  = `SET LOCAL default_statistics_target = 10`
	// $1 the staging table, $2 the collection's fields, $3 its geometry type.
	sqlCreateStage   = `SELECT cityatlas_create_feature_table($1, $2::jsonb, $3)`
	sqlLoadChangeRow = `INSERT INTO changes (seq, collection, feature_id, op, version, actor, time)
VALUES ($1, $2, 0, 'load', $3, $4, $5)`
	// Index builds: one process each, so that the two builds share the
	// machine's cores instead of their parallel workers fighting for them,
	// and room to sort a million entries in memory.
	sqlIndexSettings = `SET LOCAL max_parallel_maintenance_workers = 0; SET LOCAL maintenance_work_mem = '256MB'`
)

// pushback is a stream of mutations that can take some back.
type pushback struct {
	next    func() (store.Mutation, error)
	pending []store.Mutation
}

func (p *pushback) read() (store.Mutation, error) {
	if n := len(p.pending); n > 0 {
		m := p.pending[0]
		p.pending[0] = store.Mutation{}
		p.pending = p.pending[1:]
		return m, nil
	}
	return p.next()
}

// fill appends mutations of the stream to dst until it holds n, and
// reports whether the stream ended first.
func (p *pushback) fill(dst []store.Mutation, n int) ([]store.Mutation, bool, error) {
	for len(dst) < n {
		m, err := p.read()
		if errors.Is(err, io.EOF) {
			return dst, true, nil
		}
		if err != nil {
			return dst, false, err
		}
		dst = append(dst, m)
	}
	return dst, false, nil
}

// unread puts ms back in front of the stream.
func (p *pushback) unread(ms ...store.Mutation) {
	p.pending = append(append([]store.Mutation(nil), ms...), p.pending...)
}

// stagedLoad is one staged load in progress.
type stagedLoad struct {
	s      *Store
	tx     pgx.Tx
	c      *store.Collection
	result func(store.Result) error

	table   string // the staging table's name
	ident   string // ... quoted
	t       *table // the collection's table
	seq     int64  // the change-log entry's seq, reserved
	now     time.Time
	nextID  int64 // next reserved id
	lastID  int64 // last reserved id
	seed    maphash.Seed
	seen    hashSet // hashes of the external ids staged
	written int64

	free sync.Pool // of COPY buffers
}

// loadStaged takes mutations from src into the empty collection c through
// a staging table (see above), calling result for each. It returns the
// staging table's name (empty if none was made: the caller drops it if
// the transaction fails) and the seq of the change-log entry it wrote (0
// if it wrote nothing). On return, src holds what is left of the stream:
// nothing, or the mutation that ended the staged load and what follows.
//
// ensurePartition makes the collection's partition if it has none yet
// (a collection made in this transaction): the rows staged go into it when
// the load stops early.
func (s *Store) loadStaged(ctx context.Context, tx pgx.Tx, c *store.Collection, src *pushback, actor string, result func(store.Result) error, ensurePartition func() error) (table string, seq int64, err error) {
	if _, err := dropStaleStages(ctx, tx); err != nil {
		return "", 0, err
	}
	l := &stagedLoad{s: s, tx: tx, c: c, result: result,
		table: fmt.Sprintf("%s%016x", stagePrefix, rand.Uint64()), seed: maphash.MakeSeed()}
	l.ident = pgx.Identifier{l.table}.Sanitize()
	l.free.New = func() any { return make([]byte, 0, stageBuffer+64<<10) }
	l.t = tableOf(c)
	if err := tx.QueryRow(ctx, sqlNextSeq).Scan(&l.seq); err != nil {
		return "", 0, fmt.Errorf("staged load: reserve seq: %w", err)
	}
	if err := tx.QueryRow(ctx, sqlNow).Scan(&l.now); err != nil {
		return "", 0, fmt.Errorf("staged load: now: %w", err)
	}
	args, err := collectionArgs(c)
	if err != nil {
		return "", 0, err
	}
	// args[4]: the fields, args[3]: the geometry type.
	if _, err := s.pool.Exec(ctx, sqlCreateStage, l.table, args[4], args[3]); err != nil {
		return "", 0, fmt.Errorf("staged load: create %s: %w", l.table, err)
	}
	ended, err := l.copy(ctx, src)
	if err != nil {
		return l.table, 0, err
	}
	if l.written == 0 {
		_, err := tx.Exec(ctx, "DROP TABLE "+l.ident)
		return l.table, 0, err
	}
	if !ended {
		// Stopped early: the partition takes the rows as they are, and
		// the rest goes the general way.
		if err := ensurePartition(); err != nil {
			return l.table, 0, fmt.Errorf("staged load: %w", err)
		}
		cols := l.stageColumns()
		if _, err := tx.Exec(ctx, "INSERT INTO "+l.t.ident+" ("+cols+") SELECT "+cols+" FROM "+l.ident); err != nil {
			return l.table, 0, fmt.Errorf("staged load: move staged rows: %w", err)
		}
		if _, err := tx.Exec(ctx, "DROP TABLE "+l.ident); err != nil {
			return l.table, 0, err
		}
	} else {
		if err := l.index(ctx); err != nil {
			return l.table, 0, err
		}
		if _, err := tx.Exec(ctx, sqlAttachStage, c.ID, l.table); err != nil {
			return l.table, 0, fmt.Errorf("staged load: attach: %w", err)
		}
		// Quick statistics, so that the next statements on the collection
		// (an upsert's match on external ids, above all) are planned with
		// its real size: without them the planner takes collection = $1
		// to keep one row in 200 and sorts the whole table to merge-join
		// a batch. A sample of 3,000 rows takes some 50 ms where the
		// default of 30,000 takes over a second; autovacuum refines them
		// once a tenth of the rows have changed.
		if _, err := tx.Exec(ctx, sqlQuickStats); err != nil {
			return l.table, 0, err
		}
		if _, err := tx.Exec(ctx, "ANALYZE "+l.t.ident); err != nil {
			return l.table, 0, fmt.Errorf("staged load: analyze: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, sqlLoadChangeRow, l.seq, c.ID, l.written, actor, l.now); err != nil {
		return l.table, 0, fmt.Errorf("staged load: change log: %w", err)
	}
	return l.table, l.seq, nil
}

// dropStaleStages drops the staging tables that killed loads left behind.
// The caller holds the write lock.
func dropStaleStages(ctx context.Context, tx pgx.Tx) (int, error) {
	rows, err := tx.Query(ctx, sqlStaleStages)
	if err != nil {
		return 0, err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, err
	}
	for _, name := range names {
		if _, err := tx.Exec(ctx, "DROP TABLE "+pgx.Identifier{name}.Sanitize()); err != nil {
			return 0, fmt.Errorf("drop stale staging table %s: %w", name, err)
		}
	}
	return len(names), nil
}

// dropStage drops a staging table after a failed load (best effort: the
// next load drops it otherwise).
func (s *Store) dropStage(ctx context.Context, table string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	_, _ = s.pool.Exec(ctx, "DROP TABLE IF EXISTS "+pgx.Identifier{table}.Sanitize())
}

// copy encodes the mutations of src into the COPY streams until the end of
// the stream (ended true) or a mutation it cannot stage, which it puts
// back.
func (l *stagedLoad) copy(ctx context.Context, src *pushback) (ended bool, err error) {
	g, gctx := errgroup.WithContext(ctx)
	bufs := make(chan []byte, stageCopies)
	for range stageCopies {
		g.Go(func() error { return l.copyStream(gctx, bufs) })
	}
	produce := func() error {
		buf := l.free.Get().([]byte)[:0]
		send := func() error {
			select {
			case bufs <- buf:
				buf = l.free.Get().([]byte)[:0]
				return nil
			case <-gctx.Done():
				return context.Cause(gctx)
			}
		}
		var ewkb []byte
		ts := binary.BigEndian.AppendUint64(nil, uint64(l.now.UnixMicro()-pgEpochMicros))
		// Mutations are taken a batch at a time, so that the hash set's
		// slots for the batch's external ids are fetched from memory
		// together rather than one cache miss after another.
		var (
			batch  = make([]store.Mutation, 0, 64)
			hashes [64]uint64
			next   int
		)
		for {
			if next == len(batch) {
				if ended {
					break
				}
				var err error
				if batch, ended, err = src.fill(batch[:0], cap(batch)); err != nil {
					return err
				}
				next = 0
				for i, m := range batch {
					hashes[i] = 0
					if m.Feature.ExternalID != "" && m.Op == store.OpUpsert {
						hashes[i] = maphash.String(l.seed, m.Feature.ExternalID)
					}
				}
				l.seen.touch(hashes[:len(batch)])
				if len(batch) == 0 {
					break
				}
			}
			m := batch[next]
			batch[next] = store.Mutation{}
			next++
			if !l.takes(m, hashes[next-1]) {
				src.unread(append([]store.Mutation{m}, batch[next:]...)...)
				ended = false
				break
			}
			pm, err := prepareOne(l.c, m)
			if err != nil {
				return fmt.Errorf("mutation %d: %w", l.written, err)
			}
			if l.nextID == 0 || l.nextID > l.lastID {
				first, err := reserve(ctx, l.tx, seqFeatureIDs, stageIDs)
				if err != nil {
					return err
				}
				l.nextID, l.lastID = first, first+stageIDs-1
			}
			id := l.nextID
			l.nextID++
			if pm.wkb != nil {
				ewkb = appendEWKB(ewkb[:0], pm.wkb)
			}
			if buf, err = l.appendRow(buf, id, pm.Feature.ExternalID, pm.props, pm.wkb != nil, ewkb, ts); err != nil {
				return fmt.Errorf("mutation %d: %w", l.written, err)
			}
			l.written++
			if err := l.result(store.Result{
				Outcome: store.Inserted,
				Feature: pm.stored(l.c, id, pm.Feature.ExternalID, 1, l.now, l.now),
				Seq:     l.seq,
			}); err != nil {
				return err
			}
			if len(buf) >= stageBuffer {
				if err := send(); err != nil {
					return err
				}
			}
		}
		if len(buf) > 0 {
			return send()
		}
		return nil
	}
	perr := produce()
	close(bufs)
	if perr != nil {
		// Stop the streams: cancelling their context fails the COPY,
		// which rolls its rows back.
		g.Go(func() error { return perr })
	}
	if err := g.Wait(); err != nil {
		if perr != nil {
			return false, perr
		}
		return false, fmt.Errorf("staged load: %w", err)
	}
	return ended, nil
}

// takes reports whether m can be staged: an insert or upsert without
// IfVersion whose external id (if any) the stream has not given before.
// h is the hash of its external id. An insert's external id must be new:
// the unique index built at the end refuses a repeat (ErrConflict, as
// Apply would), so inserts need no remembering; an upsert that repeats an
// id updates the earlier row, which the general way does.
func (l *stagedLoad) takes(m store.Mutation, h uint64) bool {
	if (m.Op != store.OpInsert && m.Op != store.OpUpsert) || m.IfVersion != 0 {
		return false
	}
	if m.Feature.ExternalID == "" || m.Op == store.OpInsert {
		return true
	}
	// A repeat, or a hash collision: the general way is right anyway.
	return l.seen.add(h)
}

// hashSet is a set of 64-bit hashes: open addressing, linear probing, at
// most half full (8 to 16 bytes a hash, no pointers).
type hashSet struct {
	slots []uint64 // 0: empty (hash 0 is stored as 1)
	n     int
	sink  uint64 // keeps touch's loads from being optimised away
}

// touch reads the first slot of each of hs, so that the memory loads
// overlap: add then finds them in the cache.
func (s *hashSet) touch(hs []uint64) {
	if len(s.slots) == 0 {
		return
	}
	mask := uint64(len(s.slots) - 1)
	var x uint64
	for _, h := range hs {
		x += s.slots[h&mask]
	}
	s.sink += x
}

// add adds h and reports whether it was not there yet.
func (s *hashSet) add(h uint64) bool {
	if h == 0 {
		h = 1
	}
	if 2*(s.n+1) > len(s.slots) {
		old := s.slots
		s.slots, s.n = make([]uint64, max(1024, 2*len(old))), 0
		for _, x := range old {
			if x != 0 {
				s.add(x)
			}
		}
	}
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case 0:
			s.slots[i] = h
			s.n++
			return true
		case h:
			return false
		}
	}
}

// copyStream runs one COPY into the staging table, of the buffers it takes
// from bufs until bufs is closed.
func (l *stagedLoad) copyStream(ctx context.Context, bufs <-chan []byte) error {
	conn, err := l.s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	r := &copyReader{ctx: ctx, bufs: bufs, free: func(b []byte) { l.free.Put(b) }}
	_, err = conn.Conn().PgConn().CopyFrom(ctx, r, "COPY "+l.ident+" ("+l.stageColumns()+") FROM STDIN (FORMAT binary)")
	if err != nil {
		// Drain, so that the producer is not left blocked on a full
		// channel when the other stream is done too.
		go func() {
			for range bufs {
			}
		}()
	}
	return err
}

// index builds the staging table's keys and spatial index, the GiST index
// on one connection and the two b-trees on another, at once.
func (l *stagedLoad) index(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	build := func(stmts ...string) func() error {
		return func() error {
			return pgx.BeginFunc(gctx, l.s.pool, func(tx pgx.Tx) error {
				if _, err := tx.Exec(gctx, sqlIndexSettings); err != nil {
					return err
				}
				for _, q := range stmts {
					if _, err := tx.Exec(gctx, q); err != nil {
						return err
					}
				}
				return nil
			})
		}
	}
	name := func(suffix string) string { return pgx.Identifier{l.table + suffix}.Sanitize() }
	g.Go(build(fmt.Sprintf(`CREATE INDEX %s ON %s USING gist (geom)`, name("_geom"), l.ident)))
	g.Go(build(
		fmt.Sprintf(`CREATE UNIQUE INDEX %s ON %s (id)`, name("_pkey"), l.ident),
		fmt.Sprintf(`CREATE UNIQUE INDEX %s ON %s (external_id)`, name("_ext"), l.ident)))
	if err := g.Wait(); err != nil {
		return fmt.Errorf("staged load: build indexes: %w", err)
	}
	return nil
}

// copyReader serves a binary COPY stream: the header, the buffers from
// bufs, the trailer.
type copyReader struct {
	ctx   context.Context
	bufs  <-chan []byte
	free  func([]byte)
	cur   []byte // what is left to serve of the current piece
	buf   []byte // the buffer cur is in, freed when served
	state int    // 0 before the header, 1 in the body, 2 in the trailer
}

var (
	copyHeader  = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	copyTrailer = []byte{0xff, 0xff}
)

func (r *copyReader) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		switch r.state {
		case 0:
			r.cur, r.state = copyHeader, 1
		case 1:
			if r.buf != nil {
				r.free(r.buf)
				r.buf = nil
			}
			select {
			case b, ok := <-r.bufs:
				if !ok {
					r.cur, r.state = copyTrailer, 2
					continue
				}
				r.buf, r.cur = b, b
			case <-r.ctx.Done():
				return 0, context.Cause(r.ctx)
			}
		default:
			return 0, io.EOF
		}
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// pgEpochMicros is 2000-01-01T00:00:00Z, PostgreSQL's epoch, in Unix
// microseconds.
const pgEpochMicros = 946_684_800_000_000

// stageColumns are the columns of the collection's table that the COPY
// fills, in the order of appendRow.
func (l *stagedLoad) stageColumns() string {
	cols := l.t.freshColumns()
	for i, c := range cols {
		cols[i] = pgx.Identifier{c}.Sanitize()
	}
	return strings.Join(cols, ", ")
}

// appendRow appends one row of a feature table in binary COPY format: id,
// external id (NULL when empty), the fields of canonical properties props,
// version 1, created
// and updated (ts, a timestamptz already encoded), geometry (EWKB; NULL
// when hasGeom is false).
func (l *stagedLoad) appendRow(b []byte, id int64, ext string, props store.Properties, hasGeom bool, ewkb, ts []byte) ([]byte, error) {
	be := binary.BigEndian
	b = be.AppendUint16(b, uint16(6+len(l.c.Fields)))
	b = be.AppendUint32(b, 8)
	b = be.AppendUint64(b, uint64(id))
	if ext == "" {
		b = be.AppendUint32(b, 0xffffffff)
	} else {
		b = be.AppendUint32(b, uint32(len(ext)))
		b = append(b, ext...)
	}
	b, err := appendFields(b, l.c, props)
	if err != nil {
		return b, store.Invalidf("properties: %v", err)
	}
	b = be.AppendUint32(b, 8)
	b = be.AppendUint64(b, 1)
	b = be.AppendUint32(b, uint32(len(ts)))
	b = append(b, ts...)
	b = be.AppendUint32(b, uint32(len(ts)))
	b = append(b, ts...)
	if !hasGeom {
		return be.AppendUint32(b, 0xffffffff), nil
	}
	b = be.AppendUint32(b, uint32(len(ewkb)))
	return append(b, ewkb...), nil
}

// quoteLiteral quotes s as an SQL string literal.
func quoteLiteral(s string) string {
	b := []byte{'\''}
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			b = append(b, '\'')
		}
		b = append(b, s[i])
	}
	return string(append(b, '\''))
}
