package demo

import (
	"slices"

	"github.com/cityatlas/cityatlas/store"
)

// Collection ids of the demo dataset, in the order Generate emits them.
const (
	StopSigns      = "stop_signs"
	TrafficSignals = "traffic_signals"
	Parks          = "parks"
	WifiTowers     = "wifi_towers"
)

// License of the generated data. The data is synthetic; its county
// boundary and place names come from us-atlas (ISC) and GeoNames (CC-BY-4.0),
// see data/README.md.
const License = "CC-BY-4.0"

// Enumerations shared by several collections.
var (
	conditions = []string{"good", "fair", "poor", "damaged"}
	approaches = []string{"northbound", "southbound", "eastbound", "westbound"}
	classes    = []string{"arterial", "collector", "local"}
)

// Collections returns the four demo collections with their schemas, in the
// order Generate emits their features: stop_signs, traffic_signals, parks,
// wifi_towers. Every call returns a fresh copy that the caller may modify.
func Collections() []store.Collection {
	return []store.Collection{
		{
			ID:          StopSigns,
			Title:       "Stop signs",
			Description: "Stop signs (MUTCD R1-1) of the City of Imperial, California, one per approach, at local and collector intersections and at arterial crossings without signals. Synthetic demo data.",
			Geometry:    store.GeometryPoint,
			License:     License,
			Keywords:    []string{"traffic", "signs", "stop", "MUTCD", "Imperial", "California", "demo"},
			TimeField:   "installed",
			Fields: []store.Field{
				{Name: "name", Type: store.TypeString, Title: "Name", Description: "Sign name: the street the sign controls and the cross street"},
				{Name: "street", Type: store.TypeString, Title: "Street", Description: "Street whose traffic the sign stops"},
				{Name: "cross_street", Type: store.TypeString, Title: "Cross street", Description: "Street crossed at the intersection"},
				{Name: "approach", Type: store.TypeString, Title: "Approach", Description: "Direction of travel of the traffic facing the sign", Values: slices.Clone(approaches)},
				{Name: "street_class", Type: store.TypeString, Title: "Street class", Description: "Functional class of the stopped street", Values: slices.Clone(classes)},
				{Name: "control", Type: store.TypeString, Title: "Intersection control", Description: "all_way: every approach stops; side_street: only the minor street stops", Values: []string{"all_way", "side_street"}},
				{Name: "mutcd_code", Type: store.TypeString, Title: "MUTCD code", Description: "Sign code in the Manual on Uniform Traffic Control Devices", Values: []string{"R1-1"}},
				{Name: "plaque", Type: store.TypeString, Title: "Supplemental plaque", Description: "R1-3P: ALL WAY; W4-4P: CROSS TRAFFIC DOES NOT STOP. Absent when there is none", Values: []string{"R1-3P", "W4-4P"}},
				{Name: "sign_size_in", Type: store.TypeInteger, Title: "Sign size (in)", Description: "Width of the octagon, inches (30, 36 or 48)"},
				{Name: "sheeting", Type: store.TypeString, Title: "Sheeting", Description: "Retroreflective sheeting grade (ASTM D4956 type I, III or IX)", Values: []string{"engineer_grade", "high_intensity", "diamond_grade"}},
				{Name: "retroreflectivity", Type: store.TypeNumber, Title: "Retroreflectivity (cd/lx/m²)", Description: "Last measured coefficient of retroreflection of the red background, cd/lx/m² (MUTCD minimum 7)"},
				{Name: "post_type", Type: store.TypeString, Title: "Post type", Values: []string{"u_channel", "square_tube", "round_pipe", "wood"}},
				{Name: "condition", Type: store.TypeString, Title: "Condition", Description: "Condition at the last inspection", Values: slices.Clone(conditions)},
				{Name: "status", Type: store.TypeString, Title: "Status", Values: []string{"active", "needs_repair", "removed"}},
				{Name: "installed", Type: store.TypeDate, Title: "Installed", Description: "Date the current sign face was installed"},
				{Name: "last_inspected", Type: store.TypeDate, Title: "Last inspected", Description: "Date of the last field inspection; absent if never inspected"},
			},
		},
		{
			ID:          TrafficSignals,
			Title:       "Traffic signals",
			Description: "Signalized intersections of the City of Imperial, California, one feature per intersection. Signals on Imperial Ave (State Route 86) are Caltrans's. Synthetic demo data.",
			Geometry:    store.GeometryPoint,
			License:     License,
			Keywords:    []string{"traffic", "signals", "intersections", "Imperial", "California", "demo"},
			TimeField:   "installed",
			Fields: []store.Field{
				{Name: "name", Type: store.TypeString, Title: "Intersection", Description: "Major street & minor street"},
				{Name: "street", Type: store.TypeString, Title: "Major street"},
				{Name: "cross_street", Type: store.TypeString, Title: "Minor street"},
				{Name: "intersection_type", Type: store.TypeString, Title: "Intersection type", Description: "Functional classes of the two streets", Values: []string{"arterial_arterial", "arterial_collector", "collector_collector"}},
				{Name: "signal_type", Type: store.TypeString, Title: "Signal type", Description: "Timing: fixed time, semi-actuated (minor street detection), fully actuated or adaptive", Values: []string{"fixed_time", "semi_actuated", "actuated", "adaptive"}},
				{Name: "controller", Type: store.TypeString, Title: "Controller", Description: "Controller model in the cabinet", Values: []string{"Type 170E", "McCain 2070", "Econolite ASC/3", "Econolite Cobalt", "Siemens m60"}},
				{Name: "cabinet", Type: store.TypeString, Title: "Cabinet", Values: []string{"332L", "TS-1", "TS-2"}},
				{Name: "phases", Type: store.TypeInteger, Title: "Phases", Description: "Number of signal phases (2 to 8)"},
				{Name: "has_ped_signal", Type: store.TypeBoolean, Title: "Pedestrian signals", Description: "Pedestrian signal heads and push buttons on at least one crosswalk"},
				{Name: "protected_left", Type: store.TypeBoolean, Title: "Protected left turns", Description: "Left-turn arrows on the major street"},
				{Name: "detection", Type: store.TypeString, Title: "Vehicle detection", Values: []string{"inductive_loop", "video", "radar", "none"}},
				{Name: "preemption", Type: store.TypeBoolean, Title: "Emergency preemption", Description: "Emergency-vehicle preemption receiver installed"},
				{Name: "owner", Type: store.TypeString, Title: "Owner", Values: []string{"City of Imperial", "Caltrans"}},
				{Name: "condition", Type: store.TypeString, Title: "Condition", Values: slices.Clone(conditions)},
				{Name: "status", Type: store.TypeString, Title: "Status", Description: "operational; flashing: in red flash after a fault; under_repair", Values: []string{"operational", "under_repair", "flashing"}},
				{Name: "installed", Type: store.TypeDate, Title: "Installed", Description: "Date the intersection was first signalized"},
				{Name: "last_upgraded", Type: store.TypeDate, Title: "Last upgraded", Description: "Date of the last controller or cabinet upgrade; absent if never"},
				{Name: "last_inspected", Type: store.TypeDate, Title: "Last inspected"},
			},
		},
		{
			ID:          Parks,
			Title:       "Parks",
			Description: "Parks and open spaces of the City of Imperial, California, as MultiPolygons (a park across a street has two parts; a pond is a hole). Synthetic demo data.",
			Geometry:    store.GeometryMultiPolygon,
			License:     License,
			Keywords:    []string{"parks", "recreation", "open space", "Imperial", "California", "demo"},
			TimeField:   "opened",
			Fields: []store.Field{
				{Name: "name", Type: store.TypeString, Title: "Name"},
				{Name: "park_type", Type: store.TypeString, Title: "Park type", Values: []string{"pocket", "neighborhood", "community", "sports_complex"}},
				{Name: "acres", Type: store.TypeNumber, Title: "Area (acres)", Description: "Area of the polygon less its holes, international acres (4046.8564224 m²), two decimals"},
				{Name: "amenities", Type: store.TypeString, Title: "Amenities", Description: "Comma-separated list"},
				{Name: "has_playground", Type: store.TypeBoolean, Title: "Playground"},
				{Name: "has_restrooms", Type: store.TypeBoolean, Title: "Restrooms"},
				{Name: "adjacent_street", Type: store.TypeString, Title: "Street", Description: "Street the main entrance faces"},
				{Name: "maintained_by", Type: store.TypeString, Title: "Maintained by", Values: []string{"City of Imperial Public Services", "Imperial Unified School District", "Homeowners association"}},
				{Name: "status", Type: store.TypeString, Title: "Status", Values: []string{"open", "closed_for_renovation", "under_construction"}},
				{Name: "opened", Type: store.TypeDate, Title: "Opened", Description: "Opening date; absent while under construction"},
			},
		},
		{
			ID:          WifiTowers,
			Title:       "Wi-Fi towers",
			Description: "Public Wi-Fi access points of the City of Imperial, California, in parks and at civic and utility sites. Synthetic demo data.",
			Geometry:    store.GeometryPoint,
			License:     License,
			Keywords:    []string{"Wi-Fi", "wireless", "broadband", "Imperial", "California", "demo"},
			TimeField:   "installed",
			Fields: []store.Field{
				{Name: "name", Type: store.TypeString, Title: "Name"},
				{Name: "site_type", Type: store.TypeString, Title: "Site type", Values: []string{"park", "civic", "utility"}},
				{Name: "site_name", Type: store.TypeString, Title: "Site", Description: "Park or building the tower stands at"},
				{Name: "provider", Type: store.TypeString, Title: "Provider", Values: []string{"City of Imperial", "Spectrum", "AT&T", "Verizon", "T-Mobile"}},
				{Name: "ssid", Type: store.TypeString, Title: "SSID"},
				{Name: "standard", Type: store.TypeString, Title: "Wi-Fi standard", Values: []string{"802.11n", "802.11ac", "802.11ax"}},
				{Name: "band", Type: store.TypeString, Title: "Bands", Description: "Radio bands served, GHz", Values: []string{"2.4GHz", "2.4/5GHz", "2.4/5/6GHz"}},
				{Name: "structure", Type: store.TypeString, Title: "Structure", Values: []string{"light_pole", "monopole", "rooftop", "lattice"}},
				{Name: "height_m", Type: store.TypeNumber, Title: "Antenna height (m)", Description: "Antenna height above ground, metres"},
				{Name: "coverage_radius_m", Type: store.TypeNumber, Title: "Coverage radius (m)", Description: "Nominal outdoor coverage radius, metres"},
				{Name: "backhaul", Type: store.TypeString, Title: "Backhaul", Values: []string{"fiber", "cable", "microwave"}},
				{Name: "condition", Type: store.TypeString, Title: "Condition", Values: slices.Clone(conditions)},
				{Name: "status", Type: store.TypeString, Title: "Status", Values: []string{"active", "maintenance", "offline", "decommissioned"}},
				{Name: "installed", Type: store.TypeDate, Title: "Installed"},
			},
		},
	}
}
