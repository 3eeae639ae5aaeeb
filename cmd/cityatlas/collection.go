package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"

	"github.com/cityatlas/cityatlas/store"
)

// metaFlags are the flags of a collection's catalog metadata
// (store.Metadata), shared by import --create and collection set.
type metaFlags struct {
	licenseURL, publisher, contactName, contactEmail, frequency, theme, attribution string
}

func (m *metaFlags) register(fs *flag.FlagSet, what string) {
	fs.StringVar(&m.licenseURL, "license-url", "", "web page of the licence of "+what+" (default: the SPDX page of --license)")
	fs.StringVar(&m.publisher, "publisher", "", "organisation that publishes "+what+" (default: serve's --publisher)")
	fs.StringVar(&m.contactName, "contact-name", "", "whom to ask about "+what+" (default: serve's --contact-name)")
	fs.StringVar(&m.contactEmail, "contact-email", "", "e-mail address of the contact of "+what+" (default: serve's --contact-email)")
	fs.StringVar(&m.frequency, "update-frequency", "", "how often "+what+" is updated: daily, weekly, monthly, quarterly, annual, irregular, ... or an ISO 8601 repeating duration such as R/P2W")
	fs.StringVar(&m.theme, "theme", "", "comma-separated themes (subjects) of "+what)
	fs.StringVar(&m.attribution, "attribution", "", "the credit users of "+what+" must give")
}

// metaFlagNames are the flags metaFlags registers.
var metaFlagNames = []string{"license-url", "publisher", "contact-name", "contact-email", "update-frequency", "theme", "attribution"}

// set reports the names of the flags given on fs.
func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// apply sets on md the metadata whose flags were given (set); an empty
// value clears it.
func (m *metaFlags) apply(set map[string]bool, md *store.Metadata) error {
	for _, f := range []struct {
		name string
		dst  *string
		v    string
	}{
		{"license-url", &md.LicenseURL, m.licenseURL}, {"publisher", &md.Publisher, m.publisher},
		{"contact-name", &md.ContactName, m.contactName}, {"contact-email", &md.ContactEmail, m.contactEmail},
		{"attribution", &md.Attribution, m.attribution},
	} {
		if set[f.name] {
			*f.dst = f.v
		}
	}
	if set["theme"] {
		md.Theme = splitKeywords(m.theme)
	}
	if set["update-frequency"] {
		p, err := store.Periodicity(m.frequency)
		if err != nil {
			return usageError{"--update-frequency: " + strings.TrimPrefix(err.Error(), "invalid: ")}
		}
		md.AccrualPeriodicity = p
	}
	return nil
}

const collectionUsage = `Usage:
  cityatlas collection list [--json]
  cityatlas collection set ID [--title T] [--description D] [--license SPDX] [--keywords a,b]
                              [--license-url URL] [--publisher P] [--contact-name N] [--contact-email E]
                              [--update-frequency F] [--theme a,b] [--attribution A]
  cityatlas collection rename ID NEW_ID
  cityatlas collection add-field ID NAME TYPE [--title T] [--description D] [--values a,b]
  cityatlas collection drop-field ID NAME
  cityatlas collection delete ID

set changes only the flags given (an empty value clears one) and records
the change in the change log; running servers pick it up within
--sync-interval. rename keeps the features, their ids and history, and
moves key grants to the new id. add-field adds a field of type string,
integer, number, boolean, date, datetime or array (no feature has a value
for it yet); drop-field removes one with every feature's value of it (the
features that had one move on a version; the old one stays in their
history). delete removes the collection with all its features.
`

// collectionCmd runs "cityatlas collection SUBCOMMAND".
func collectionCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, collectionUsage)
		return usageError{"collection needs a subcommand: list, set, rename, add-field, drop-field or delete"}
	}
	if args[0] == "add-field" || args[0] == "drop-field" {
		return fieldCmd(ctx, args, getenv, stdout, stderr)
	}
	var cfg config
	fs := cfg.flagSet("collection "+args[0], getenv, stderr)
	fs.Usage = func() { fmt.Fprint(stderr, collectionUsage); fs.PrintDefaults() }
	var (
		title, description, license, keywords string
		asJSON                                bool
		m                                     metaFlags
	)
	switch args[0] {
	case "list":
		fs.BoolVar(&asJSON, "json", false, "print the collections' definitions as JSON")
	case "set":
		fs.StringVar(&title, "title", "", "the collection's title")
		fs.StringVar(&description, "description", "", "the collection's description")
		fs.StringVar(&license, "license", "", "the collection's licence: an SPDX id (CC-BY-4.0, ODbL-1.0)")
		fs.StringVar(&keywords, "keywords", "", "comma-separated keywords")
		m.register(fs, "the collection")
	case "delete", "rename":
	case "-h", "--help", "help":
		fmt.Fprint(stdout, collectionUsage)
		return nil
	default:
		fmt.Fprint(stderr, collectionUsage)
		return usageError{fmt.Sprintf("unknown collection subcommand %q", args[0])}
	}
	rest, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	if err := cfg.validate(getenv); err != nil {
		return err
	}
	switch {
	case args[0] == "rename" && len(rest) != 2:
		return usageError{"collection rename takes the collection's id and its new id"}
	case args[0] != "list" && args[0] != "rename" && len(rest) != 1:
		return usageError{fmt.Sprintf("collection %s takes one collection id", args[0])}
	case args[0] == "list" && len(rest) > 0:
		return usageError{fmt.Sprintf("collection list takes no arguments, got %q", rest)}
	}
	set := setFlags(fs)
	if args[0] == "set" && !anySet(set, append([]string{"title", "description", "license", "keywords"}, metaFlagNames...)) {
		return usageError{"collection set: give at least one of --title, --description, --license, --keywords, --" + strings.Join(metaFlagNames, ", --")}
	}
	b, err := openBackend(ctx, &cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer b.Close()
	switch args[0] {
	case "delete":
		if err := b.DeleteCollection(ctx, rest[0], "cityatlas collection"); err != nil {
			return notFoundCollection(err, rest[0])
		}
		fmt.Fprintf(stderr, "collection %q deleted with its features\n", rest[0])
		return nil
	case "rename":
		if _, err := b.RenameCollection(ctx, rest[0], rest[1], "cityatlas collection"); err != nil {
			switch {
			case errors.Is(err, store.ErrInvalid):
				return usageError{strings.TrimPrefix(strings.TrimPrefix(err.Error(), "gpkg: "), "postgis: ")}
			case errors.Is(err, store.ErrConflict):
				return fmt.Errorf("collection %q exists: choose another id", rest[1])
			}
			return notFoundCollection(err, rest[0])
		}
		fmt.Fprintf(stderr, "collection %q renamed %q\n", rest[0], rest[1])
		return nil
	case "set":
		c, err := findCollection(ctx, b, rest[0])
		if err != nil {
			return err
		}
		if set["title"] {
			c.Title = title
		}
		if set["description"] {
			c.Description = description
		}
		if set["license"] {
			c.License = license
		}
		if set["keywords"] {
			c.Keywords = splitKeywords(keywords)
		}
		if err := m.apply(set, &c.Metadata); err != nil {
			return err
		}
		if set["title"] && c.Title == "" {
			return usageError{"--title cannot be empty"}
		}
		if _, _, err := b.UpdateCollection(ctx, c, "cityatlas collection"); err != nil {
			if errors.Is(err, store.ErrInvalid) {
				return usageError{strings.TrimPrefix(strings.TrimPrefix(err.Error(), "gpkg: "), "postgis: ")}
			}
			return notFoundCollection(err, c.ID)
		}
		fmt.Fprintf(stderr, "collection %q updated\n", c.ID)
		return nil
	}
	cs, err := b.Collections(ctx)
	if err != nil {
		return err
	}
	return printCollections(stdout, cs, asJSON)
}

func anySet(set map[string]bool, names []string) bool {
	for _, n := range names {
		if set[n] {
			return true
		}
	}
	return false
}

func notFoundCollection(err error, id string) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("there is no collection %q (cityatlas collection list shows them)", id)
	}
	return err
}

func findCollection(ctx context.Context, b store.Backend, id string) (store.Collection, error) {
	cs, err := b.Collections(ctx)
	if err != nil {
		return store.Collection{}, err
	}
	for _, c := range cs {
		if c.ID == id {
			return c, nil
		}
	}
	return store.Collection{}, notFoundCollection(store.ErrNotFound, id)
}

// printCollections writes the collections as a table, or their
// definitions as JSON.
func printCollections(w io.Writer, cs []store.Collection, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(cs)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTITLE\tGEOMETRY\tLICENSE\tPUBLISHER\tUPDATE FREQUENCY")
	for _, c := range cs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Title, c.Geometry, dash(c.License), dash(c.Publisher), dash(c.AccrualPeriodicity))
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
