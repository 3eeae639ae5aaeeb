package store

import (
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Metadata is the catalog metadata of a collection (DCAT-US 1.1 names in
// brackets). Every field is optional; the api fills the publisher and
// contact from the service's settings where a collection has none.
type Metadata struct {
	// LicenseURL is the licence's web page [license]; License (the
	// collection's) is its name or SPDX id.
	LicenseURL string `json:"licenseUrl,omitempty"`
	// Publisher names the organisation that publishes the layer [publisher].
	Publisher string `json:"publisher,omitempty"`
	// ContactName and ContactEmail are whom to ask about it [contactPoint].
	ContactName  string `json:"contactName,omitempty"`
	ContactEmail string `json:"contactEmail,omitempty"`
	// AccrualPeriodicity is how often it is updated: an ISO 8601 repeating
	// duration such as R/P1W, or "irregular" [accrualPeriodicity]. See
	// Periodicity for the names it accepts.
	AccrualPeriodicity string `json:"accrualPeriodicity,omitempty"`
	// Theme lists the layer's subjects [theme].
	Theme []string `json:"theme,omitempty"`
	// Attribution is the credit a user of the data must give.
	Attribution string `json:"attribution,omitempty"`
}

// MaxAttribution is the longest attribution, in characters.
const MaxAttribution = 255

// periodicities are the names Periodicity turns into ISO 8601 durations.
var periodicities = map[string]string{
	"daily": "R/P1D", "weekly": "R/P1W", "fortnightly": "R/P2W", "biweekly": "R/P2W",
	"monthly": "R/P1M", "quarterly": "R/P3M", "semiannual": "R/P6M",
	"annual": "R/P1Y", "annually": "R/P1Y", "yearly": "R/P1Y", "hourly": "R/PT1H",
	"continuous": "R/PT1S", "irregular": "irregular",
}

var periodicityRe = regexp.MustCompile(`^R/P(?:\d+(?:\.\d+)?Y)?(?:\d+(?:\.\d+)?M)?(?:\d+(?:\.\d+)?W)?(?:\d+(?:\.\d+)?D)?(?:T(?:\d+(?:\.\d+)?H)?(?:\d+(?:\.\d+)?M)?(?:\d+(?:\.\d+)?S)?)?$`)

// Periodicity returns the ISO 8601 repeating duration (or "irregular")
// for s, which is one already (R/P1W) or a name: daily, weekly,
// fortnightly, monthly, quarterly, semiannual, annual, hourly, continuous,
// irregular. Empty stays empty. Errors wrap ErrInvalid.
func Periodicity(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	if p, ok := periodicities[strings.ToLower(s)]; ok {
		return p, nil
	}
	u := strings.ToUpper(s)
	if periodicityRe.MatchString(u) && u != "R/P" && !strings.HasSuffix(u, "T") {
		return u, nil
	}
	return "", Invalidf("update frequency %q is not an ISO 8601 repeating duration such as R/P1W, nor one of daily, weekly, fortnightly, monthly, quarterly, semiannual, annual, hourly, continuous, irregular", s)
}

// validateMetadata checks m, returning an error wrapping ErrInvalid that
// names the first problem.
func validateMetadata(id string, m *Metadata) error {
	if m.LicenseURL != "" && !webURL(m.LicenseURL) {
		return Invalidf("collection %q: licence URL %q must be an absolute http or https URL", id, m.LicenseURL)
	}
	if m.ContactEmail != "" {
		if a, err := mail.ParseAddress(m.ContactEmail); err != nil || a.Address != m.ContactEmail {
			return Invalidf("collection %q: contact e-mail %q is not an e-mail address such as gis@example.org", id, m.ContactEmail)
		}
	}
	if p, err := Periodicity(m.AccrualPeriodicity); err != nil {
		return Invalidf("collection %q: %v", id, strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": "))
	} else if p != m.AccrualPeriodicity {
		return Invalidf("collection %q: update frequency %q must be given as %q", id, m.AccrualPeriodicity, p)
	}
	seen := map[string]bool{}
	for _, t := range m.Theme {
		if strings.TrimSpace(t) == "" {
			return Invalidf("collection %q: a theme is empty", id)
		}
		if seen[t] {
			return Invalidf("collection %q: theme %q appears twice", id, t)
		}
		seen[t] = true
	}
	if n := utf8.RuneCountInString(m.Attribution); n > MaxAttribution {
		return Invalidf("collection %q: the attribution has %d characters; at most %d (DCAT-US's rights)", id, n, MaxAttribution)
	}
	return nil
}

func webURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
