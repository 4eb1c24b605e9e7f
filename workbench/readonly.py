"""A read-only view of the data root, the only file system ``rlx sql`` lets DuckDB reach.

DuckDB's own settings cannot make a folder read-only: ``allowed_directories`` grants writes
as well as reads, so ``COPY ... TO '<data-root>/...'`` would replace a dataset file. Instead
DuckDB's local file system is disabled and the data root is served under ``rlxdata://`` by
:class:`ReadOnlyRoot`, which can list, stat and read files below the root and nothing else:
opening for writing raises, removing, moving and copying are not implemented, and a path
that resolves outside the root (``..``, a symbolic link) is refused.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
import threading
from pathlib import Path
from typing import Any

from fsspec.spec import AbstractFileSystem

__all__ = ["PROTOCOL", "ReadOnlyRoot", "url"]

PROTOCOL = "rlxdata"


def url(relative: str) -> str:
    """The ``rlxdata://`` address of a path relative to the data root."""
    return f"{PROTOCOL}://{relative}"


class _Reader:
    """A read-only file whose ``seek`` then ``read`` from one thread is one positional read.

    DuckDB reads one file from several threads, each as ``seek(offset)`` then ``read(n)``;
    the offset a thread asked for is kept per thread, so another thread's seek in between
    cannot move it. A ``read`` without a ``seek`` continues from the end of the last read.
    """

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_RDONLY)
        self._size = os.fstat(self._fd).st_size
        self._asked = threading.local()
        self._lock = threading.Lock()
        self._position = 0
        self.closed = False

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._position, os.SEEK_END: self._size}[whence]
        self._asked.offset = base + offset
        return base + offset

    def tell(self) -> int:
        offset = getattr(self._asked, "offset", None)
        return self._position if offset is None else offset

    def read(self, size: int = -1) -> bytes:
        with self._lock:
            offset = getattr(self._asked, "offset", None)
            self._asked.offset = None
            start = self._position if offset is None else offset
            count = self._size - start if size is None or size < 0 else size
            self._position = start + count
        return os.pread(self._fd, max(count, 0), start)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def writable(self) -> bool:
        return False

    def close(self) -> None:
        if not self.closed:
            os.close(self._fd)
            self.closed = True

    def __enter__(self) -> _Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ReadOnlyRoot(AbstractFileSystem):
    """``rlxdata://<relative path>``: the files under one folder, for reading only."""

    protocol = PROTOCOL
    root_marker = ""
    cachable = False

    def __init__(self, root: Path, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.root = Path(root).resolve()

    def _local(self, path: str) -> Path:
        relative = self._strip_protocol(path).lstrip("/")
        full = (self.root / relative).resolve()
        if full != self.root and self.root not in full.parents:
            msg = f"outside the data root: {path}"
            raise PermissionError(msg)
        return full

    def _entry(self, full: Path) -> dict[str, Any]:
        status = full.stat()
        name = full.relative_to(self.root).as_posix()
        kind = "directory" if stat.S_ISDIR(status.st_mode) else "file"
        return {
            "name": "" if name == "." else name,
            "size": status.st_size,
            "type": kind,
            "mtime": status.st_mtime,
        }

    def ls(self, path: str, detail: bool = True, **kwargs: Any) -> list[Any]:
        full = self._local(path)
        children = sorted(full.iterdir()) if full.is_dir() else [full]
        entries = [self._entry(child) for child in children]
        return entries if detail else [entry["name"] for entry in entries]

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        full = self._local(path)
        if not full.exists():
            raise FileNotFoundError(path)
        return self._entry(full)

    def modified(self, path: str) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.info(path)["mtime"], tz=dt.UTC)

    def _open(self, path: str, mode: str = "rb", **kwargs: Any) -> _Reader:  # type: ignore[override]
        if mode != "rb":
            msg = f"the data root is read-only: {path}"
            raise PermissionError(msg)
        return _Reader(self._local(path))
