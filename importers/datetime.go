package importers

import (
	"strings"
	"time"
)

// naiveLayouts are the date-time forms without a UTC offset that GDAL and
// spreadsheets write ("2022-04-16T10:15:10", GeoPackage and GeoJSON from
// ogr2ogr; "2022-04-16 10:15:10").
var naiveLayouts = []string{
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	"2006/01/02 15:04:05.999999999", // FlatGeobuf from GDAL
}

// zonedLayouts are the forms with an offset.
var zonedLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006/01/02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999Z07",
}

// ParseDateTime reads s as a date-time: RFC 3339 with its offset, or
// without one ("2022-04-16T10:15:10", "2022-04-16 10:15"), which is then
// a wall-clock time in loc (UTC when loc is nil). naive reports that s had
// no offset; ok that it parsed. A date alone ("2022-04-16") is midnight in
// loc, and naive.
func ParseDateTime(s string, loc *time.Location) (t time.Time, naive, ok bool) {
	s = strings.TrimSpace(s)
	if !looksLikeDate(s) {
		return time.Time{}, false, false
	}
	if loc == nil {
		loc = time.UTC
	}
	for _, l := range zonedLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, false, true
		}
	}
	for _, l := range naiveLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, true, true
		}
	}
	if len(s) == 10 {
		if t, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
			return t, true, true
		}
	}
	return time.Time{}, false, false
}

// NaiveCounter is implemented by readers that convert date-times
// themselves (GeoPackage, FlatGeobuf): NaiveDateTimes is how many values
// read so far had no UTC offset and were taken in Options.Location.
type NaiveCounter interface {
	NaiveDateTimes() int
}
