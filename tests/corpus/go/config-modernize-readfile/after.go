package config

import (
	"fmt"
	"os"
	"path/filepath"

	json "github.com/goccy/go-json"
)

// DefaultPath is used when APP_CONFIG is not set.
const DefaultPath = "/etc/tidewatch/config.json"

// Source describes where a configuration document came from.
type Source struct {
	Path string
	Raw  []byte
}

// Resolve returns the configuration path: APP_CONFIG, or DefaultPath.
func Resolve() string {
	if p := os.Getenv("APP_CONFIG"); p != "" {
		return filepath.Clean(p)
	}
	return DefaultPath
}

// ReadSource loads the raw configuration document at path.
func ReadSource(path string) (*Source, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return &Source{Path: path, Raw: raw}, nil
}

// decodeInto unmarshals the document into v and names the file on error.
func (s *Source) decodeInto(v any) error {
	if err := json.Unmarshal(s.Raw, v); err != nil {
		return fmt.Errorf("config: %s: %w", s.Path, err)
	}
	return nil
}

// LoadFile reads and decodes the configuration document at path into v.
func LoadFile(path string, v any) error {
	src, err := ReadSource(path)
	if err != nil {
		return err
	}
	return src.decodeInto(v)
}
