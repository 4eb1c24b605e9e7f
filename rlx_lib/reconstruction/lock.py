"""One run per symbol-day: a lock file holding the owner's host and pid.

A second run on the same symbol-day is refused with the holder's pid. A lock left by a process
that is gone (same host, pid not running) is taken over.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path

from rlx_lib.errors import StageError

__all__ = ["day_lock"]


def _holder(path: Path) -> tuple[str, int] | None:
    """``(host, pid)`` written in a lock file, or None when it is gone or unreadable."""
    try:
        host, _, pid = path.read_text(encoding="utf-8").strip().rpartition(" ")
        return host, int(pid)
    except (OSError, ValueError):
        return None


def _alive(host: str, pid: int) -> bool:
    """Whether the holder may still run (a pid on another host cannot be checked: yes)."""
    if host != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _acquire(path: Path, me: str) -> bool:
    """Create the lock with its content in one step (a hard link fails when it exists)."""
    temp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temp.write_text(me, encoding="utf-8")
    try:
        os.link(temp, path)
    except FileExistsError:
        return False
    finally:
        temp.unlink(missing_ok=True)
    return True


@contextlib.contextmanager
def day_lock(path: Path, unit: str) -> Iterator[None]:
    """Hold ``path`` while the block runs; refuse with the holder's pid when it is held."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    me = f"{socket.gethostname()} {os.getpid()}"
    while not _acquire(path, me):
        holder = _holder(path)
        if holder is not None and _alive(*holder):
            host, pid = holder
            msg = f"{unit} is being reconstructed by process {pid} on {host} (lock {path})"
            raise StageError(msg)
        if _holder(path) == holder:  # its process is gone (or the file is unreadable)
            path.unlink(missing_ok=True)
    try:
        yield
    finally:
        if _holder(path) == (socket.gethostname(), os.getpid()):
            path.unlink(missing_ok=True)
