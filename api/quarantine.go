package api

import (
	"fmt"
	"strings"

	"github.com/cityatlas/cityatlas/store"
)

// quarantiner is the part of *store.Store that reports quarantined
// features; a Store without it has none.
type quarantiner interface {
	Quarantined() []store.Quarantine
}

func quarantined(st Store) []store.Quarantine {
	if q, ok := st.(quarantiner); ok {
		return q.Quarantined()
	}
	return nil
}

// withQuarantine adds to a /readyz body, under "quarantined", the
// collections that have stored features left out of the index (each with
// their count and a few ids), when there are any. The service is ready
// all the same: it serves the rest.
func withQuarantine(st Store, body map[string]any) map[string]any {
	if q := quarantined(st); len(q) > 0 {
		body["quarantined"] = q
	}
	return body
}

// writeQuarantineMetrics writes the cityatlas_quarantined_features gauge
// (for every collection of infos, the stored features left out of the
// index) and cityatlas_quarantined_collections (those not served at all).
func writeQuarantineMetrics(b *strings.Builder, st Store, infos []store.CollectionInfo) {
	n, unreadable := map[string]int{}, 0
	for _, q := range quarantined(st) {
		n[q.Collection] = q.Count
		if q.Unreadable {
			unreadable++
		}
	}
	b.WriteString("# HELP cityatlas_quarantined_features Stored features left out of the index because they cannot be read or held (see the log and /readyz).\n# TYPE cityatlas_quarantined_features gauge\n")
	for _, ci := range infos {
		fmt.Fprintf(b, "cityatlas_quarantined_features{collection=%q} %d\n", ci.ID, n[ci.ID])
	}
	b.WriteString("# HELP cityatlas_quarantined_collections Collections not served because their own definition cannot be read (see the log and /readyz).\n# TYPE cityatlas_quarantined_collections gauge\n")
	fmt.Fprintf(b, "cityatlas_quarantined_collections %d\n", unreadable)
}
