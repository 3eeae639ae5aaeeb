package importers

import (
	"fmt"
	"strings"
)

// GeometryHinter is implemented by readers that look for their geometry
// (CSV): GeometryHint says what was looked for, for the message when
// nothing was found.
type GeometryHinter interface {
	GeometryHint() string
}

// GeometryHint names the columns the CSV reader looked for.
func (r *csvReader) GeometryHint() string {
	return fmt.Sprintf("no columns named %s (longitude or x) with %s (latitude or y) holding numbers, and no column of WKT geometries (such as %s) or of Socrata \"(lat, lon)\" locations",
		strings.Join(lonNames, ", "), strings.Join(latNames, ", "), strings.Join(wktNames[:4], ", "))
}
