"""Terminal output for long work: a progress bar on a terminal, plain lines elsewhere.

Every front door reports through one keyword, ``progress``, a callable that receives
:class:`rlx_lib.results.Progress`; :func:`reporting` makes that callable for a command.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rlx_lib.results import Progress, ProgressCallback

__all__ = ["is_terminal", "reporting"]


def is_terminal() -> bool:
    """True when standard error is an interactive terminal."""
    return sys.stderr.isatty()


@contextmanager
def reporting(
    description: str, *, lines: bool = True, err: bool = False
) -> Iterator[ProgressCallback]:
    """Yield a ``progress`` callback for a front door.

    On a terminal a rich bar shows each step's ``done`` of its ``total`` (a new total starts
    the bar over) and, with ``lines``, prints each step's text above it. Elsewhere each text is
    printed as a plain line (on standard error with ``err``), as a log would have it.
    """
    stream = sys.stderr if err else sys.stdout
    if not is_terminal():
        yield (lambda step: print(step.text, file=stream, flush=True)) if lines else _quiet
        return
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TimeElapsedColumn

    columns = ("{task.description}", BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task(description, total=None)

        def show(step: Progress) -> None:
            if lines and step.text:
                bar.console.print(step.text, highlight=False, markup=False)
            bar.update(task, completed=step.done, total=step.total)

        yield show


def _quiet(step: Progress) -> None:
    """Report nothing (a command that prints its own summary when it ends)."""
