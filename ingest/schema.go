package ingest

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/cityatlas/cityatlas/importers"
	"github.com/cityatlas/cityatlas/store"
)

// Rename records a source field name that was changed to make a valid
// property name.
type Rename struct {
	File string // the file the field came from
	From string // the name in the file
	To   string // the property name in the collection
}

// reserved are the names the backends keep for their own columns (see
// store.ValidateCollection); sanitised names that hit one get a suffix.
var reserved = map[string]bool{
	"fid": true, "id": true, "geom": true, "geometry": true, "external_id": true,
	"version": true, "created": true, "updated": true, "properties": true, "collection": true,
}

// Sanitize turns a source field name ("LANDMARK NAME", "Date Built (yr)",
// "2020 count", "ID") into a valid property name: lower case ASCII letters,
// digits and underscores, starting with a letter or underscore, at most 63
// characters, not a reserved column name (those get a trailing "_1"). It
// never returns "".
func Sanitize(name string) string {
	var b strings.Builder
	lastUnderscore := false
	for _, r := range strings.ToLower(strings.TrimSpace(name)) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			lastUnderscore = false
		default:
			if r > 127 {
				if a, ok := fold[r]; ok {
					b.WriteString(a)
					lastUnderscore = false
					continue
				}
			}
			if !lastUnderscore && b.Len() > 0 {
				b.WriteByte('_')
				lastUnderscore = true
			}
		}
	}
	s := strings.TrimRight(b.String(), "_")
	if s == "" {
		s = "field"
	}
	if s[0] >= '0' && s[0] <= '9' {
		s = "_" + s
	}
	if len(s) > 63 {
		s = strings.TrimRight(s[:63], "_")
	}
	if reserved[s] {
		s += "_1"
	}
	return s
}

// fold spells common accented Latin letters in ASCII.
var fold = map[rune]string{
	'à': "a", 'á': "a", 'â': "a", 'ã': "a", 'ä': "a", 'å': "a", 'æ': "ae",
	'ç': "c", 'è': "e", 'é': "e", 'ê': "e", 'ë': "e", 'ì': "i", 'í': "i",
	'î': "i", 'ï': "i", 'ñ': "n", 'ò': "o", 'ó': "o", 'ô': "o", 'õ': "o",
	'ö': "o", 'ø': "o", 'ù': "u", 'ú': "u", 'û': "u", 'ü': "u", 'ý': "y",
	'ÿ': "y", 'ß': "ss", 'œ': "oe",
}

// unique returns name, or name_2, name_3... when taken holds it.
func unique(name string, taken map[string]bool) string {
	if !taken[name] {
		return name
	}
	for i := 2; ; i++ {
		suffix := "_" + strconv.Itoa(i)
		base := name
		if len(base)+len(suffix) > 63 {
			base = base[:63-len(suffix)]
		}
		if n := base + suffix; !taken[n] {
			return n
		}
	}
}

// plan says, for one source, which property each source field becomes.
type plan struct {
	target map[string]string // source name → property name; "" drops it
}

// wider is the type that holds values of both a and b.
func wider(a, b string) string {
	switch {
	case a == b:
		return a
	case a == "":
		return b
	case b == "":
		return a
	case (a == importers.TypeInteger && b == importers.TypeNumber) || (a == importers.TypeNumber && b == importers.TypeInteger):
		return importers.TypeNumber
	case (a == importers.TypeDate && b == importers.TypeDateTime) || (a == importers.TypeDateTime && b == importers.TypeDate):
		return importers.TypeDateTime
	}
	return importers.TypeString
}

// schemaFor builds the property schema of a new collection from the fields
// of the sources: each field mapped by m (SRC → DST, DST "" drops it) or
// sanitised, one property per distinct name, types widened across files.
// It returns the fields, one plan per source and the renames made.
func schemaFor(names []string, fields [][]importers.Field, m map[string]string) ([]store.Field, []plan, []Rename, error) {
	var (
		out     []store.Field
		index   = map[string]int{} // property name → out index
		plans   = make([]plan, len(fields))
		renames []Rename
		// The same source name maps to the same property in every file.
		bySource = map[string]string{}
		taken    = map[string]bool{}
	)
	for name := range reserved {
		taken[name] = true
	}
	for i, fs := range fields {
		plans[i].target = map[string]string{}
		for _, f := range fs {
			dst, mapped := m[f.Name]
			switch {
			case mapped && dst == "":
				plans[i].target[f.Name] = ""
				continue
			case mapped:
				if !store.ValidFieldName(dst) || reserved[dst] {
					return nil, nil, nil, fmt.Errorf("--map %s=%s: %w", f.Name, dst, store.Invalidf("%q is not a valid property name (letters, digits and underscores, starting with a letter or underscore, not one of %s)", dst, reservedList()))
				}
			default:
				if prev, ok := bySource[f.Name]; ok {
					dst = prev
				} else {
					dst = unique(Sanitize(f.Name), taken)
					if dst != f.Name {
						renames = append(renames, Rename{File: names[i], From: f.Name, To: dst})
					}
				}
			}
			bySource[f.Name] = dst
			taken[dst] = true
			plans[i].target[f.Name] = dst
			if j, ok := index[dst]; ok {
				out[j].Type = store.FieldType(wider(string(out[j].Type), f.Type))
				continue
			}
			typ := f.Type
			if !store.FieldType(typ).Valid() {
				typ = importers.TypeString
			}
			index[dst] = len(out)
			out = append(out, store.Field{Name: dst, Type: store.FieldType(typ)})
		}
	}
	return out, plans, renames, nil
}

// planFor maps the fields of one source onto an existing collection: by
// m, else by exact name, else by sanitised name. Fields that match nothing
// are an error naming them all.
func planFor(name string, fields []importers.Field, c *store.Collection, m map[string]string) (plan, error) {
	p := plan{target: map[string]string{}}
	var unknown []string
	for _, f := range fields {
		if dst, ok := m[f.Name]; ok {
			if dst != "" {
				if _, ok := c.Field(dst); !ok {
					return p, fmt.Errorf("--map %s=%s: %w", f.Name, dst, store.Invalidf("collection %q has no property %q (it has: %s)", c.ID, dst, fieldList(c)))
				}
			}
			p.target[f.Name] = dst
			continue
		}
		if _, ok := c.Field(f.Name); ok {
			p.target[f.Name] = f.Name
			continue
		}
		if s := Sanitize(f.Name); s != f.Name {
			if _, ok := c.Field(s); ok {
				p.target[f.Name] = s
				continue
			}
		}
		unknown = append(unknown, f.Name)
	}
	if len(unknown) > 0 {
		return p, fmt.Errorf("%s: %w", name, store.Invalidf("fields %q are not properties of collection %q (it has: %s); map them with --map SRC=DST or drop them with --map SRC=", unknown, c.ID, fieldList(c)))
	}
	return p, nil
}

// fieldsToAdd are the fields of the files that collection c does not have
// and m neither maps nor drops, named and typed as for a new collection
// (see schemaFor), for Options.AddFields.
func fieldsToAdd(names []string, fields [][]importers.Field, c *store.Collection, m map[string]string) ([]store.Field, error) {
	unknown := make([][]importers.Field, len(fields))
	for i, fs := range fields {
		for _, f := range fs {
			if _, mapped := m[f.Name]; mapped {
				continue
			}
			if _, ok := c.Field(f.Name); ok {
				continue
			}
			if _, ok := c.Field(Sanitize(f.Name)); ok {
				continue
			}
			unknown[i] = append(unknown[i], f)
		}
	}
	add, _, _, err := schemaFor(names, unknown, nil)
	return add, err
}

// typesFor gives the CSV reader the schema's type of every column that
// maps onto a property, so that values are parsed as the collection wants
// them rather than as inferred.
func typesFor(c *store.Collection, m map[string]string) map[string]string {
	t := map[string]string{}
	for _, f := range c.Fields {
		t[f.Name] = string(f.Type)
	}
	for src, dst := range m {
		if f, ok := c.Field(dst); ok {
			t[src] = string(f.Type)
		} else {
			delete(t, src)
		}
	}
	return t
}

func fieldList(c *store.Collection) string {
	if len(c.Fields) == 0 {
		return "no properties"
	}
	names := make([]string, len(c.Fields))
	for i, f := range c.Fields {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

func reservedList() string {
	names := make([]string, 0, len(reserved))
	for n := range reserved {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// geometryFor is the geometry type of a new collection holding every
// source's geometry (GeoJSON names as importers.Reader.GeometryType gives
// them).
func geometryFor(types []string) store.GeometryType {
	var got string
	for _, t := range types {
		switch {
		case t == "":
			continue
		case got == "":
			got = t
		case got == t:
		case family(got) != "" && family(got) == family(t):
			got = "Multi" + family(t)
		default:
			return store.GeometryAny
		}
	}
	switch g := store.GeometryType(got); g {
	case store.GeometryPoint, store.GeometryLineString, store.GeometryPolygon, store.GeometryMultiPoint,
		store.GeometryMultiLineString, store.GeometryMultiPolygon, store.GeometryGeometryCollection:
		return g
	}
	return store.GeometryAny
}

func family(t string) string {
	return strings.TrimPrefix(t, "Multi")
}
