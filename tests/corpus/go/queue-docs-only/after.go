package worker

import (
	"context"
	"errors"
	"sync"
)

// ErrClosed is returned by Push once Close has been called.
var ErrClosed = errors.New("worker: queue closed")

// Queue is a bounded FIFO of jobs shared by producers and the pool's
// workers. It is safe for concurrent use.
type Queue struct {
	mu     sync.Mutex // guards closed
	closed bool
	jobs   chan Job
}

// NewQueue returns a queue that buffers up to capacity jobs before Push
// blocks.
func NewQueue(capacity int) *Queue {
	return &Queue{jobs: make(chan Job, capacity)}
}

// Push adds a job, blocking while the queue is full. It returns ErrClosed
// after Close, or ctx.Err() if ctx is done before there is room.
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

// Jobs returns the receive side of the queue; workers range over it until
// Close drains it.
func (q *Queue) Jobs() <-chan Job {
	return q.jobs
}

// Close stops the queue. Jobs already buffered are still delivered to the
// workers; later calls to Close do nothing.
func (q *Queue) Close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.closed {
		q.closed = true
		close(q.jobs) // a Push that already read closed == false may still panic; see #212
	}
}
