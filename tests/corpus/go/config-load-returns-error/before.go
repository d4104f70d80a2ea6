package config

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// Config is the service configuration read from a JSON file.
type Config struct {
	Listen       string        `json:"listen"`
	DatabaseURL  string        `json:"database_url"`
	Workers      int           `json:"workers"`
	ReadTimeout  time.Duration `json:"read_timeout"`
	WriteTimeout time.Duration `json:"write_timeout"`
}

func defaults() *Config {
	return &Config{
		Listen:       ":8080",
		Workers:      4,
		ReadTimeout:  5 * time.Second,
		WriteTimeout: 10 * time.Second,
	}
}

// Load reads the configuration file at path over the defaults.
// It panics when the file is missing or malformed.
func Load(path string) *Config {
	data, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	cfg := defaults()
	if err := json.Unmarshal(data, cfg); err != nil {
		panic(err)
	}
	if url := os.Getenv("DATABASE_URL"); url != "" {
		cfg.DatabaseURL = url
	}
	return cfg
}

// String renders the configuration without secrets, for the startup log.
func (c *Config) String() string {
	return fmt.Sprintf("listen=%s workers=%d read_timeout=%s write_timeout=%s",
		c.Listen, c.Workers, c.ReadTimeout, c.WriteTimeout)
}
