package ingest

import (
	"context"
	"errors"
	"testing"

	"github.com/cityatlas/cityatlas/store"
)

// TestCreateWithRole: an import that makes a collection can mark it as a
// base layer (or the city limits); an unknown role is refused and leaves
// no collection behind.
func TestCreateWithRole(t *testing.T) {
	ctx := context.Background()
	b := openGPKG(t)
	if _, err := Run(ctx, b, []string{landmarks}, Options{Collection: "landmarks", Create: true, Role: store.RoleBase}); err != nil {
		t.Fatal(err)
	}
	roles := func() map[string]store.Role {
		cs, err := b.Collections(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]store.Role{}
		for _, c := range cs {
			out[c.ID] = c.Role
		}
		return out
	}
	if r, ok := roles()["landmarks"]; !ok || r != store.RoleBase {
		t.Fatalf("roles %v: want landmarks as a base layer", roles())
	}
	_, err := Run(ctx, b, []string{landmarks}, Options{Collection: "other", Create: true, Role: "streets"})
	if !errors.Is(err, store.ErrInvalid) {
		t.Errorf("unknown role: err = %v, want ErrInvalid", err)
	}
	if _, ok := roles()["other"]; ok {
		t.Errorf("a refused import left its collection")
	}
}
