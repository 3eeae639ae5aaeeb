package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/cityatlas/cityatlas/store"
)

// fieldCmd runs "cityatlas collection add-field ID NAME TYPE" and
// "cityatlas collection drop-field ID NAME": a change of the collection's
// schema in place (store.SchemaChanger).
func fieldCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg config
	fs := cfg.flagSet("collection "+args[0], getenv, stderr)
	fs.Usage = func() { fmt.Fprint(stderr, collectionUsage); fs.PrintDefaults() }
	var title, description, values string
	if args[0] == "add-field" {
		fs.StringVar(&title, "title", "", "the field's title")
		fs.StringVar(&description, "description", "", "the field's description")
		fs.StringVar(&values, "values", "", "comma-separated values a string field may take (default: any)")
	}
	rest, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	if err := cfg.validate(getenv); err != nil {
		return err
	}
	var change store.FieldChange
	switch {
	case args[0] == "add-field" && len(rest) == 3:
		f := store.Field{Name: rest[1], Type: store.FieldType(rest[2]), Title: title, Description: description}
		if values != "" {
			f.Values = splitKeywords(values)
		}
		change.Add = []store.Field{f}
	case args[0] == "drop-field" && len(rest) == 2:
		change.Drop = []string{rest[1]}
	case args[0] == "add-field":
		return usageError{"collection add-field takes the collection's id, the field's name and its type (string, integer, number, boolean, date, datetime, array)"}
	default:
		return usageError{"collection drop-field takes the collection's id and the field's name"}
	}
	b, err := openBackend(ctx, &cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer b.Close()
	sc, ok := b.(store.SchemaChanger)
	if !ok {
		return fmt.Errorf("this backend cannot change a collection's schema")
	}
	if _, _, err := sc.ChangeFields(ctx, rest[0], change, nil, "cityatlas collection", nil); err != nil {
		if errors.Is(err, store.ErrInvalid) {
			return usageError{strings.TrimPrefix(strings.TrimPrefix(err.Error(), "gpkg: "), "postgis: ")}
		}
		return notFoundCollection(err, rest[0])
	}
	if len(change.Add) > 0 {
		fmt.Fprintf(stderr, "collection %q: field %q (%s) added\n", rest[0], rest[1], rest[2])
	} else {
		fmt.Fprintf(stderr, "collection %q: field %q dropped with its values\n", rest[0], rest[1])
	}
	return nil
}
