package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/gpkg"
	"github.com/cityatlas/cityatlas/store/postgis"
	"github.com/cityatlas/cityatlas/store/postgis/pgtest"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// TestMain removes the binary that the process tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// binary builds the cityatlas command once for the tests that run it as a
// process (to send it signals) and returns its path.
func binary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "cityatlas-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "cityatlas")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// pointsCSV writes a CSV of n points to a temporary file.
func pointsCSV(t *testing.T, n int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "points.csv")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "asset_id,kind,lon,lat")
	for i := range n {
		fmt.Fprintf(w, "A%d,stop,%.5f,%.5f\n", i, -115.5+float64(i%1000)/1e4, 32.7+float64(i/1000)/1e5)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// importProcess starts "cityatlas import" with args and the progress bar
// on, and returns once the bar has drawn rows read (the import is
// reading); wait ends it and returns its exit code and stderr.
func importProcess(t *testing.T, args ...string) (cmd *exec.Cmd, wait func() (int, string)) {
	t.Helper()
	cmd = exec.Command(binary(t), append([]string{"import", "--progress", "always", "--log-level", "warn"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	br := bufio.NewReader(stdout)
	for {
		chunk, err := br.ReadString('\r')
		if strings.Contains(chunk, "rows") {
			break
		}
		if err != nil {
			t.Fatalf("the import ended before any progress: %v; stderr: %s", err, stderr.String())
		}
	}
	go func() { _, _ = io.Copy(io.Discard, br) }()
	return cmd, func() (int, string) {
		err := cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), stderr.String()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, stderr.String()
	}
}

// TestImportSIGTERM: SIGTERM (and SIGINT) during an import stop it: it
// exits non-zero saying nothing was written, and the store has no trace
// of it, not even the --create layer.
func TestImportSIGTERM(t *testing.T) {
	csv := pointsCSV(t, 1_000_000)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "atlas.gpkg")
			cmd, wait := importProcess(t, csv, "--collection", "big", "--create", "--id-field", "asset_id", "--data", data)
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			code, stderr := wait()
			if code == 0 || !strings.Contains(stderr, "interrupted") || !strings.Contains(stderr, "nothing was written") {
				t.Fatalf("exit %d, stderr %q: want a failure saying the import was interrupted and nothing written", code, stderr)
			}
			b, err := gpkg.Open(context.Background(), data)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			cs, err := b.Collections(context.Background())
			if err != nil || len(cs) != 0 {
				t.Fatalf("collections %v (%v) after the interrupted import", cs, err)
			}
		})
	}
}

// TestKill9CreatePostGIS: kill -9 in the middle of a bulk load into a new
// layer. The collection was never committed; the staging table the load
// was filling is left, and the next migrate (or start) drops it; a Store
// opened on the database agrees with it.
func TestKill9CreatePostGIS(t *testing.T) {
	url := pgtest.URL(t, "cityatlas_kill_")
	ctx := context.Background()
	if err := postgis.Migrate(ctx, url); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	stages := func() int {
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_class WHERE relnamespace = current_schema()::regnamespace
AND relkind = 'r' AND relname LIKE 'ca\_stage\_%'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	csv := pointsCSV(t, 600_000)
	cmd, wait := importProcess(t, csv, "--collection", "big", "--create", "--id-field", "asset_id", "--database-url", url)
	// Wait for the staged load to be filling its table, then kill.
	deadline := time.Now().Add(2 * time.Minute)
	for stages() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no staging table appeared")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if code, _ := wait(); code == 0 {
		t.Fatal("the killed import exited 0")
	}
	// PostgreSQL ends the killed client's sessions once it sees their
	// sockets close; until then the write lock is held.
	for {
		var held int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_locks
WHERE locktype = 'advisory' AND objid = hashtext(current_schema())::oid`).Scan(&held); err != nil {
			t.Fatal(err)
		}
		if held == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the killed import's session still holds the write lock")
		}
		time.Sleep(20 * time.Millisecond)
	}
	var colls int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM collections`).Scan(&colls); err != nil {
		t.Fatal(err)
	}
	if colls != 0 {
		t.Errorf("%d collections committed by the killed import", colls)
	}
	left := stages()
	t.Logf("after kill -9: %d collections, %d staging tables", colls, left)
	if err := run(ctx, []string{"migrate", "--database-url", url}, func(string) string { return "" }, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if n := stages(); n != 0 {
		t.Errorf("%d staging tables after migrate (%d before)", n, left)
	}
	var part bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('features_big') IS NOT NULL`).Scan(&part); err != nil || part {
		t.Errorf("partition features_big exists: %v %v", part, err)
	}
	b, err := postgis.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	s, err := store.Open(ctx, b, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if cs := s.Collections(); len(cs) != colls {
		t.Errorf("a store lists %d collections, the database has %d", len(cs), colls)
	}
}
