package store

import (
	"context"
	"fmt"
	"slices"
)

// FieldChange is a change of a collection's schema.
type FieldChange struct {
	// Add are new fields, appended to the schema; no feature has a value
	// for them until one is written.
	Add []Field
	// Drop names fields to remove, with every feature's value of them.
	Drop []string
}

// SchemaChanger is implemented by backends that change a collection's
// schema in place (both of this module's do; storetest holds them to one
// contract).
type SchemaChanger interface {
	// ChangeFields applies change to collection coll's schema and then
	// performs the mutations that next yields (nil: none), as
	// ApplyStream does, in one transaction: nobody sees the new schema
	// without the writes that need it, and on any error neither takes
	// effect. A dropped field's values go with it; the features that had
	// one move on a version (the one they had stays in their history). It
	// appends one change-log entry of op OpSchema before the mutations'
	// own, and returns the collection as stored and that entry's seq.
	// Errors: ErrNotFound, ErrInvalid (see ChangedFields), and those of
	// ApplyStream.
	ChangeFields(ctx context.Context, coll string, change FieldChange, next func() (Mutation, error), actor string, result func(Result) error) (Collection, int64, error)
}

// ChangedFields returns collection c with change applied: ErrInvalid for
// an empty change, a field to drop that c does not have (or its time
// field), or a result that does not pass ValidateCollection (a field added
// twice or already there, a bad name or type, too many fields).
func ChangedFields(c Collection, change FieldChange) (Collection, error) {
	if len(change.Add) == 0 && len(change.Drop) == 0 {
		return c, Invalidf("collection %q: no field to add or drop", c.ID)
	}
	fields := slices.Clone(c.Fields)
	for _, name := range change.Drop {
		i := slices.IndexFunc(fields, func(f Field) bool { return f.Name == name })
		if i < 0 {
			return c, Invalidf("collection %q has no field %q to drop (fields: %s)", c.ID, name, fieldNames(&c))
		}
		if name == c.TimeField {
			return c, Invalidf("collection %q: field %q is its time field and cannot be dropped", c.ID, name)
		}
		fields = slices.Delete(fields, i, i+1)
	}
	c.Fields = append(fields, change.Add...)
	if err := ValidateCollection(&c); err != nil {
		return c, err
	}
	return c, nil
}

// ChangeFields changes collection coll's schema and performs the
// mutations of next with it, in the backend (see SchemaChanger) and then in
// the index, which reads the collection again. ErrInvalid if the backend
// cannot change a schema.
func (s *Store) ChangeFields(ctx context.Context, coll string, change FieldChange, next func() (Mutation, error), actor string, result func(Result) error) (Collection, error) {
	sc, ok := s.backend.(SchemaChanger)
	if !ok {
		return Collection{}, Invalidf("this backend cannot change a collection's schema")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.master[coll]; !ok {
		return Collection{}, fmt.Errorf("collection %q: %w", coll, ErrNotFound)
	}
	last := int64(0)
	got, seq, err := sc.ChangeFields(ctx, coll, change, next, actor, func(r Result) error {
		last = max(last, r.Seq)
		if result != nil {
			return result(r)
		}
		return nil
	})
	if err != nil {
		return Collection{}, err
	}
	if err := s.reloadLocked(ctx, coll); err != nil {
		return Collection{}, err
	}
	if l, ok := s.master[coll]; ok {
		l.seq = max(l.seq, seq, last)
		s.publish(coll)
	}
	return got, nil
}
