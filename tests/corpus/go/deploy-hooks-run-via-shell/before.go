package deploy

import (
	"fmt"
	"log"
	"os"
	"os/exec"
	"strings"
)

// Hook is a command run after a release is unpacked.
type Hook struct {
	Name    string
	Command string
	Dir     string
}

// RunAll runs the hooks in order and stops at the first failure.
func RunAll(hooks []Hook, env []string) error {
	for _, h := range hooks {
		log.Printf("deploy: running hook %s", h.Name)
		if err := runHook(h, env); err != nil {
			return err
		}
	}
	return nil
}

func runHook(h Hook, env []string) error {
	parts := strings.Fields(h.Command)
	if len(parts) == 0 {
		return fmt.Errorf("hook %q: empty command", h.Name)
	}
	cmd := exec.Command(parts[0], parts[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Dir = h.Dir
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("hook %q: %w", h.Name, err)
	}
	if len(out) > 0 {
		log.Printf("deploy: hook %s: %s", h.Name, strings.TrimSpace(string(out)))
	}
	return nil
}
