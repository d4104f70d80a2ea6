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

// legacyTimeouts is the pre-1.4 format, where every value was whole seconds.
type legacyTimeouts struct {
	ReadSeconds  int `json:"read_seconds"`
	WriteSeconds int `json:"write_seconds"`
}

// upgrade converts the legacy format; the shutdown timeout gets its default.
func (l legacyTimeouts) upgrade() Timeouts {
	return Timeouts{
		Read:     time.Duration(l.ReadSeconds) * time.Second,
		Write:    time.Duration(l.WriteSeconds) * time.Second,
		Shutdown: 30 * time.Second,
	}
}

// mustDuration parses the environment variable key, falling back to def when
// it is unset. It panics on a malformed value so that a typo stops startup.
func mustDuration(key string, def time.Duration) time.Duration {
	raw, ok := os.LookupEnv(key)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(raw)
	if err != nil {
		panic(err)
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
