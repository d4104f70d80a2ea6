"""The docker backend: one fresh container per command, on a local image pinned by digest.

Isolation: ``network_mode none`` (loopback only), a read-only root with a private tmpfs /tmp,
the workspace the only writable bind (at /workspace), every capability dropped,
``no-new-privileges`` and the seccomp profile ``sandbox/docker-seccomp.json`` (EPERM for
ptrace, mount, module, bpf, namespace and keyring calls and for non-AF_UNIX sockets; with an
allow-list, for sockets other than AF_UNIX, AF_INET and AF_INET6), a private
pid and ipc namespace, a cleared environment (tidegate.sandbox.guards). The command runs as the
invoking user's uid:gid, so what it writes to the workspace belongs to whoever runs tidegate.

Image: ``name@sha256:<hex>`` or ``sha256:<hex>``, where the hex is either a RepoDigest of a
local image (pulled from a registry) or the local image ID. The ID is the sha256 of the image's
config, which names the digests of its layers: it is a content digest too, and the only one an
image made by ``docker import`` (sandbox/image/build.sh) has. A bare tag is refused unless
``allow_tag``; then the ID it resolves to is used and recorded. Nothing is ever pulled.

Limits: memory (memory and memory+swap at the same figure; an OOM kill is status ``oom``),
pids_limit, RLIMIT_CPU per process, wall time by killing the container, stdout and stderr each
capped while read. A network allow-list is forwarded as on bwrap (tidegate.sandbox.forwarder
on the image's ``org.tidegate.python``, tidegate.sandbox.proxy outside; names as extra_hosts).
Refused: tracing (the container's processes are not tidegate's children).
"""

from __future__ import annotations

import contextlib
import json
import os
import posixpath
import re
import signal
import socket
import threading
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

# The SDK at the top: this module is itself imported only when the docker backend is chosen.
import docker.errors  # type: ignore[import-untyped, unused-ignore]
import requests.exceptions
from docker.types import LogConfig, Mount, Ulimit  # type: ignore[import-untyped, unused-ignore]
from docker.utils.socket import frames_iter  # type: ignore[import-untyped, unused-ignore]

from tidegate.errors import TidegateError
from tidegate.sandbox import guards as guard_env
from tidegate.sandbox import seccomp as seccomp_families
from tidegate.sandbox.backend import CommandResult, CommandSpec, GuardStatus, Limits
from tidegate.sandbox.proxy import EgressProxy
from tidegate.sandbox.streams import CappedStream, command_result

WORKSPACE = "/workspace"
PRIVATE_TMP = "/tmp"  # noqa: S108  (a tmpfs inside the container, not the host's)
FAKETIME_LABEL = "org.tidegate.faketime"
PYTHON_LABEL = "org.tidegate.python"  # the interpreter the allow-list forwarder runs on
SECCOMP_PROFILE = "docker-seccomp.json"
ENGINE_HINT = (
    "start the engine: dockerd -H unix:///var/run/docker.sock --bridge=none --iptables=false "
    "(or systemctl start docker); DOCKER_HOST selects another one"
)
IMAGE_HINT = "build one with sandbox/image/build.sh, which prints its pinned reference"
_PINNED = re.compile(r"^(?:(?P<name>[^@\s]+)@)?sha256:(?P<hex>[0-9a-f]{64})$")
_REAP_SECONDS = 10.0
DEFAULT_TMP_MB = 256
"""Size of the container's /tmp when the task sets no memory limit (else the limit's size)."""
_SIGKILL_EXIT = 128 + signal.SIGKILL  # how docker reports a container killed (OOM killer too)
_SIGXCPU_EXIT = 128 + signal.SIGXCPU  # docker-init passes on the command's death by RLIMIT_CPU


def seccomp_profile_text() -> str:
    """Return the seccomp profile JSON: the repo's sandbox/ directory, else the package data."""
    repo_file = Path(__file__).resolve().parents[3] / "sandbox" / SECCOMP_PROFILE
    if repo_file.is_file():
        return repo_file.read_text()
    # An installed wheel carries the repo's sandbox/ as package data under tidegate/_sandbox.
    return resources.files("tidegate").joinpath("_sandbox", SECCOMP_PROFILE).read_text()


def profile_for_network(profile: dict[str, Any], network: str) -> dict[str, Any]:
    """Return ``profile`` with its socket rule replaced by ``network``'s family rules.

    The file's rule denies every family but AF_UNIX (network none); an allow-list also needs
    AF_INET and AF_INET6, which reach only the container's loopback.
    """
    denied = seccomp_families.denied_families(network)
    rules = [rule for rule in profile["syscalls"] if rule.get("names") != ["socket"]]
    comment = f"network {network}: only " + ", ".join(
        socket.AddressFamily(f).name for f in seccomp_families.SOCKET_FAMILIES[network]
    )
    for family in denied:
        rules.append(_socket_rule("SCMP_CMP_EQ", family, comment))
    rules.append(_socket_rule("SCMP_CMP_GE", seccomp_families.AF_MAX, comment))
    return {**profile, "syscalls": rules}


def _socket_rule(op: str, value: int, comment: str) -> dict[str, Any]:
    """Return a profile rule: EPERM for socket() when its family compares ``op`` ``value``."""
    return {
        "names": ["socket"],
        "action": "SCMP_ACT_ERRNO",
        "errnoRet": 1,
        "args": [{"index": 0, "value": value, "valueTwo": 0, "op": op}],
        "comment": comment,
    }


@dataclass(frozen=True)
class _Image:
    """A resolved image: its ID (used to create containers), how it was pinned, its labels."""

    image_id: str
    pinned_by: str
    labels: dict[str, str]


class EngineLost(TidegateError):
    """The docker engine stopped answering while a command ran (the run ends as an error)."""


class DockerBackend:
    """Run commands in docker containers (see the module docstring for what is enforced)."""

    name = "docker"

    def __init__(self, image: str | None, allow_tag: bool = False, client: Any = None) -> None:
        """Use ``image`` (pinned by digest unless ``allow_tag``) on ``client`` (default: from the environment)."""
        self.image = image
        self.allow_tag = allow_tag
        self._client = client
        self._resolved: _Image | None = None
        self._seccomp: str | None = None
        self._seccomp_for: dict[str, str] = {}  # other network modes' profiles, made once

    # -- engine and image, each looked up once per backend ------------------------------------

    def client(self) -> Any:
        """Return the docker SDK client, connecting on first use; GuardUnavailable if no engine."""
        if self._client is None:
            try:
                self._client = docker.from_env()
            except Exception as exc:  # DockerException, or a socket error on version "auto"
                raise guard_env.refuse(
                    "engine", f"the docker engine does not answer: {exc}", hint=ENGINE_HINT
                ) from exc
        return self._client

    def resolve_image(self) -> _Image:
        """Return the image to run, resolved once; GuardUnavailable when it is unknown or unpinned."""
        if self._resolved is None:
            self._resolved = self._resolve()
        return self._resolved

    def _resolve(self) -> _Image:
        refuse = guard_env.refuse
        if not self.image:
            raise refuse("image", "the task names no docker image", hint=IMAGE_HINT)
        pinned = _PINNED.match(self.image)
        if pinned is None:
            if not self.allow_tag:
                raise refuse(
                    "image",
                    f"{self.image!r} is a tag, not a digest: the image behind it can change",
                    hint="name it name@sha256:<64 hex> (or pass --allow-tag)",
                )
            info = self._inspect(self.image)
            if info is None:
                raise refuse("image", f"no local image {self.image!r}", hint=IMAGE_HINT)
            return _image(info, f"tag {self.image} (allowed) resolved to image ID {info['Id']}")
        digest = "sha256:" + pinned["hex"]
        info = self._inspect(digest)  # the local image ID: a digest of the image config
        if info is not None and info.get("Id") == digest:
            return _image(info, f"image ID {digest} (content digest of the image config)")
        if pinned["name"]:
            info = self._inspect(self.image)
            repo_digests = (info or {}).get("RepoDigests") or []
            if info is not None and any(d.endswith("@" + digest) for d in repo_digests):
                return _image(info, f"repo digest {self.image} = image ID {info['Id']}")
        raise refuse(
            "image",
            f"no local image has the digest {digest} (as image ID or repo digest); "
            "tidegate never pulls",
            hint=IMAGE_HINT,
        )

    def _inspect(self, reference: str) -> dict[str, Any] | None:
        """Return ``docker image inspect`` of ``reference``, or None when there is no such image."""
        try:
            info: dict[str, Any] = self.client().api.inspect_image(reference)
        except docker.errors.ImageNotFound:
            return None
        except docker.errors.APIError as exc:
            if exc.status_code in {400, 404}:
                return None
            raise guard_env.refuse("engine", f"image inspection failed: {exc}") from exc
        except Exception as exc:  # requests' ConnectionError: the engine went away
            raise guard_env.refuse(
                "engine", f"the docker engine does not answer: {exc}", hint=ENGINE_HINT
            ) from exc
        return info

    def seccomp(self, network: str = "none") -> str:
        """Return the seccomp profile for ``network`` as compact JSON (the file is read once)."""
        if self._seccomp is None:
            try:
                self._seccomp = json.dumps(json.loads(seccomp_profile_text()))
            except (OSError, ValueError) as exc:
                raise guard_env.refuse(
                    "seccomp", f"cannot read {SECCOMP_PROFILE}: {exc}", hint="reinstall tidegate"
                ) from exc
        if network == "none":
            return self._seccomp
        if network not in self._seccomp_for:  # planned and run per command: build it once
            adapted = profile_for_network(json.loads(self._seccomp), network)
            self._seccomp_for[network] = json.dumps(adapted)
        return self._seccomp_for[network]

    # -- the Backend protocol -----------------------------------------------------------------

    def guards(self, command: CommandSpec) -> list[GuardStatus]:
        """Return how each guard is enforced; GuardUnavailable when one cannot be."""
        return self._plan(command)[0]

    def versions(self) -> dict[str, str]:
        """Return the engine's version, its API version and the image ID (provenance of a run)."""
        found: dict[str, str] = {}
        with contextlib.suppress(Exception):
            version = self.client().api.version()
            found["docker_engine"] = str(version.get("Version", ""))
            found["docker_api"] = str(version.get("ApiVersion", ""))
        with contextlib.suppress(Exception):
            found["docker_image"] = self.resolve_image().image_id
        return found

    def run(self, workspace: Path, command: CommandSpec) -> CommandResult:
        """Run ``command`` in a new container over ``workspace``; a command's failures are results."""
        _, env, site_files, route = self._plan(command)
        image = self.resolve_image()
        api = self.client().api
        started = time.monotonic()
        container: str | None = None
        proxy = None if route is None else EgressProxy(route.plan)
        with guard_env.site_dir(site_files) as site, proxy or contextlib.nullcontext():
            try:
                config = self._container_config(
                    api, workspace, command, env, site, image, route, proxy
                )
                container = api.create_container(**config)["Id"]
                result = self._execute(api, container, command.limits, started)
            finally:
                if container is not None:
                    with contextlib.suppress(Exception):
                        api.remove_container(container, force=True)
        return result if proxy is None else proxy.annotate(result)

    # -- planning and running -----------------------------------------------------------------

    def _plan(
        self, command: CommandSpec
    ) -> tuple[list[GuardStatus], dict[str, str], dict[str, str], guard_env.EgressSetup | None]:
        """Decide every guard, refusing (GuardUnavailable) what cannot be enforced."""
        refuse = guard_env.refuse
        guards, limits = command.guards, command.limits
        if command.trace_file is not None:
            raise refuse(
                "trace",
                "docker: container processes are not tidegate's children; use --backend bwrap",
            )
        if guards.network not in {"none", "allow"}:
            raise refuse("network", f"unknown network mode {guards.network!r}")
        guard_env.check_cwd(command.cwd)
        image = self.resolve_image()
        route = self._egress(command, image)
        faketime = image.labels.get(FAKETIME_LABEL) or None
        if guards.clock != "real" and faketime is None:
            raise refuse(
                "clock",
                f"image {image.image_id} has no {FAKETIME_LABEL} label naming its libfaketime",
                hint="build the image with sandbox/image/build.sh, which sets the label",
            )
        built = guard_env.build_environment(command, faketime)
        self.seccomp(guards.network)  # refuse now, not half-way into a run, if it is missing
        statuses = list(built.statuses)
        site_files = dict(built.site_files)
        if route is not None:
            site_files.update(route.site_files)
        statuses += [
            GuardStatus("image", True, image.pinned_by),
            GuardStatus(
                "network",
                True,
                "docker network_mode none (loopback only); no name resolution"
                if route is None
                else f"docker network_mode none; {route.status}",
            ),
            GuardStatus(
                "filesystem",
                True,
                f"image root read-only; {WORKSPACE} the only writable bind; private tmpfs "
                f"{PRIVATE_TMP}; no host paths but the workspace (and the guard files)",
            ),
            GuardStatus(
                "capabilities",
                True,
                f"cap_drop ALL, no-new-privileges; runs as uid:gid {os.getuid()}:{os.getgid()}",
            ),
            GuardStatus(
                "seccomp",
                True,
                f"{SECCOMP_PROFILE}: EPERM for ptrace, mount, modules, bpf, namespaces, "
                "keyrings, io_uring and "
                + (
                    "non-AF_UNIX sockets"
                    if route is None
                    else "sockets other than AF_UNIX/AF_INET/AF_INET6"
                ),
            ),
            GuardStatus(
                "namespaces",
                True,
                "docker: private pid, ipc, uts, mount and net; docker-init as pid 1",
            ),
        ]
        if limits.wall_seconds is not None:
            statuses.append(
                GuardStatus(
                    "wall_time", True, f"{limits.wall_seconds}s, then the container is killed"
                )
            )
        if limits.cpu_seconds is not None:
            statuses.append(
                GuardStatus("cpu", True, f"RLIMIT_CPU {limits.cpu_seconds}s per process (ulimit)")
            )
        if limits.memory_mb is not None:
            statuses.append(
                GuardStatus(
                    "memory",
                    True,
                    f"container memory {limits.memory_mb} MB, memory+swap the same; OOM kill",
                )
            )
        if limits.processes is not None:
            statuses.append(
                GuardStatus("processes", True, f"container pids_limit {limits.processes}")
            )
        statuses.append(
            GuardStatus("output", True, f"{limits.output_bytes} bytes per stream, rest dropped")
        )
        return statuses, built.env, site_files, route

    def _egress(self, command: CommandSpec, image: _Image) -> guard_env.EgressSetup | None:
        """Return how the allow-list is forwarded (None for mode none); refuse what cannot be."""
        if command.guards.network == "none":
            return None
        python = image.labels.get(PYTHON_LABEL)
        if not python:
            raise guard_env.refuse(
                "network",
                f"image {image.image_id} has no {PYTHON_LABEL} label naming the python3 the "
                "allow-list forwarder runs on",
                hint="build the image with sandbox/image/build.sh, which sets the label",
            )
        # docker writes the container's /etc/hosts itself: the names go in as extra_hosts.
        return guard_env.egress_setup(command.guards.allow, python, hosts_file=False)

    def _container_config(
        self,
        api: Any,
        workspace: Path,
        command: CommandSpec,
        env: dict[str, str],
        site: str | None,
        image: _Image,
        route: guard_env.EgressSetup | None,
        proxy: EgressProxy | None,
    ) -> dict[str, Any]:
        """Return create_container's arguments (host config included) for one command."""
        limits = command.limits
        tmp_mb = limits.memory_mb or DEFAULT_TMP_MB
        mounts = [Mount(WORKSPACE, str(workspace.resolve()), type="bind", read_only=False)]
        if site is not None:
            mounts.append(Mount(guard_env.SITE_DIR, site, type="bind", read_only=True))
        argv = list(command.argv)
        if route is not None:
            # The forwarder's files are in the guard directory, the proxy's sockets beside it.
            if proxy is None or proxy.directory is None or site is None:
                raise RuntimeError("an allow-list without its proxy or guard files")  # fail closed
            mounts.append(
                Mount(guard_env.NET_DIR, str(proxy.directory), type="bind", read_only=True)
            )
            argv = route.launcher(argv)
        host: dict[str, Any] = {
            "mounts": mounts,
            "network_mode": "none",
            "read_only": True,
            # Sized: a tmpfs is RAM, and without a memory limit nothing else would bound it.
            "tmpfs": {PRIVATE_TMP: f"rw,nosuid,nodev,mode=1777,size={tmp_mb}m"},
            "cap_drop": ["ALL"],
            "security_opt": [
                "no-new-privileges",
                "seccomp=" + self.seccomp(command.guards.network),
            ],
            "ipc_mode": "private",
            # docker-init as pid 1: the command is not its namespace's init, which the kernel
            # shields from default-action signals (SIGXCPU at the CPU limit would be ignored),
            # and orphans are reaped.
            "init": True,
            "auto_remove": False,  # removed in run()'s finally, after the exit state is read
            # Output is read through the attach stream; the engine keeps no copy on disk.
            "log_config": LogConfig(type="none"),
        }
        if route is not None:
            host["extra_hosts"] = dict(route.plan.names)
            # The container's own network namespace: the forwarder may listen on port 443 of
            # its loopback without any capability.
            host["sysctls"] = {"net.ipv4.ip_unprivileged_port_start": "0"}
        if limits.memory_mb is not None:
            host["mem_limit"] = f"{limits.memory_mb}m"
            host["memswap_limit"] = f"{limits.memory_mb}m"
        if limits.processes is not None:
            host["pids_limit"] = limits.processes
        if limits.cpu_seconds is not None:
            # One second of slack on the hard limit: SIGXCPU at the soft one, SIGKILL after.
            host["ulimits"] = [
                Ulimit(name="cpu", soft=limits.cpu_seconds, hard=limits.cpu_seconds + 1)
            ]
        relative = posixpath.normpath(command.cwd)
        return {
            "image": image.image_id,
            "command": argv,
            "environment": env,
            "working_dir": WORKSPACE if relative == "." else posixpath.join(WORKSPACE, relative),
            "user": f"{os.getuid()}:{os.getgid()}",
            "hostname": "sandbox",
            "labels": {"org.tidegate.sandbox": "1"},
            # network_mode none either way; an allow-list needs the engine to write the
            # container's /etc/hosts (its names), which a disabled network skips.
            "network_disabled": route is None,
            "stdin_open": False,
            "tty": False,
            "host_config": api.create_host_config(**host),
        }

    def _execute(self, api: Any, container: str, limits: Limits, started: float) -> CommandResult:
        """Attach, start, wait (killing at the wall time), then classify the container's end."""
        out, err = CappedStream(limits.output_bytes), CappedStream(limits.output_bytes)
        # Attached before the start, so no early output is lost (there are no logs to replay).
        sock = api.attach_socket(container, params={"stdout": 1, "stderr": 1, "stream": 1})
        _no_timeout(sock)
        reader = threading.Thread(target=_pump, args=(sock, out, err), daemon=True)
        reader.start()
        timed_out = False
        exit_code: int | None = None
        timeout = None if limits.wall_seconds is None else limits.wall_seconds
        try:
            api.start(container)
            try:
                exit_code = int(api.wait(container, timeout=timeout)["StatusCode"])
            except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError) as exc:
                # docker-py reports a unix-socket read timeout as ConnectionError too; only the
                # wall time having passed makes it a timeout, else the engine went away.
                spent = time.monotonic() - started
                if limits.wall_seconds is None or spent < limits.wall_seconds:
                    raise EngineLost(f"the docker engine stopped answering: {exc}") from exc
                timed_out = True
                with contextlib.suppress(Exception):
                    api.kill(container)
                with contextlib.suppress(Exception):
                    api.wait(container, timeout=_REAP_SECONDS)  # the whole pid namespace is gone
        finally:
            reader.join(_REAP_SECONDS)
            with contextlib.suppress(OSError):
                sock.close()
        oom = False
        if not timed_out and exit_code == _SIGKILL_EXIT:
            # Only a SIGKILLed container can have been OOM-killed: one inspect, not per command.
            with contextlib.suppress(Exception):
                oom = bool(api.inspect_container(container)["State"].get("OOMKilled"))
        duration_ms = (time.monotonic() - started) * 1000
        return _classify(exit_code, timed_out, oom, limits, out, err, duration_ms)


def _image(info: dict[str, Any], pinned_by: str) -> _Image:
    """Return the _Image of an inspected image."""
    labels = (info.get("Config") or {}).get("Labels") or {}
    return _Image(str(info["Id"]), pinned_by, {str(k): str(v) for k, v in labels.items()})


def _no_timeout(sock: Any) -> None:
    """Let the attach socket wait for output for as long as the command runs."""
    raw = getattr(sock, "_sock", sock)
    with contextlib.suppress(Exception):
        raw.settimeout(None)


def _pump(sock: Any, out: CappedStream, err: CappedStream) -> None:
    """Read the attach stream's frames into the caps until EOF (what is over a cap is dropped)."""
    # Read to the end even past both caps: an attach left unread (or closed on our side) makes
    # the engine block the command's writes, so it would hang until the wall time.
    with contextlib.suppress(Exception):  # the socket closed under us: the run is over
        for stream, data in frames_iter(sock, False):
            (err if stream == 2 else out).feed(data)


def _classify(
    exit_code: int | None,
    timed_out: bool,
    oom: bool,
    limits: Limits,
    out: CappedStream,
    err: CappedStream,
    duration_ms: float,
) -> CommandResult:
    """Turn the container's exit into a status and violations."""
    violations: list[tuple[str, str]] = []
    if timed_out:
        status = "timeout"
        violations.append(
            ("wall_time", f"ran past {limits.wall_seconds}s; the container was killed")
        )
    elif oom:
        status = "oom"
        violations.append(("memory", f"{limits.memory_mb} MB exceeded: OOM-killed"))
    elif exit_code in {_SIGKILL_EXIT, _SIGXCPU_EXIT}:
        status = "killed"
        if exit_code == _SIGXCPU_EXIT and limits.cpu_seconds is not None:
            violations.append(("cpu", f"RLIMIT_CPU {limits.cpu_seconds}s exceeded (SIGXCPU)"))
    else:
        status = "ok" if exit_code == 0 else "failed"
    return command_result(status, exit_code, duration_ms, out, err, limits, violations)
