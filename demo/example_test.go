package demo_test

import (
	"fmt"

	"github.com/cityatlas/cityatlas/demo"
	"github.com/cityatlas/cityatlas/store"
)

// Generate streams the demo features; here the first feature of each
// collection is printed.
func ExampleGenerate() {
	seen := map[string]bool{}
	err := demo.Generate(demo.Options{Seed: 1, Scale: 1}, func(collection string, f store.Feature) error {
		if !seen[collection] {
			seen[collection] = true
			name, _ := f.Properties.Get("name")
			fmt.Printf("%s %s %s\n", collection, f.ExternalID, name.String())
		}
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// stop_signs SS-000001 Stop at La Brucherie Rd & Aten Rd
	// traffic_signals TS-000001 Palm Ave & Bonita Ave
	// parks PK-000001 Freedom Park
	// wifi_towers WT-000001 Freedom Park Wi-Fi
}

// Count tells how big a dataset is without building it.
func ExampleCount() {
	n, err := demo.Count(demo.Options{Seed: 1, Scale: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(n[demo.TrafficSignals] > 0, len(n))
	// Output: true 4
}
