package postgis

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Listen subscribes to the "cityatlas_changes" channel on a dedicated
// connection (not one of the pool's) and calls fn for each notification:
// every Apply that wrote a change, every collection created or deleted, by
// this instance or another on the same database. It also calls fn once
// subscribed, and again after each reconnection, since notifications sent
// meanwhile are lost: fn should catch up from the change log (Changes after
// its last seq), not count calls. fn runs on Listen's goroutine; a slow fn
// delays, but does not lose, later notifications.
//
// Listen blocks until ctx is done, then returns nil. If the connection
// fails it reconnects, waiting up to 30 s between tries; it returns an
// error only if the very first connection fails.
func (s *Store) Listen(ctx context.Context, fn func()) error {
	cfg := s.pool.Config().ConnConfig.Copy()
	conn, err := subscribe(ctx, cfg)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	backoff := 100 * time.Millisecond
	for {
		fn()
		waitLoop(ctx, conn, fn)
		conn.Close(context.WithoutCancel(ctx))
		if ctx.Err() != nil {
			return nil
		}
		// The connection broke (err): reconnect.
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(backoff):
			}
			conn, err = subscribe(ctx, cfg)
			if err == nil {
				backoff = 100 * time.Millisecond
				break
			}
			if ctx.Err() != nil {
				return nil
			}
			backoff = min(2*backoff, 30*time.Second)
		}
	}
}

func subscribe(ctx context.Context, cfg *pgx.ConnConfig) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgis: listen: connect: %w", err)
	}
	if _, err := conn.Exec(ctx, sqlListen); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("postgis: listen: %w", err)
	}
	return conn, nil
}

// waitLoop calls fn for each notification until ctx is done or the
// connection fails (then the caller reconnects, so the error is dropped).
func waitLoop(ctx context.Context, conn *pgx.Conn, fn func()) {
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return
		}
		fn()
	}
}
