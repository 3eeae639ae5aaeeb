package gpkg

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/cityatlas/cityatlas/store"
)

var _ store.Identifier = (*Store)(nil)

// Identity names the file for store.Identifier: its absolute path and the
// random number it has kept since it was first opened. A copy elsewhere
// has another path, and another file put at the path another number.
func (s *Store) Identity(ctx context.Context) (string, error) {
	var id int64
	if err := s.r.QueryRowContext(ctx, "SELECT value FROM cityatlas_sequence WHERE name = 'identity'").Scan(&id); err != nil {
		return "", fmt.Errorf("gpkg: identity: %w", err)
	}
	abs, err := filepath.Abs(s.path)
	if err != nil {
		return "", fmt.Errorf("gpkg: identity: %w", err)
	}
	return fmt.Sprintf("gpkg:%s#%016x", abs, uint64(id)), nil
}
