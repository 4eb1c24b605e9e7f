"""The shape shared by the RL stage's results: rows, a polars table, an HTML table."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import polars as pl

__all__ = ["RowsResult"]


@dataclass(frozen=True)
class RowsResult:
    """Rows of plain values (one dict each) with ``status`` ``"failed"`` marking failures."""

    rows: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    @property
    def failed(self) -> list[dict[str, Any]]:
        """The rows whose status is ``"failed"``."""
        return [row for row in self.rows if row.get("status") == "failed"]

    @property
    def ok(self) -> bool:
        """Whether every row succeeded."""
        return not self.failed

    def to_frame(self) -> pl.DataFrame:
        """The rows as a table (nested values as text)."""
        flat = [{k: _flat(v) for k, v in row.items()} for row in self.rows]
        return pl.DataFrame(flat, infer_schema_length=None)

    def _repr_html_(self) -> str:
        frame = self.to_frame()
        head = "".join(f"<th>{html.escape(c)}</th>" for c in frame.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(_text(v))}</td>" for v in row) + "</tr>"
            for row in frame.iter_rows()
        )
        name = html.escape(type(self).__name__)
        return f"<p><b>{name}</b></p><table><tr>{head}</tr>{body}</table>"


def _flat(value: Any) -> Any:
    return str(value) if isinstance(value, dict | list | tuple) else value


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else str(value)
