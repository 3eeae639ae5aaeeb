package importers_test

import (
	"errors"
	"fmt"
	"io"

	"github.com/cityatlas/cityatlas/importers"
)

// Open a file, then read its features one at a time: a *RecordError is one
// bad record (report it and go on), io.EOF is the end, any other error is
// final.
func ExampleOpen() {
	readers, err := importers.Open("testdata/bangor-me/antenna.geojson", importers.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range readers {
		fmt.Println(r.GeometryType(), r.SRS(), r.Fields())
		n, bad := 0, 0
		for {
			f, err := r.Next()
			var re *importers.RecordError
			switch {
			case errors.Is(err, io.EOF):
			case errors.As(err, &re):
				bad++
				continue
			case err != nil:
				fmt.Println(err)
			default:
				n++
				_ = f.Geometry // source coordinates; reproject with r.SRS()
				continue
			}
			break
		}
		r.Close()
		fmt.Println(n, "features,", bad, "bad")
	}
	// Output:
	// Point EPSG:4326 [{Id integer}]
	// 34 features, 0 bad
}
