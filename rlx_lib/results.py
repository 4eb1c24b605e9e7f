"""The shape every stage's result shares: one row per unit of work, a table, an HTML view.

A stage's front door (``reconstruct``, ``validate``, ...) returns a frozen subclass of
:class:`StageResult`. Its ``rows`` are dataclasses (or plain dicts); a row whose ``status`` is
``"failed"`` marks a unit that did not finish. ``to_frame()`` gives the rows as a Polars table
and ``_repr_html_()`` lets a notebook cell show them. Long work reports as it goes through
one keyword, ``progress``: a callable that receives a :class:`Progress`.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

__all__ = ["Progress", "ProgressCallback", "StageResult", "row_dict"]


@dataclass(frozen=True)
class Progress:
    """One step of a stage's work, as told to its ``progress`` callback."""

    stage: str  # "reconstruct", "validate", ...
    unit: str  # what is being worked on: "BTC-USDT 2024-08-08", a file name, a metric
    done: float  # how much is done, in the units of ``total``
    total: float | None = None  # how much there is, when known
    text: str = ""  # one line for a person

    @property
    def share(self) -> float | None:
        """``done / total`` when the total is known and positive."""
        return self.done / self.total if self.total else None


ProgressCallback = Callable[[Progress], None]
"""The type of every front door's ``progress`` keyword."""


def row_dict(row: Any) -> dict[str, Any]:
    """One row as a dict (dataclass rows by their fields)."""
    if dataclasses.is_dataclass(row) and not isinstance(row, type):
        return {f.name: getattr(row, f.name) for f in dataclasses.fields(row)}
    return dict(row)


@dataclass(frozen=True)
class StageResult:
    """Rows of one stage's run, one per unit (a symbol-day, a file, a policy ...)."""

    rows: tuple[Any, ...] = field(default_factory=tuple)

    @property
    def failed(self) -> list[Any]:
        """The rows whose status is ``"failed"``."""
        return [row for row in self.rows if row_dict(row).get("status") == "failed"]

    @property
    def ok(self) -> bool:
        """Whether every unit succeeded."""
        return not self.failed

    def to_frame(self) -> pl.DataFrame:
        """The rows as a table (nested values as text)."""
        flat = [{k: _flat(v) for k, v in row_dict(row).items()} for row in self.rows]
        return pl.DataFrame(flat, infer_schema_length=None)

    def _repr_html_(self) -> str:
        frame = self.to_frame()
        head = "".join(f"<th>{html.escape(c)}</th>" for c in frame.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(_text(v))}</td>" for v in row) + "</tr>"
            for row in frame.iter_rows()
        )
        name = html.escape(type(self).__name__)
        verdict = "ok" if self.ok else f"{len(self.failed)} failed"
        return f"<p><b>{name}</b> ({verdict})</p><table><tr>{head}</tr>{body}</table>"


def _flat(value: Any) -> Any:
    if isinstance(value, dict | list | tuple | set):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return str(row_dict(value))
    return value


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else str(value)
