package api_test

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkWrite measures writes through the real router and store on each
// backend: the latency of one PATCH (p50 and p99 reported as ms), and
// writes a second with 8 clients each patching features of their own.
//
//	go test -run XXX -bench Write -benchtime 400x ./api/
func BenchmarkWrite(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name+"/patch", func(b *testing.B) {
			back, _ := be.open(b)
			e := newWriteEnv(b, back)
			paths := seedSigns(b, e, 1)
			client := &http.Client{}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := range b.N {
				start := time.Now()
				patchOnce(b, client, e, paths[0], i)
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
			b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
		})
		b.Run(be.name+"/8clients", func(b *testing.B) {
			back, _ := be.open(b)
			e := newWriteEnv(b, back)
			paths := seedSigns(b, e, 8)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for w := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := w; i < b.N; i += 8 {
						patchOnce(b, client, e, paths[w], i)
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "writes/s")
		})
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func seedSigns(b *testing.B, e *writeEnv, n int) []string {
	b.Helper()
	var out []string
	for range n {
		r := sendB(b, e, "POST", "/collections/signs/items", okSign, "application/geo+json")
		if r.StatusCode != 201 {
			b.Fatalf("seed: %d", r.StatusCode)
		}
		out = append(out, strings.TrimPrefix(r.Header.Get("Location"), e.srv.URL))
	}
	return out
}

func patchOnce(b *testing.B, client *http.Client, e *writeEnv, path string, i int) {
	req, _ := http.NewRequest("PATCH", e.srv.URL+path, strings.NewReader(`{"properties":{"lanes":`+itoa(int64(i))+`}}`))
	req.Header.Set("Content-Type", "application/merge-patch+json")
	req.Header.Set("Authorization", "Bearer "+e.keys["editor"])
	res, err := client.Do(req)
	if err != nil {
		b.Error(err)
		return
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		b.Errorf("PATCH %s: %d", path, res.StatusCode)
	}
}

func sendB(b *testing.B, e *writeEnv, method, path, body, ct string) *http.Response {
	req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Authorization", "Bearer "+e.keys["editor"])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	res.Body.Close()
	return res
}
