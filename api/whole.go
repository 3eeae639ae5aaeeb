package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cityatlas/cityatlas/internal/onewrite"
)

// sendWhole answers status with a body held whole in memory: with its
// Content-Length, and, on a connection of onewrite's listener, in one
// write(2) with the headers rather than net/http's two or more for an
// answer larger than its 4 KiB buffer. When the client takes gzip, the
// gzip middleware rewrites the body, and it is written as usual.
func sendWhole(c echo.Context, status int, ctype string, body []byte) error {
	res, req := c.Response(), c.Request()
	if ctype != "" {
		res.Header().Set(echo.HeaderContentType, ctype)
	}
	res.Header().Set(echo.HeaderContentLength, strconv.Itoa(len(body)))
	if req.ProtoMajor != 1 || strings.Contains(req.Header.Get(echo.HeaderAcceptEncoding), "gzip") {
		res.WriteHeader(status)
		_, err := res.Write(body)
		return err
	}
	release := onewrite.Hold(req.Context())
	res.WriteHeader(status)
	_, err := res.Write(body)
	if err == nil {
		if ferr := http.NewResponseController(res.Writer).Flush(); !errors.Is(ferr, http.ErrNotSupported) {
			err = ferr
		}
	}
	if rerr := release(); err == nil {
		err = rerr
	}
	return err
}
