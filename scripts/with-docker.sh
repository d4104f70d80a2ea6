#!/usr/bin/env bash
# Run a command with a docker engine and tidegate's sandbox image; exports TIDEGATE_DOCKER_IMAGE
# (the pinned reference sandbox/image/build.sh prints) to it. Starts a dockerd only when
# /var/run/docker.sock does not answer, and stops only the dockerd it started.
# Usage: scripts/with-docker.sh COMMAND [ARGS...]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
sock=/var/run/docker.sock
# An engine chosen by the caller (rootless, remote) is used as is; else the default socket.
export DOCKER_HOST="${DOCKER_HOST:-unix://$sock}"
started_pid=""
log=""

cleanup() {
  if [ -n "$started_pid" ]; then
    kill "$started_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do  # dockerd stops its containerd and containers first (<= 10 s)
      kill -0 "$started_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$started_pid" 2>/dev/null || true
  fi
  [ -n "$log" ] && rm -f "$log"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

command -v docker >/dev/null || { echo "with-docker: docker is not installed (apt-get install docker.io)" >&2; exit 1; }
if ! docker version >/dev/null 2>&1; then
  command -v dockerd >/dev/null || { echo "with-docker: dockerd is not installed" >&2; exit 1; }
  if [ "$DOCKER_HOST" != "unix://$sock" ]; then
    echo "with-docker: DOCKER_HOST=$DOCKER_HOST does not answer (only the default socket is started here)" >&2
    exit 1
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "with-docker: no engine answers and starting dockerd needs root: run as root, or start docker and join the docker group" >&2
    exit 1
  fi
  log="$(mktemp /tmp/tidegate-dockerd.XXXXXX.log)"
  dockerd -H "unix://$sock" --bridge=none --iptables=false >"$log" 2>&1 &
  started_pid=$!
  for _ in $(seq 1 120); do  # bounded: 60 s
    docker version >/dev/null 2>&1 && break
    kill -0 "$started_pid" 2>/dev/null || { cat "$log" >&2; echo "with-docker: dockerd exited" >&2; exit 1; }
    sleep 0.5
  done
  docker version >/dev/null 2>&1 || { tail -n 50 "$log" >&2; echo "with-docker: dockerd did not answer in 60 s" >&2; exit 1; }
  echo "with-docker: started dockerd (pid $started_pid, log $log)" >&2
fi

ref="$("$here/../sandbox/image/build.sh" | tail -n 1)"
export TIDEGATE_DOCKER_IMAGE="$ref"
echo "with-docker: $(docker version --format '{{.Server.Version}}') with $TIDEGATE_DOCKER_IMAGE" >&2
set +e
"$@"
status=$?
set -e
exit $status
