package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// readmeExample is one shell command of a README code block.
type readmeExample struct {
	line int    // line of README.md where the command starts
	cmd  string // the command, continuation lines joined
	// status, when not 0, is the HTTP status the README shows for it (a
	// "$ curl" line followed by a problem with "status":N); otherwise every
	// HTTP answer must be 2xx or 3xx.
	status int
}

// skipMarker, on the line before a ```sh fence, keeps that block out of
// TestREADMEExamples; the reason follows it ("needs a PostGIS server").
const skipMarker = "<!-- readme-test: skip"

var statusInOutput = regexp.MustCompile(`"status":\s*(\d{3})`)

// readmeExamples returns the commands of every ```sh block of the README
// that is not marked with skipMarker, and the blocks it skipped.
func readmeExamples(t *testing.T, path string) (examples []readmeExample, skipped []string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "```sh" {
			continue
		}
		skip := ""
		if i > 0 {
			if prev := strings.TrimSpace(lines[i-1]); strings.HasPrefix(prev, skipMarker) {
				skip = strings.TrimSuffix(strings.TrimSpace(strings.TrimPrefix(prev, skipMarker)), "-->")
			}
		}
		start := i + 1
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
		}
		if skip != "" {
			skipped = append(skipped, fmt.Sprintf("README.md:%d: %s", start, strings.TrimSpace(skip)))
			continue
		}
		examples = append(examples, blockCommands(lines[start:i], start+1)...)
	}
	return examples, skipped
}

// blockCommands splits a code block into commands. Comment lines are
// dropped, lines ending in a backslash continue, and a line starting with
// "$ " is a command whose output follows it until the next command.
func blockCommands(block []string, firstLine int) []readmeExample {
	var out []readmeExample
	var cur *readmeExample
	prompt := strings.Contains(strings.Join(block, "\n"), "\n$ ") || (len(block) > 0 && strings.HasPrefix(block[0], "$ "))
	for j := 0; j < len(block); j++ {
		line := block[j]
		trimmed := strings.TrimSpace(line)
		if prompt && !strings.HasPrefix(line, "$ ") {
			// Output shown after a "$ " command.
			if cur != nil {
				if m := statusInOutput.FindStringSubmatch(line); m != nil {
					cur.status, _ = strconv.Atoi(m[1])
				}
			}
			continue
		}
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		cmd := strings.TrimPrefix(line, "$ ")
		n := firstLine + j
		for strings.HasSuffix(cmd, `\`) && j+1 < len(block) {
			j++
			cmd = strings.TrimSuffix(cmd, `\`) + " " + strings.TrimSpace(block[j])
		}
		out = append(out, readmeExample{line: n, cmd: strings.TrimSpace(cmd)})
		cur = &out[len(out)-1]
	}
	return out
}

// TestREADMEExamples runs every shell example of README.md against the
// demo, as a newcomer would from the repository's root: curl, GDAL and
// cityatlas commands (the binary built from this package). A block that
// cannot run here is marked with skipMarker and a reason, and listed.
func TestREADMEExamples(t *testing.T) {
	requireTool(t, "curl", "curl")
	requireTool(t, "ogrinfo", "gdal-bin")
	examples, skipped := readmeExamples(t, "../../README.md")
	if len(examples) < 10 {
		t.Fatalf("found only %d README examples: has the README's layout changed?", len(examples))
	}
	for _, s := range skipped {
		t.Logf("skipped block %s", s)
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "cityatlas"), ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	work := filepath.Join(tmp, "work")
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}
	// The examples name files of the repository by their path from its root.
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"importers", "ingest", "testdata"} {
		if err := os.Symlink(filepath.Join(root, d), filepath.Join(work, d)); err != nil {
			t.Fatal(err)
		}
	}
	data := filepath.Join(work, "cityatlas.gpkg")
	base := startServer(t, "--demo", "--data", data, "--sync-interval", "200ms")
	for _, ex := range examples {
		if skipCommand(ex.cmd) {
			continue
		}
		t.Run(fmt.Sprintf("line%d", ex.line), func(t *testing.T) {
			runExample(t, ex, base, work, bin, data)
		})
	}
}

// skipCommand reports the commands the test itself stands for: the server
// it started and the test suite it is part of.
func skipCommand(cmd string) bool {
	return strings.HasPrefix(cmd, "go run ./cmd/cityatlas serve") || strings.HasPrefix(cmd, "scripts/test")
}

func runExample(t *testing.T, ex readmeExample, base, work, bin, data string) {
	cmd := strings.ReplaceAll(ex.cmd, "http://localhost:8080", base)
	cmd = strings.ReplaceAll(cmd, "go run ./cmd/cityatlas", "cityatlas")
	// curl prints each HTTP status on standard error, where it is checked.
	script := `curl() { command curl -sS --max-time 120 -w '%{stderr}HTTPSTATUS %{http_code}\n' "$@"; }` + "\n" +
		"set -o pipefail\n" + cmd
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, "bash", "-c", script)
	c.Dir = work
	c.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"CITYATLAS_DATA="+data, "CITYATLAS_DATABASE_URL=", "GDAL_HTTP_TIMEOUT=60")
	var stderr strings.Builder
	c.Stderr = &stderr
	stdout, err := c.Output()
	if err != nil {
		t.Fatalf("README.md:%d: %s\n%v\nstderr: %s\nstdout: %.2000s", ex.line, ex.cmd, err, stderr.String(), stdout)
	}
	sc := bufio.NewScanner(strings.NewReader(stderr.String()))
	for sc.Scan() {
		s, ok := strings.CutPrefix(sc.Text(), "HTTPSTATUS ")
		if !ok {
			continue
		}
		code, _ := strconv.Atoi(s)
		switch {
		case ex.status != 0 && code != ex.status:
			t.Errorf("README.md:%d: %s\nanswered %d, the README shows %d\n%.2000s", ex.line, ex.cmd, code, ex.status, stdout)
		case ex.status == 0 && (code < 200 || code >= 400):
			t.Errorf("README.md:%d: %s\nanswered %d\n%.2000s", ex.line, ex.cmd, code, stdout)
		}
	}
}
