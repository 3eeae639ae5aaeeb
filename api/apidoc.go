package api

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
)

// The service-doc: the OpenAPI document rendered as an HTML page, read by
// people (a planner looking up a parameter) rather than by tools. It is
// made from the same document /api serves, so the two cannot disagree, and
// needs nothing from outside the server (no script from a CDN).

type apiDocPage struct {
	Title, Description, Version, Server string
	Groups                              []apiDocGroup
}

// apiDocGroup is the operations of one tag (a collection) or of the
// service.
type apiDocGroup struct {
	Name, Anchor string
	Ops          []apiDocOp
}

type apiDocOp struct {
	Method, Path, Summary, Description, ID string
	Params                                 []apiDocParam
	Body                                   []string // media types of the request body
	Responses                              []apiDocResponse
}

type apiDocParam struct {
	Name, In, Type, Description string
	Required                    bool
}

type apiDocResponse struct {
	Code, Description string
	Types             []string
}

var apiDocMethods = []string{"get", "post", "put", "patch", "delete"}

// apiDocHTML renders doc, the service's OpenAPI document.
func (s *Server) apiDocHTML(c echo.Context, doc map[string]any) error {
	// Going through JSON gives one shape (map[string]any, []any) whatever
	// Go types the document was built from.
	raw, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	var d map[string]any
	if err := json.Unmarshal(raw, &d); err != nil {
		return err
	}
	info := docObj(d["info"])
	p := apiDocPage{Title: docStr(info["title"]), Description: docStr(info["description"]), Version: docStr(info["version"])}
	if servers, _ := d["servers"].([]any); len(servers) > 0 {
		p.Server = docStr(docObj(servers[0])["url"])
	}
	params := docObj(docObj(d["components"])["parameters"])
	groups := map[string][]apiDocOp{}
	paths := docObj(d["paths"])
	for _, path := range sortedKeys(paths) {
		item := docObj(paths[path])
		for _, m := range apiDocMethods {
			op, ok := item[m].(map[string]any)
			if !ok {
				continue
			}
			o := apiDocOp{Method: strings.ToUpper(m), Path: path, Summary: docStr(op["summary"]), Description: docStr(op["description"]), ID: docStr(op["operationId"])}
			for _, ref := range docList(op["parameters"]) {
				o.Params = append(o.Params, docParam(resolve(docObj(ref), params)))
			}
			o.Body = sortedKeys(docObj(docObj(op["requestBody"])["content"]))
			resps := docObj(op["responses"])
			for _, code := range sortedKeys(resps) {
				r := docObj(resps[code])
				o.Responses = append(o.Responses, apiDocResponse{Code: code, Description: docStr(r["description"]), Types: sortedKeys(docObj(r["content"]))})
			}
			tag := "Service"
			if tags := docList(op["tags"]); len(tags) > 0 {
				tag = "Collection " + docStr(tags[0])
			}
			groups[tag] = append(groups[tag], o)
		}
	}
	names := sortedKeys(groups)
	if i := slices.Index(names, "Service"); i > 0 {
		names = append(append([]string{"Service"}, names[:i]...), names[i+1:]...)
	}
	for _, n := range names {
		p.Groups = append(p.Groups, apiDocGroup{Name: n, Anchor: strings.ReplaceAll(strings.ToLower(n), " ", "-"), Ops: groups[n]})
	}
	return s.html(c, "api", "API", p)
}

// resolve follows a $ref into the document's parameters.
func resolve(m map[string]any, params map[string]any) map[string]any {
	if ref, ok := m["$ref"].(string); ok {
		return docObj(params[strings.TrimPrefix(ref, "#/components/parameters/")])
	}
	return m
}

func docParam(m map[string]any) apiDocParam {
	sc := docObj(m["schema"])
	t := docStr(sc["type"])
	if t == "array" {
		t = "list of " + orDefault(docStr(docObj(sc["items"])["type"]), "values") + ", comma-separated"
	}
	if f := docStr(sc["format"]); f != "" {
		t += " (" + f + ")"
	}
	if enum := docList(sc["enum"]); len(enum) > 0 {
		vals := make([]string, len(enum))
		for i, v := range enum {
			b, _ := json.Marshal(v)
			vals[i] = strings.Trim(string(b), `"`)
		}
		t += ": one of " + strings.Join(vals, ", ")
	}
	return apiDocParam{Name: docStr(m["name"]), In: docStr(m["in"]), Type: t, Description: docStr(m["description"]), Required: m["required"] == true}
}

func docObj(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func docList(v any) []any {
	l, _ := v.([]any)
	return l
}

func docStr(v any) string {
	s, _ := v.(string)
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
