package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cityatlas/cityatlas/store"
)

func TestNewParseCheck(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	token, k, err := New("crew-7", RoleEditor, []string{"stop_signs"}, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	id, secret, err := Parse(token)
	if err != nil || id != k.ID {
		t.Fatalf("Parse(%q) = %q, %v; key id %q", token, id, err, k.ID)
	}
	if strings.Contains(string(k.Hash), secret) || len(k.Hash) != 32 || len(k.Salt) != saltLen {
		t.Errorf("hash %x, salt %x", k.Hash, k.Salt)
	}
	p, err := Check(k, secret, now)
	if err != nil || p.Name != "crew-7" || !p.Has(RoleEditor) || p.Has(RoleAdmin) || !p.Grants("stop_signs") || p.Grants("parks") {
		t.Errorf("Check = %+v, %v", p, err)
	}
	if _, err := Check(k, strings.Repeat("0", 64), now); !errors.Is(err, ErrWrong) {
		t.Errorf("wrong secret: %v", err)
	}
	if _, err := Check(k, secret, now.Add(time.Hour)); !errors.Is(err, ErrExpired) {
		t.Errorf("at expiry: %v", err)
	}
	k.Revoked = now
	if _, err := Check(k, secret, now); !errors.Is(err, ErrRevoked) {
		t.Errorf("revoked: %v", err)
	}
	// Two keys never share a secret or a salt.
	token2, k2, _ := New("crew-8", RoleViewer, nil, time.Time{})
	if token2 == token || string(k2.Salt) == string(k.Salt) {
		t.Error("two keys alike")
	}
}

func TestNewRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, role string
		colls      []string
	}{
		{"", RoleViewer, nil}, {"a b", RoleViewer, nil}, {"x", "root", nil}, {"x", RoleViewer, []string{"Bad-Id"}},
	} {
		if _, _, err := New(tc.name, tc.role, tc.colls, time.Time{}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("New(%q, %q, %q) = %v, want ErrInvalid", tc.name, tc.role, tc.colls, err)
		}
	}
}

func TestParseMalformed(t *testing.T) {
	_, k, _ := New("x", RoleViewer, nil, time.Time{})
	good := "ca_" + k.ID + "_" + strings.Repeat("a", 64)
	for _, tok := range []string{"", "ca_", "xx" + good[2:], good + "0", good[:len(good)-1], strings.ToUpper(good), "ca_" + k.ID + "-" + strings.Repeat("a", 64)} {
		if _, _, err := Parse(tok); !errors.Is(err, ErrMalformed) {
			t.Errorf("Parse(%q) = %v, want ErrMalformed", tok, err)
		}
	}
	if _, _, err := Parse(good); err != nil {
		t.Errorf("Parse(good) = %v", err)
	}
}

func TestRoles(t *testing.T) {
	admin := Principal{Role: RoleAdmin, Collections: []string{"a"}}
	if !admin.Has(RoleViewer) || !admin.Grants("b") {
		t.Error("admin")
	}
	viewer := Principal{Role: RoleViewer}
	if viewer.Has(RoleEditor) || !viewer.Grants("any") || viewer.Has("nonsense") {
		t.Error("viewer")
	}
}

// TestVerifierTTL: a revocation is seen once the cached record is older
// than the TTL, and not before.
func TestVerifierTTL(t *testing.T) {
	ctx := context.Background()
	token, k, _ := New("crew", RoleEditor, nil, time.Time{})
	stored := k
	reads := 0
	lookup := func(_ context.Context, id string) (store.Key, error) {
		reads++
		if id != stored.ID {
			return store.Key{}, store.ErrNotFound
		}
		return stored, nil
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	v := NewVerifier(lookup, 2*time.Second, func() time.Time { return now })
	if p, err := v.Verify(ctx, token); err != nil || p.Name != "crew" {
		t.Fatalf("Verify = %+v, %v", p, err)
	}
	stored.Revoked = now
	now = now.Add(time.Second)
	if _, err := v.Verify(ctx, token); err != nil {
		t.Errorf("within the TTL the cached record holds: %v", err)
	}
	if reads != 1 {
		t.Errorf("%d reads within the TTL, want 1", reads)
	}
	now = now.Add(time.Second)
	if _, err := v.Verify(ctx, token); !errors.Is(err, ErrRevoked) {
		t.Errorf("after the TTL: %v, want ErrRevoked", err)
	}
	if _, err := v.Verify(ctx, "ca_000000000000_"+strings.Repeat("0", 64)); !errors.Is(err, ErrUnknown) {
		t.Errorf("unknown id: %v", err)
	}
	if _, err := v.Verify(ctx, "Bearer nonsense"); !errors.Is(err, ErrMalformed) {
		t.Errorf("malformed: %v", err)
	}
}

func TestThrottle(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	th := NewThrottle(0.5, 3)
	for i := range 3 {
		if b, _ := th.Blocked("10.0.0.1", now); b {
			t.Fatalf("blocked after %d failures", i)
		}
		th.Fail("10.0.0.1", now)
	}
	b, wait := th.Blocked("10.0.0.1", now)
	if !b || wait < time.Second {
		t.Errorf("after 3 failures: blocked %v, wait %v", b, wait)
	}
	if b, _ := th.Blocked("10.0.0.2", now); b {
		t.Error("another address blocked")
	}
	if b, _ := th.Blocked("10.0.0.1", now.Add(2*time.Second)); b {
		t.Error("still blocked after the bucket refilled one")
	}
}

// FuzzParse: any string parses to a key id and secret of the right form,
// or is ErrMalformed.
func FuzzParse(f *testing.F) {
	f.Add("ca_0123456789ab_" + strings.Repeat("f", 64))
	f.Add("ca_")
	f.Add("Bearer x")
	f.Fuzz(func(t *testing.T, s string) {
		id, secret, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatal(err)
			}
			return
		}
		if len(id) != 12 || len(secret) != 64 || "ca_"+id+"_"+secret != s {
			t.Fatalf("Parse(%q) = %q, %q", s, id, secret)
		}
	})
}
