package api

import (
	"context"
	"regexp"

	"github.com/paulmach/orb"

	"github.com/cityatlas/cityatlas/store"
)

// maxStreetParts bounds the pieces of one street an intersection search
// holds.
const maxStreetParts = 1000

// crossing splits "Imperial Ave & Barioni Blvd" (also "and", "at", "/",
// "@") into its two street names.
var crossing = regexp.MustCompile(`(?i)^\s*(.+?)\s*(?:&|/|@|\band\b|\bat\b)\s*(.+?)\s*$`)

// searchIntersection answers a query naming two streets with the points
// where line features named so cross (in any layer of lines).
func (s *Server) searchIntersection(ctx context.Context, infos []store.CollectionInfo, text string) ([]SearchResult, error) {
	m := crossing.FindStringSubmatch(text)
	if m == nil {
		return nil, nil
	}
	a, b := normalize(m[1]), normalize(m[2])
	if a == "" || b == "" || a == b {
		return nil, nil
	}
	var out []SearchResult
	for k, ci := range infos {
		switch ci.Geometry {
		case store.GeometryLineString, store.GeometryMultiLineString, store.GeometryAny:
		default:
			continue
		}
		fields := SearchFields(ci.Collection, s.cfg.SearchFields)
		if len(fields) == 0 {
			continue
		}
		var as, bs []orb.LineString
		var nameA, nameB string
		world := [4]float64{-180, -90, 180, 90}
		err := s.store.Visit(ctx, ci.ID, world, store.Filter{}, func(h *store.Hit) bool {
			v := textValue(h.Value(fields[0]))
			if v == "" {
				return true
			}
			nv := normalize(v)
			if score(nv, a) >= 85 && len(as) < maxStreetParts {
				as = append(as, lines(h.Geometry())...)
				nameA = v
			} else if score(nv, b) >= 85 && len(bs) < maxStreetParts {
				bs = append(bs, lines(h.Geometry())...)
				nameB = v
			}
			return true
		})
		if err != nil {
			return nil, err
		}
		var pts [][2]float64
		for _, la := range as {
			for _, lb := range bs {
				for _, p := range crossings(la, lb) {
					dup := false
					for _, q := range pts {
						if near(p, q) {
							dup = true
						}
					}
					if !dup {
						pts = append(pts, p)
					}
				}
			}
		}
		for _, p := range pts {
			out = append(out, SearchResult{Kind: "intersection", Collection: ci.ID, Layer: ci.Title, Count: 1,
				Title: nameA + " & " + nameB, Description: "Intersection · " + ci.Title,
				Point: p, BBox: [4]float64{p[0], p[1], p[0], p[1]}, Score: 110, order: k})
		}
	}
	return out, nil
}

// lines returns the line strings of a line geometry.
func lines(g orb.Geometry) []orb.LineString {
	switch g := g.(type) {
	case orb.LineString:
		return []orb.LineString{g}
	case orb.MultiLineString:
		return g
	}
	return nil
}

// crossings returns the points where the two lines meet (planar, WGS84
// degrees): proper crossings, shared vertices and touching ends.
func crossings(a, b orb.LineString) [][2]float64 {
	if !a.Bound().Pad(1e-9).Intersects(b.Bound()) {
		return nil
	}
	var out [][2]float64
	for i := 1; i < len(a); i++ {
		for j := 1; j < len(b); j++ {
			if p, ok := segmentsMeet(a[i-1], a[i], b[j-1], b[j]); ok {
				out = append(out, p)
			}
		}
	}
	return out
}

// segmentsMeet returns the point where segments pq and rs meet, if they do
// (for collinear overlapping segments, one end of the overlap).
func segmentsMeet(p, q, r, s orb.Point) ([2]float64, bool) {
	const eps = 1e-12
	dx1, dy1 := q[0]-p[0], q[1]-p[1]
	dx2, dy2 := s[0]-r[0], s[1]-r[1]
	den := dx1*dy2 - dy1*dx2
	if den > -eps*eps && den < eps*eps {
		for _, e := range []orb.Point{r, s} {
			if onSegment(e, p, q) {
				return [2]float64{e[0], e[1]}, true
			}
		}
		return [2]float64{}, false
	}
	t := ((r[0]-p[0])*dy2 - (r[1]-p[1])*dx2) / den
	u := ((r[0]-p[0])*dy1 - (r[1]-p[1])*dx1) / den
	const tol = 1e-9
	if t < -tol || t > 1+tol || u < -tol || u > 1+tol {
		return [2]float64{}, false
	}
	return [2]float64{p[0] + t*dx1, p[1] + t*dy1}, true
}

func onSegment(e, p, q orb.Point) bool {
	cross := (q[0]-p[0])*(e[1]-p[1]) - (q[1]-p[1])*(e[0]-p[0])
	if cross > 1e-18 || cross < -1e-18 {
		return false
	}
	return min(p[0], q[0])-1e-12 <= e[0] && e[0] <= max(p[0], q[0])+1e-12 &&
		min(p[1], q[1])-1e-12 <= e[1] && e[1] <= max(p[1], q[1])+1e-12
}
