package importers

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Text values are typed by these rules (CSV columns, and GeoJSON string
// properties for dates):
//   - integer: an optional sign and digits, without a leading zero ("007"
//     and ZIP codes stay strings), fitting in 64 bits;
//   - number: a decimal number (with a fraction or exponent); no NaN,
//     infinities, hex or thousands separators;
//   - boolean: true/false, yes/no, t/f, y/n in any case;
//   - date: 2006-01-02, 2006/01/02, US 1/2/2006 and 01/02/2006;
//   - datetime: RFC 3339 (with or without a zone, "T" or space), and US
//     1/2/2006 15:04[:05] or 1/2/2006 3:04[:05] PM; without a zone, UTC.
// A column takes the narrowest type every non-empty value fits: integer
// widens to number, date to datetime; anything else mixed is a string.

func parseInteger(s string) (int64, bool) {
	d := strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	if d == "" || (len(d) > 1 && d[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

func parseNumber(s string) (float64, bool) {
	if s == "" {
		return 0, false
	}
	digits := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits = true
		case c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-':
		default:
			return 0, false
		}
	}
	if !digits {
		return 0, false
	}
	// A leading zero followed by a digit is an identifier, not a number.
	d := strings.TrimLeft(s, "+-")
	if len(d) > 1 && d[0] == '0' && d[1] >= '0' && d[1] <= '9' {
		return 0, false
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
		return 0, false
	}
	return x, true
}

func parseBoolean(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "true", "yes", "t", "y":
		return true, true
	case "false", "no", "f", "n":
		return false, true
	}
	return false, false
}

var dateLayouts = []string{"2006-01-02", "2006/01/02", "1/2/2006"}

var dateTimeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	"1/2/2006 15:04:05",
	"1/2/2006 15:04",
	"1/2/2006 3:04:05 PM",
	"1/2/2006 3:04 PM",
}

func looksLikeDate(s string) bool {
	// Cheap guard before time.Parse: starts with a digit, has a separator.
	return len(s) >= 8 && s[0] >= '0' && s[0] <= '9' && strings.ContainsAny(s, "-/")
}

func parseDate(s string) (time.Time, bool) {
	if !looksLikeDate(s) || len(s) > 10 {
		return time.Time{}, false
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func parseDateTime(s string) (time.Time, bool) {
	if !looksLikeDate(s) {
		return time.Time{}, false
	}
	if t, ok := parseDate(s); ok {
		return t, true
	}
	for _, l := range dateTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// parseAs converts a non-empty text value to the Go value of type typ.
func parseAs(typ, s string) (any, error) {
	switch typ {
	case TypeString, "":
		return s, nil
	case TypeInteger:
		if n, ok := parseInteger(s); ok {
			return n, nil
		}
		// "42.0" is an integer too when a schema says so.
		if x, ok := parseNumber(s); ok && x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x), nil
		}
		if n, err := strconv.ParseInt(s, 10, 64); err == nil { // "007"
			return n, nil
		}
	case TypeNumber:
		if x, ok := parseNumber(s); ok {
			return x, nil
		}
		if x, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(x, 0) && !math.IsNaN(x) {
			return x, nil
		}
	case TypeBoolean:
		if b, ok := parseBoolean(s); ok {
			return b, nil
		}
	case TypeDate:
		if t, ok := parseDate(s); ok {
			return t, nil
		}
	case TypeDateTime:
		if t, ok := parseDateTime(s); ok {
			return t, nil
		}
	default:
		return nil, fmt.Errorf("%w field type %q (want string, integer, number, boolean, date or datetime)", ErrUnsupported, typ)
	}
	return nil, fmt.Errorf("%w: %q is not %s", ErrValue, s, article(typ))
}

func article(typ string) string {
	if typ == TypeInteger {
		return "an integer"
	}
	return "a " + typ
}

// typeAcc infers a column's type from its values.
type typeAcc struct {
	n                                        int // non-empty values
	nums                                     int // values that are numbers
	integer, number, boolean, date, dateTime bool
	min, max                                 float64 // of numeric values
}

func newTypeAcc() *typeAcc {
	return &typeAcc{integer: true, number: true, boolean: true, date: true, dateTime: true, min: math.Inf(1), max: math.Inf(-1)}
}

func (a *typeAcc) add(s string) {
	if s == "" {
		return
	}
	a.n++
	if a.integer {
		if _, ok := parseInteger(s); !ok {
			a.integer = false
		}
	}
	if x, ok := parseNumber(s); ok {
		a.nums++
		a.min, a.max = math.Min(a.min, x), math.Max(a.max, x)
	} else {
		a.number = false
	}
	if a.boolean {
		if _, ok := parseBoolean(s); !ok {
			a.boolean = false
		}
	}
	if a.date {
		if _, ok := parseDate(s); !ok {
			a.date = false
		}
	}
	if a.dateTime {
		if _, ok := parseDateTime(s); !ok {
			a.dateTime = false
		}
	}
}

func (a *typeAcc) result() string {
	switch {
	case a.n == 0:
		return TypeString
	case a.integer:
		return TypeInteger
	case a.number:
		return TypeNumber
	case a.boolean:
		return TypeBoolean
	case a.date:
		return TypeDate
	case a.dateTime:
		return TypeDateTime
	}
	return TypeString
}

// inferAs parses s as typ the way the survey infers types: a value that
// typeAcc would not count as typ (which parseAs may still take, like
// "007" for an integer) is refused. Text is taken as it is.
func inferAs(typ, s string) (any, bool) {
	switch typ {
	case TypeInteger:
		return parseInteger(s)
	case TypeNumber:
		return parseNumber(s)
	case TypeBoolean:
		return parseBoolean(s)
	case TypeDate:
		return parseDate(s)
	case TypeDateTime:
		return parseDateTime(s)
	}
	return s, true
}
