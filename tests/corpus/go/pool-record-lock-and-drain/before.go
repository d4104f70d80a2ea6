package worker

import (
	"context"
	"sync"
	"time"
)

// Stats counts the jobs a pool has finished.
type Stats struct {
	Total  int
	Failed int
}

// Pool runs submitted jobs on their own goroutines.
type Pool struct {
	mu      sync.Mutex
	wg      sync.WaitGroup
	stats   Stats
	pending int
	handle  func(ctx context.Context, job Job) error
}

// Submit starts job in the background.
func (p *Pool) Submit(ctx context.Context, job Job) {
	p.mu.Lock()
	p.pending++
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.record(p.handle(ctx, job))
	}()
}

// record books the outcome of one job.
func (p *Pool) record(err error) {
	p.stats.Total++
	if err != nil {
		p.stats.Failed++
	}
	p.pending--
}

// Pending reports how many submitted jobs have not finished yet.
func (p *Pool) Pending() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pending
}

// Stats returns a snapshot of the counters.
func (p *Pool) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Drain blocks until every submitted job has finished.
func (p *Pool) Drain() {
	for p.Pending() > 0 {
		time.Sleep(5 * time.Millisecond)
	}
}
