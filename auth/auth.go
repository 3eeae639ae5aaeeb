// Package auth is cityatlas's API keys: making them, checking them, the
// roles viewer, editor and admin, and per-collection grants. It holds no
// keys itself: the store keeps them (store.Keys), hashed.
//
// A key is "ca_" + a 12-character hex id + "_" + a 64-character hex secret
// (32 random bytes). The id is not secret: it finds the key's record. The
// secret is kept only as HMAC-SHA256(salt, secret) with a random 16-byte
// salt per key, and compared in constant time. A slow KDF (bcrypt, argon2)
// protects low-entropy passwords against guessing; a 256-bit random secret
// cannot be guessed, so one fast keyed hash is enough, and keeps every
// authenticated request cheap.
package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cityatlas/cityatlas/store"
)

// Roles, from least to most allowed.
const (
	RoleViewer = "viewer" // reads private collections it is granted
	RoleEditor = "editor" // and writes features of them
	RoleAdmin  = "admin"  // and manages collections and keys
)

// ValidRole reports whether r is one of the roles.
func ValidRole(r string) bool { return rank(r) > 0 }

func rank(r string) int {
	switch r {
	case RoleViewer:
		return 1
	case RoleEditor:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// Principal is who a request speaks for.
type Principal struct {
	// Name is the key's name (the actor of its writes).
	Name string
	Role string
	// Collections, when not empty, limits the key to those collections.
	Collections []string
}

// Has reports whether p's role is role or above.
func (p Principal) Has(role string) bool { return rank(p.Role) >= rank(role) && rank(role) > 0 }

// Grants reports whether p may act on collection id: an admin on every
// collection, others on those of their grant (all when it is empty).
func (p Principal) Grants(id string) bool {
	return p.Role == RoleAdmin || len(p.Collections) == 0 || slices.Contains(p.Collections, id)
}

// Errors of Check. The api answers every one the same way (401), so as not
// to tell a guesser which part was right; the log may say which.
var (
	ErrMalformed = errors.New("not a cityatlas key")
	ErrUnknown   = errors.New("no such key")
	ErrWrong     = errors.New("wrong secret")
	ErrRevoked   = errors.New("key revoked")
	ErrExpired   = errors.New("key expired")
)

const (
	prefix    = "ca_"
	idBytes   = 6
	secretLen = 32
	saltLen   = 16
)

// New makes a key: token is what its holder sends (shown once, never
// stored), k what the store keeps. ErrInvalid (store) for an empty or bad
// name, an unknown role or a collection id that is not one.
func New(name, role string, collections []string, expires time.Time) (token string, k store.Key, err error) {
	if !validName(name) {
		return "", store.Key{}, store.Invalidf("key name %q must be 1 to 64 letters, digits, '.', '-' or '_'", name)
	}
	if !ValidRole(role) {
		return "", store.Key{}, store.Invalidf("role %q is not viewer, editor or admin", role)
	}
	for _, c := range collections {
		probe := store.Collection{ID: c, Geometry: store.GeometryAny}
		if err := store.ValidateCollection(&probe); err != nil {
			return "", store.Key{}, store.Invalidf("collection %q of the grant is not a collection id", c)
		}
	}
	buf := make([]byte, idBytes+secretLen+saltLen)
	if _, err := rand.Read(buf); err != nil {
		return "", store.Key{}, fmt.Errorf("auth: random: %w", err)
	}
	id := hex.EncodeToString(buf[:idBytes])
	secret := hex.EncodeToString(buf[idBytes : idBytes+secretLen])
	salt := buf[idBytes+secretLen:]
	k = store.Key{ID: id, Name: name, Role: role, Collections: collections, Salt: salt, Hash: Hash(salt, secret)}
	if !expires.IsZero() {
		k.Expires = expires.UTC()
	}
	return prefix + id + "_" + secret, k, nil
}

func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// Hash is HMAC-SHA256 of the secret keyed with the key's salt.
func Hash(salt []byte, secret string) []byte {
	m := hmac.New(sha256.New, salt)
	m.Write([]byte(secret))
	return m.Sum(nil)
}

// Parse splits a token into its public id and its secret (ErrMalformed).
func Parse(token string) (id, secret string, err error) {
	rest, ok := strings.CutPrefix(token, prefix)
	if !ok || len(rest) != 2*idBytes+1+2*secretLen || rest[2*idBytes] != '_' {
		return "", "", ErrMalformed
	}
	id, secret = rest[:2*idBytes], rest[2*idBytes+1:]
	if !isHex(id) || !isHex(secret) {
		return "", "", ErrMalformed
	}
	return id, secret, nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Check verifies secret against the stored key k at time now and returns
// who it speaks for: ErrWrong, ErrRevoked or ErrExpired otherwise.
func Check(k store.Key, secret string, now time.Time) (Principal, error) {
	if !hmac.Equal(Hash(k.Salt, secret), k.Hash) {
		return Principal{}, ErrWrong
	}
	if !k.Revoked.IsZero() {
		return Principal{}, ErrRevoked
	}
	if !k.Expires.IsZero() && !now.Before(k.Expires) {
		return Principal{}, ErrExpired
	}
	return Principal{Name: k.Name, Role: k.Role, Collections: k.Collections}, nil
}
