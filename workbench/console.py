"""Terminal output: a progress bar on a terminal, silence elsewhere."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

__all__ = ["is_terminal", "track"]

T = TypeVar("T")


def is_terminal() -> bool:
    """True when standard error is an interactive terminal."""
    return sys.stderr.isatty()


def track(items: Iterable[T], *, description: str, total: int | None = None) -> Iterator[T]:
    """Iterate ``items`` with a rich progress bar when on a terminal; plainly otherwise."""
    if not is_terminal():
        yield from items
        return
    from rich.progress import track as rich_track

    yield from rich_track(items, description=description, total=total, transient=True)
