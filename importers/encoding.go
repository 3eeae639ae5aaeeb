package importers

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/unicode"
)

// lookupEncoding finds the text encoding called name: an IANA or WHATWG
// name, "latin1", a bare Windows/DOS code page number ("1252", "437",
// "65001"), or those with a "cp", "windows-" or "ANSI " prefix as .cpg files
// write them. nil with ok means UTF-8.
func lookupEncoding(name string) (enc encoding.Encoding, ok bool) {
	n := strings.ToLower(strings.TrimSpace(strings.Trim(name, "\x00\ufeff")))
	n = strings.TrimPrefix(n, "ansi")
	n = strings.TrimSpace(n)
	switch n {
	case "":
		return nil, false
	case "utf-8", "utf8", "65001", "cp65001":
		return nil, true
	case "latin1", "latin-1", "iso-8859-1", "iso8859-1", "iso_8859-1", "iso_8859_1", "iso88591", "88591", "8859-1", "28591", "l1":
		return charmap.ISO8859_1, true
	}
	for _, p := range []string{"windows-", "windows", "cp-", "cp", "ibm", "dos"} {
		if rest, found := strings.CutPrefix(n, p); found {
			if _, err := strconv.Atoi(rest); err == nil {
				n = rest
			}
			break
		}
	}
	if _, err := strconv.Atoi(n); err == nil {
		return codePage(n)
	}
	// "8859-15", "iso8859_15" style names.
	if rest, found := strings.CutPrefix(strings.NewReplacer("_", "-", "iso", "").Replace(n), "8859-"); found {
		n = "iso-8859-" + rest
	}
	e, err := htmlindex.Get(n)
	if err != nil {
		return nil, false
	}
	if e == unicode.UTF8 {
		return nil, true
	}
	return e, true
}

// codePage maps a numeric code page to its encoding.
func codePage(n string) (encoding.Encoding, bool) {
	switch n {
	case "437":
		return charmap.CodePage437, true
	case "850":
		return charmap.CodePage850, true
	case "852":
		return charmap.CodePage852, true
	case "855":
		return charmap.CodePage855, true
	case "858":
		return charmap.CodePage858, true
	case "860":
		return charmap.CodePage860, true
	case "862":
		return charmap.CodePage862, true
	case "863":
		return charmap.CodePage863, true
	case "865":
		return charmap.CodePage865, true
	case "866":
		return charmap.CodePage866, true
	case "874":
		return charmap.Windows874, true
	case "932":
		return lookupName("shift_jis")
	case "936":
		return lookupName("gbk")
	case "949":
		return lookupName("euc-kr")
	case "950":
		return lookupName("big5")
	}
	if strings.HasPrefix(n, "125") && len(n) == 4 {
		return lookupName("windows-" + n)
	}
	if strings.HasPrefix(n, "8859") && len(n) > 4 {
		return lookupName("iso-8859-" + n[4:])
	}
	if strings.HasPrefix(n, "2859") && len(n) == 5 { // Windows code page ids 28591..28599
		return lookupName("iso-8859-" + n[4:])
	}
	return nil, false
}

func lookupName(n string) (encoding.Encoding, bool) {
	e, err := htmlindex.Get(n)
	if err != nil {
		return nil, false
	}
	return e, true
}

// ldidCodePages maps the dBase language driver id (byte 29 of a .dbf
// header) to a code page, for the ids ESRI and GDAL write.
var ldidCodePages = map[byte]string{
	0x01: "437", 0x02: "850", 0x03: "1252", 0x57: "1252", 0x58: "1252", 0x59: "1252",
	0x64: "852", 0x65: "866", 0x66: "865", 0x13: "932", 0x4d: "936", 0x4e: "949",
	0x4f: "950", 0x7d: "1255", 0x7e: "1256", 0xc8: "1250", 0xc9: "1251",
	0xca: "1254", 0xcb: "1253", 0xcc: "1257",
}

// textDecoder turns raw bytes into a UTF-8 string.
type textDecoder struct {
	name string
	enc  encoding.Encoding // nil: UTF-8
	// auto: bytes that are valid UTF-8 are taken as UTF-8; others are
	// decoded with enc (a legacy fallback code page).
	auto bool
}

func (d textDecoder) decode(b []byte) string {
	if d.enc == nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	if d.auto && utf8.Valid(b) {
		return string(b)
	}
	s, err := d.enc.NewDecoder().Bytes(b)
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return string(s)
}

// explicitDecoder returns the decoder for a user-given encoding name.
func explicitDecoder(name string) (textDecoder, error) {
	enc, ok := lookupEncoding(name)
	if !ok {
		return textDecoder{}, fmt.Errorf("%w text encoding %q (try utf-8, windows-1252 or latin1)", ErrUnsupported, name)
	}
	return textDecoder{name: name, enc: enc}, nil
}
