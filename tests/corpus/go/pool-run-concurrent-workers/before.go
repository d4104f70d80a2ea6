package worker

import (
	"context"
	"fmt"
	"time"
)

// Job is one unit of work submitted to the pool.
type Job struct {
	ID      string
	Payload []byte
}

// Result is the outcome of running a Job.
type Result struct {
	JobID    string
	Err      error
	Duration time.Duration
}

// Handler processes a single job.
type Handler func(ctx context.Context, job Job) error

// Pool runs jobs with a fixed number of workers.
type Pool struct {
	workers int
	handle  Handler
}

// NewPool returns a pool that runs handle with the given number of workers.
func NewPool(workers int, handle Handler) *Pool {
	if workers < 1 {
		workers = 1
	}
	return &Pool{workers: workers, handle: handle}
}

// Run processes every job and returns one result per job.
func (p *Pool) Run(ctx context.Context, jobs []Job) []Result {
	results := make([]Result, 0, len(jobs))
	for _, job := range jobs {
		if ctx.Err() != nil {
			break
		}
		results = append(results, p.execute(ctx, job))
	}
	return results
}

func (p *Pool) execute(ctx context.Context, job Job) Result {
	start := time.Now()
	err := p.handle(ctx, job)
	if err != nil {
		err = fmt.Errorf("job %s: %w", job.ID, err)
	}
	return Result{JobID: job.ID, Err: err, Duration: time.Since(start)}
}
