package postgis

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cityatlas/cityatlas/store"
)

// translate wraps an error with "postgis: " and what was being done, and,
// for a database error, with the store sentinel error that its SQLSTATE
// means. Exported methods call it once, on the way out; the package's
// inner errors carry no prefix.
func translate(err error, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrInvalid) {
		return fmt.Errorf("postgis: %s: %w", what, err)
	}
	if sentinel := sentinelOf(err); sentinel != nil {
		return fmt.Errorf("postgis: %s: %w: %w", what, sentinel, err)
	}
	return fmt.Errorf("postgis: %s: %w", what, err)
}

// sentinelOf maps a PostgreSQL error to the store error it means, or nil.
func sentinelOf(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return nil
	}
	switch pe.Code {
	case "23505": // unique_violation
		return store.ErrConflict
	case "23503": // foreign_key_violation: the collection went away
		return store.ErrNotFound
	case "23502", "23514", // not_null_violation, check_violation
		"22P02", "22023", "22003", "22007", "22008", // bad text representation, parameter, number, date/time
		"22P05", "2202E": // untranslatable character, array subscript
		return store.ErrInvalid
	}
	return nil
}
