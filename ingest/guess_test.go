package ingest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cityatlas/cityatlas/store"
)

// TestGuessProvedWrong: a CSV whose first rows (more than surveyRows of
// them) mislead the guess of its layout — a column of integers that later
// holds a code, a Latin-1 name, a quoted cell — imports as if its whole
// file had been surveyed: the import starts again, and the layer has each
// column's true type, every row, once, and the text decoded.
func TestGuessProvedWrong(t *testing.T) {
	n := surveyRows + 500
	for _, tc := range []struct {
		name, late, want string // the cell of the last row's "code" and "name" columns, and the code read back
		typ              store.FieldType
	}{
		{"type", "A7,x", "A7", store.TypeString},
		{"encoding", "7,caf\xe9", "7", store.TypeInteger},
		{"quote", "7,\"Main St, north\"", "7", store.TypeInteger},
	} {
		for _, be := range backends {
			t.Run(tc.name+"/"+be.name, func(t *testing.T) {
				b := be.open(t)
				var sb strings.Builder
				sb.WriteString("id,code,name,lon,lat\n")
				for i := range n - 1 {
					fmt.Fprintf(&sb, "%d,%d,n%d,%.5f,32.8\n", i, i%90, i, -115.6+float64(i)/1e6)
				}
				fmt.Fprintf(&sb, "%d,%s,-115.5,32.9\n", n-1, tc.late)
				path := filepath.Join(t.TempDir(), "assets.csv")
				if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				ctx := context.Background()
				rep, err := Run(ctx, b, []string{path}, Options{Collection: "assets", Create: true, IDField: "id"})
				if err != nil || rep.Inserted != n || rep.Read != n {
					t.Fatalf("%v: read %d, inserted %d; want %d", err, rep.Read, rep.Inserted, n)
				}
				cs, err := b.Collections(ctx)
				if err != nil || len(cs) != 1 {
					t.Fatalf("collections %v, %v", cs, err)
				}
				if f, _ := cs[0].Field("code"); f.Type != tc.typ {
					t.Errorf("code is %s, want %s", f.Type, tc.typ)
				}
				fs, matched, err := b.Query(ctx, "assets", store.Query{Offset: n - 1})
				if err != nil || matched != n || len(fs) != 1 {
					t.Fatalf("%d features (%v)", matched, err)
				}
				code, _ := fs[0].Properties.Get("code")
				name, _ := fs[0].Properties.Get("name")
				if code.String() != tc.want || tc.name == "encoding" && name.String() != "café" || tc.name == "quote" && name.String() != "Main St, north" {
					t.Errorf("last row: code %s, name %s", code, name)
				}
			})
		}
	}
}

// TestRepeatedIDsBulk: a file too big for anything but the bulk load, with
// ids given twice, into a new layer: without --skip-invalid every repeat is
// a bad row and nothing is written; with it, the later rows win (the
// inserts are refused, and the import runs again with upserts).
func TestRepeatedIDsBulk(t *testing.T) {
	n := surveyRows + 5000
	var sb strings.Builder
	sb.WriteString("id,code,lon,lat\n")
	for i := range n {
		id := i
		if i >= n-3 {
			id = i - 100 // the last three repeat earlier ids
		}
		fmt.Fprintf(&sb, "%d,%d,%.5f,32.8\n", id, i, -115.6+float64(i)/1e6)
	}
	path := filepath.Join(t.TempDir(), "repeats.csv")
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			b := be.open(t)
			ctx := context.Background()
			rep, err := Run(ctx, b, []string{path}, Options{Collection: "repeats", Create: true, IDField: "id"})
			if !errors.Is(err, ErrRejected) || rep.Rejected != 3 {
				t.Fatalf("without --skip-invalid: %v, %d rejected", err, rep.Rejected)
			}
			if cs, _ := b.Collections(ctx); len(cs) != 0 {
				t.Fatalf("collections left: %v", cs)
			}
			rep, err = Run(ctx, b, []string{path}, Options{Collection: "repeats", Create: true, IDField: "id", SkipInvalid: true})
			if err != nil || rep.Inserted+rep.Updated != n || len(rep.Notes) < 3 {
				t.Fatalf("--skip-invalid: %v, inserted %d updated %d, notes %v", err, rep.Inserted, rep.Updated, rep.Notes)
			}
			_, matched, err := b.Query(ctx, "repeats", store.Query{Limit: 1})
			if err != nil || matched != n-3 {
				t.Fatalf("%d features (%v), want %d", matched, err, n-3)
			}
			fs, _, err := b.Query(ctx, "repeats", store.Query{})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range fs {
				if f.ExternalID == fmt.Sprint(n-1-100) {
					if code, _ := f.Properties.Get("code"); code.Int() != int64(n-1) {
						t.Errorf("id %s: code %s, want the later row's %d", f.ExternalID, code, n-1)
					}
				}
			}
		})
	}
}
