// Command cityatlas runs the cityatlas GIS asset inventory service and its
// tools: serve, migrate, seed, import, healthcheck, version.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "cityatlas:", userMessage(err))
		}
		if code := exitCode(err); code != 0 {
			os.Exit(code)
		}
	}
}

// exitCode is the process's exit status for what run returned: 0 for
// help asked for (-h, --help), 2 for a usage mistake, 1 for a failure.
func exitCode(err error) int {
	var u usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &u):
		return 2
	}
	return 1
}

// usageError is a mistake on the command line.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

const usage = `cityatlas: a GIS asset inventory service (OGC API - Features, web map)

Usage:
  cityatlas serve   [flags]   run the HTTP service (--demo seeds the Imperial, CA demo data)
  cityatlas migrate [flags]   apply the PostGIS schema migrations and exit
  cityatlas seed    [flags]   load the generated demo city into the store (--scale for big datasets)
  cityatlas import  FILE... --collection ID [flags]   import shapefiles, CSV, GeoJSON (all or nothing)
  cityatlas export  --collection ID [--output FILE] [flags]   write a layer as GeoJSON, CSV, GeoPackage, shapefile, FlatGeobuf, GeoParquet, KML
  cityatlas keys    create|list|revoke [flags]   API keys (editors write, admins manage)
  cityatlas collection list|set|rename|delete [flags]   list collections, change their title, licence and catalog metadata, rename or delete one
  cityatlas healthcheck [--ready]   exit 0 if the server on --addr answers /healthz (or /readyz), else 1
  cityatlas version           print the version, Go version and VCS revision

Run "cityatlas COMMAND -h" for a command's flags. Every flag has an
environment variable: --addr is CITYATLAS_ADDR, --database-url is
CITYATLAS_DATABASE_URL, and so on.
`

// run is the whole program: main only wires the process to it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{"no command given"}
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], getenv, stdout, stderr)
	case "migrate":
		return migrate(ctx, args[1:], getenv, stdout, stderr)
	case "seed":
		return seed(ctx, args[1:], getenv, stdout, stderr)
	case "import":
		return importCmd(ctx, args[1:], getenv, stdout, stderr)
	case "export":
		return exportCmd(ctx, args[1:], getenv, stdout, stderr)
	case "keys":
		return keys(ctx, args[1:], getenv, stdout, stderr)
	case "collection":
		return collectionCmd(ctx, args[1:], getenv, stdout, stderr)
	case "healthcheck":
		return healthcheck(ctx, args[1:], getenv, stdout, stderr)
	case "version", "--version":
		return versionCmd(stdout)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return usageError{fmt.Sprintf("unknown command %q", args[0])}
}
