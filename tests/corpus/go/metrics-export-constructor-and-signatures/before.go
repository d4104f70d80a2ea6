package worker

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics receives the pool's job events.
type Metrics interface {
	JobDone(d time.Duration, queue string)
	JobFailed(queue string, e error)
}

// noopMetrics discards every event; it is the default when no registry is set.
type noopMetrics struct{}

func (noopMetrics) JobDone(d time.Duration, queue string) {}

func (noopMetrics) JobFailed(queue string, e error) {}

type promMetrics struct {
	duration *prometheus.HistogramVec
	failures *prometheus.CounterVec
}

func newPromMetrics(reg prometheus.Registerer) *promMetrics {
	m := &promMetrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "worker_job_duration_seconds",
			Help:    "Time spent running a job.",
			Buckets: prometheus.DefBuckets,
		}, []string{"queue"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "worker_job_failures_total",
			Help: "Jobs that returned an error.",
		}, []string{"queue", "reason"}),
	}
	reg.MustRegister(m.duration, m.failures)
	return m
}

func (m *promMetrics) JobDone(d time.Duration, queue string) {
	m.duration.WithLabelValues(queue).Observe(d.Seconds())
}

func (m *promMetrics) JobFailed(queue string, e error) {
	m.failures.WithLabelValues(queue, reason(e)).Inc()
}

func reason(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	return "error"
}
