package gpkg

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cityatlas/cityatlas/store"
)

var _ store.SchemaChanger = (*Store)(nil)

// ChangeFields changes collection coll's fields (ALTER TABLE on its
// feature table, and its definition) and performs the mutations of next,
// in one transaction (see store.SchemaChanger).
func (s *Store) ChangeFields(ctx context.Context, coll string, change store.FieldChange, next func() (store.Mutation, error), actor string, result func(store.Result) error) (store.Collection, int64, error) {
	var (
		got store.Collection
		seq int64
	)
	err := s.write(ctx, func(tx *sql.Tx) error {
		m, err := loadMeta(ctx, tx, coll)
		if err != nil {
			return err
		}
		changed, err := store.ChangedFields(m.Collection, change)
		if err != nil {
			return err
		}
		now := time.Now().UTC().Truncate(time.Millisecond)
		if err := dropColumns(ctx, tx, m, change.Drop, actor, now); err != nil {
			return err
		}
		var cols []string
		for i, f := range m.Collection.Fields {
			if !slices.Contains(change.Drop, f.Name) {
				cols = append(cols, m.Columns[i])
			}
		}
		for _, f := range change.Add {
			col := freeColumn(cols, f.Name)
			cols = append(cols, col)
			if _, err := tx.ExecContext(ctx, "ALTER TABLE "+quote(coll)+" ADD COLUMN "+quote(col)+" "+sqlType(f.Type)); err != nil {
				return fmt.Errorf("add field %q: %w", f.Name, err)
			}
		}
		m.Collection, m.Columns = changed, cols
		js, err := json.Marshal(m)
		if err != nil {
			return err
		}
		nowText := now.Format(timeLayout)
		if _, err := tx.ExecContext(ctx, "UPDATE cityatlas_collections SET meta = ? WHERE id = ?", string(js), coll); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE gpkg_contents SET last_change = ? WHERE table_name = ?", nowText, coll); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "INSERT INTO cityatlas_changes (collection, feature_id, op, version, actor, time) VALUES (?, 0, ?, 0, ?, ?)",
			coll, string(store.OpSchema), actor, nowText)
		if err != nil {
			return fmt.Errorf("change log: %w", err)
		}
		if seq, err = res.LastInsertId(); err != nil {
			return err
		}
		got = changed
		if next == nil {
			return nil
		}
		return applyIn(ctx, tx, coll, next, actor, result)
	})
	if err != nil {
		return store.Collection{}, 0, fmt.Errorf("gpkg: change the fields of %q: %w", coll, err)
	}
	return got, seq, nil
}

// freeColumn picks the SQL column of a new field called name, distinct
// (SQLite names are case insensitive) from the columns cols and the table's
// own, as columnNames does.
func freeColumn(cols []string, name string) string {
	used := map[string]bool{"fid": true, "geom": true, "external_id": true, "version": true, "created": true, "updated": true}
	for _, c := range cols {
		used[strings.ToLower(c)] = true
	}
	col := name
	for n := 2; used[strings.ToLower(col)]; n++ {
		col = fmt.Sprintf("%s_%d", name, n)
	}
	return col
}

// dropColumns drops the columns of fields names from m's table; the
// features that had a value in one keep their version in the history and
// move on a version.
func dropColumns(ctx context.Context, tx *sql.Tx, m *meta, names []string, actor string, now time.Time) error {
	if len(names) == 0 {
		return nil
	}
	var conds, cols []string
	for _, name := range names {
		col := quote(m.Columns[m.fieldIdx[name]])
		cols = append(cols, col)
		conds = append(conds, col+" IS NOT NULL")
	}
	had := strings.Join(conds, " OR ")
	a := &applier{tx: tx, m: m, actor: actor, now: now, nowText: now.Format(timeLayout)}
	defer a.close()
	rows, err := tx.QueryContext(ctx, "SELECT "+m.cols+" FROM "+quote(m.Collection.ID)+" WHERE "+had)
	if err != nil {
		return err
	}
	type kept struct {
		f    store.Feature
		blob []byte
	}
	var olds []kept
	for rows.Next() {
		f, blob, err := m.scanFeature(rows)
		if err != nil {
			rows.Close()
			return err
		}
		olds = append(olds, kept{f, blob})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range olds {
		if err := a.keep(ctx, &olds[i].f, olds[i].blob); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, "UPDATE "+quote(m.Collection.ID)+" SET version = version + 1, updated = ? WHERE "+had, a.nowText); err != nil {
		return err
	}
	for _, col := range cols {
		if _, err := tx.ExecContext(ctx, "ALTER TABLE "+quote(m.Collection.ID)+" DROP COLUMN "+col); err != nil {
			return fmt.Errorf("drop column %s: %w", col, err)
		}
	}
	return nil
}
