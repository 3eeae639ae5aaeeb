package importers

import "time"

// inZone reads a date-time cell without a UTC offset as a wall-clock time
// in Options.Location (parseAs took it as UTC), counting such cells.
func (r *csvReader) inZone(v any, text string) any {
	t, ok := v.(time.Time)
	if !ok {
		return v
	}
	if _, naive, ok := ParseDateTime(text, nil); ok && !naive {
		return v // it has its offset
	}
	r.naive++
	if r.opts.Location == nil {
		return t
	}
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return time.Date(y, mo, d, h, mi, s, t.Nanosecond(), r.opts.Location)
}

// NaiveDateTimes counts the date-time cells read so far that had no UTC
// offset.
func (r *csvReader) NaiveDateTimes() int { return r.naive }
