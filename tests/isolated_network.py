"""Run a command in a network namespace of its own that has only a loopback interface.

``python tests/isolated_network.py pytest -q`` is how ``make test-python`` runs the suite:
every server and cluster a test starts can then be reached from this machine's loopback
only, whatever address it binds. Ray 2.60's C++ servers (GCS, raylets, core workers) bind
the wildcard address with no setting to change it; inside the namespace the wildcard is
loopback.

As root the namespace needs only ``CAP_SYS_ADMIN``; otherwise a user namespace that maps
the caller's own uid and gid (not root, so nothing inside believes it runs as root) grants
it. Where the kernel or a container refuses both, the command runs in the machine's network
and a line on stderr says so; ``VISIONLENS_TEST_NETWORK`` tells the tests which it was
(``isolated`` or ``shared``).
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import socket
import struct
import sys

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1
ENV = "VISIONLENS_TEST_NETWORK"


def _unshare(flags: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(flags) != 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))


def _map_own_ids(uid: int, gid: int) -> None:
    """Map the caller's uid and gid to themselves in the new user namespace."""
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"{uid} {uid} 1")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"{gid} {gid} 1")


def _loopback_up() -> None:
    """``ip link set lo up`` without iproute2 (a fresh machine may lack it); the kernel gives
    ``lo`` 127.0.0.1/8 when it comes up."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(s, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | IFF_UP))


def isolate() -> bool:
    """Move this (single-threaded) process into a new loopback-only network namespace.
    Returns False, changing nothing, where that is not allowed."""
    uid, gid = os.getuid(), os.getgid()
    attempts = [CLONE_NEWNET] if uid == 0 else []
    attempts.append(CLONE_NEWUSER | CLONE_NEWNET)  # also for a root without CAP_SYS_ADMIN
    for flags in attempts:
        try:
            _unshare(flags)
        except OSError as e:
            refusal = e
            continue
        # past this point the process is in the new namespace: a failure is fatal, since
        # going on would run the tests with no network at all
        if flags & CLONE_NEWUSER:
            _map_own_ids(uid, gid)
        _loopback_up()
        return True
    print(
        f"isolated_network: no network namespace ({refusal}); running in this machine's network",
        file=sys.stderr,
    )
    return False


def main(argv: list[str]) -> None:
    if not argv:
        sys.exit("usage: python tests/isolated_network.py COMMAND [ARG...]")
    os.environ[ENV] = "isolated" if isolate() else "shared"
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    main(sys.argv[1:])
