package store

import (
	"context"
	"time"
)

// Key is an API key as a backend keeps it: its public id, name, role and
// grants, and a hash of its secret, never the secret itself (package auth
// makes and checks keys).
type Key struct {
	// ID is the public, random part of the key that the token carries
	// (ca_<ID>_<secret>); keys are looked up by it.
	ID string `json:"id"`
	// Name is unique among keys; it is the actor of the key's writes.
	Name string `json:"name"`
	// Role is viewer, editor or admin.
	Role string `json:"role"`
	// Collections, when not empty, are the only collections the key may
	// read (if private) and write.
	Collections []string `json:"collections,omitempty"`
	// Salt and Hash verify the secret (see auth.Hash).
	Salt []byte `json:"-"`
	Hash []byte `json:"-"`
	// Created is set by the backend; Expires and Revoked are zero when the
	// key does not expire or is not revoked (UTC).
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires,omitzero"`
	Revoked time.Time `json:"revoked,omitzero"`
}

// Keys is implemented by backends that keep API keys.
type Keys interface {
	// CreateKey stores a new key (Created set by the backend):
	// ErrConflict if a key has its name or id, ErrInvalid if the name is
	// empty.
	CreateKey(ctx context.Context, k Key) (Key, error)
	// KeyByID returns the key with that public id, revoked or not
	// (ErrNotFound if there is none).
	KeyByID(ctx context.Context, id string) (Key, error)
	// ListKeys returns every key, ordered by name.
	ListKeys(ctx context.Context) ([]Key, error)
	// RevokeKey marks the key called name revoked now (ErrNotFound if there
	// is none; revoking a revoked key keeps its first time).
	RevokeKey(ctx context.Context, name string) error
}
