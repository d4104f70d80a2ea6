package config

import (
	"os"
	"time"
)

// Timeouts groups the durations the server reads from the environment.
type Timeouts struct {
	Read     time.Duration
	Write    time.Duration
	Shutdown time.Duration
}

// mustDuration parses the environment variable key, falling back to def when
// it is unset. It panics on a malformed or negative value so that a typo
// stops startup.
func mustDuration(key string, def time.Duration) time.Duration {
	raw, ok := os.LookupEnv(key)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(raw)
	if err != nil {
		panic(err)
	}
	if d < 0 {
		panic("config: " + key + " must not be negative, got " + raw)
	}
	return d
}

// TimeoutsFromEnv reads the server timeouts from APP_*_TIMEOUT.
func TimeoutsFromEnv() Timeouts {
	return Timeouts{
		Read:     mustDuration("APP_READ_TIMEOUT", 5*time.Second),
		Write:    mustDuration("APP_WRITE_TIMEOUT", 10*time.Second),
		Shutdown: mustDuration("APP_SHUTDOWN_TIMEOUT", 30*time.Second),
	}
}
