"""What ``evaluate`` returns: one row per metric per symbol, the verdict, and the alignments."""

from __future__ import annotations

import datetime as dt
import html
import json
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from rlx_lib.errors import ConfigError
from rlx_lib.fidelity.align import Aligned
from rlx_lib.fidelity.records import MetricRecord
from rlx_lib.fidelity.verdict import Verdict
from rlx_lib.results import StageResult
from rlx_lib.schemas import FIDELITY_RESULT, check_schema

__all__ = ["FidelityResult"]


@dataclass(frozen=True, kw_only=True)
class FidelityResult(StageResult):
    """Everything a fidelity run found; the alignments are kept for the dashboard.

    ``records`` holds every result in run order (whole run and each resync period);
    ``rows`` are the whole-run ones, one per metric per symbol. ``ok`` is the verdict.
    """

    rows: tuple[MetricRecord, ...] = field(init=False, default=())
    run_id: str
    symbols: tuple[str, ...]
    start: dt.date
    end: dt.date
    threshold: float
    records: tuple[MetricRecord, ...]
    verdict: Verdict
    aligned: dict[str, Aligned]
    timings: dict[str, float]
    manifest: dict[str, Any]

    def __post_init__(self) -> None:
        whole = tuple(record for record in self.records if record.period is None)
        object.__setattr__(self, "rows", whole)

    @property
    def ok(self) -> bool:
        """Whether the verdict passed."""
        return self.verdict.passed

    @property
    def failed(self) -> list[MetricRecord]:
        """The whole-run rows of gated metrics that missed the threshold."""
        return [record for record in self.rows if record.passed is False]

    @property
    def periods(self) -> list[MetricRecord]:
        """The records of single resync periods."""
        return [record for record in self.records if record.period is not None]

    def metrics_table(self) -> pl.DataFrame:
        """The whole-run rows as a table: name, value (null if undefined), unit, n, passed."""
        return pl.DataFrame(
            [record.to_dict() for record in self.rows],
            schema={
                "name": pl.String,
                "value": pl.Float64,
                "unit": pl.String,
                "n": pl.Int64,
                "passed": pl.Boolean,
            },
            strict=False,
        )

    def record(self, name: str, *, symbol: str | None = None) -> MetricRecord:
        """The whole-run record of one metric (for the first symbol unless named)."""
        symbol = symbol or self.symbols[0]
        for record in self.rows:
            if record.name == name and record.symbol == symbol:
                return record
        msg = f"no result for metric {name!r} and symbol {symbol}"
        raise ConfigError(msg)

    def metrics_json(self) -> dict[str, Any]:
        """The content of ``metrics.json``."""
        return {
            "run_id": self.run_id,
            "metrics": [record.to_dict() for record in self.rows],
            "periods": [record.to_dict() for record in self.periods],
            "verdict": self.verdict.to_dict(),
        }

    def results_frame(self) -> pl.DataFrame:
        """Every record (periods too) as ``FIDELITY_RESULT`` rows, as written to ``fidelity/``."""
        records = self.records
        frame = pl.DataFrame(
            {
                "run_id": [self.run_id] * len(records),
                "symbol": [r.symbol for r in records],
                "period": [r.period for r in records],
                "metric": [r.name for r in records],
                "value": [r.value for r in records],
                "unit": [r.unit for r in records],
                "n": [r.n for r in records],
                "passed": [r.passed for r in records],
                "detail": [json.dumps(r.detail, sort_keys=True, default=str) for r in records],
            },
            schema=FIDELITY_RESULT,
        )
        check_schema(frame, FIDELITY_RESULT, name="fidelity results")
        return frame

    def _repr_html_(self) -> str:
        sentence = f"<p>{html.escape(self.verdict.sentence())}</p>"
        return sentence + super()._repr_html_()
