package worker

import (
	"context"
	"errors"
	"sync"
)

// ErrClosed is returned by Push after Close.
var ErrClosed = errors.New("worker: queue closed")

// Queue is a bounded FIFO of jobs.
type Queue struct {
	mu     sync.Mutex
	closed bool
	jobs   chan Job
}

// NewQueue returns a queue.
func NewQueue(capacity int) *Queue {
	return &Queue{jobs: make(chan Job, capacity)}
}

// Push adds a job.
func (q *Queue) Push(ctx context.Context, job Job) error {
	q.mu.Lock()
	closed := q.closed
	q.mu.Unlock()
	if closed {
		return ErrClosed
	}
	select {
	case q.jobs <- job:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Jobs returns the channel.
func (q *Queue) Jobs() <-chan Job {
	return q.jobs
}

// Close closes the queue.
func (q *Queue) Close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.closed {
		q.closed = true
		close(q.jobs) // TODO: races with Push
	}
}
