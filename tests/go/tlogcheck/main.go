// Command tlogcheck independently verifies tidegate's checkpoints and proofs with Go's
// golang.org/x/mod/sumdb/note and golang.org/x/mod/sumdb/tlog, and nothing else beyond the
// standard library. It shares no code with tidegate: it reads the text formats of
// ledger/SPEC.md itself.
//
// Usage:
//
//	tlogcheck checkpoint  VKEYS CHECKPOINT
//	tlogcheck inclusion   VKEYS PROOF ENTRY
//	tlogcheck consistency VKEYS OLD_CHECKPOINT PROOF
//
// VKEYS is one note verifier key (name+hash+base64, as printed by `tidegate keys export
// --format vkey`) or several separated by commas (a log whose key was rotated), or @FILE
// naming a file with one verifier key per line. Every key must have the same name, which
// must equal the checkpoint's origin line.
//
// On success it prints one JSON object on stdout and exits 0. On any failure it prints
// "tlogcheck: ..." on stderr and exits 1 (2 for a usage error).
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const (
	tlogProofHeader   = "c2sp.org/tlog-proof@v1"
	consistencyHeader = "tidegate.dev/consistency-proof@v1"
	maxProofHashes    = 64
)

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// checkpoint is a verified, parsed tlog-checkpoint.
type checkpoint struct {
	Origin     string
	Size       int64
	Root       tlog.Hash
	Extensions []string
	SignedBy   []string
}

type keys struct {
	name      string
	verifiers note.Verifiers
	count     int
}

func parseKeys(arg string) (*keys, error) {
	var list []string
	if strings.HasPrefix(arg, "@") {
		data, err := os.ReadFile(arg[1:])
		if err != nil {
			return nil, fmt.Errorf("reading verifier keys: %v", err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				list = append(list, line)
			}
		}
	} else {
		for _, item := range strings.Split(arg, ",") {
			if item = strings.TrimSpace(item); item != "" {
				list = append(list, item)
			}
		}
	}
	if len(list) == 0 {
		return nil, usageError{"no verifier key given"}
	}
	var vs []note.Verifier
	name := ""
	for _, vkey := range list {
		v, err := note.NewVerifier(vkey)
		if err != nil {
			return nil, fmt.Errorf("verifier key %q: %v", vkey, err)
		}
		if name != "" && v.Name() != name {
			return nil, fmt.Errorf("verifier keys name two different logs: %q and %q", name, v.Name())
		}
		name = v.Name()
		vs = append(vs, v)
	}
	return &keys{name: name, verifiers: note.VerifierList(vs...), count: len(vs)}, nil
}

// decimal parses an ASCII decimal with no sign and no leading zeros (except "0").
func decimal(s, what string) (int64, error) {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return 0, fmt.Errorf("%s %q is not a decimal number without leading zeros", what, s)
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%s %q is not a decimal number", what, s)
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s %q: %v", what, s, err)
	}
	return n, nil
}

// hash decodes one canonical standard-base64 SHA-256 hash.
func hash(s, what string) (tlog.Hash, error) {
	raw, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(raw) != tlog.HashSize || base64.StdEncoding.EncodeToString(raw) != s {
		return tlog.Hash{}, fmt.Errorf("%s %q is not a base64 SHA-256 hash", what, s)
	}
	var h tlog.Hash
	copy(h[:], raw)
	return h, nil
}

// openCheckpoint verifies a signed note with the keys and parses its tlog-checkpoint text.
func openCheckpoint(data []byte, k *keys, what string) (*checkpoint, error) {
	n, err := note.Open(data, k.verifiers)
	if err != nil {
		var unverified *note.UnverifiedNoteError
		if errors.As(err, &unverified) {
			var names []string
			for _, s := range unverified.Note.UnverifiedSigs {
				names = append(names, fmt.Sprintf("%s+%08x", s.Name, s.Hash))
			}
			return nil, fmt.Errorf("%s: not signed by any given key (signed by: %s)", what, strings.Join(names, ", "))
		}
		return nil, fmt.Errorf("%s: %v", what, err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[len(lines)-1] != "" {
		return nil, fmt.Errorf("%s: checkpoint text needs origin, size and root hash lines", what)
	}
	lines = lines[:len(lines)-1]
	c := &checkpoint{Origin: lines[0], Extensions: lines[3:]}
	if c.Origin == "" {
		return nil, fmt.Errorf("%s: the origin line is empty", what)
	}
	if c.Origin != k.name {
		return nil, fmt.Errorf("%s: origin %q is not the key name %q", what, c.Origin, k.name)
	}
	if c.Size, err = decimal(lines[1], "tree size"); err != nil {
		return nil, fmt.Errorf("%s: %v", what, err)
	}
	if c.Root, err = hash(lines[2], "root hash"); err != nil {
		return nil, fmt.Errorf("%s: %v", what, err)
	}
	for _, ext := range c.Extensions {
		if ext == "" {
			return nil, fmt.Errorf("%s: empty extension line", what)
		}
	}
	for _, s := range n.Sigs {
		c.SignedBy = append(c.SignedBy, fmt.Sprintf("%s+%08x", s.Name, s.Hash))
	}
	return c, nil
}

// splitProof separates a proof file into its header's following lines and the checkpoint.
func splitProof(data []byte, header, what string) ([]string, []byte, error) {
	i := bytes.Index(data, []byte("\n\n"))
	if i < 0 {
		return nil, nil, fmt.Errorf("%s: no empty line before the checkpoint", what)
	}
	head := string(data[:i])
	for j := 0; j < len(head); j++ {
		if head[j] >= 0x80 || (head[j] < 0x20 && head[j] != '\n') {
			return nil, nil, fmt.Errorf("%s: the proof lines are not printable ASCII", what)
		}
	}
	lines := strings.Split(head, "\n")
	if lines[0] != header {
		return nil, nil, fmt.Errorf("%s: first line is %q, expected %q", what, lines[0], header)
	}
	return lines[1:], data[i+2:], nil
}

func hashLines(lines []string, what string) ([]tlog.Hash, error) {
	if len(lines) > maxProofHashes {
		return nil, fmt.Errorf("%s: %d hashes is more than any tree needs", what, len(lines))
	}
	hashes := make([]tlog.Hash, 0, len(lines))
	for i, line := range lines {
		h, err := hash(line, fmt.Sprintf("proof hash %d", i+1))
		if err != nil {
			return nil, fmt.Errorf("%s: %v", what, err)
		}
		hashes = append(hashes, h)
	}
	return hashes, nil
}

func hexHash(h tlog.Hash) string { return fmt.Sprintf("%x", h[:]) }

func checkpointJSON(c *checkpoint) map[string]any {
	return map[string]any{
		"origin":    c.Origin,
		"size":      c.Size,
		"root":      hexHash(c.Root),
		"signed_by": c.SignedBy,
	}
}

func readFile(path, what string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %v", what, err)
	}
	return data, nil
}

func cmdCheckpoint(args []string) (map[string]any, error) {
	if len(args) != 2 {
		return nil, usageError{"usage: tlogcheck checkpoint VKEYS CHECKPOINT"}
	}
	k, err := parseKeys(args[0])
	if err != nil {
		return nil, err
	}
	data, err := readFile(args[1], "checkpoint")
	if err != nil {
		return nil, err
	}
	c, err := openCheckpoint(data, k, "checkpoint")
	if err != nil {
		return nil, err
	}
	out := checkpointJSON(c)
	out["check"] = "checkpoint"
	return out, nil
}

func cmdInclusion(args []string) (map[string]any, error) {
	if len(args) != 3 {
		return nil, usageError{"usage: tlogcheck inclusion VKEYS PROOF ENTRY"}
	}
	k, err := parseKeys(args[0])
	if err != nil {
		return nil, err
	}
	data, err := readFile(args[1], "proof")
	if err != nil {
		return nil, err
	}
	entry, err := readFile(args[2], "entry")
	if err != nil {
		return nil, err
	}
	lines, cpData, err := splitProof(data, tlogProofHeader, "tlog-proof")
	if err != nil {
		return nil, err
	}
	var extra []byte
	if len(lines) > 0 && strings.HasPrefix(lines[0], "extra ") {
		extra, err = base64.StdEncoding.Strict().DecodeString(lines[0][len("extra "):])
		if err != nil {
			return nil, fmt.Errorf("tlog-proof: the extra line is not base64: %v", err)
		}
		lines = lines[1:]
	}
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "index ") {
		return nil, fmt.Errorf("tlog-proof: expected an 'index N' line")
	}
	index, err := decimal(lines[0][len("index "):], "index")
	if err != nil {
		return nil, fmt.Errorf("tlog-proof: %v", err)
	}
	proof, err := hashLines(lines[1:], "tlog-proof")
	if err != nil {
		return nil, err
	}
	c, err := openCheckpoint(cpData, k, "tlog-proof checkpoint")
	if err != nil {
		return nil, err
	}
	if index >= c.Size {
		return nil, fmt.Errorf("tlog-proof: index %d is not below the checkpoint's tree size %d", index, c.Size)
	}
	leaf := tlog.RecordHash(entry)
	if err := tlog.CheckRecord(tlog.RecordProof(proof), c.Size, c.Root, index, leaf); err != nil {
		return nil, fmt.Errorf("inclusion of entry %d (leaf %s) in tree of size %d: %v", index, hexHash(leaf), c.Size, err)
	}
	out := checkpointJSON(c)
	out["check"] = "inclusion"
	out["index"] = index
	out["leaf"] = hexHash(leaf)
	out["proof_hashes"] = len(proof)
	out["extra"] = base64.StdEncoding.EncodeToString(extra)
	return out, nil
}

func cmdConsistency(args []string) (map[string]any, error) {
	if len(args) != 3 {
		return nil, usageError{"usage: tlogcheck consistency VKEYS OLD_CHECKPOINT PROOF"}
	}
	k, err := parseKeys(args[0])
	if err != nil {
		return nil, err
	}
	oldData, err := readFile(args[1], "old checkpoint")
	if err != nil {
		return nil, err
	}
	data, err := readFile(args[2], "proof")
	if err != nil {
		return nil, err
	}
	old, err := openCheckpoint(oldData, k, "old checkpoint")
	if err != nil {
		return nil, err
	}
	lines, cpData, err := splitProof(data, consistencyHeader, "consistency proof")
	if err != nil {
		return nil, err
	}
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "old ") {
		return nil, fmt.Errorf("consistency proof: expected an 'old N' line")
	}
	oldSize, err := decimal(lines[0][len("old "):], "old size")
	if err != nil {
		return nil, fmt.Errorf("consistency proof: %v", err)
	}
	proof, err := hashLines(lines[1:], "consistency proof")
	if err != nil {
		return nil, err
	}
	c, err := openCheckpoint(cpData, k, "consistency proof checkpoint")
	if err != nil {
		return nil, err
	}
	if oldSize != old.Size {
		return nil, fmt.Errorf("consistency proof is from size %d, the old checkpoint has size %d", oldSize, old.Size)
	}
	if old.Size > c.Size {
		return nil, fmt.Errorf("the old checkpoint (size %d) is larger than the new one (size %d)", old.Size, c.Size)
	}
	if old.Size == 0 {
		// tlog.CheckTree needs a non-empty old tree; every tree extends the empty one.
		if empty := sha256.Sum256(nil); tlog.Hash(empty) != old.Root {
			return nil, fmt.Errorf("the old checkpoint of size 0 has root %s, not SHA-256 of nothing", hexHash(old.Root))
		}
		if len(proof) != 0 {
			return nil, fmt.Errorf("a consistency proof from the empty tree must have no hashes")
		}
	} else if err := tlog.CheckTree(tlog.TreeProof(proof), c.Size, c.Root, old.Size, old.Root); err != nil {
		return nil, fmt.Errorf("consistency from size %d (root %s) to size %d (root %s): %v",
			old.Size, hexHash(old.Root), c.Size, hexHash(c.Root), err)
	}
	out := checkpointJSON(c)
	out["check"] = "consistency"
	out["old_size"] = old.Size
	out["old_root"] = hexHash(old.Root)
	out["proof_hashes"] = len(proof)
	return out, nil
}

func main() {
	commands := map[string]func([]string) (map[string]any, error){
		"checkpoint":  cmdCheckpoint,
		"inclusion":   cmdInclusion,
		"consistency": cmdConsistency,
	}
	if len(os.Args) < 2 || commands[os.Args[1]] == nil {
		fmt.Fprintln(os.Stderr, "usage: tlogcheck checkpoint|inclusion|consistency VKEYS FILE...")
		os.Exit(2)
	}
	out, err := commands[os.Args[1]](os.Args[2:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "tlogcheck: %s: %v\n", os.Args[1], err)
		var usage usageError
		if errors.As(err, &usage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
	out["ok"] = true
	encoded, err := json.Marshal(out)
	if err != nil {
		fmt.Fprintf(os.Stderr, "tlogcheck: %v\n", err)
		os.Exit(1)
	}
	fmt.Println(string(encoded))
}
