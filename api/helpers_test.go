package api_test

import (
	"html"
	"os"
	"strconv"
	"testing"
)

var tempDir string

func TestMain(m *testing.M) {
	d, err := os.MkdirTemp("", "cityatlas-api-test-")
	if err != nil {
		panic(err)
	}
	tempDir = d
	code := m.Run()
	if demoStore != nil {
		_ = demoStore.Close()
	}
	os.RemoveAll(d)
	os.Exit(code)
}

func osMkdirTemp() (string, error) { return tempDir, nil }

func strconvFormat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func htmlEscape(s string) string { return html.EscapeString(s) }
