package postgis

import (
	"testing"

	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Backend { return mustOpen(t) })
}

// TestConformanceCOPY runs the suite with every batch of inserts and
// upserts going through COPY.
func TestConformanceCOPY(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Backend {
		s := mustOpen(t)
		s.bulkMin = 1
		return s
	})
}
