// Command tilecheck independently verifies a tidegate evidence bundle's C2SP tlog-tiles
// (tiles, entry bundles, checkpoint), its exported entries and their tlog-proof files, and its
// consistency proof, with Go's golang.org/x/mod/sumdb/note and golang.org/x/mod/sumdb/tlog
// and nothing else beyond the standard library. It shares no code with tidegate.
//
// Usage:
//
//	tilecheck VKEY DIR [OLD_CHECKPOINT]
//
// VKEY is the log's note verifier key (name+hash+base64). Every tile is read through
// tlog.TileHashReader, which authenticates it against the checkpoint; each entry bundle must
// hash to its level-0 tile; each entries/ file is proven with tlog.ProveRecord/CheckRecord and
// with the hashes of its proofs/ file; DIR/previous.checkpoint (or OLD_CHECKPOINT) is proven
// with tlog.ProveTree/CheckTree and, if present, DIR/consistency.proof.
//
// On success it prints one JSON object on stdout and exits 0; on any failure it prints
// "tilecheck: ..." on stderr and exits 1 (2 for a usage error).
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const height = 8

// dirTiles reads C2SP tiles (tile/<L>/<N>[.p/<W>], no height element) from a directory.
type dirTiles struct {
	dir   string
	reads int
}

func (d *dirTiles) Height() int { return height }

// c2spPath is tlog.Tile.Path without the height element: tile/8/L/N -> tile/L/N.
func c2spPath(t tlog.Tile) string {
	p := t.Path()
	prefix := fmt.Sprintf("tile/%d/", height)
	return "tile/" + strings.TrimPrefix(p, prefix)
}

func (d *dirTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		data, err := os.ReadFile(filepath.Join(d.dir, filepath.FromSlash(c2spPath(t))))
		if err != nil {
			return nil, fmt.Errorf("reading tile %s: %v", c2spPath(t), err)
		}
		if len(data) != t.W*tlog.HashSize {
			return nil, fmt.Errorf("tile %s is %d bytes, want %d", c2spPath(t), len(data), t.W*tlog.HashSize)
		}
		out[i] = data
		d.reads++
	}
	return out, nil
}

func (d *dirTiles) SaveTiles([]tlog.Tile, [][]byte) {}

// memHashes is a tlog.HashReader over hashes recomputed in memory (by stored hash index).
type memHashes []tlog.Hash

func (m memHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(m)) {
			return nil, fmt.Errorf("hash %d is not in the recomputed tree", x)
		}
		out[i] = m[x]
	}
	return out, nil
}

type checkpoint struct {
	origin string
	size   int64
	root   tlog.Hash
}

func openCheckpoint(data []byte, verifiers note.Verifiers, name, what string) (*checkpoint, error) {
	n, err := note.Open(data, verifiers)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", what, err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[len(lines)-1] != "" {
		return nil, fmt.Errorf("%s: checkpoint text needs origin, size and root lines", what)
	}
	if lines[0] != name {
		return nil, fmt.Errorf("%s: origin %q is not the key name %q", what, lines[0], name)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return nil, fmt.Errorf("%s: bad tree size %q", what, lines[1])
	}
	root, err := decodeHash(lines[2])
	if err != nil {
		return nil, fmt.Errorf("%s: root hash: %v", what, err)
	}
	return &checkpoint{origin: lines[0], size: size, root: root}, nil
}

func decodeHash(s string) (tlog.Hash, error) {
	raw, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(raw) != tlog.HashSize {
		return tlog.Hash{}, fmt.Errorf("%q is not a base64 SHA-256 hash", s)
	}
	var h tlog.Hash
	copy(h[:], raw)
	return h, nil
}

// indexPath encodes n as tlog-tiles path elements (x001/x234/067).
func indexPath(n int64) string {
	return strings.TrimPrefix(tlog.Tile{H: 1, L: 0, N: n, W: 2}.Path(), "tile/1/0/")
}

func parseIndexPath(p string) (int64, error) {
	var n int64
	for _, part := range strings.Split(p, "/") {
		v, err := strconv.Atoi(strings.TrimPrefix(part, "x"))
		if err != nil || v < 0 || v > 999 {
			return 0, fmt.Errorf("bad index path %q", p)
		}
		n = n*1000 + int64(v)
	}
	if indexPath(n) != p {
		return 0, fmt.Errorf("non-canonical index path %q", p)
	}
	return n, nil
}

func splitBundle(data []byte, want int, what string) ([][]byte, error) {
	var entries [][]byte
	for len(data) > 0 {
		if len(data) < 2 {
			return nil, fmt.Errorf("%s: truncated length", what)
		}
		n := int(binary.BigEndian.Uint16(data))
		if len(data) < 2+n {
			return nil, fmt.Errorf("%s: truncated entry %d", what, len(entries))
		}
		entries = append(entries, data[2:2+n])
		data = data[2+n:]
	}
	if len(entries) != want {
		return nil, fmt.Errorf("%s: %d entries, its tile has %d", what, len(entries), want)
	}
	return entries, nil
}

// tilesOf lists every tile of a tree of size n: full ones and the partial one of each level.
func tilesOf(n int64) []tlog.Tile {
	var tiles []tlog.Tile
	for level := 0; n>>(height*uint(level)) > 0; level++ {
		count := n >> (height * uint(level))
		for i := int64(0); i*256 < count; i++ {
			w := count - i*256
			if w > 256 {
				w = 256
			}
			tiles = append(tiles, tlog.Tile{H: height, L: level, N: i, W: int(w)})
		}
	}
	return tiles
}

func parseProof(data []byte, cpData []byte, what string) (int64, tlog.RecordProof, error) {
	i := bytes.Index(data, []byte("\n\n"))
	if i < 0 {
		return 0, nil, fmt.Errorf("%s: no empty line", what)
	}
	if !bytes.Equal(data[i+2:], cpData) {
		return 0, nil, fmt.Errorf("%s: its checkpoint is not the bundle's checkpoint", what)
	}
	lines := strings.Split(string(data[:i]), "\n")
	if lines[0] != "c2sp.org/tlog-proof@v1" || len(lines) < 2 || !strings.HasPrefix(lines[1], "index ") {
		return 0, nil, fmt.Errorf("%s: not a c2sp.org/tlog-proof@v1 file", what)
	}
	index, err := strconv.ParseInt(lines[1][len("index "):], 10, 64)
	if err != nil {
		return 0, nil, fmt.Errorf("%s: bad index", what)
	}
	var proof tlog.RecordProof
	for _, line := range lines[2:] {
		h, err := decodeHash(line)
		if err != nil {
			return 0, nil, fmt.Errorf("%s: %v", what, err)
		}
		proof = append(proof, h)
	}
	return index, proof, nil
}

func run(args []string) (map[string]any, error) {
	if len(args) < 2 || len(args) > 3 {
		return nil, fmt.Errorf("usage: tilecheck VKEY DIR [OLD_CHECKPOINT]")
	}
	verifier, err := note.NewVerifier(args[0])
	if err != nil {
		return nil, fmt.Errorf("verifier key: %v", err)
	}
	verifiers := note.VerifierList(verifier)
	dir := args[1]
	cpData, err := os.ReadFile(filepath.Join(dir, "checkpoint"))
	if err != nil {
		return nil, err
	}
	cp, err := openCheckpoint(cpData, verifiers, verifier.Name(), "checkpoint")
	if err != nil {
		return nil, err
	}
	out := map[string]any{"origin": cp.origin, "size": cp.size, "root": fmt.Sprintf("%x", cp.root[:])}
	reader := &dirTiles{dir: dir}
	tree := tlog.Tree{N: cp.size, Hash: cp.root}
	hr := tlog.TileHashReader(tree, reader)
	if cp.size > 0 {
		th, err := tlog.TreeHash(cp.size, hr)
		if err != nil {
			return nil, fmt.Errorf("tree hash from tiles: %v", err)
		}
		if th != cp.root {
			return nil, fmt.Errorf("tiles hash to %x, the checkpoint says %x", th[:], cp.root[:])
		}
	}

	// Recompute every stored hash of the tree from the entry bundles (tlog.StoredHashes) and
	// check the root against the checkpoint. Then every tile file must equal the recomputed
	// hashes and what tlog.TileHashReader returns for it. (TileHashReader alone is not enough:
	// golang.org/x/mod's ReadHashes starts authenticating tiles against their parents at
	// index len(stx) of its tile list, so a full tile fetched in the same call as fewer stx
	// tiles than stx hashes is returned unchecked.)
	mem := memHashes{}
	bundles, bundled := 0, 0
	level0 := tilesOf(cp.size)
	for _, t := range level0 {
		if t.L != 0 {
			break
		}
		name := "tile/entries/" + strings.TrimPrefix(c2spPath(t), "tile/0/")
		bundle, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			return nil, fmt.Errorf("entry bundle: %v", err)
		}
		entries, err := splitBundle(bundle, t.W, name)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			hashes, err := tlog.StoredHashes(int64(bundled), e, mem)
			if err != nil {
				return nil, fmt.Errorf("hashing entry %d: %v", bundled, err)
			}
			mem = append(mem, hashes...)
			bundled++
		}
		bundles++
	}
	if cp.size > 0 {
		th, err := tlog.TreeHash(cp.size, mem)
		if err != nil {
			return nil, fmt.Errorf("tree hash from the entry bundles: %v", err)
		}
		if th != cp.root {
			return nil, fmt.Errorf("the entry bundles hash to %x, the checkpoint says %x", th[:], cp.root[:])
		}
	}
	tiles := 0
	for _, t := range tilesOf(cp.size) {
		path := c2spPath(t)
		raw, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(path)))
		if err != nil {
			return nil, fmt.Errorf("tile: %v", err)
		}
		want, err := tlog.ReadTileData(t, mem)
		if err != nil {
			return nil, fmt.Errorf("tile %s: %v", path, err)
		}
		if !bytes.Equal(raw, want) {
			return nil, fmt.Errorf("tile %s does not match the tree recomputed from the entry bundles", path)
		}
		got, err := tlog.ReadTileData(t, hr)
		if err != nil {
			return nil, fmt.Errorf("tile %s: %v", path, err)
		}
		if !bytes.Equal(got, want) {
			return nil, fmt.Errorf("tile %s: TileHashReader returned other hashes", path)
		}
		tiles++
	}
	out["tiles_checked"], out["bundles_checked"], out["bundle_entries_checked"] = tiles, bundles, bundled

	// Exported entries: proven from the tiles, and by their own tlog-proof files.
	records, proofs := 0, 0
	entriesDir := filepath.Join(dir, "entries")
	err = filepath.WalkDir(entriesDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(entriesDir, path)
		seq, err := parseIndexPath(strings.TrimSuffix(filepath.ToSlash(rel), ".entry"))
		if err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		leaf := tlog.RecordHash(data)
		proof, err := tlog.ProveRecord(cp.size, seq, hr)
		if err != nil {
			return fmt.Errorf("entry %d: proving from tiles: %v", seq, err)
		}
		if err := tlog.CheckRecord(proof, cp.size, cp.root, seq, leaf); err != nil {
			return fmt.Errorf("entry %d: %v", seq, err)
		}
		records++
		proofName := filepath.Join(dir, "proofs", filepath.FromSlash(indexPath(seq))+".tlog-proof")
		proofData, err := os.ReadFile(proofName)
		if os.IsNotExist(err) {
			return nil // an entry exported only because its bundle was left out has no proof
		}
		if err != nil {
			return err
		}
		index, hashes, err := parseProof(proofData, cpData, proofName)
		if err != nil {
			return err
		}
		if index != seq {
			return fmt.Errorf("%s proves entry %d, not %d", proofName, index, seq)
		}
		if err := tlog.CheckRecord(hashes, cp.size, cp.root, seq, leaf); err != nil {
			return fmt.Errorf("%s: %v", proofName, err)
		}
		proofs++
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	out["records_checked"], out["proofs_checked"] = records, proofs

	// Consistency with an older checkpoint.
	oldPath := filepath.Join(dir, "previous.checkpoint")
	if len(args) == 3 {
		oldPath = args[2]
	}
	if oldData, err := os.ReadFile(oldPath); err == nil {
		old, err := openCheckpoint(oldData, verifiers, verifier.Name(), "old checkpoint")
		if err != nil {
			return nil, err
		}
		if old.size > cp.size {
			return nil, fmt.Errorf("the old checkpoint (size %d) is larger than the bundle's (%d)", old.size, cp.size)
		}
		if old.size > 0 {
			proof, err := tlog.ProveTree(cp.size, old.size, hr)
			if err != nil {
				return nil, fmt.Errorf("proving consistency from tiles: %v", err)
			}
			if err := tlog.CheckTree(proof, cp.size, cp.root, old.size, old.root); err != nil {
				return nil, fmt.Errorf("consistency from size %d: %v", old.size, err)
			}
		}
		out["consistent_from"] = old.size
	} else if len(args) == 3 {
		return nil, err
	}
	if data, err := os.ReadFile(filepath.Join(dir, "consistency.proof")); err == nil {
		i := bytes.Index(data, []byte("\n\n"))
		if i < 0 || !bytes.Equal(data[i+2:], cpData) {
			return nil, fmt.Errorf("consistency.proof does not end with the bundle's checkpoint")
		}
		lines := strings.Split(string(data[:i]), "\n")
		if lines[0] != "tidegate.dev/consistency-proof@v1" || len(lines) < 2 || !strings.HasPrefix(lines[1], "old ") {
			return nil, fmt.Errorf("consistency.proof: bad header")
		}
		oldSize, err := strconv.ParseInt(lines[1][len("old "):], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("consistency.proof: bad old size")
		}
		oldData, err := os.ReadFile(filepath.Join(dir, "previous.checkpoint"))
		if err != nil {
			return nil, err
		}
		old, err := openCheckpoint(oldData, verifiers, verifier.Name(), "previous.checkpoint")
		if err != nil {
			return nil, err
		}
		var proof tlog.TreeProof
		for _, line := range lines[2:] {
			h, err := decodeHash(line)
			if err != nil {
				return nil, fmt.Errorf("consistency.proof: %v", err)
			}
			proof = append(proof, h)
		}
		if oldSize != old.size {
			return nil, fmt.Errorf("consistency.proof is from size %d, previous.checkpoint has %d", oldSize, old.size)
		}
		if old.size > 0 && old.size < cp.size {
			if err := tlog.CheckTree(proof, cp.size, cp.root, old.size, old.root); err != nil {
				return nil, fmt.Errorf("consistency.proof: %v", err)
			}
		}
		out["consistency_proof_from"] = old.size
	}
	out["tile_reads"] = reader.reads
	return out, nil
}

func main() {
	out, err := run(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "tilecheck: %v\n", err)
		if strings.HasPrefix(err.Error(), "usage:") {
			os.Exit(2)
		}
		os.Exit(1)
	}
	out["ok"] = true
	encoded, _ := json.Marshal(out)
	fmt.Println(string(encoded))
}
