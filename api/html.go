package api

import (
	"embed"
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/cityatlas/cityatlas/store"
)

//go:embed templates/*.html
var templateFS embed.FS

var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"json": func(v any) string { b, _ := json.Marshal(v); return string(b) },
}).ParseFS(templateFS, "templates/*.html"))

// pageData is what every HTML page gets.
type pageData struct {
	Title   string
	Service string
	Base    string
	Data    any
}

func (s *Server) page(c echo.Context, title string, data any) pageData {
	return pageData{Title: title, Service: s.cfg.Title, Base: s.base(c), Data: data}
}

func renderHTML(w io.Writer, name string, p pageData) error {
	return templates.ExecuteTemplate(w, name+".html", p)
}

func (s *Server) html(c echo.Context, name, title string, data any) error {
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(http.StatusOK)
	return renderHTML(c.Response(), name, s.page(c, title, data))
}

type itemRow struct {
	ID    int64
	Href  string
	Cells []string
}

func (s *Server) itemsHTML(c echo.Context, ci store.CollectionInfo, sel *store.Selection, f store.Filter, links []Link) error {
	var rows []itemRow
	sel.Each(func(h *store.Hit) bool {
		ft := h.Feature()
		r := itemRow{ID: ft.ID, Href: s.base(c) + "/collections/" + ci.ID + "/items/" + strconv.FormatInt(ft.ID, 10) + "?f=html"}
		for _, fd := range ci.Fields {
			v, ok := ft.Properties.Get(fd.Name)
			if ok {
				r.Cells = append(r.Cells, v.String())
			} else {
				r.Cells = append(r.Cells, "")
			}
		}
		rows = append(rows, r)
		return true
	})
	var next, prev string
	for _, l := range links {
		switch l.Rel {
		case "next":
			next = l.Href
		case "prev":
			prev = l.Href
		}
	}
	return s.html(c, "items", ci.Title, map[string]any{
		"C": ci, "Rows": rows, "Matched": sel.Matched, "Returned": sel.Len(),
		"From": f.Offset + 1, "To": f.Offset + sel.Len(), "Next": next, "Prev": prev, "Links": links,
	})
}

func appendJSON(buf []byte, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return append(buf, "null"...)
	}
	return append(buf, b...)
}
