"""The bwrap backend: bubblewrap namespaces, a seccomp filter, cgroup v1 or rlimit limits.

Isolation: new user, pid, net, ipc, uts (and, where possible, cgroup) namespaces; the host root
read-only with the places that usually hold secrets hidden (HIDDEN_DIRS, HIDDEN_FILES, and the
tidegate home); a private /tmp; the workspace as the only writable bind at /workspace; a cleared
environment; no capabilities; ``--die-with-parent`` and a new session; the seccomp filter of
tidegate.sandbox.seccomp.

Limits: wall time by killing bwrap and everything under it, waiting until the sandbox's pid 1
(which outlives every other process of its namespace) is gone; memory and processes
through cgroup v1 controllers nested under tidegate's own cgroups, else RLIMIT_AS (memory) and
RLIMIT_NPROC (processes, refused for root, which the kernel exempts); CPU seconds by RLIMIT_CPU,
per process.

Network: none (an empty namespace), or an allow-list forwarded by tidegate.sandbox.forwarder
(inside, on the host's /usr/bin/python3) and tidegate.sandbox.proxy (outside), with a generated
/etc/hosts; the forwarder alone may hold CAP_NET_BIND_SERVICE and CAP_SETPCAP, to listen below
port 1024, and drops them before the command runs.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import resource
import selectors
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tidegate import config
from tidegate.sandbox import guards as guard_env
from tidegate.sandbox import seccomp
from tidegate.sandbox.backend import CommandResult, CommandSpec, GuardStatus, Limits
from tidegate.sandbox.proxy import EgressProxy
from tidegate.sandbox.streams import CappedStream, command_result

CGROUP_ROOT = Path("/sys/fs/cgroup")
WORKSPACE = "/workspace"
PRIVATE_TMP = "/tmp"  # noqa: S108  (a fresh tmpfs inside the sandbox, not the host's)
# Directories replaced by an empty tmpfs: home directories, runtime sockets (the docker socket
# among them), mounted media and service data. The rest of the root stays visible, read-only.
HIDDEN_DIRS = (
    "/root",
    "/home",
    "/run",
    "/var/run",
    "/var/tmp",  # noqa: S108  (hidden, not used)
    "/mnt",
    "/media",
    "/srv",
    "/etc/ssh",
    "/etc/ssl/private",
    "/etc/sudoers.d",
    "/var/lib/docker",
    "/var/lib/postgresql",
)
# Files replaced by /dev/null: the sandbox's uid 0 maps to host root, the owner of these files,
# so dropping capabilities alone does not stop it reading them.
HIDDEN_FILES = ("/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-", "/etc/sudoers")
TRACED_CALLS = "trace=open,openat,openat2,creat,execve"
"""The system calls --trace-files records (what a command opened or executed)."""
SANDBOX_PYTHONS = ("/usr/bin/python3", "/usr/local/bin/python3")
"""Where the allow-list forwarder's interpreter is looked for (it must be visible inside)."""
_FAMILY_NAMES: dict[int, str] = {
    socket.AF_UNIX: "AF_UNIX",
    socket.AF_INET: "AF_INET",
    socket.AF_INET6: "AF_INET6",
}
_READ_CHUNK = 65536
_REAP_SECONDS = 5.0


@dataclass
class _Cgroups:
    """The run's cgroup v1 directories (memory and/or pids), created before and removed after."""

    dirs: dict[str, Path] = field(default_factory=dict)

    def procs_files(self) -> list[str]:
        """Return the cgroup.procs files the child joins before exec."""
        return [str(path / "cgroup.procs") for path in self.dirs.values()]

    def read(self, controller: str, name: str) -> str:
        """Return the content of one control file, or "" when absent."""
        path = self.dirs.get(controller)
        if path is None:
            return ""
        try:
            return (path / name).read_text()
        except OSError:
            return ""

    def pids(self) -> list[int]:
        """Return the pids still in any of the run's cgroups."""
        found: set[int] = set()
        for controller in self.dirs:
            found.update(int(line) for line in self.read(controller, "cgroup.procs").split())
        return sorted(found)

    def kill_all(self, deadline: float) -> None:
        """SIGKILL every process left in the cgroups until they are empty or ``deadline``."""
        while (left := self.pids()) and time.monotonic() < deadline:
            for pid in left:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.005)  # wait for the kernel to reap; bounded by the deadline

    def remove(self, deadline: float) -> None:
        """Remove the run's directories (and the shared parent when it became empty)."""
        for path in self.dirs.values():
            while True:
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    if time.monotonic() >= deadline:
                        break
                    time.sleep(0.005)  # a just-killed task is still leaving the cgroup
            with contextlib.suppress(OSError):
                path.parent.rmdir()


def own_cgroup(controller: str, proc_cgroup: str = "/proc/self/cgroup") -> str | None:
    """Return this process's cgroup v1 path for ``controller`` (e.g. "/a/b"), or None."""
    try:
        lines = Path(proc_cgroup).read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return path
    return None


def cgroup_parent(controller: str, root: Path = CGROUP_ROOT) -> Path | None:
    """Return where run cgroups for ``controller`` go (nested under ours), or None if not writable."""
    own = own_cgroup(controller)
    if own is None:
        return None
    base = root / controller / own.lstrip("/")
    marker = "cgroup.procs"
    if not (base / marker).is_file() or not os.access(base, os.W_OK):
        return None
    return base / "tidegate"


def probe_cgroup(controller: str, root: Path = CGROUP_ROOT) -> tuple[bool, str]:
    """Create and remove a test cgroup for ``controller``; return whether that works and where."""
    parent = cgroup_parent(controller, root)
    if parent is None:
        return False, f"no writable cgroup v1 {controller} hierarchy under {root}"
    probe = parent / f"probe-{uuid.uuid4().hex[:12]}"
    try:
        probe.mkdir(parents=True)
        probe.rmdir()
        with contextlib.suppress(OSError):
            parent.rmdir()
    except OSError as exc:
        return False, f"cannot create {probe}: {exc.strerror}"
    return True, f"cgroup v1 {controller} at {parent}"


def _hidden_paths(extra: Sequence[Path]) -> tuple[list[str], list[str]]:
    """Return (directories, files) to hide that exist here, symlinks left alone."""
    dirs: list[str] = []
    files: list[str] = []
    for name in (*HIDDEN_DIRS, *HIDDEN_FILES, *(str(p) for p in extra)):
        path = Path(name)
        if path.is_symlink() or not path.is_absolute():
            continue  # a symlink resolves to a path hidden in its own right (/var/run -> /run)
        if path.is_dir():
            dirs.append(name)
        elif path.exists():
            files.append(name)
    return dirs, files


def default_hidden() -> list[Path]:
    """Return the tidegate home and key of this process's configuration, to hide from tasks."""
    hidden: list[Path] = []
    for value in (os.environ.get(config.ENV_DIR), os.environ.get(config.ENV_KEY)):
        if value:
            hidden.append(Path(value).resolve())
    home = config.find_home(Path.cwd())
    if home is not None:
        hidden.append(home.resolve())
    return hidden


def _root_binds(hidden: set[str]) -> list[str]:
    """Return bwrap arguments rebuilding the host's top level read-only (symlinks as symlinks)."""
    argv: list[str] = []
    for entry in sorted(os.scandir("/"), key=lambda e: e.name):
        path = "/" + entry.name
        if path in {"/proc", "/dev", PRIVATE_TMP, WORKSPACE} or path in hidden:
            continue  # mounted fresh, or hidden under a tmpfs
        if path == "/sys":
            continue  # host hardware and cgroup details; its many submounts cost ~2 ms a run
        if entry.is_symlink():
            argv += ["--symlink", os.readlink(path), path]
        else:
            argv += ["--ro-bind", path, path]
    return argv


@dataclass
class _Plan:
    """Everything decided before a run: the guard record, environment, limits and mounts."""

    statuses: list[GuardStatus]
    env: dict[str, str]
    site_files: dict[str, str]
    memory_cgroup: bool
    pids_cgroup: bool
    rlimits: list[tuple[int, tuple[int, int]]]
    tracer: list[str] = field(default_factory=list)  # strace argv prefix, when tracing
    # The allow-list's forwarding, when network is allow.
    egress: guard_env.EgressSetup | None = None


class BwrapBackend:
    """Run commands under bubblewrap (see the module docstring for what is enforced)."""

    name = "bwrap"

    def __init__(
        self,
        bwrap: str | None = None,
        hide: Sequence[Path] | None = None,
        cgroup_root: Path = CGROUP_ROOT,
    ) -> None:
        """Use ``bwrap`` (default: from PATH); ``hide`` adds host paths to hide (default: the tidegate home)."""
        self.bwrap = bwrap or shutil.which("bwrap")
        self.hide = list(default_hidden() if hide is None else hide)
        self.cgroup_root = cgroup_root
        self.faketime = guard_env.find_faketime()
        self._cgroup_ok: dict[str, bool] = {}

    def cgroup_available(self, controller: str) -> bool:
        """Return whether run cgroups for ``controller`` can be made here (probed once)."""
        if controller not in self._cgroup_ok:
            self._cgroup_ok[controller] = probe_cgroup(controller, self.cgroup_root)[0]
        return self._cgroup_ok[controller]

    def guards(self, command: CommandSpec) -> list[GuardStatus]:
        """Return how each guard is enforced; GuardUnavailable when one cannot be."""
        return self._plan(command).statuses

    def versions(self) -> dict[str, str]:
        """Return bubblewrap's and libseccomp's versions (provenance of a run)."""
        found: dict[str, str] = {}
        if self.bwrap:
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                done = subprocess.run(
                    [self.bwrap, "--version"], capture_output=True, timeout=5, check=False
                )
                found["bwrap"] = done.stdout.decode("utf-8", "replace").strip()
        found["libseccomp"] = seccomp.library_version()
        return found

    def run(self, workspace: Path, command: CommandSpec) -> CommandResult:
        """Run ``command`` in ``workspace`` under bwrap; a command's failures are results."""
        plan = self._plan(command)
        cgroups = _Cgroups()
        started = time.monotonic()
        proxy = None if plan.egress is None else EgressProxy(plan.egress.plan)
        try:
            with (
                guard_env.site_dir(plan.site_files) as site,
                _seccomp_fd(command) as bpf_fd,
                proxy or contextlib.nullcontext(),
            ):
                argv = plan.tracer + self._argv(workspace, command, plan, site, bpf_fd, proxy)
                self._make_cgroups(cgroups, plan, command.limits)
                result = self._execute(argv, bpf_fd, command.limits, plan, cgroups, started)
        finally:
            deadline = time.monotonic() + _REAP_SECONDS
            cgroups.kill_all(deadline)
            cgroups.remove(deadline)
        return result if proxy is None else proxy.annotate(result)

    def _plan(self, command: CommandSpec) -> _Plan:
        """Decide how every guard is enforced, refusing (GuardUnavailable) what cannot be."""
        refuse = guard_env.refuse
        if self.bwrap is None:
            raise refuse("filesystem", "bwrap is not installed", hint="apt-get install bubblewrap")
        guard_env.check_cwd(command.cwd)
        guards, limits = command.guards, command.limits
        route = self._egress(command)
        env = guard_env.build_environment(command, self.faketime)
        statuses = list(env.statuses)
        site_files = dict(env.site_files)
        if route is not None:
            site_files.update(route.site_files)
        ok, why = seccomp.available()
        if not ok:
            raise refuse("seccomp", why, hint="apt-get install libseccomp2; pip install pyseccomp")
        tracer = self._tracer(command, statuses)
        hidden_dirs, hidden_files = _hidden_paths(self.hide)
        statuses += [
            GuardStatus(
                "namespaces", True, "bwrap: new user, pid, net, ipc, uts (cgroup if possible)"
            ),
            GuardStatus(
                "capabilities",
                True,
                "bwrap --cap-drop ALL, --new-session"
                + (
                    "; the allow-list forwarder alone gets CAP_NET_BIND_SERVICE and CAP_SETPCAP "
                    "to listen below port 1024, then drops every capability (bounding and "
                    "ambient sets too) before the command runs"
                    if route is not None and route.plan.privileged_ports
                    else ""
                ),
            ),
            GuardStatus(
                "filesystem",
                True,
                f"root read-only; {WORKSPACE} the only writable bind; private /tmp; no /sys; hidden: "
                + ", ".join(hidden_dirs + hidden_files),
            ),
            GuardStatus(
                "network",
                True,
                "empty network namespace (loopback only); no name resolution"
                if route is None
                else route.status,
            ),
            GuardStatus(
                "seccomp",
                True,
                f"{why}; EPERM for {len(seccomp.DENIED_SYSCALLS)} syscalls, namespace clone "
                "flags and sockets other than "
                + "/".join(_FAMILY_NAMES[f] for f in seccomp.SOCKET_FAMILIES[guards.network])
                + " (denials are not counted: no audit here)",
            ),
        ]
        rlimits: list[tuple[int, tuple[int, int]]] = []
        memory_cgroup = pids_cgroup = False
        if limits.wall_seconds is not None:
            statuses.append(
                GuardStatus(
                    "wall_time", True, f"{limits.wall_seconds}s, then the process tree is killed"
                )
            )
        if limits.cpu_seconds is not None:
            rlimits.append(
                (resource.RLIMIT_CPU, _lowered(resource.RLIMIT_CPU, limits.cpu_seconds, 1))
            )
            statuses.append(
                GuardStatus("cpu", True, f"RLIMIT_CPU {limits.cpu_seconds}s per process")
            )
        if limits.memory_mb is not None:
            size = limits.memory_mb << 20
            if self.cgroup_available("memory"):
                memory_cgroup = True
                statuses.append(
                    GuardStatus(
                        "memory", True, f"cgroup v1 memory {limits.memory_mb} MB (+swap), OOM kill"
                    )
                )
            else:
                rlimits.append((resource.RLIMIT_AS, _lowered(resource.RLIMIT_AS, size, 0)))
                statuses.append(
                    GuardStatus(
                        "memory",
                        True,
                        f"RLIMIT_AS {limits.memory_mb} MB per process (address space, not "
                        "resident memory; allocations fail instead of an OOM kill)",
                    )
                )
        # Joining a v1 cgroup costs milliseconds (an RCU grace period per hierarchy), so a run
        # joins the pids cgroup only for a process limit; a timeout finds the tree in /proc.
        pids_cgroup = limits.processes is not None and self.cgroup_available("pids")
        if limits.processes is not None:
            if pids_cgroup:
                statuses.append(
                    GuardStatus("processes", True, f"cgroup v1 pids.max {limits.processes}")
                )
            elif os.getuid() == 0:
                raise refuse(
                    "processes",
                    "no writable pids cgroup, and RLIMIT_NPROC does not apply to root "
                    "(the kernel exempts uid 0 of the initial user namespace)",
                )
            else:
                count = limits.processes + _processes_of(os.getuid())
                rlimits.append((resource.RLIMIT_NPROC, _lowered(resource.RLIMIT_NPROC, count, 0)))
                statuses.append(
                    GuardStatus(
                        "processes",
                        True,
                        f"RLIMIT_NPROC {count}: per uid, so it counts this user's other "
                        f"processes too ({limits.processes} requested on top of them)",
                    )
                )
        statuses.append(
            GuardStatus("output", True, f"{limits.output_bytes} bytes per stream, rest truncated")
        )
        return _Plan(
            statuses, env.env, site_files, memory_cgroup, pids_cgroup, rlimits, tracer, route
        )

    def _egress(self, command: CommandSpec) -> guard_env.EgressSetup | None:
        """Return how the allow-list is forwarded (None for mode none); refuse what cannot be."""
        guards = command.guards
        if guards.network not in {"none", "allow"}:
            raise guard_env.refuse("network", f"unknown network mode {guards.network!r}")
        if guards.network == "none":
            return None
        hidden, _ = _hidden_paths(self.hide)
        python = next(
            (
                path
                for path in SANDBOX_PYTHONS
                if Path(path).is_file() and not any(_under(path, d) for d in hidden)
            ),
            None,
        )
        if python is None:
            raise guard_env.refuse(
                "network",
                "the allow-list forwarder runs on the sandbox's python3, and none of "
                + ", ".join(SANDBOX_PYTHONS)
                + " is visible inside it",
                hint="apt-get install python3-minimal",
            )
        return guard_env.egress_setup(guards.allow, python, hosts_file=True)

    def _tracer(self, command: CommandSpec, statuses: list[GuardStatus]) -> list[str]:
        """Return the strace prefix for a traced command (and record how it is traced)."""
        if command.trace_file is None:
            return []
        strace = shutil.which("strace")
        if strace is None:
            raise guard_env.refuse(
                "trace", "strace is not installed", hint="apt-get install strace"
            )
        # strace runs OUTSIDE the sandbox and follows bwrap into it: the seccomp filter keeps
        # denying ptrace to the task itself.
        statuses.append(
            GuardStatus(
                "trace",
                True,
                "strace outside the sandbox follows bwrap and its children "
                f"({TRACED_CALLS}); the task itself still cannot ptrace; strace shares the "
                "run's rlimits and cgroups",
            )
        )
        # -s 0: no string arguments in the log (bwrap's argv), only paths, which strace prints
        # in full whatever -s says.
        return [
            strace,
            "-f",
            "-qq",
            "-s",
            "0",
            "-o",
            str(command.trace_file),
            "-e",
            TRACED_CALLS,
            "--",
        ]

    def _argv(
        self,
        workspace: Path,
        command: CommandSpec,
        plan: _Plan,
        site: str | None,
        bpf_fd: int,
        proxy: EgressProxy | None,
    ) -> list[str]:
        """Return the bwrap command line."""
        assert self.bwrap is not None
        argv = [
            self.bwrap,
            "--unshare-user",
            "--unshare-pid",
            "--unshare-net",
            "--unshare-ipc",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--die-with-parent",
            "--new-session",
        ]
        dirs, files = _hidden_paths(self.hide)
        argv += _root_binds(set(dirs))
        argv += ["--dev", "/dev", "--proc", "/proc", "--tmpfs", PRIVATE_TMP]
        for path in dirs:
            argv += ["--tmpfs", path]
        for path in files:
            argv += ["--ro-bind", "/dev/null", path]
        if site is not None:
            argv += ["--ro-bind", site, guard_env.SITE_DIR]
        if plan.egress is not None:
            # The forwarder's files are in the guard directory, the proxy's sockets beside it.
            if proxy is None or proxy.directory is None or site is None:
                raise RuntimeError("an allow-list without its proxy or guard files")  # fail closed
            argv += ["--ro-bind", str(proxy.directory), guard_env.NET_DIR]
            argv += ["--ro-bind", posixpath.join(site, guard_env.HOSTS_FILE), "/etc/hosts"]
        for path in dirs:
            argv += ["--remount-ro", path]  # hidden means empty, not a scratch area
        argv += ["--bind", str(workspace.resolve()), WORKSPACE]
        # The new root is a tmpfs (so /workspace and the hidden mount points can be created in
        # it) holding read-only binds of the host's top-level entries; then it is made read-only.
        argv += ["--remount-ro", "/"]
        relative = posixpath.normpath(command.cwd)
        argv += ["--chdir", WORKSPACE if relative == "." else posixpath.join(WORKSPACE, relative)]
        # The environment reaches the task through bwrap's own (Popen's env), not --setenv:
        # argv is world-readable in /proc/PID/cmdline, and secrets are in the environment.
        argv += ["--cap-drop", "ALL"]
        task = list(command.argv)
        if plan.egress is not None:
            if plan.egress.plan.privileged_ports:
                argv += ["--cap-add", "CAP_NET_BIND_SERVICE", "--cap-add", "CAP_SETPCAP"]
            task = plan.egress.launcher(task)
        argv += ["--seccomp", str(bpf_fd), "--", *task]
        return argv

    def _make_cgroups(self, cgroups: _Cgroups, plan: _Plan, limits: Limits) -> None:
        """Create the run's cgroups and write their limits."""
        run_id = uuid.uuid4().hex[:16]
        if plan.memory_cgroup and limits.memory_mb is not None:
            parent = cgroup_parent("memory", self.cgroup_root)
            assert parent is not None
            path = parent / run_id
            path.mkdir(parents=True)
            cgroups.dirs["memory"] = path
            size = str(limits.memory_mb << 20)
            (path / "memory.limit_in_bytes").write_text(size)
            if (path / "memory.memsw.limit_in_bytes").exists():
                # Memory plus swap at the same figure: the task cannot spill into swap.
                (path / "memory.memsw.limit_in_bytes").write_text(size)
        if plan.pids_cgroup:
            parent = cgroup_parent("pids", self.cgroup_root)
            assert parent is not None
            path = parent / run_id
            path.mkdir(parents=True)
            cgroups.dirs["pids"] = path
            if limits.processes is not None:
                (path / "pids.max").write_text(str(limits.processes))

    def _execute(
        self,
        argv: list[str],
        bpf_fd: int,
        limits: Limits,
        plan: _Plan,
        cgroups: _Cgroups,
        started: float,
    ) -> CommandResult:
        """Start bwrap, pump its output under the caps, enforce the wall time, classify the end."""
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(bpf_fd,),
            start_new_session=True,
            # preexec only writes cgroup.procs and calls setrlimit: no locks a thread could hold.
            preexec_fn=_preexec(cgroups.procs_files(), plan.rlimits),  # noqa: PLW1509
            env=plan.env,
        )
        deadline = None if limits.wall_seconds is None else started + limits.wall_seconds
        out, err = CappedStream(limits.output_bytes), CappedStream(limits.output_bytes)
        timed_out = _pump(process, {"out": out, "err": err}, deadline)
        if timed_out:
            _kill_tree(process, cgroups)
        else:
            remaining = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            try:
                process.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                timed_out = True
                _kill_tree(process, cgroups)
        duration_ms = (time.monotonic() - started) * 1000
        return _classify(process.returncode, timed_out, limits, cgroups, out, err, duration_ms)


def _under(path: str, directory: str) -> bool:
    """Return whether ``path`` is ``directory`` or inside it."""
    return path == directory or path.startswith(directory.rstrip("/") + "/")


def _lowered(which: int, soft: int, slack: int) -> tuple[int, int]:
    """Return (soft, hard) for ``which`` at ``soft`` (+``slack`` hard), never above today's hard.

    Root here lacks CAP_SYS_RESOURCE: a limit can be lowered, not raised.
    """
    _, hard = resource.getrlimit(which)
    if hard == resource.RLIM_INFINITY:
        return soft, soft + slack
    return min(soft, hard), min(soft + slack, hard)


def _processes_of(uid: int) -> int:
    """Return how many processes ``uid`` runs now (RLIMIT_NPROC counts them all)."""
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                count += entry.stat().st_uid == uid
    return count


def _preexec(
    procs_files: list[str], rlimits: list[tuple[int, tuple[int, int]]]
) -> Callable[[], None] | None:
    """Return the child's pre-exec step: join the run's cgroups, lower the rlimits (or None)."""
    if not procs_files and not rlimits:
        return None  # lets subprocess use vfork/posix_spawn: about 2 ms less per command

    def step() -> None:
        pid = str(os.getpid())
        for path in procs_files:
            with open(path, "w") as handle:
                handle.write(pid)
        for which, limit in rlimits:
            resource.setrlimit(which, limit)

    return step


@contextlib.contextmanager
def _seccomp_fd(command: CommandSpec) -> Iterator[int]:
    """Yield an fd holding the BPF filter for the run (closed afterwards)."""
    fd = seccomp.filter_fd(command.guards.network)
    try:
        yield fd
    finally:
        os.close(fd)


def _pump(
    process: subprocess.Popen[bytes], sinks: dict[str, CappedStream], deadline: float | None
) -> bool:
    """Read stdout and stderr to EOF into their caps; return True when ``deadline`` passed first."""
    assert process.stdout is not None
    assert process.stderr is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ, sinks["out"])
    selector.register(process.stderr, selectors.EVENT_READ, sinks["err"])
    try:
        while selector.get_map():
            timeout = None if deadline is None else deadline - time.monotonic()
            if timeout is not None and timeout <= 0:
                return True
            for key, _ in selector.select(timeout):
                chunk = os.read(key.fd, _READ_CHUNK)
                if chunk:
                    key.data.feed(chunk)
                else:
                    selector.unregister(key.fileobj)
        return False
    finally:
        selector.close()
        process.stdout.close()
        process.stderr.close()


def _kill_tree(process: subprocess.Popen[bytes], cgroups: _Cgroups) -> None:
    """Kill bwrap and every process under it; return once they are all gone.

    bwrap's child is the sandbox's pid 1: the kernel kills the whole pid namespace when it
    dies, and it only exits (turns zombie) after every other process there is gone. So waiting
    for it to leave is waiting for the whole tree, forks racing the kill included.
    """
    tree = _descendants(process.pid)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    for pid, _ in tree:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + _REAP_SECONDS
    while any(_alive(pid, start) for pid, start in tree) and time.monotonic() < deadline:
        time.sleep(0.005)  # the kernel is tearing the namespace down; bounded by the deadline
    cgroups.kill_all(deadline)


def _start_time(pid: int) -> int | None:
    """Return a process's start time in ticks (tells a pid from its reuse), or None if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] in {"Z", "X"}:
        return None  # a zombie holds no resources and runs nothing
    return int(fields[19])


def _alive(pid: int, start: int) -> bool:
    """Return whether the process ``pid`` that started at ``start`` still runs."""
    return _start_time(pid) == start


def _descendants(root: int) -> list[tuple[int, int]]:
    """Return (pid, start time) of every process under ``root``, from /proc's children lists."""
    found: list[tuple[int, int]] = []
    pending = [root]
    while pending:
        pid = pending.pop()
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                start = _start_time(child)
                if start is not None:
                    found.append((child, start))
                    pending.append(child)
    return found


def _classify(
    returncode: int,
    timed_out: bool,
    limits: Limits,
    cgroups: _Cgroups,
    out: CappedStream,
    err: CappedStream,
    duration_ms: float,
) -> CommandResult:
    """Turn bwrap's exit and the cgroups' counters into a status and violations."""
    violations: list[tuple[str, str]] = []
    # bwrap exits 128+N when the command died of signal N; negative means bwrap itself did.
    signal_number = -returncode if returncode < 0 else returncode - 128 if returncode > 128 else 0
    oom_kills = _field(cgroups.read("memory", "memory.oom_control"), "oom_kill")
    pids_max_hits = _field(cgroups.read("pids", "pids.events"), "max")
    if timed_out:
        status = "timeout"
        violations.append(
            ("wall_time", f"ran past {limits.wall_seconds}s; the whole process tree was killed")
        )
    elif oom_kills:
        status = "oom"
    elif signal_number in {signal.SIGKILL, signal.SIGXCPU}:
        status = "killed"
    else:
        status = "ok" if returncode == 0 else "failed"
    if oom_kills:
        violations.append(
            ("memory", f"{limits.memory_mb} MB exceeded: {oom_kills} process(es) OOM-killed")
        )
    if pids_max_hits:
        violations.append(
            ("processes", f"pids.max {limits.processes} reached: {pids_max_hits} fork(s) refused")
        )
    if signal_number == signal.SIGXCPU and limits.cpu_seconds is not None:
        violations.append(("cpu", f"RLIMIT_CPU {limits.cpu_seconds}s exceeded (SIGXCPU)"))
    exit_code = None if timed_out else returncode
    return command_result(status, exit_code, duration_ms, out, err, limits, violations)


def _field(text: str, name: str) -> int:
    """Return the integer after ``name`` in a "key value" per line control file (0 if absent)."""
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if key == name and value.strip().isdigit():
            return int(value)
    return 0
