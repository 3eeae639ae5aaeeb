package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityatlas/cityatlas/store"
)

// snapshotOptions says where the index snapshot of backend b lives and
// what b is called (store.Options); the zero Options when it is off or
// cannot be had (logged).
func snapshotOptions(ctx context.Context, cfg *config, b store.Backend, getenv func(string) string, log *slog.Logger) store.Options {
	if cfg.SnapshotDir == "off" {
		return store.Options{}
	}
	var (
		identity string
		err      error
	)
	if id, ok := b.(store.Identifier); ok {
		identity, err = id.Identity(ctx)
	} else if cfg.DatabaseURL != "" {
		identity, err = pgIdentity(ctx, cfg.DatabaseURL)
	}
	if err != nil || identity == "" {
		log.Warn("index snapshot off: the backend's identity is unknown", "err", err)
		return store.Options{}
	}
	dir, name := cfg.SnapshotDir, filepath.Base(cfg.DataPath)+".index"
	if cfg.DatabaseURL != "" {
		sum := sha256.Sum256([]byte(identity))
		name = "cityatlas-" + hex.EncodeToString(sum[:8]) + ".index"
	}
	if dir == "" {
		if cfg.DatabaseURL == "" {
			dir = filepath.Dir(cfg.DataPath)
		} else if dir = cacheDir(getenv); dir == "" {
			log.Info("index snapshot off: no --snapshot-dir, and neither XDG_CACHE_HOME nor HOME is set")
			return store.Options{}
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		log.Warn("index snapshot off: no directory for it", "dir", dir, "err", err)
		return store.Options{}
	}
	return store.Options{Snapshot: filepath.Join(dir, name), Identity: identity}
}

// cacheDir is os.UserCacheDir's cityatlas directory on Unix, from the
// environment getenv gives; empty when there is none.
func cacheDir(getenv func(string) string) string {
	if d := getenv("XDG_CACHE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "cityatlas")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".cache", "cityatlas")
	}
	return ""
}

// pgIdentity names the PostgreSQL database at url: the cluster's system
// identifier (made by initdb; its host and port when the role may not read
// it), the database's oid and name and the schema the store works in. A
// database dropped and made again, or restored into another, has another.
func pgIdentity(ctx context.Context, url string) (string, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return "", err
	}
	cfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return "", err
	}
	defer pool.Close()
	var (
		db, schema string
		oid        uint32
	)
	if err := pool.QueryRow(ctx, "SELECT current_database(), coalesce(current_schema(), ''), (SELECT oid FROM pg_database WHERE datname = current_database())").
		Scan(&db, &schema, &oid); err != nil {
		return "", fmt.Errorf("database identity: %w", err)
	}
	cluster := fmt.Sprintf("%s:%d", cfg.ConnConfig.Host, cfg.ConnConfig.Port)
	var sysid int64
	if err := pool.QueryRow(ctx, "SELECT system_identifier FROM pg_control_system()").Scan(&sysid); err == nil {
		cluster = fmt.Sprint(sysid)
	}
	return fmt.Sprintf("postgis:%s/%d/%s/%s", cluster, oid, db, schema), nil
}
