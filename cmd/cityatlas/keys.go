package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cityatlas/cityatlas/auth"
	"github.com/cityatlas/cityatlas/store"
)

// keyStore is what the keys command needs of a backend: store.Keys, which
// store/postgis and store/gpkg implement.
type keyStore interface {
	CreateKey(ctx context.Context, k store.Key) (store.Key, error)
	ListKeys(ctx context.Context) ([]store.Key, error)
	RevokeKey(ctx context.Context, name string) error
}

const keysUsage = `Usage:
  cityatlas keys create --name NAME --role viewer|editor|admin [--collections a,b] [--expires DATE]
  cityatlas keys list
  cityatlas keys revoke NAME

create prints the new key, alone, on standard output: it is shown this once
and stored only hashed. A revoked or expired key is refused by every running
instance within two seconds.
`

// keys runs "cityatlas keys SUBCOMMAND".
func keys(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, keysUsage)
		return usageError{"keys needs a subcommand: create, list or revoke"}
	}
	var cfg config
	fs := cfg.flagSet("keys "+args[0], getenv, stderr)
	fs.Usage = func() { fmt.Fprint(stderr, keysUsage); fs.PrintDefaults() }
	var (
		name, role, colls, expires string
	)
	switch args[0] {
	case "create":
		fs.StringVar(&name, "name", "", "the key's name: letters, digits, '.', '-', '_' (the actor of its writes)")
		fs.StringVar(&role, "role", "", "viewer, editor or admin")
		fs.StringVar(&colls, "collections", "", "comma-separated collections the key is limited to (default: all)")
		fs.StringVar(&expires, "expires", "", "when the key stops working: a date (YYYY-MM-DD, midnight UTC) or an RFC 3339 time")
	case "list", "revoke":
	case "-h", "--help", "help":
		fmt.Fprint(stdout, keysUsage)
		return nil
	default:
		fmt.Fprint(stderr, keysUsage)
		return usageError{fmt.Sprintf("unknown keys subcommand %q", args[0])}
	}
	flags := args[1:]
	var rest []string
	if args[0] == "revoke" && len(flags) > 0 && !strings.HasPrefix(flags[0], "-") {
		rest, flags = flags[:1], flags[1:] // keys revoke NAME [flags]
	}
	if err := fs.Parse(flags); err != nil {
		return err
	}
	if err := cfg.validate(getenv); err != nil {
		return err
	}
	rest = append(rest, fs.Args()...)
	switch {
	case args[0] == "revoke" && len(rest) != 1:
		return usageError{"keys revoke takes one key name"}
	case args[0] != "revoke" && len(rest) > 0:
		return usageError{fmt.Sprintf("keys %s takes no arguments, got %q", args[0], rest)}
	}
	var (
		grant []string
		exp   time.Time
	)
	if args[0] == "create" {
		if name == "" || role == "" {
			return usageError{"keys create needs --name and --role"}
		}
		if colls != "" {
			grant = strings.Split(colls, ",")
		}
		var err error
		if exp, err = parseExpiry(expires); err != nil {
			return err
		}
	}
	b, err := openBackend(ctx, &cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer b.Close()
	ks, ok := b.(keyStore)
	if !ok {
		return errors.New("this store keeps no keys")
	}
	switch args[0] {
	case "create":
		token, k, err := auth.New(name, role, grant, exp)
		if err != nil {
			return usageError{strings.TrimPrefix(err.Error(), "invalid: ")}
		}
		if _, err := ks.CreateKey(ctx, k); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("a key called %q exists (revoke it, or choose another name)", name)
			}
			return err
		}
		fmt.Fprintln(stdout, token)
		return nil
	case "revoke":
		if err := ks.RevokeKey(ctx, rest[0]); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("there is no key called %q", rest[0])
			}
			return err
		}
		fmt.Fprintf(stderr, "key %q revoked\n", rest[0])
		return nil
	}
	list, err := ks.ListKeys(ctx)
	if err != nil {
		return err
	}
	return printKeys(stdout, list, time.Now())
}

// printKeys writes the keys as a table, never their secrets or hashes.
func printKeys(w io.Writer, list []store.Key, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tCOLLECTIONS\tCREATED\tEXPIRES\tSTATUS")
	for _, k := range list {
		colls := "all"
		if len(k.Collections) > 0 {
			colls = strings.Join(k.Collections, ",")
		}
		exp, status := "never", "active"
		if !k.Expires.IsZero() {
			exp = k.Expires.Format(time.RFC3339)
			if !now.Before(k.Expires) {
				status = "expired"
			}
		}
		if !k.Revoked.IsZero() {
			status = "revoked " + k.Revoked.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.Name, k.Role, colls, k.Created.Format(time.RFC3339), exp, status)
	}
	return tw.Flush()
}

func parseExpiry(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, usageError{fmt.Sprintf("--expires %q is not a date (YYYY-MM-DD) or an RFC 3339 time", s)}
	}
	return t.UTC(), nil
}
