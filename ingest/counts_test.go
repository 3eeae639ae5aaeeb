package ingest

import (
	"context"
	"errors"
	"testing"
)

// TestWouldDouble: a re-import whose ids match none of the stored ones
// (another --id-field) is refused without Force, in the dry run and in the
// import, on both backends, and writes nothing; with Force it imports.
func TestWouldDouble(t *testing.T) {
	ctx := context.Background()
	const signs = "id,name,lon,lat\n1,a,-115.56,32.84\n2,b,-115.55,32.85\n3,c,-115.54,32.86\n4,d,-115.53,32.87\n"
	for _, bk := range backends {
		t.Run(bk.name, func(t *testing.T) {
			b := bk.open(t)
			f := writeFile(t, "signs.csv", signs)
			mustRun(t, b, []string{f}, Options{Collection: "signs", Create: true}) // ids signs.csv#1...
			seq := lastSeq(t, b)
			for _, dry := range []bool{true, false} {
				rep, err := Run(ctx, b, []string{f}, Options{Collection: "signs", IDField: "id", DryRun: dry})
				if !errors.Is(err, ErrWouldDouble) {
					t.Fatalf("dry run %v: %v, want ErrWouldDouble", dry, err)
				}
				if dry && (rep.Inserted != 4 || rep.Updated != 0 || rep.Unchanged != 0) {
					t.Errorf("dry run: would insert %d, update %d, leave %d; want 4, 0, 0", rep.Inserted, rep.Updated, rep.Unchanged)
				}
				if got := len(all(t, b, "signs")); got != 4 || lastSeq(t, b) != seq {
					t.Fatalf("dry run %v: %d features, wrote %v; want 4, nothing written", dry, got, lastSeq(t, b) != seq)
				}
			}
			// The same ids are no doubling; the dry run finds the rows unchanged.
			rep := mustRun(t, b, []string{f}, Options{Collection: "signs", DryRun: true})
			if rep.Unchanged != 4 || rep.Inserted != 0 {
				t.Errorf("same ids, dry run: would leave %d unchanged, insert %d; want 4, 0", rep.Unchanged, rep.Inserted)
			}
			changed := writeFile(t, "signs.csv", signs[:len(signs)-6]+"32.88\n")
			rep = mustRun(t, b, []string{changed}, Options{Collection: "signs", DryRun: true})
			if rep.Unchanged != 3 || rep.Updated != 1 {
				t.Errorf("one row moved, dry run: would leave %d unchanged, update %d; want 3, 1", rep.Unchanged, rep.Updated)
			}
			rep = mustRun(t, b, []string{f}, Options{Collection: "signs"})
			if rep.Unchanged != 4 {
				t.Errorf("same ids: unchanged %d, want 4", rep.Unchanged)
			}
			rep = mustRun(t, b, []string{f}, Options{Collection: "signs", IDField: "id", Force: true})
			if rep.Inserted != 4 || len(all(t, b, "signs")) != 8 {
				t.Errorf("forced: inserted %d, %d features; want 4 and 8", rep.Inserted, len(all(t, b, "signs")))
			}
		})
	}
}
