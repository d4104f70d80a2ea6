#!/usr/bin/env bash
# Install tidegate and run its main job end to end on the embedded defaults (SQLite ledger):
# init a ledger, append entries, checkpoint, prove one entry, verify it all.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e .
tidegate=$PWD/.venv/bin/tidegate

work=$(mktemp -d /tmp/tidegate-demo.XXXXXX)
cd "$work"
echo "== tidegate init (in $work)"
"$tidegate" init --origin demo.tidegate.local/ledger
echo "== append three notes"
echo '{"message": "agent run started", "category": "demo"}' | "$tidegate" ledger append --body -
echo '{"message": "patch proposed"}' | "$tidegate" ledger append --body -
printf 'build log line\n%.0s' {1..100} > build.log
echo '{"message": "build finished"}' | "$tidegate" ledger append --body - --blob build.log=build.log
echo "== ledger log"
"$tidegate" ledger log
echo "== checkpoint (kept by the auditor)"
"$tidegate" ledger checkpoint --out kept.checkpoint
cat kept.checkpoint
echo '{"message": "one more event"}' | "$tidegate" ledger append --body -
echo "== prove entry 1"
"$tidegate" ledger prove 1 --out entry1.tlog-proof
cat entry1.tlog-proof
echo "== verify against the kept checkpoint, with only the public key"
"$tidegate" keys export --format vkey > log.vkey
"$tidegate" ledger verify --trusted-checkpoint kept.checkpoint --pubkey log.vkey
echo "== demo files are in $work"
