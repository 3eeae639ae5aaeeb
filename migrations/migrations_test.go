package migrations

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

func TestParseName(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		version int
		wantErr bool
	}{
		{"init", "0001_init.sql", 1, false},
		{"large", "0420_add_index_2.sql", 420, false},
		{"max", "9999_last.sql", 9999, false},
		{"zero version", "0000_init.sql", 0, true},
		{"three digits", "001_init.sql", 0, true},
		{"no words", "0001_.sql", 0, true},
		{"upper case", "0001_Init.sql", 0, true},
		{"other extension", "0001_init.sql.bak", 0, true},
		{"dash", "0001-init.sql", 0, true},
		{"in a folder", "x/0001_init.sql", 0, true},
		{"empty", "", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := ParseName(tt.file)
			if tt.wantErr {
				if !errors.Is(err, ErrBadName) {
					t.Fatalf("ParseName(%q) = %d, %v; want an error wrapping ErrBadName", tt.file, v, err)
				}
				return
			}
			if err != nil || v != tt.version {
				t.Fatalf("ParseName(%q) = %d, %v; want %d", tt.file, v, err, tt.version)
			}
		})
	}
}

func FuzzParseName(f *testing.F) {
	names, err := fs.Glob(FS, "*.sql")
	if err != nil {
		f.Fatal(err)
	}
	for _, n := range names {
		f.Add(n)
	}
	f.Add("0000_x.sql")
	f.Add("12345_x.sql")
	f.Fuzz(func(t *testing.T, name string) {
		v, err := ParseName(name)
		if err != nil {
			if !errors.Is(err, ErrBadName) {
				t.Fatalf("error %v does not wrap ErrBadName", err)
			}
			return
		}
		if v < 1 || v > 9999 || !strings.HasSuffix(name, ".sql") || len(name) < 10 {
			t.Fatalf("ParseName(%q) accepted with version %d", name, v)
		}
	})
}

func TestListEmbedded(t *testing.T) {
	ms, err := List(FS)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 || ms[0].Version != 1 || ms[0].Name != "0001_init.sql" {
		t.Fatalf("List(FS) = %+v, want 0001_init.sql first", ms)
	}
	// Versions increase; numbers may be skipped (work in progress on other
	// branches reserves them), and Apply runs every one a database lacks.
	for i, m := range ms {
		if i > 0 && m.Version <= ms[i-1].Version {
			t.Errorf("migration %s has version %d after %d: versions must increase", m.Name, m.Version, ms[i-1].Version)
		}
		if strings.TrimSpace(m.SQL) == "" {
			t.Errorf("migration %s is empty", m.Name)
		}
	}
}

func TestList(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	tests := []struct {
		name    string
		fsys    fstest.MapFS
		want    []int
		wantErr bool
	}{
		{"sorted by version", fstest.MapFS{"0002_b.sql": file("b"), "0010_c.sql": file("c"), "0001_a.sql": file("a")}, []int{1, 2, 10}, false},
		{"other files ignored", fstest.MapFS{"0001_a.sql": file("a"), "README.md": file("x")}, []int{1}, false},
		{"empty", fstest.MapFS{}, nil, false},
		{"duplicate version", fstest.MapFS{"0001_a.sql": file("a"), "0001_b.sql": file("b")}, nil, true},
		{"bad name", fstest.MapFS{"0001_a.sql": file("a"), "init.sql": file("b")}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := List(tt.fsys)
			if tt.wantErr {
				if !errors.Is(err, ErrBadName) {
					t.Fatalf("List = %v, %v; want ErrBadName", ms, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, m := range ms {
				got = append(got, m.Version)
				if m.SQL != string(tt.fsys[m.Name].Data) {
					t.Errorf("%s: SQL %q, want %q", m.Name, m.SQL, tt.fsys[m.Name].Data)
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("versions %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("versions %v, want %v", got, tt.want)
				}
			}
		})
	}
}
