package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/cityatlas/cityatlas/demo"
	"github.com/cityatlas/cityatlas/store"
)

// seedDemo seeds the demo city into b and logs what it did.
func seedDemo(ctx context.Context, b store.Backend, opts demo.Options, log *slog.Logger) error {
	start := time.Now()
	counts, err := demo.Seed(ctx, b, opts)
	if err != nil {
		return err
	}
	log.Info("demo data seeded", "scale", opts.Scale, "seed", opts.Seed,
		"inserted", counts[store.Inserted], "updated", counts[store.Updated], "unchanged", counts[store.Unchanged],
		"took", time.Since(start).Round(time.Millisecond))
	return nil
}

func seed(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg config
	fs := cfg.flagSet("seed", getenv, stderr, "seed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := cfg.validate(getenv); err != nil {
		return err
	}
	log := cfg.logger(stderr)
	b, err := openBackend(ctx, &cfg, log)
	if err != nil {
		return err
	}
	defer b.Close()
	if err := seedDemo(ctx, b, demo.Options{Seed: cfg.DemoSeed, Scale: cfg.Scale}, log); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "seeded")
	return nil
}
