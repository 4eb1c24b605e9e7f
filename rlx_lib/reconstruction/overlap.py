"""Lanes: a segment's encoding and writing on background threads while the next one is rebuilt.

The book kernel releases the GIL, and so do Arrow's Parquet encoder and the file writes, so
a second core can encode and write segment ``k`` while the first rebuilds segment ``k + 1``.
Work goes to named lanes, one thread each; a lane runs its jobs in the order they were
submitted, so each file is written in the same order as on one thread, byte for byte. At
most ``depth`` jobs wait or run per lane: a submit blocks until the oldest one is done, which
bounds memory to that many segments in flight. With ``threaded=False`` every job runs at once
on the caller's thread (the one-core path). A job's error is raised in the caller, at the next
submit to its lane or at :meth:`Lanes.close`.
"""

from __future__ import annotations

import collections
import concurrent.futures
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["Lanes"]


class Lanes:
    """Background writers, one thread per lane name; use as a context manager."""

    def __init__(self, names: Iterable[str], *, threaded: bool = True, depth: int = 1) -> None:
        if depth < 1:
            msg = f"depth must be at least 1, received {depth}"
            raise ValueError(msg)
        self._depth = depth
        self._pending: dict[str, collections.deque] = {name: collections.deque() for name in names}
        self._executors = (
            {
                name: concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix=f"rlx-{name}")
                for name in self._pending
            }
            if threaded
            else {}
        )

    def submit(self, lane: str, job: Callable[..., Any], *args: Any) -> None:
        """Run ``job(*args)`` on ``lane`` after the jobs submitted to it before."""
        if not self._executors:
            job(*args)
            return
        pending = self._pending[lane]
        while len(pending) >= self._depth:
            pending.popleft().result()
        pending.append(self._executors[lane].submit(job, *args))

    def close(self) -> None:
        """Wait for every job; raise the first error."""
        try:
            for pending in self._pending.values():
                while pending:
                    pending.popleft().result()
        finally:
            self._shutdown()

    def _shutdown(self) -> None:
        for executor in self._executors.values():
            executor.shutdown(wait=True, cancel_futures=True)
        self._executors = {}

    def __enter__(self) -> Lanes:
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if kind is None:
            self.close()
        else:
            self._shutdown()  # the caller's error wins; jobs not yet started are dropped
