package worker

import (
	"context"
	"fmt"
	"sync"
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

// Run processes the jobs on p.workers goroutines and returns one result per
// job, in completion order.
func (p *Pool) Run(ctx context.Context, jobs []Job) []Result {
	in := make(chan Job, len(jobs))
	for _, job := range jobs {
		if ctx.Err() != nil {
			break
		}
		in <- job
	}
	close(in)

	out := make(chan Result, len(jobs))
	var wg sync.WaitGroup
	for i := 0; i < p.workers; i++ {
		wg.Add(1)
		go p.worker(ctx, &wg, in, out)
	}
	wg.Wait()
	close(out)

	results := make([]Result, 0, len(jobs))
	for r := range out {
		results = append(results, r)
	}
	return results
}

func (p *Pool) worker(ctx context.Context, wg *sync.WaitGroup, in <-chan Job, out chan<- Result) {
	defer wg.Done()
	for job := range in {
		out <- p.execute(ctx, job)
	}
}

func (p *Pool) execute(ctx context.Context, job Job) Result {
	start := time.Now()
	err := p.handle(ctx, job)
	if err != nil {
		err = fmt.Errorf("job %s: %w", job.ID, err)
	}
	return Result{JobID: job.ID, Err: err, Duration: time.Since(start)}
}
