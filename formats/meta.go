package formats

import (
	"strings"
	"time"

	"github.com/cityatlas/cityatlas/store"
)

// MetaItem is one thing a file says about its layer besides its features:
// a licence, keywords, who publishes it. Keys are lower case with
// underscores ("license_url"); formats that show metadata as GDAL does
// (GeoPackage, FlatGeobuf) write them upper case, as GDAL names its own.
type MetaItem struct {
	Key, Value string
}

// Metadata keys, in the order files list them.
const (
	MetaTitle       = "title"
	MetaDescription = "description"
	MetaLicense     = "license"
	MetaLicenseURL  = "license_url"
	MetaAttribution = "attribution"
	MetaKeywords    = "keywords"
	MetaTheme       = "theme"
	MetaPublisher   = "publisher"
	MetaContactName = "contact_name"
	MetaContact     = "contact_email"
	MetaFrequency   = "update_frequency"
	MetaUpdated     = "updated"
	MetaSource      = "source"
)

// metaOf returns what a collection says of itself, the empty items left
// out. ci.Metadata should already hold the service's defaults (the api's
// publisher and contact).
func metaOf(ci store.CollectionInfo) []MetaItem {
	m := ci.Metadata
	var out []MetaItem
	add := func(k, v string) {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, MetaItem{k, v})
		}
	}
	add(MetaTitle, ci.Title)
	add(MetaDescription, ci.Description)
	add(MetaLicense, ci.License)
	add(MetaLicenseURL, m.LicenseURL)
	add(MetaAttribution, m.Attribution)
	add(MetaKeywords, strings.Join(ci.Keywords, ", "))
	add(MetaTheme, strings.Join(m.Theme, ", "))
	add(MetaPublisher, m.Publisher)
	add(MetaContactName, m.ContactName)
	add(MetaContact, m.ContactEmail)
	add(MetaFrequency, m.AccrualPeriodicity)
	if !ci.Updated.IsZero() {
		add(MetaUpdated, ci.Updated.UTC().Format(time.RFC3339))
	}
	return out
}

// MetaValue returns the value of key in l.Meta ("" when it has none).
func (l *Layer) MetaValue(key string) string {
	for _, it := range l.Meta {
		if it.Key == key {
			return it.Value
		}
	}
	return ""
}

// metaExcept returns l.Meta without the items of the given keys (those
// the format has a place of its own for).
func (l *Layer) metaExcept(keys ...string) []MetaItem {
	var out []MetaItem
	for _, it := range l.Meta {
		skip := false
		for _, k := range keys {
			skip = skip || it.Key == k
		}
		if !skip {
			out = append(out, it)
		}
	}
	return out
}

// metaJSON returns items as a JSON object, each key through name, in
// their order ("" for none).
func metaJSON(items []MetaItem, name func(string) string) string {
	if len(items) == 0 {
		return ""
	}
	b := []byte{'{'}
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, name(it.Key))
		b = append(b, ':')
		b = appendJSONString(b, it.Value)
	}
	return string(append(b, '}'))
}
