package web_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cityatlas/cityatlas/api"
	"github.com/cityatlas/cityatlas/auth"
	"github.com/cityatlas/cityatlas/demo"
	"github.com/cityatlas/cityatlas/store"
	"github.com/cityatlas/cityatlas/web"
)

// TestMapEditInBrowser runs web/map/test/edit.test.mjs: the editing flow
// of the map in Debian's Chromium against the real server on a GeoPackage
// store of the demo city, with API keys. The keys reach the script in its
// environment (never its arguments, which other users of the machine can
// read): an editor of the stop signs and the parks (signs in on the map),
// a viewer (sees no editing), and a second editor (the office) whose
// concurrent writes provoke the 412.
func TestMapEditInBrowser(t *testing.T) {
	b := newBrowserTest(t)
	keys := map[string]string{}
	srv := serverWith(t, web.Config{}, func(ctx context.Context, be store.Backend) error {
		if _, err := demo.Seed(ctx, be, demo.Options{Seed: 1, Scale: 1}); err != nil {
			return err
		}
		ks := be.(store.Keys)
		for _, k := range []struct {
			env, name, role string
			colls           []string
		}{
			{"CITYATLAS_EDITOR_KEY", "crew-7", auth.RoleEditor, []string{demo.StopSigns, demo.Parks}},
			{"CITYATLAS_VIEWER_KEY", "auditor", auth.RoleViewer, nil},
			{"CITYATLAS_OFFICE_KEY", "office", auth.RoleEditor, []string{demo.StopSigns}},
		} {
			token, rec, err := auth.New(k.name, k.role, k.colls, time.Time{})
			if err != nil {
				return err
			}
			if _, err := ks.CreateKey(ctx, rec); err != nil {
				return err
			}
			keys[k.env] = token
		}
		return nil
	}, func(be store.Backend, c *api.Config) { c.Keys = be.(store.Keys) })
	var env []string
	for k, v := range keys {
		env = append(env, k+"="+v)
	}
	b.run(t, "edit.test.mjs", env, srv.URL, b.out)
	if _, err := os.Stat(filepath.Join(b.out, "edit-form.png")); err != nil {
		t.Errorf("no screenshot: %v", err)
	}
}
