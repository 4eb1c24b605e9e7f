"""The validation report: ``validation.json``, a readable ``validation.md`` and ``ISSUE`` rows.

``validation.json`` holds, under ``symbols`` keyed by Binance symbol (``ETHUSDT``), DESIGN's
fields (``depth_messages``, ``depth_gaps``, ``trade_messages``, ``trade_id_gaps``,
``out_of_order``, ``duplicates``, ``snapshots``, ``book_ticker_checks``,
``book_ticker_agreement`` (null with ``book_ticker_note`` when it cannot be computed),
``first_origin_time``, ``last_origin_time``) followed by extra detail; USD-M futures go under
``futures_symbols`` (same fields, checked under the ``pu`` rule); vendor checks go under
``lake``. Issue rows go to ``issues/exchange=../symbol=../dt=../part-validation.parquet``.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from rlx_lib.catalog import atomic_path, exchange_of, lake_symbol, partition_dir, write_parquet
from rlx_lib.schemas import ISSUE, check_schema, empty_frame
from rlx_lib.validation.checks import GoldenValidator
from rlx_lib.validation.state import state_summary

__all__ = ["GAP_FIELDS", "ISSUES_FILE", "ValidationReport", "issues_frame"]

ISSUES_FILE = "part-validation.parquet"
GAP_FIELDS = ("depth_gaps", "trade_id_gaps", "agg_trade_id_gaps")
"""Fields that ``--strict`` treats as failures when above zero."""


def issues_frame(rows: Iterable[dict[str, Any]]) -> pl.DataFrame:
    """Issue rows as a frame that follows ``schemas.ISSUE`` exactly."""
    frame = pl.DataFrame(
        list(rows),
        schema={
            name: (pl.Int64 if name == "origin_time" else kind) for name, kind in ISSUE.items()
        },
        strict=False,
    )
    frame = frame.with_columns(pl.col("origin_time").cast(ISSUE["origin_time"]))
    check_schema(frame, ISSUE, name="validation issues")
    return frame


@dataclass
class ValidationReport:
    """What validation found: per-symbol summaries, vendor checks and the issue rows."""

    symbols: dict[str, dict[str, Any]] = field(default_factory=dict)
    futures_symbols: dict[str, dict[str, Any]] = field(default_factory=dict)
    lake: dict[str, dict[str, Any]] = field(default_factory=dict)
    issues: pl.DataFrame = field(default_factory=lambda: empty_frame("issues"))
    files: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_validator(cls, validator: GoldenValidator) -> ValidationReport:
        """Summarise a finished :class:`GoldenValidator`."""
        validator.finish()
        return cls(
            symbols={
                name: state_summary(validator.states[name]) for name in sorted(validator.states)
            },
            futures_symbols={
                name: state_summary(validator.futures_states[name])
                for name in sorted(validator.futures_states)
            },
            issues=issues_frame(validator.issues),
            files=[
                {
                    "path": r.path,
                    "lines": r.lines,
                    "bad_lines": len(r.bad_lines),
                    "truncated": r.truncated,
                    "damaged": [text for _, text in r.damaged],
                }
                for r in validator.reports
            ],
        )

    @property
    def gaps(self) -> int:
        """Every sequence gap found (depth, trade and aggregate-trade ids, vendor trades)."""
        golden = sum(
            s.get(name, 0) or 0
            for s in [*self.symbols.values(), *self.futures_symbols.values()]
            for name in GAP_FIELDS
        )
        vendor = sum(s.get("trade_id_gaps", 0) or 0 for s in self.lake.values())
        return golden + vendor

    @property
    def errors(self) -> int:
        """Issue rows of severity ``error`` (damaged, truncated or empty files, bad lines, ...)."""
        return int((self.issues["severity"] == "error").sum())

    def to_dict(self) -> dict[str, Any]:
        """The ``validation.json`` content."""
        counts = Counter(self.issues["check"].to_list())
        return {
            "symbols": self.symbols,
            "futures_symbols": self.futures_symbols,
            "lake": self.lake,
            "files": self.files,
            "issues": dict(sorted(counts.items())),
            "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }

    def write(self, out: Path) -> Path:
        """Write ``validation.json`` and ``validation.md`` into ``out``; return the json path."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        target = out / "validation.json"
        with atomic_path(target) as temp:
            temp.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        with atomic_path(out / "validation.md") as temp:
            temp.write_text(self.to_markdown(), encoding="utf-8")
        return target

    def write_issues(
        self, root: Path, *, exchange: str | None = None, force: bool = False
    ) -> list[Path]:
        """Write issue rows per symbol and exchange day (rows without a time go to the symbol's
        first day); futures rows (``BTC-USDT-PERP``) go under ``BINANCE_FUTURES``."""
        written = []
        frame = self.issues.filter(pl.col("symbol").str.contains(r"^[A-Z0-9]+$|^[A-Z0-9-]+-PERP$"))
        for (symbol,), rows in frame.group_by("symbol", maintain_order=True):
            first = rows["origin_time"].drop_nulls().min()
            fallback = first.date() if first is not None else dt.date(1970, 1, 1)
            rows = rows.with_columns(
                pl.col("origin_time").dt.date().fill_null(fallback).alias("_day")
            )
            for (day,), part in rows.group_by("_day", maintain_order=True):
                name = lake_symbol(str(symbol))
                folder = partition_dir(
                    root, "issues", exchange=exchange or exchange_of(name), symbol=name, day=day
                )
                path = folder / ISSUES_FILE
                write_parquet(part.drop("_day"), path, force=force)
                written.append(path)
        return written

    def to_markdown(self) -> str:
        """A readable summary: one table row per symbol, then the issue counts."""
        lines = ["# Validation report", ""]
        if self.symbols or self.futures_symbols:
            lines += [
                "| symbol | depth msgs | depth gaps | trades | trade-id gaps | out of order | "
                "duplicates | snapshots | bookTicker checks | agreement | first | last |",
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
            ]
            for name, s in self.all_symbols():
                agreement = s["book_ticker_agreement"]
                shown = (
                    f"{agreement:.6f}"
                    if agreement is not None
                    else f"n/a ({s['book_ticker_note']})"
                )
                lines.append(
                    f"| {name} | {s['depth_messages']} | {s['depth_gaps']} | "
                    f"{s['trade_messages']} | "
                    f"{s['trade_id_gaps']} | {s['out_of_order']} | {s['duplicates']} | "
                    f"{s['snapshots']} | {s['book_ticker_checks']} | {shown} | "
                    f"{s['first_origin_time']} | {s['last_origin_time']} |"
                )
            lines.append("")
        if self.lake:
            lines += ["## Vendor (Crypto Lake) data", ""]
            for name, s in self.lake.items():
                facts = ", ".join(
                    f"{k} {v}" for k, v in s.items() if not isinstance(v, dict | list)
                )
                lines.append(f"- **{name}**: {facts}")
            lines.append("")
        counts = Counter(zip(self.issues["check"], self.issues["severity"], strict=True))
        lines += ["## Issues", ""]
        if not counts:
            lines.append("No issues found.")
        for (check, severity), n in sorted(counts.items()):
            lines.append(f"- {check} ({severity}): {n}")
        examples = self.issues.filter(pl.col("severity") != "info").head(20)
        if examples.height:
            lines += ["", "## First findings", ""]
            for row in examples.iter_rows(named=True):
                where = f"{Path(row['source']).name}:{row['position']}" if row["source"] else "-"
                lines.append(f"- `{row['check']}` {row['symbol']} at {where}: {row['detail']}")
        return "\n".join(lines) + "\n"

    def all_symbols(self) -> list[tuple[str, dict[str, Any]]]:
        """Spot symbols by Binance name, then futures ones by Lake's ``-PERP`` name."""
        futures = [(lake_symbol(n, market="usdm"), s) for n, s in self.futures_symbols.items()]
        return [*self.symbols.items(), *futures]

    def _repr_html_(self) -> str:
        rows = []
        for name, s in self.all_symbols():
            agreement = s["book_ticker_agreement"]
            rows.append(
                "<tr>"
                + "".join(
                    f"<td>{html.escape(str(v))}</td>"
                    for v in (
                        name,
                        s["depth_messages"],
                        s["depth_gaps"],
                        s["trade_messages"],
                        s["trade_id_gaps"],
                        s["out_of_order"],
                        s["duplicates"],
                        s["snapshots"],
                        s["book_ticker_checks"],
                        f"{agreement:.6f}" if agreement is not None else "n/a",
                    )
                )
                + "</tr>"
            )
        head = "".join(
            f"<th>{h}</th>"
            for h in (
                "symbol",
                "depth msgs",
                "depth gaps",
                "trades",
                "trade-id gaps",
                "out of order",
                "duplicates",
                "snapshots",
                "bookTicker checks",
                "agreement",
            )
        )
        counts = Counter(self.issues["check"].to_list())
        issues = ", ".join(f"{html.escape(k)}: {v}" for k, v in sorted(counts.items())) or "none"
        return (
            f"<div><b>Validation</b>: {len(self.symbols)} symbols, {self.gaps} gaps; "
            f"issues: {issues}"
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
        )
