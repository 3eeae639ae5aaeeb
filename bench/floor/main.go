// Command floor serves one fixed page for every GET, to measure the
// floor under a row of bench/compare.sh: what this machine's loopback,
// its HTTP client (wrk) and a server that does no work at all reach for
// a page of that size. The page is a file (a real answer of cityatlas,
// saved with curl), so the bytes on the wire are the row's own.
//
//	curl -s -o /tmp/p10 "$CA/collections/stop_signs/items?bbox=...&limit=100"
//	go run ./bench/floor -addr 127.0.0.1:18400 -body /tmp/p10 &            # net/http, nothing else
//	go run ./bench/floor -addr 127.0.0.1:18401 -body /tmp/p10 -raw &       # one write(2) an answer
//	BOXES=boxes10 LIMIT=100 wrk -t2 -c8 -d10s -s bench/load.lua http://127.0.0.1:18400
//
// With -raw it answers without net/http: it reads a request up to its
// blank line and writes the whole answer, headers and body, in one write
// (GET requests only, no bodies, keep-alive). It is a measuring tool, not
// a server to put anywhere.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"

	"github.com/cityatlas/cityatlas/internal/onewrite"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18400", "address to listen on")
	file := flag.String("body", "", "the file whose bytes are every answer's body")
	ctype := flag.String("type", "application/geo+json", "the answers' Content-Type")
	raw := flag.Bool("raw", false, "answer without net/http, one write(2) an answer")
	held := flag.Bool("onewrite", false, "net/http, with each answer's writes held and sent in one (internal/onewrite, as cityatlas serves pages)")
	flag.Parse()
	body, err := os.ReadFile(*file)
	if err != nil {
		log.Fatal(err)
	}
	if *raw {
		log.Fatal(serveRaw(*addr, body, *ctype))
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", *ctype)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		release := onewrite.Hold(r.Context())
		w.Write(body)
		w.(http.Flusher).Flush()
		release()
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	if *held {
		ln, srv.ConnContext = onewrite.Listener(ln), onewrite.ConnContext
	}
	log.Fatal(srv.Serve(ln))
}

// serveRaw answers every request on every connection with the same bytes.
func serveRaw(addr string, body []byte, ctype string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	answer := fmt.Appendf(nil, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", ctype, len(body))
	answer = append(answer, body...)
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			r := bufio.NewReaderSize(c, 16<<10)
			for {
				// A request ends at its first empty line (GET: no body).
				for {
					line, err := r.ReadSlice('\n')
					if err != nil {
						return
					}
					if len(bytes.TrimRight(line, "\r\n")) == 0 {
						break
					}
				}
				if _, err := c.Write(answer); err != nil {
					return
				}
			}
		}()
	}
}
