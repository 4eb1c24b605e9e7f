"""Checkpoints: the book and the replay position, saved atomically so a run can resume.

Two kinds share one format (``.npz``: the book's levels as int64 arrays plus a JSON header):

- *progress* checkpoints in a day's work folder after every segment, so ``--resume`` continues
  from the last one instead of the start of the day;
- the *final* state of a symbol-day under ``<root>/_checkpoints/reconstruct/<source>/``, which
  seeds the next day so the book carries across midnight.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np

from rlx_lib import catalog
from rlx_lib.errors import CorruptFileError
from rlx_lib.reconstruction.book import L2Book

__all__ = ["final_state_path", "load_checkpoint", "read_header", "save_checkpoint", "work_folder"]

_LEVELS = ("bid_price", "bid_size", "ask_price", "ask_size")


def work_folder(root: Path, *, source: str, symbol: str, day: dt.date) -> Path:
    """Where a symbol-day's segments and progress checkpoint live until it is finished."""
    catalog.validate_symbol(symbol)
    return Path(root) / "_work" / "reconstruct" / source / symbol / day.isoformat()


def final_state_path(root: Path, *, source: str, symbol: str, day: dt.date) -> Path:
    """The book at the end of a symbol-day."""
    catalog.validate_symbol(symbol)
    return Path(root) / "_checkpoints" / "reconstruct" / source / symbol / f"{day.isoformat()}.npz"


def save_checkpoint(
    path: Path,
    book: L2Book | dict[str, np.ndarray],
    header: dict[str, Any],
    **arrays: np.ndarray,
) -> None:
    """Save the book's levels (or its :meth:`~L2Book.snapshot_arrays`), a JSON ``header`` and
    extra arrays atomically."""
    levels = book if isinstance(book, dict) else book.snapshot_arrays()
    payload = {**levels, **arrays}
    header_bytes = np.frombuffer(json.dumps(header, sort_keys=True).encode(), dtype=np.uint8)
    with catalog.atomic_path(Path(path)) as temp, open(temp, "wb") as handle:
        np.savez(handle, header=header_bytes, **payload)


def read_header(path: Path) -> dict[str, Any]:
    """The JSON header of a checkpoint alone (the book is not rebuilt)."""
    try:
        with np.load(Path(path)) as data:
            return json.loads(bytes(data["header"]).decode())
    except (OSError, ValueError, KeyError) as error:
        msg = f"checkpoint {path} cannot be read: {error}"
        raise CorruptFileError(msg) from None


def load_checkpoint(path: Path) -> tuple[L2Book, dict[str, Any], dict[str, np.ndarray]]:
    """Load ``(book, header, extra arrays)``; a damaged file is a :class:`CorruptFileError`."""
    header = read_header(path)
    try:
        with np.load(Path(path)) as data:
            levels = {name: data[name] for name in _LEVELS}
            extra = {k: data[k] for k in data.files if k not in _LEVELS and k != "header"}
    except (OSError, ValueError, KeyError) as error:
        msg = f"checkpoint {path} cannot be read: {error}"
        raise CorruptFileError(msg) from None
    return L2Book.from_arrays(levels), header, extra
