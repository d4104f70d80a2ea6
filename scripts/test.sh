#!/usr/bin/env bash
# Install everything the tests need on a fresh machine, then lint, type-check and run the suite
# against real SQLite, a throwaway PostgreSQL cluster on loopback, Go's sumdb/tlog verifier and
# real bubblewrap + libfaketime and a real docker engine for the sandbox.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v go >/dev/null 2>&1 || missing+=(golang-go)
[ -d /usr/share/gocode/src/golang.org/x/mod/sumdb/tlog ] || missing+=(golang-golang-x-mod-dev)
# The sandbox: bubblewrap, libfaketime, libseccomp (for pyseccomp), strace (--trace-files).
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
ls /usr/lib/*/faketime/libfaketime.so.1 >/dev/null 2>&1 || missing+=(faketime)
ls /usr/lib/*/libseccomp.so.2 >/dev/null 2>&1 || missing+=(libseccomp2)
command -v strace >/dev/null 2>&1 || missing+=(strace)
# The docker backend: Debian's engine (sandbox/image/build.sh fetches the image's own packages).
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: installing ${missing[*]}" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[test]'

.venv/bin/ruff check src tests bench scripts
.venv/bin/ruff format --check src tests bench scripts
.venv/bin/mypy

# Every backend and the Go check are required here: a missing one fails instead of skipping.
# with-docker.sh starts dockerd (--bridge=none --iptables=false, unix socket only) when none
# answers, builds the base image from sandbox/image/ and stops what it started afterwards.
export TIDEGATE_REQUIRE_PG=1 TIDEGATE_REQUIRE_GO=1 TIDEGATE_REQUIRE_BWRAP=1 \
  TIDEGATE_REQUIRE_DOCKER=1 RUST_BACKTRACE=0
scripts/with-docker.sh scripts/with-postgres.sh .venv/bin/pytest -n 2 "$@"
