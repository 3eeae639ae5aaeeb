// Package proj converts coordinates between a source coordinate reference
// system and WGS84 longitude/latitude in pure Go (no cgo, no I/O), so that
// cityatlas can take shapefiles in State Plane feet, UTM metres and the like.
//
// A CRS comes from [Parse], which reads ESRI WKT1 (the text of a .prj file),
// OGC WKT1 (PROJCS, GEOGCS, DATUM, SPHEROID, PRIMEM, PROJECTION, PARAMETER,
// UNIT, AUTHORITY, TOWGS84), or a code of the built-in table: EPSG:NNNN,
// urn:ogc:def:crs:EPSG::NNNN, http://www.opengis.net/def/crs/EPSG/0/NNNN,
// ESRI:NNNNNN, and OGC:CRS84 / urn:ogc:def:crs:OGC:1.3:CRS84.
//
// Projections: Transverse Mercator (Krüger series to sixth order, a few
// nanometres within a zone), Lambert Conformal Conic (1SP and 2SP), Albers
// Equal Area, Mercator (ellipsoidal 1SP/2SP and spherical Web Mercator), and
// geographic. Linear units are whatever the WKT says (metre, US survey foot
// = 1200/3937 m, international foot = 0.3048 m, ...); angular units likewise
// (degree, grad, radian).
//
// Datums: WGS84 and NAD83 (with HARN, NSRS2007, 2011, CORS96) are treated as
// identical, as PROJ does without grids: they differ by one to two metres.
// Any other datum on the GRS80 or WGS84 ellipsoid without TOWGS84 is treated
// the same way. NAD27 goes to WGS84 through a three-parameter geocentric
// shift (EPSG:1173, tx=-8 ty=160 tz=176 m), good to about 5 m over the
// conterminous US (EPSG states 10 m); a WKT's TOWGS84 (3 or 7 parameters,
// position vector) is honoured for any datum. Other datums are refused.
//
// Axis order is always x = easting or longitude, y = northing or latitude,
// whatever the EPSG definition says (the "GIS order" of shapefiles and
// GeoJSON).
package proj

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Sentinel errors; callers branch on them with errors.Is.
var (
	// ErrUnknownCRS is wrapped by Parse when the definition is unreadable or
	// names a projection, datum, unit or code this package does not know.
	ErrUnknownCRS = errors.New("unknown or unsupported CRS")
	// ErrDomain is wrapped by the transforms when a coordinate is not a
	// finite number or lies outside where the projection is defined.
	ErrDomain = errors.New("coordinate outside the CRS's domain")
)

const deg = math.Pi / 180

// projection maps geodetic longitude and latitude (radians, on the CRS's
// ellipsoid, Greenwich) to easting and northing in metres, and back.
type projection interface {
	forward(lam, phi float64) (x, y float64, err error)
	inverse(x, y float64) (lam, phi float64, err error)
}

// CRS is a coordinate reference system that can be converted to and from
// WGS84 longitude/latitude. It is immutable and safe for concurrent use.
type CRS struct {
	name  string
	code  string // "EPSG:2230", "" when not known
	ell   ellipsoid
	datum datum
	proj  projection // nil for a geographic CRS
	// unit is metres per linear unit (projected) or radians per angular
	// unit (geographic).
	unit float64
	pm   float64 // prime meridian, radians east of Greenwich
	area *[4]float64
	base string // code of the base geographic CRS, when the table gives it
}

// Name returns the CRS's name as its definition gives it, for example
// "NAD83 / California zone 6 (ftUS)" or
// "NAD_1983_StatePlane_Illinois_East_FIPS_1201_Feet".
func (c *CRS) Name() string { return c.name }

// Code returns the authority code of the CRS ("EPSG:2230", "ESRI:102629",
// "OGC:CRS84"), from the built-in table or the WKT's AUTHORITY, or a code
// of the built-in table whose definition matches an ESRI .prj; "" when there
// is none.
func (c *CRS) Code() string { return c.code }

// IsGeographic reports whether the CRS has longitude/latitude coordinates
// rather than projected eastings/northings.
func (c *CRS) IsGeographic() bool { return c.proj == nil }

// AreaOfUse returns the WGS84 bounding box [minLon, minLat, maxLon, maxLat]
// in degrees where the CRS is meant to be used (from the EPSG dataset for the
// built-in codes; approximate for UTM zones), and false when it is not known.
// An area across the antimeridian has minLon > maxLon. Importers use it to
// notice data that lands far away, such as a .prj in metres on data in feet.
func (c *CRS) AreaOfUse() ([4]float64, bool) {
	if c.area == nil {
		return [4]float64{}, false
	}
	return *c.area, true
}

// String returns the name and, when known, the code.
func (c *CRS) String() string {
	if c.code != "" {
		return c.name + " (" + c.code + ")"
	}
	return c.name
}

// ToWGS84 converts x, y in the CRS's units (easting and northing, or
// longitude and latitude for a geographic CRS) to WGS84 longitude and
// latitude in degrees, longitude in [-180, 180]. It returns an error wrapping
// ErrDomain for a NaN or infinite input or a point outside the projection's
// domain.
func (c *CRS) ToWGS84(x, y float64) (lon, lat float64, err error) {
	if !finite(x) || !finite(y) {
		return 0, 0, fmt.Errorf("proj: %s: coordinate (%v, %v) is not a finite number: %w", c.name, x, y, ErrDomain)
	}
	var lam, phi float64
	if c.proj == nil {
		lam, phi = x*c.unit, y*c.unit
	} else {
		lam, phi, err = c.proj.inverse(x*c.unit, y*c.unit)
		if err != nil {
			return 0, 0, fmt.Errorf("proj: %s: (%v, %v): %w", c.name, x, y, err)
		}
	}
	if !(math.Abs(phi) <= math.Pi/2+1e-12) || !finite(lam) {
		return 0, 0, fmt.Errorf("proj: %s: (%v, %v) gives latitude %v°, outside ±90°: %w", c.name, x, y, phi/deg, ErrDomain)
	}
	phi = math.Max(-math.Pi/2, math.Min(math.Pi/2, phi))
	lam, phi = c.datum.toWGS84(c.ell, wrapPi(lam+c.pm), phi)
	return wrapPi(lam) / deg, phi / deg, nil
}

// FromWGS84 converts WGS84 longitude and latitude in degrees to x, y in the
// CRS's units. It returns an error wrapping ErrDomain for a NaN or infinite
// input, a latitude outside ±90°, or a point the projection cannot map
// (a pole in Mercator, the far side of the globe in Transverse Mercator).
func (c *CRS) FromWGS84(lon, lat float64) (x, y float64, err error) {
	if !finite(lon) || !finite(lat) {
		return 0, 0, fmt.Errorf("proj: %s: coordinate (%v, %v) is not a finite number: %w", c.name, lon, lat, ErrDomain)
	}
	if math.Abs(lat) > 90 {
		return 0, 0, fmt.Errorf("proj: %s: latitude %v is outside ±90°: %w", c.name, lat, ErrDomain)
	}
	lam, phi := c.datum.fromWGS84(c.ell, wrapPi(lon*deg), lat*deg)
	lam = wrapPi(lam - c.pm)
	if c.proj == nil {
		return lam / c.unit, phi / c.unit, nil
	}
	x, y, err = c.proj.forward(lam, phi)
	if err != nil {
		return 0, 0, fmt.Errorf("proj: %s: (%v, %v): %w", c.name, lon, lat, err)
	}
	if !finite(x) || !finite(y) {
		return 0, 0, fmt.Errorf("proj: %s: (%v, %v) has no finite projected coordinate: %w", c.name, lon, lat, ErrDomain)
	}
	return x / c.unit, y / c.unit, nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// wrapPi brings an angle in radians into (-π, π].
func wrapPi(a float64) float64 {
	if a > -math.Pi && a <= math.Pi {
		return a
	}
	a = math.Mod(a, 2*math.Pi)
	if a > math.Pi {
		a -= 2 * math.Pi
	} else if a <= -math.Pi {
		a += 2 * math.Pi
	}
	return a
}

// Parse reads a CRS definition: WKT1 in its OGC or ESRI dialect (the text of
// a .prj file), or a code of the built-in table (see package doc and
// [Codes]). Surrounding white space and a UTF-8 byte order mark are ignored.
// An unreadable definition, or one naming a projection, parameter, datum or
// code this package does not support, returns an error wrapping
// ErrUnknownCRS that names what could not be understood.
func Parse(def string) (*CRS, error) {
	s := strings.Trim(strings.TrimPrefix(def, "\ufeff"), " \t\r\n\x00")
	if s == "" {
		return nil, fmt.Errorf("proj: empty CRS definition: %w", ErrUnknownCRS)
	}
	if strings.ContainsAny(s, "[(") {
		c, err := fromWKT(s)
		if err != nil {
			return nil, fmt.Errorf("proj: WKT: %w", err)
		}
		return c, nil
	}
	auth, code, ok := splitCode(s)
	if !ok {
		return nil, fmt.Errorf("proj: %q is neither WKT nor a CRS code like EPSG:4326: %w", clip(s), ErrUnknownCRS)
	}
	c, err := lookup(auth, code)
	if err != nil {
		return nil, fmt.Errorf("proj: %w", err)
	}
	return c, nil
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// splitCode splits "EPSG:2230", "EPSG::2230", "urn:ogc:def:crs:EPSG::2230",
// "urn:ogc:def:crs:EPSG:9.1:2230", "http://www.opengis.net/def/crs/EPSG/0/2230",
// "CRS84" and "OGC:CRS84" into an upper-case authority and code.
func splitCode(s string) (auth, code string, ok bool) {
	u := strings.ToUpper(s)
	switch {
	case strings.HasPrefix(u, "URN:OGC:DEF:CRS:"):
		parts := strings.Split(u[len("URN:OGC:DEF:CRS:"):], ":")
		if len(parts) != 3 {
			return "", "", false
		}
		return parts[0], parts[2], parts[2] != ""
	case strings.HasPrefix(u, "HTTP://WWW.OPENGIS.NET/DEF/CRS/"), strings.HasPrefix(u, "HTTPS://WWW.OPENGIS.NET/DEF/CRS/"):
		rest := u[strings.Index(u, "/DEF/CRS/")+len("/DEF/CRS/"):]
		parts := strings.Split(rest, "/")
		if len(parts) != 3 {
			return "", "", false
		}
		return parts[0], parts[2], parts[2] != ""
	case u == "CRS84":
		return "OGC", "CRS84", true
	}
	i := strings.IndexByte(u, ':')
	if i <= 0 {
		return "", "", false
	}
	auth, code = u[:i], strings.TrimPrefix(u[i+1:], ":")
	return auth, code, code != ""
}
