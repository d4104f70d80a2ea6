"""Egress benchmark: what the network allow-list costs next to network mode none and to direct.

With ``Guards(network="allow", allow=(("127.0.0.1", port),))`` a command starts through the
in-sandbox forwarder (tidegate.sandbox.forwarder), which listens on the sandbox's loopback and
relays every connection over a unix socket to the host-side EgressProxy
(tidegate.sandbox.proxy), which connects to the allowed host:port. Figures (medians of
``--reps`` repetitions; nothing here asserts a time):

1. per-command overhead: ``/bin/true`` under bwrap with network none next to allow (the
   forwarder starts, binds, forks its relay, then execs the command), and ``true`` in a docker
   container the same way when an engine and the image (TIDEGATE_DOCKER_IMAGE or --image) are
   there; ms for none and allow, the difference and the ratio;
2. connection round trip: a /usr/bin/python3 client opens ``--connections`` connections one
   after the other to a host loopback echo server and exchanges 64 bytes on each (connect to
   reply received, timed inside the client with time.perf_counter, so sandbox start-up is not
   counted), from inside a bwrap sandbox through the allow-list and directly on the host; also
   as many 64-byte exchanges on one open connection; median us, proxied / direct;
3. throughput: the same client sends ``--megabytes`` MB to a host loopback sink (which replies
   with the byte count it got, checked) through the allow-list and directly; MB/s, ratio.

The servers run in their own process (not beside the proxy's relay thread in this one) and,
like everything here, listen on 127.0.0.1 only. Every proxied run is checked against the
proxy's own counters (connections and bytes seen).

    .venv/bin/python bench/egress_bench.py [--quick] [--reps N] [--connections K]
        [--megabytes M] [--image REF] [--no-docker] [--out bench/results/egress_bench.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from tidegate.sandbox.backend import CommandResult, CommandSpec, Guards, Limits

PYTHON = "/usr/bin/python3"  # the client's interpreter, inside the sandbox and on the host alike
LOOPBACK = "127.0.0.1"
MESSAGE_BYTES = 64
WALL = Limits(wall_seconds=120)

# The servers' process: an echo server and a sink, threaded, on 127.0.0.1 only. It prints
# "ECHO_PORT SINK_PORT" once listening and exits when its stdin closes.
SERVER = """
import socketserver, sys, threading

class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while data := self.request.recv(65536):
            self.request.sendall(data)

class Sink(socketserver.BaseRequestHandler):
    def handle(self):
        total = 0
        while data := self.request.recv(1 << 20):
            total += len(data)
        self.request.sendall(str(total).encode())

class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

servers = [Server(("127.0.0.1", 0), handler) for handler in (Echo, Sink)]
for server in servers:
    threading.Thread(target=server.serve_forever, daemon=True).start()
print(*(server.server_address[1] for server in servers), flush=True)
sys.stdin.read()
"""

# The client, standard library only (it runs on the sandbox's python3 too). Prints one JSON line.
CLIENT = """
import json, socket, sys, time

mode, host, port, count, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
clock = time.perf_counter

def exchange(sock, payload):
    sock.sendall(payload)
    got = 0
    while got < len(payload):
        data = sock.recv(65536)
        if not data:
            raise SystemExit("echo server closed the connection early")
        got += len(data)

if mode == "rtt":
    payload = b"x" * size
    fresh = []
    for _ in range(count):
        started = clock()
        sock = socket.create_connection((host, port))
        exchange(sock, payload)
        fresh.append((clock() - started) * 1e6)
        sock.close()
    sock = socket.create_connection((host, port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    exchange(sock, payload)
    held = []
    for _ in range(count):
        started = clock()
        exchange(sock, payload)
        held.append((clock() - started) * 1e6)
    sock.close()
    print(json.dumps({"fresh_us": fresh, "held_us": held}))
else:
    chunk = memoryview(b"Z" * 262144)
    started = clock()
    sock = socket.create_connection((host, port))
    sent = 0
    while sent < size:
        part = chunk[: min(len(chunk), size - sent)]
        sock.sendall(part)
        sent += len(part)
    sock.shutdown(socket.SHUT_WR)
    reply = b""
    while data := sock.recv(64):
        reply += data
    seconds = clock() - started
    sock.close()
    print(json.dumps({"seconds": seconds, "sent": sent, "acked": int(reply or b"-1")}))
"""


class Servers:
    """The echo and sink servers in a child process, on 127.0.0.1."""

    def __enter__(self) -> Servers:
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-c", SERVER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self.__exit__(None, None, None)
            raise RuntimeError("the benchmark's servers did not start")
        self.echo_port, self.sink_port = (int(word) for word in line.split())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()  # the servers exit on EOF
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def client_argv(mode: str, port: int, count: int, size: int) -> tuple[str, ...]:
    return (PYTHON, "-I", "-S", "-c", CLIENT, mode, LOOPBACK, str(port), str(count), str(size))


def allow(port: int) -> Guards:
    return Guards(network="allow", allow=((LOOPBACK, port),))


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 3)


def run_checked(backend: Any, workspace: Path, command: CommandSpec) -> CommandResult:
    result = backend.run(workspace, command)
    if result.status != "ok":
        tail = (result.stderr or result.stdout)[-400:]
        raise RuntimeError(f"{command.argv[0]} ended {result.status}: {tail!r}")
    return result


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


# -- 1. per-command overhead ------------------------------------------------------------------


def command_overhead(
    backend: Any, argv: tuple[str, ...], port: int, reps: int, limits: Limits
) -> dict[str, Any]:
    """Time ``argv`` with network none and allow, alternating; medians in ms."""
    none = CommandSpec(argv=argv, limits=limits)
    allowed = CommandSpec(argv=argv, limits=limits, guards=allow(port))
    backend.guards(none)
    backend.guards(allowed)
    none_s: list[float] = []
    allow_s: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp)
        run_checked(backend, workspace, none)  # warm-up: page cache, image, client
        run_checked(backend, workspace, allowed)
        for _ in range(reps):
            none_s.append(timed(lambda: run_checked(backend, workspace, none)))
            allow_s.append(timed(lambda: run_checked(backend, workspace, allowed)))
    none_ms, allow_ms = median_ms(none_s), median_ms(allow_s)
    return {
        "argv": list(argv),
        "reps": reps,
        "none_ms": none_ms,
        "allow_ms": allow_ms,
        "difference_ms": round(allow_ms - none_ms, 3),
        "ratio": round(allow_ms / none_ms, 2),
        "none_runs_ms": [round(t * 1000, 3) for t in none_s],
        "allow_runs_ms": [round(t * 1000, 3) for t in allow_s],
        "versions": backend.versions(),
    }


def docker_overhead(image: str | None, port: int, reps: int) -> dict[str, Any]:
    if not image:
        return {"skipped": "no image: pass --image or set TIDEGATE_DOCKER_IMAGE"}
    try:
        from tidegate.sandbox.docker import DockerBackend  # noqa: PLC0415  (optional backend)
    except ImportError as exc:
        return {"skipped": f"docker backend not importable: {exc}"}
    try:
        return command_overhead(DockerBackend(image), ("true",), port, reps, WALL)
    except Exception as exc:  # no engine, no image: the figure is optional
        return {"skipped": f"{type(exc).__name__}: {exc}"}


# -- 2. and 3. traffic through the allow-list next to direct ----------------------------------


def client_runs(
    backend: Any, mode: str, port: int, count: int, size: int, reps: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Run the client ``reps`` times directly and in the sandbox, alternating; their outputs."""
    argv = client_argv(mode, port, count, size)
    command = CommandSpec(argv=argv, limits=WALL, guards=allow(port))
    expected_connections = count + 1 if mode == "rtt" else 1
    direct: list[dict[str, Any]] = []
    proxied: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp)
        for rep in range(reps + 1):  # the first pair warms up and is dropped
            done = subprocess.run(argv, capture_output=True, check=True, env={}, timeout=120)
            result = run_checked(backend, workspace, command)
            (use,) = result.network
            if use.connections != expected_connections or use.errors:
                raise RuntimeError(f"proxy saw {use}; expected {expected_connections} connections")
            if mode == "put" and use.bytes_out != size:
                raise RuntimeError(f"proxy relayed {use.bytes_out} bytes out, not {size}")
            if rep:
                direct.append(json.loads(done.stdout))
                proxied.append(json.loads(result.stdout))
    return direct, proxied


def round_trip(backend: Any, port: int, count: int, reps: int) -> dict[str, Any]:
    direct, proxied = client_runs(backend, "rtt", port, count, MESSAGE_BYTES, reps)
    figures: dict[str, Any] = {"connections": count, "message_bytes": MESSAGE_BYTES, "reps": reps}
    for key, name in (("fresh_us", "new_connection"), ("held_us", "open_connection")):
        # median per run, then the median of the runs; p99 over every sample
        per_run = {
            way: [statistics.median(run[key]) for run in runs]
            for way, runs in (("direct", direct), ("proxied", proxied))
        }
        pooled = {
            way: sorted(t for run in runs for t in run[key])
            for way, runs in (("direct", direct), ("proxied", proxied))
        }
        d, p = statistics.median(per_run["direct"]), statistics.median(per_run["proxied"])
        figures[name] = {
            "direct_us": round(d, 1),
            "proxied_us": round(p, 1),
            "difference_us": round(p - d, 1),
            "ratio": round(p / d, 2),
            "direct_p99_us": round(percentile(pooled["direct"], 0.99), 1),
            "proxied_p99_us": round(percentile(pooled["proxied"], 0.99), 1),
            "direct_run_medians_us": [round(t, 1) for t in per_run["direct"]],
            "proxied_run_medians_us": [round(t, 1) for t in per_run["proxied"]],
        }
    return figures


def throughput(backend: Any, port: int, megabytes: int, reps: int) -> dict[str, Any]:
    size = megabytes * 1_000_000
    direct, proxied = client_runs(backend, "put", port, 1, size, reps)
    for run in direct + proxied:
        if run["acked"] != size:
            raise RuntimeError(f"the sink got {run['acked']} bytes, not {size}")
    d_rates = [size / 1e6 / run["seconds"] for run in direct]
    p_rates = [size / 1e6 / run["seconds"] for run in proxied]
    d, p = statistics.median(d_rates), statistics.median(p_rates)
    return {
        "megabytes": megabytes,
        "reps": reps,
        "direct_mb_s": round(d, 1),
        "proxied_mb_s": round(p, 1),
        "ratio": round(p / d, 3),
        "direct_runs_mb_s": [round(r, 1) for r in d_rates],
        "proxied_runs_mb_s": [round(r, 1) for r in p_rates],
    }


def percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# -- output -----------------------------------------------------------------------------------


def print_table(report: dict[str, Any]) -> None:
    rows: list[tuple[str, ...]] = [("figure", "none / direct", "allow / proxied", "diff", "ratio")]
    for backend in ("bwrap", "docker"):
        fig = report["command_overhead"].get(backend, {})
        if "skipped" in fig:
            rows.append((f"{backend} `true` per command", "skipped", "", "", ""))
        elif fig:
            rows.append(
                (
                    f"{backend} `{fig['argv'][0]}` per command",
                    f"{fig['none_ms']:.2f} ms",
                    f"{fig['allow_ms']:.2f} ms",
                    f"+{fig['difference_ms']:.2f} ms",
                    f"{fig['ratio']:.2f}x",
                )
            )
    rtt = report.get("round_trip")
    if rtt:
        for name, label in (
            ("new_connection", f"connect + {MESSAGE_BYTES} B exchange"),
            ("open_connection", f"{MESSAGE_BYTES} B exchange, open conn"),
        ):
            fig = rtt[name]
            rows.append(
                (
                    label,
                    f"{fig['direct_us']:.1f} us",
                    f"{fig['proxied_us']:.1f} us",
                    f"+{fig['difference_us']:.1f} us",
                    f"{fig['ratio']:.2f}x",
                )
            )
    put = report.get("throughput")
    if put:
        rows.append(
            (
                f"{put['megabytes']} MB to a sink",
                f"{put['direct_mb_s']:.0f} MB/s",
                f"{put['proxied_mb_s']:.0f} MB/s",
                "",
                f"{put['ratio']:.2f}x",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for index, row in enumerate(rows):
        print(
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if index == 0:
            print("  ".join("-" * w for w in widths))
    skipped = report["command_overhead"].get("docker", {}).get("skipped")
    if skipped:
        print(f"docker skipped: {skipped}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 repetitions, fewer connections")
    parser.add_argument("--reps", type=int, default=None, help="repetitions (default 15)")
    parser.add_argument("--connections", type=int, default=None, help="default 200")
    parser.add_argument("--megabytes", type=int, default=None, help="default 64")
    parser.add_argument("--image", default=os.environ.get("TIDEGATE_DOCKER_IMAGE"))
    parser.add_argument("--no-docker", action="store_true", help="skip the docker figure")
    parser.add_argument(
        "--out", default=str(Path(__file__).parent / "results" / "egress_bench.json")
    )
    args = parser.parse_args()
    reps = args.reps or (3 if args.quick else 15)
    connections = args.connections or (50 if args.quick else 200)
    megabytes = args.megabytes or (16 if args.quick else 64)

    from tidegate.sandbox.bwrap import BwrapBackend  # noqa: PLC0415

    bwrap = BwrapBackend()
    started = time.perf_counter()
    report: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "client_python": PYTHON,
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "loadavg_before": os.getloadavg(),
        },
        "plan": {"reps": reps, "connections": connections, "megabytes": megabytes},
        "command_overhead": {},
    }
    with Servers() as servers:
        report["command_overhead"]["bwrap"] = command_overhead(
            bwrap, ("/bin/true",), servers.echo_port, reps, Limits()
        )
        report["command_overhead"]["docker"] = (
            {"skipped": "--no-docker"}
            if args.no_docker
            else docker_overhead(args.image, servers.echo_port, reps)
        )
        report["round_trip"] = round_trip(bwrap, servers.echo_port, connections, reps)
        report["throughput"] = throughput(bwrap, servers.sink_port, megabytes, reps)
    report["machine"]["loadavg_after"] = os.getloadavg()
    report["seconds"] = round(time.perf_counter() - started, 1)
    print(
        f"egress allow-list vs network none / direct, medians of {reps} repetitions "
        f"({connections} connections, {megabytes} MB; {report['seconds']} s in all)"
    )
    print_table(report)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
