package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatalf("write config: %v", err)
	}
	return path
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		wantListen  string
		wantWorkers int
	}{
		{"defaults", `{}`, ":8080", 4},
		{"override listen", `{"listen": ":9090"}`, ":9090", 4},
		{"override workers", `{"workers": 16}`, ":8080", 16},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Load(writeConfig(t, tc.body))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got.Listen != tc.wantListen {
				t.Errorf("Listen = %q, want %q", got.Listen, tc.wantListen)
			}
		})
	}
}

func TestLoadDefaultTimeouts(t *testing.T) {
	got, err := Load(writeConfig(t, `{}`))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := [2]time.Duration{15 * time.Second, 15 * time.Second}
	if have := [2]time.Duration{got.ReadTimeout, got.WriteTimeout}; have != want {
		t.Errorf("timeouts = %v, want %v", have, want)
	}
}

func TestLoadMalformed(t *testing.T) {
	if _, err := Load(writeConfig(t, `{"workers": "many"}`)); err == nil {
		t.Fatal("Load accepted a string for workers")
	}
}
