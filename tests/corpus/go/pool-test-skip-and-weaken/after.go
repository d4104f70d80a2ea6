package worker

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPoolRunsEveryJob(t *testing.T) {
	var processed int64
	p := NewPool(4, func(ctx context.Context, job Job) error {
		atomic.AddInt64(&processed, 1)
		return nil
	})

	results := p.Run(context.Background(), make([]Job, 20))

	total := atomic.LoadInt64(&processed)
	require.Len(t, results, 20)
	assert.NotZero(t, total)
}

func TestPoolWrapsJobErrors(t *testing.T) {
	boom := errors.New("boom")
	p := NewPool(1, func(ctx context.Context, job Job) error {
		return boom
	})

	results := p.Run(context.Background(), []Job{{ID: "a"}})

	require.Len(t, results, 1)
	assert.ErrorIs(t, results[0].Err, boom)
	assert.Contains(t, results[0].Err.Error(), "job a")
}

func TestPoolHonoursDeadline(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: waits for the pool deadline")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	p := NewPool(2, func(ctx context.Context, job Job) error {
		time.Sleep(80 * time.Millisecond)
		return ctx.Err()
	})

	results := p.Run(ctx, make([]Job, 8))

	finished := len(results)
	assert.Less(t, finished, 8)
}
