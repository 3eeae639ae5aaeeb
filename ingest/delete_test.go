package ingest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/cityatlas/cityatlas/store"
)

// TestDeleteMissing imports a layer, then a revised file with
// DeleteMissing on both backends: a dry run counts the features the file no
// longer has and deletes nothing, a bad row deletes nothing, SkipInvalid is
// refused, and the import deletes them in the same transaction as it
// writes the rest, each with a change-log entry.
func TestDeleteMissing(t *testing.T) {
	ctx := context.Background()
	const (
		first   = "id,name,lon,lat\n1,a,-115.56,32.84\n2,b,-115.55,32.85\n3,c,-115.54,32.86\n4,d,-115.53,32.87\n"
		revised = "id,name,lon,lat\n2,b,-115.55,32.85\n3,C,-115.54,32.86\n5,e,-115.52,32.88\n"
	)
	ids := func(t *testing.T, b store.Backend) []string {
		var out []string
		for ext := range all(t, b, "signs") {
			out = append(out, ext)
		}
		slices.Sort(out)
		return out
	}
	for _, bk := range backends {
		t.Run(bk.name, func(t *testing.T) {
			b := bk.open(t)
			opts := Options{Collection: "signs", Create: true, IDField: "id"}
			mustRun(t, b, []string{writeFile(t, "signs.csv", first)}, opts)
			opts.Create, opts.DeleteMissing = false, true
			seq := lastSeq(t, b)

			dry := opts
			dry.DryRun = true
			rep := mustRun(t, b, []string{writeFile(t, "signs.csv", revised)}, dry)
			if rep.Deleted != 2 || lastSeq(t, b) != seq || len(ids(t, b)) != 4 {
				t.Fatalf("dry run: would delete %d (want 2), wrote %v", rep.Deleted, lastSeq(t, b) != seq)
			}

			bad := revised + ",f,-115.51,32.89\n" // no id
			rep, err := Run(ctx, b, []string{writeFile(t, "signs.csv", bad)}, opts)
			if !errors.Is(err, ErrRejected) || rep.Deleted != 0 || lastSeq(t, b) != seq || len(ids(t, b)) != 4 {
				t.Fatalf("a bad row: %v, report %+v, %d features", err, rep, len(ids(t, b)))
			}

			skip := opts
			skip.SkipInvalid = true
			if _, err := Run(ctx, b, []string{writeFile(t, "signs.csv", revised)}, skip); !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("with SkipInvalid: %v, want ErrInvalid", err)
			}

			rep = mustRun(t, b, []string{writeFile(t, "signs.csv", revised)}, opts)
			if rep.Inserted != 1 || rep.Updated != 1 || rep.Unchanged != 1 || rep.Deleted != 2 {
				t.Fatalf("report %+v, want 1 inserted, 1 updated, 1 unchanged, 2 deleted", rep)
			}
			if got := ids(t, b); !slices.Equal(got, []string{"2", "3", "5"}) {
				t.Fatalf("features %v after the import, want 2 3 5", got)
			}
			changes, err := b.Changes(ctx, seq, 0)
			if err != nil {
				t.Fatal(err)
			}
			ops := map[store.Op]int{}
			for _, c := range changes {
				ops[c.Op]++
			}
			if ops[store.OpDelete] != 2 || ops[store.OpInsert] != 1 || ops[store.OpUpdate] != 1 || len(changes) != 4 {
				t.Fatalf("change log %v, want 2 deletes, an insert and an update", ops)
			}

			rep = mustRun(t, b, []string{writeFile(t, "signs.csv", revised)}, opts)
			if rep.Unchanged != 3 || rep.Deleted != 0 {
				t.Fatalf("the same file again: %+v", rep)
			}
		})
	}
}

// TestDeleteMissingRecordIDs: without an id field, rows are known by file
// name and record number, and a shorter file deletes the records past its
// end.
func TestDeleteMissingRecordIDs(t *testing.T) {
	b := openGPKG(t)
	opts := Options{Collection: "places", Create: true}
	mustRun(t, b, []string{writeFile(t, "places.csv", "name,lon,lat\na,1,1\nb,2,2\nc,3,3\n")}, opts)
	opts.Create, opts.DeleteMissing = false, true
	rep := mustRun(t, b, []string{writeFile(t, "places.csv", "name,lon,lat\na,1,1\nB,2,2\n")}, opts)
	if rep.Unchanged != 1 || rep.Updated != 1 || rep.Deleted != 1 {
		t.Fatalf("report %+v, want 1 unchanged, 1 updated, 1 deleted", rep)
	}
	var got []string
	for ext := range all(t, b, "places") {
		got = append(got, ext)
	}
	slices.Sort(got)
	if !slices.Equal(got, []string{"places.csv#1", "places.csv#2"}) {
		t.Fatalf("features %v, want records 1 and 2", got)
	}
}
