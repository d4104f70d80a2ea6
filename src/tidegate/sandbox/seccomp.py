"""The sandbox's seccomp filter: default allow, EPERM for escapes and kernel-level operations.

Built with pyseccomp (ctypes over libseccomp) and exported as classic BPF, the format
``bwrap --seccomp FD`` loads. Without pyseccomp or libseccomp the seccomp guard is unavailable
and a run that needs it is refused (fail closed); nothing falls back to running unfiltered.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os
import socket
from typing import Any

from tidegate.sandbox.backend import GuardUnavailable

# Denied in every sandbox: tracing other processes, the mount table, loading code into the
# kernel, kernel keyrings, and (un)sharing namespaces (the sandbox's namespaces are final).
DENIED_SYSCALLS: tuple[str, ...] = (
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "mount",
    "umount2",
    "pivot_root",
    "move_mount",
    "open_tree",
    "fsopen",
    "fsmount",
    "fsconfig",
    "fspick",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "bpf",
    "perf_event_open",
    "keyctl",
    "add_key",
    "request_key",
    "reboot",
    "swapon",
    "swapoff",
    "unshare",
    "setns",
    "acct",
    "userfaultfd",
    # io_uring can open sockets (IORING_OP_SOCKET) without the socket() syscall, so the
    # family filter below would not see them.
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
)

# clone() can create namespaces as well as unshare() can: refuse any CLONE_NEW* flag.
_CLONE_NAMESPACE_FLAGS = (
    0x00020000,  # CLONE_NEWNS
    0x02000000,  # CLONE_NEWCGROUP
    0x04000000,  # CLONE_NEWUTS
    0x08000000,  # CLONE_NEWIPC
    0x10000000,  # CLONE_NEWUSER
    0x20000000,  # CLONE_NEWPID
    0x40000000,  # CLONE_NEWNET
    0x00000080,  # CLONE_NEWTIME
)


SOCKET_FAMILIES: dict[str, tuple[int, ...]] = {
    "none": (socket.AF_UNIX,),
    # An allow-list's sandbox still has only loopback: IP sockets reach the forwarder's
    # listeners and nothing else. Netlink, packet, vsock and the rest stay denied.
    "allow": (socket.AF_UNIX, socket.AF_INET, socket.AF_INET6),
}
AF_MAX = 46  # one past the highest address family Linux defines (AF_MCTP is 45)


def denied_families(network: str) -> tuple[int, ...]:
    """Return the socket families below AF_MAX that ``network`` denies (all from AF_MAX up too)."""
    allowed = SOCKET_FAMILIES[network]
    return tuple(family for family in range(AF_MAX) if family not in allowed)


def _pyseccomp() -> Any:
    """Import pyseccomp, or raise GuardUnavailable when it or libseccomp is missing."""
    try:
        import pyseccomp  # type: ignore[import-untyped]  # noqa: PLC0415  (optional, loaded on use)
    except (ImportError, RuntimeError, OSError) as exc:
        raise GuardUnavailable(
            f"guard 'seccomp' is unavailable: pyseccomp/libseccomp cannot be loaded ({exc})",
            guard="seccomp",
            hint="install libseccomp2 (apt) and pyseccomp (pip), or see `tidegate doctor`",
        ) from exc
    return pyseccomp


def denied_syscalls(network: str) -> tuple[str, ...]:
    """Return the syscalls the filter denies outright for ``network`` (socket is filtered by family)."""
    del network  # every network mode gets the same outright denials; socket() depends on it
    return DENIED_SYSCALLS


@functools.lru_cache(maxsize=4)
def filter_bpf(network: str) -> bytes:
    """Return the compiled BPF program for ``network``: sockets limited to its SOCKET_FAMILIES."""
    sc = _pyseccomp()
    eperm = sc.ERRNO(errno.EPERM)
    filt = sc.SyscallFilter(sc.ALLOW)
    for name in DENIED_SYSCALLS:
        if sc.resolve_syscall(sc.Arch.NATIVE, name) < 0:
            continue  # not a syscall on this architecture: nothing to deny
        filt.add_rule(eperm, name)
    for flag in _CLONE_NAMESPACE_FLAGS:
        filt.add_rule(eperm, "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    # clone3 passes its flags in memory a filter cannot read: ENOSYS makes libc fall back to
    # clone(), whose flags the rules above do see (Docker's default profile does the same).
    filt.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    if network == "none":
        filt.add_rule(eperm, "socket", sc.Arg(0, sc.NE, socket.AF_UNIX))
    else:
        for family in denied_families(network):
            filt.add_rule(eperm, "socket", sc.Arg(0, sc.EQ, family))
        filt.add_rule(eperm, "socket", sc.Arg(0, sc.GE, AF_MAX))
    # A memfd rather than a pipe: export writes the whole program before anything reads it.
    fd = os.memfd_create("tidegate-seccomp-build", os.MFD_CLOEXEC)
    with os.fdopen(fd, "w+b") as buffer:
        filt.export_bpf(buffer)
        buffer.seek(0)
        return buffer.read()


def filter_fd(network: str) -> int:
    """Return a readable fd positioned at the start of the BPF program (the caller closes it)."""
    program = filter_bpf(network)
    fd = os.memfd_create("tidegate-seccomp", os.MFD_CLOEXEC)
    try:
        os.write(fd, program)
        os.lseek(fd, 0, os.SEEK_SET)
    except OSError:
        os.close(fd)
        raise
    return fd


def library_version() -> str:
    """Return "pyseccomp X (libseccomp A.B.C)" for provenance, or "unavailable"."""
    try:
        sc = _pyseccomp()
    except GuardUnavailable:
        return "unavailable"
    native: Any = getattr(sc, "_libseccomp", None)  # pyseccomp's own handle on the C library
    try:
        native.seccomp_version.restype = ctypes.POINTER(ctypes.c_uint * 3)
        major, minor, micro = native.seccomp_version().contents
        library = f"libseccomp {major}.{minor}.{micro}"
    except (AttributeError, TypeError, ValueError, OSError):
        library = "libseccomp (version unknown)"
    return f"pyseccomp {getattr(sc, '__version__', '?')} ({library})"


def available() -> tuple[bool, str]:
    """Return whether the filter can be built here, and why not."""
    try:
        size = len(filter_bpf("none"))
    except GuardUnavailable as exc:
        return False, exc.message
    except OSError as exc:
        return False, f"libseccomp failed to build the filter: {exc}"
    return True, f"pyseccomp + libseccomp: {size // 8} BPF instructions"
