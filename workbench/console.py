"""Terminal output: a progress bar on a terminal, silence elsewhere."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

__all__ = ["is_terminal", "progress", "track"]

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


@contextmanager
def progress(description: str, *, total: float) -> Iterator[Callable[..., None]]:
    """Yield ``done(line, amount=1)``: ``amount`` of ``total`` finished, ``line`` saying what.

    On a terminal a rich progress bar counts toward ``total`` and the lines print above it;
    elsewhere each line is printed plainly, as a log would have it.
    """
    if not is_terminal():
        yield lambda line, amount=1: print(line, flush=True)
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task(description, total=total)

        def done(line: str, amount: float = 1) -> None:
            bar.console.print(line, highlight=False, markup=False)
            bar.advance(task, amount)

        yield done
