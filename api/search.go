package api

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/labstack/echo/v4"

	"github.com/cityatlas/cityatlas/store"
)

// Bounds of a search request.
const (
	maxSearchQuery = 200 // characters of q
	maxSearchLimit = 50  // results
	defSearchLimit = 10
	// groupDegrees: hits of one layer with the same title closer than this
	// (about 40 m) are one place.
	groupDegrees = 0.0004
)

// searchSynonyms maps words people type to the words the data uses. Each
// query is also tried with every synonym that occurs in it replaced.
var searchSynonyms = map[string]string{
	"traffic light":  "traffic signal",
	"traffic lights": "traffic signals",
	"stoplight":      "traffic signal",
	"stop light":     "traffic signal",
	"signal light":   "traffic signal",
	"wifi":           "wi-fi",
	"wi fi":          "wi-fi",
	"hotspot":        "wi-fi",
	"road":           "street",
	"roads":          "streets",
	"playground":     "park",
	"neighborhood":   "neighbourhood",
	"boundary":       "city limits",
}

// nameLike picks the default searchable fields: string fields whose name
// says they hold a name, address, street or place.
var nameLike = regexp.MustCompile(`(^|_)(name|names|nm|title|label|address|addr|street|streets|road|neigh|neighborhood|neighbourhood|community|site|place|location|intersection)($|_)|name|neigh|addr`)

// SearchFields returns the fields of c that /search looks in: those named in
// configured (when c's id has an entry), else every string field without a
// fixed list of values whose name looks like a name or an address.
func SearchFields(c store.Collection, configured map[string][]string) []int {
	var out []int
	if want, ok := configured[c.ID]; ok {
		for i, f := range c.Fields {
			if slices.Contains(want, f.Name) {
				out = append(out, i)
			}
		}
		return out
	}
	for i, f := range c.Fields {
		if f.Type == store.TypeString && len(f.Values) == 0 && nameLike.MatchString(strings.ToLower(f.Name)) {
			out = append(out, i)
		}
	}
	return out
}

// SearchResult is one answer of /search: a layer, a feature, a group of
// features at one place, a street, or a street intersection.
type SearchResult struct {
	// Kind is layer, feature, street or intersection.
	Kind       string `json:"kind"`
	Collection string `json:"collection,omitempty"`
	Layer      string `json:"layer,omitempty"` // the collection's title
	// ID is the feature's id (the first one's for a group).
	ID          int64   `json:"id,omitempty"`
	IDs         []int64 `json:"ids,omitempty"` // every feature of a group
	Count       int     `json:"count"`         // features the result stands for
	Title       string  `json:"title"`
	Description string  `json:"description"`
	// Point is where to go, lon/lat; BBox the extent of the result.
	Point [2]float64 `json:"point"`
	BBox  [4]float64 `json:"bbox"`
	Score int        `json:"score"`
	order int        // collection order, for ties
}

// search answers /search?q=: layers by title and keywords, features by
// their name and address fields, streets and intersections ("Imperial Ave &
// Barioni Blvd"), ranked, hits that are one place grouped.
func (s *Server) search(c echo.Context) error {
	q := c.QueryParams()
	if err := checkParams(q, "q", "limit", "f"); err != nil {
		return err
	}
	if _, err := format(c, fmtJSON); err != nil {
		return err
	}
	text, _, err := single(q, "q")
	if err != nil {
		return err
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return badParam("q", "q is missing: give the words to look for, such as q=traffic+signal or q=Imperial+Ave+%%26+Barioni+Blvd")
	}
	if n := len([]rune(text)); n > maxSearchQuery {
		return badParam("q", "q has %d characters; at most %d", n, maxSearchQuery)
	}
	limit := defSearchLimit
	if v, ok, err := single(q, "limit"); err != nil {
		return err
	} else if ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxSearchLimit {
			return badParam("limit", "limit must be a whole number between 1 and %d, got %q", maxSearchLimit, v)
		}
		limit = n
	}
	ctx := c.Request().Context()
	queries := expand(normalize(text))
	infos := s.readable(c) // private collections only with a key granted them
	var out []SearchResult
	out = append(out, searchLayers(infos, queries)...)
	streets, err := s.searchIntersection(ctx, infos, text)
	if err != nil {
		return err
	}
	out = append(out, streets...)
	for k, ci := range infos {
		hits, err := s.searchLayer(ctx, ci, k, queries)
		if err != nil {
			return err
		}
		out = append(out, hits...)
	}
	slices.SortStableFunc(out, func(a, b SearchResult) int {
		if a.Score != b.Score {
			return b.Score - a.Score
		}
		if a.order != b.order {
			return a.order - b.order
		}
		return strings.Compare(a.Title, b.Title)
	})
	total := len(out)
	if len(out) > limit {
		out = out[:limit]
	}
	if out == nil {
		out = []SearchResult{}
	}
	return c.JSON(http.StatusOK, map[string]any{"query": text, "numberMatched": total, "results": out})
}

// normalize lower-cases s, turns punctuation other than & - ' . into spaces
// and collapses runs of spaces.
func normalize(s string) string {
	var b strings.Builder
	space := true
	for _, r := range strings.ToLower(s) {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("&-'.", r) {
			r = ' '
		}
		if r == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// expand returns q and q with each synonym it holds replaced.
func expand(q string) []string {
	out := []string{q}
	for from, to := range searchSynonyms {
		if i := wordIndex(q, from); i >= 0 {
			out = append(out, q[:i]+to+q[i+len(from):])
		}
	}
	slices.Sort(out[1:])
	return slices.Compact(out)
}

// wordIndex is the index of w in s where it stands as whole words, or -1.
func wordIndex(s, w string) int {
	for off := 0; ; {
		i := strings.Index(s[off:], w)
		if i < 0 {
			return -1
		}
		i += off
		end := i + len(w)
		if (i == 0 || s[i-1] == ' ') && (end == len(s) || s[end] == ' ') {
			return i
		}
		off = i + 1
	}
}

// score rates how well the normalized value v matches query q (0: not at
// all): the whole value, its start, whole words, a part of a word.
func score(v, q string) int {
	switch {
	case v == "" || q == "":
		return 0
	case v == q:
		return 100
	case strings.HasPrefix(v, q) && (len(v) == len(q) || v[len(q)] == ' '):
		return 85
	case wordIndex(v, q) >= 0:
		return 75
	case strings.HasPrefix(v, q):
		return 60
	case strings.Contains(v, q):
		return 45
	}
	// Every word of q in v, in any order.
	words := strings.Fields(q)
	if len(words) < 2 {
		return 0
	}
	for _, w := range words {
		if !strings.Contains(v, w) {
			return 0
		}
	}
	return 35
}

// bestScore is the best score of v against any of the queries.
func bestScore(v string, queries []string) int {
	best := 0
	for _, q := range queries {
		best = max(best, score(v, q))
	}
	return best
}

// searchLayers matches the queries against the layers' ids, titles and
// keywords. A layer is found by a word of its title in plural or singular.
func searchLayers(infos []store.CollectionInfo, queries []string) []SearchResult {
	var out []SearchResult
	for k, ci := range infos {
		best := 0
		for _, v := range append([]string{ci.Title, strings.ReplaceAll(ci.ID, "_", " ")}, ci.Keywords...) {
			nv := normalize(v)
			best = max(best, bestScore(nv, queries), bestScore(strings.TrimSuffix(nv, "s"), queries))
		}
		if best < 60 {
			continue
		}
		r := SearchResult{Kind: "layer", Collection: ci.ID, Layer: ci.Title, Count: ci.Count, Title: ci.Title,
			Description: plural(ci.Count, "feature", "features") + " in the layer", Score: best + 10, order: k}
		if ci.HasExtent {
			r.BBox = ci.Extent
			r.Point = [2]float64{(ci.Extent[0] + ci.Extent[2]) / 2, (ci.Extent[1] + ci.Extent[3]) / 2}
		}
		out = append(out, r)
	}
	return out
}

// textValue decodes the JSON text of a string property ("" if it is none).
func textValue(raw string) string {
	if len(raw) < 2 || raw[0] != '"' {
		return ""
	}
	if !strings.ContainsRune(raw, '\\') {
		return raw[1 : len(raw)-1]
	}
	var v string
	if json.Unmarshal([]byte(raw), &v) != nil {
		return ""
	}
	return v
}

// near reports whether two points are within groupDegrees of each other.
func near(a, b [2]float64) bool {
	return math.Abs(a[0]-b[0]) < groupDegrees && math.Abs(a[1]-b[1]) < groupDegrees
}

func union(a, b [4]float64) [4]float64 {
	return [4]float64{min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])}
}

// maxLayerHits bounds the hits of one layer a search keeps (the best ones
// are kept: a weaker hit is dropped once this many are held).
const maxLayerHits = 2000

type layerHit struct {
	id       int64
	title    string // display
	key      string // normalized title
	point    [2]float64
	bbox     [4]float64
	score    int
	line     bool
	other    string   // the matched field's value when it is not the title
	enumVals []string // values of the layer's fields with a list of values
}

// searchLayer looks for the queries in the search fields of one layer.
func (s *Server) searchLayer(ctx context.Context, ci store.CollectionInfo, order int, queries []string) ([]SearchResult, error) {
	fields := SearchFields(ci.Collection, s.cfg.SearchFields)
	if len(fields) == 0 {
		return nil, nil
	}
	var enums []int
	for i, f := range ci.Fields {
		if len(f.Values) > 0 && len(enums) < 3 {
			enums = append(enums, i)
		}
	}
	// A value can only match if it holds a word of some query.
	var needles []string
	for _, q := range queries {
		words := strings.Fields(q)
		longest := ""
		for _, w := range words {
			if len(w) > len(longest) {
				longest = w
			}
		}
		needles = append(needles, longest)
	}
	var hits []layerHit
	minScore := 0
	world := [4]float64{-180, -90, 180, 90}
	err := s.store.Visit(ctx, ci.ID, world, store.Filter{}, func(h *store.Hit) bool {
		best, title, other := 0, "", ""
		for _, i := range fields {
			raw := h.Value(i)
			v := textValue(raw)
			if v == "" {
				continue
			}
			if title == "" {
				title = v
			}
			if !slices.ContainsFunc(needles, func(n string) bool { return containsFold(v, n) }) {
				continue
			}
			if sc := bestScore(normalize(v), queries); sc > best {
				best = sc
				other = ""
				if v != title {
					other = v
				}
			}
		}
		if other != "" {
			best -= 15 // found by another field than its name
		}
		if best <= 0 || best < minScore {
			return true
		}
		lh := layerHit{id: h.ID, title: title, key: normalize(title), bbox: h.Bound, score: best, other: other}
		lh.point = [2]float64{(h.Bound[0] + h.Bound[2]) / 2, (h.Bound[1] + h.Bound[3]) / 2}
		if h.Shape != nil {
			switch h.Shape.GeoJSONType() {
			case "LineString", "MultiLineString":
				lh.line = true
			}
		}
		for _, i := range enums {
			if v := textValue(h.Value(i)); v != "" {
				lh.enumVals = append(lh.enumVals, v)
			}
		}
		hits = append(hits, lh)
		if len(hits) >= 2*maxLayerHits {
			slices.SortFunc(hits, func(a, b layerHit) int { return b.score - a.score })
			hits = hits[:maxLayerHits]
			minScore = hits[len(hits)-1].score
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	return groupHits(ci, order, hits), nil
}

// groupHits makes results of a layer's hits: hits with the same title at
// one place (lines: anywhere, a street's pieces) are one result.
func groupHits(ci store.CollectionInfo, order int, hits []layerHit) []SearchResult {
	slices.SortStableFunc(hits, func(a, b layerHit) int { return cmpInt64(a.id, b.id) })
	type group struct {
		r     SearchResult
		first layerHit
		vals  [][]string
	}
	var groups []*group
	byKey := map[string][]*group{}
	for _, h := range hits {
		var g *group
		for _, c := range byKey[h.key] {
			if h.line || near(c.first.point, h.point) {
				g = c
				break
			}
		}
		if g == nil && h.other != "" && !h.line {
			// Signs of one intersection found by the street they share.
			for _, c := range groups {
				if c.first.other == h.other && near(c.first.point, h.point) {
					g = c
					break
				}
			}
		}
		if g == nil {
			kind := "feature"
			if h.line && ci.Role == store.RoleBase {
				kind = "street"
			}
			g = &group{first: h, r: SearchResult{Kind: kind, Collection: ci.ID, Layer: ci.Title, ID: h.id,
				Title: h.title, Point: h.point, BBox: h.bbox, Score: h.score, order: order}}
			groups = append(groups, g)
			byKey[h.key] = append(byKey[h.key], g)
		}
		g.r.IDs = append(g.r.IDs, h.id)
		g.r.Count++
		g.r.BBox = union(g.r.BBox, h.bbox)
		g.r.Score = max(g.r.Score, h.score)
		g.vals = append(g.vals, h.enumVals)
	}
	out := make([]SearchResult, 0, len(groups))
	for _, g := range groups {
		r := g.r
		if r.Count == 1 {
			r.IDs = nil
			r.Description = describe(ci.Title, g.first)
		} else {
			r.Description = describeGroup(ci, r, g.vals)
			if r.Kind == "street" {
				r.Point = [2]float64{(r.BBox[0] + r.BBox[2]) / 2, (r.BBox[1] + r.BBox[3]) / 2}
			}
		}
		out = append(out, r)
	}
	return out
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// describe is the one-line description of a single hit.
func describe(layer string, h layerHit) string {
	parts := []string{singular(layer)}
	if h.other != "" {
		parts = append(parts, h.other)
	}
	for _, v := range h.enumVals {
		parts = append(parts, strings.ReplaceAll(v, "_", " "))
	}
	return strings.Join(parts, " · ")
}

// describeGroup says how many features a group holds and what tells them
// apart: the values of the first listed field that differ among them.
func describeGroup(ci store.CollectionInfo, r SearchResult, vals [][]string) string {
	what := strings.ToLower(ci.Title)
	if r.Kind == "street" {
		return ci.Title + " · " + plural(r.Count, "segment", "segments")
	}
	d := strconv.Itoa(r.Count) + " " + what
	for k := 0; k < 3; k++ {
		var seen []string
		for _, v := range vals {
			if k < len(v) && !slices.Contains(seen, v[k]) {
				seen = append(seen, v[k])
			}
		}
		if len(seen) > 1 {
			return d + ": " + strings.ReplaceAll(strings.Join(seen, ", "), "_", " ")
		}
	}
	return d + " at one place"
}

// singular turns a layer title such as "Stop signs" into "Stop sign".
func singular(title string) string {
	if strings.HasSuffix(title, "ies") {
		return strings.TrimSuffix(title, "ies") + "y"
	}
	if strings.HasSuffix(title, "s") && !strings.HasSuffix(title, "ss") {
		return strings.TrimSuffix(title, "s")
	}
	return title
}

// containsFold reports whether s contains the lower-case word w, ignoring
// case, without allocating for ASCII text.
func containsFold(s, w string) bool {
	if w == "" {
		return true
	}
	for i := 0; i+len(w) <= len(s); i++ {
		j := 0
		for ; j < len(w); j++ {
			c := s[i+j]
			if c >= 0x80 {
				return strings.Contains(strings.ToLower(s), w)
			}
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != w[j] {
				break
			}
		}
		if j == len(w) {
			return true
		}
	}
	return false
}
