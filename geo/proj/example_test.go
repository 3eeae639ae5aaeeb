package proj_test

import (
	"fmt"

	"github.com/cityatlas/cityatlas/geo/proj"
)

// A point of a shapefile in California State Plane zone 6 (US feet), as its
// .prj describes it, converted to WGS84.
func ExampleParse() {
	prj := `PROJCS["NAD_1983_StatePlane_California_VI_FIPS_0406_Feet",GEOGCS["GCS_North_American_1983",` +
		`DATUM["D_North_American_1983",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],` +
		`UNIT["Degree",0.0174532925199433]],PROJECTION["Lambert_Conformal_Conic"],PARAMETER["False_Easting",6561666.667],` +
		`PARAMETER["False_Northing",1640416.667],PARAMETER["Central_Meridian",-116.25],PARAMETER["Standard_Parallel_1",33.8833333333333],` +
		`PARAMETER["Standard_Parallel_2",32.7833333333333],PARAMETER["Latitude_Of_Origin",32.1666666666667],UNIT["US survey foot",0.304800609601219]]`
	crs, err := proj.Parse(prj)
	if err != nil {
		fmt.Println(err)
		return
	}
	lon, lat, err := crs.ToWGS84(6770683.8948, 1888840.5404)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s %s\n%.6f %.6f\n", crs.Name(), crs.Code(), lon, lat)
	// Output:
	// NAD_1983_StatePlane_California_VI_FIPS_0406_Feet EPSG:2230
	// -115.569440 32.847550
}

func ExampleCRS_FromWGS84() {
	utm, err := proj.Parse("EPSG:32611")
	if err != nil {
		fmt.Println(err)
		return
	}
	x, y, err := utm.FromWGS84(-117, 0)
	fmt.Printf("%.3f %.3f %v\n", x, y, err)
	// Output: 500000.000 0.000 <nil>
}
