package store

import (
	"math"
	"strconv"
	"unsafe"
)

// Canonical reports whether p is exactly what EncodeProperties gives for
// collection c and the values p holds, without decoding it: properties
// that were encoded already (by an importer, say) need not be decoded and
// encoded again by a backend. It does not allocate. False means only "not
// known to be canonical": strings with escapes or non-ASCII text, for one,
// are left to the full check.
func Canonical(c *Collection, p []byte) bool {
	n := len(p)
	if n < 2 || n > MaxPropertiesBytes || p[0] != '{' || p[n-1] != '}' {
		return false
	}
	if n == 2 {
		return true
	}
	i, next := 1, 0 // next: the first field that may come
	for {
		// "name":
		if p[i] != '"' {
			return false
		}
		j := i + 1
		for j < n && p[j] != '"' {
			j++
		}
		if j+1 >= n || p[j+1] != ':' {
			return false
		}
		key := p[i+1 : j]
		for next < len(c.Fields) && c.Fields[next].Name != string(key) {
			next++
		}
		if next == len(c.Fields) {
			return false // unknown, repeated or out of order
		}
		f := &c.Fields[next]
		next++
		i = j + 2
		// the value
		w, ok := canonicalValue(f, p[i:n-1])
		if !ok {
			return false
		}
		i += w
		switch {
		case i == n-1:
			return true
		case p[i] == ',' && i+1 < n-1:
			i++
		default:
			return false
		}
	}
}

// canonicalValue checks the value at the start of b for field f and
// returns its length.
func canonicalValue(f *Field, b []byte) (int, bool) {
	switch f.Type {
	case TypeString, TypeDate, TypeDateTime:
		if len(b) < 2 || b[0] != '"' {
			return 0, false
		}
		end := 1
		for ; end < len(b) && b[end] != '"'; end++ {
			if !plainByte(b[end]) {
				return 0, false // escaped, or not ASCII: the full check
			}
		}
		if end == len(b) {
			return 0, false
		}
		s := b[1:end]
		switch f.Type {
		case TypeString:
			if len(f.Values) > 0 && !containsBytes(f.Values, s) {
				return 0, false
			}
		case TypeDate:
			if !validDate(s) {
				return 0, false
			}
		default:
			v, err := coerce(*f, string(s))
			if err != nil || v.(string) != string(s) {
				return 0, false
			}
		}
		return end + 1, true
	case TypeInteger:
		w := 0
		if w < len(b) && b[w] == '-' {
			w++
		}
		digits := w
		for w < len(b) && b[w] >= '0' && b[w] <= '9' {
			w++
		}
		nd := w - digits
		// No leading zero, no "-0", and short enough to be sure it fits.
		if nd == 0 || nd > 18 || b[digits] == '0' && (nd > 1 || digits > 0) {
			return 0, false
		}
		return w, true
	case TypeNumber:
		w := 0
		for w < len(b) && (b[w] >= '0' && b[w] <= '9' || b[w] == '-' || b[w] == '+' || b[w] == '.' || b[w] == 'e') {
			w++
		}
		if w == 0 || w > 32 {
			return 0, false
		}
		tok := b[:w]
		if plainDecimal(tok) {
			return w, true
		}
		x, err := strconv.ParseFloat(unsafe.String(&tok[0], w), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) || x == 0 && w != 1 {
			return 0, false // "-0" too: EncodeProperties writes 0
		}
		var buf [32]byte
		if string(strconv.AppendFloat(buf[:0], x, 'g', -1, 64)) != string(tok) {
			return 0, false
		}
		return w, true
	case TypeBoolean:
		switch {
		case len(b) >= 4 && string(b[:4]) == "true":
			return 4, true
		case len(b) >= 5 && string(b[:5]) == "false":
			return 5, true
		}
	}
	return 0, false
}

// plainDecimal reports whether b is a decimal that strconv.FormatFloat(x,
// 'g', -1, 64) writes as it is, without parsing it: at most 15 significant
// digits (so they are the shortest that give back x), no leading or
// trailing zeros, no exponent, and a magnitude from 1e-4 up to 1e6, where
// 'g' does not switch to an exponent.
func plainDecimal(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	start := i
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	intDigits := i - start
	switch {
	case intDigits == 0 || intDigits > 6:
		return false
	case b[start] == '0' && intDigits > 1:
		return false // a leading zero
	}
	sig := intDigits
	zero := intDigits == 1 && b[start] == '0'
	if zero {
		sig = 0
	}
	if i == len(b) {
		return !zero || start == 0 // "0", but not "-0"
	}
	if b[i] != '.' {
		return false
	}
	i++
	frac := i
	lead := 0 // zeros after the point before the first significant digit
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		if sig == 0 && b[i] == '0' {
			lead++
		} else {
			sig++
		}
		i++
	}
	switch {
	case i != len(b) || i == frac || b[i-1] == '0':
		return false // something else, no digits, or a trailing zero
	case zero && lead > 3:
		return false // below 1e-4
	}
	return sig <= 15
}

func containsBytes(list []string, s []byte) bool {
	for _, x := range list {
		if x == string(s) {
			return true
		}
	}
	return false
}

// validDate reports whether s is a calendar date YYYY-MM-DD.
func validDate(s []byte) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	num := func(b []byte) int {
		n := 0
		for _, c := range b {
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	y, m, d := num(s[:4]), num(s[5:7]), num(s[8:])
	if y < 0 || m < 1 || m > 12 || d < 1 {
		return false
	}
	days := [...]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m-1]
	if m == 2 && y%4 == 0 && (y%100 != 0 || y%400 == 0) {
		days = 29
	}
	return d <= days
}
