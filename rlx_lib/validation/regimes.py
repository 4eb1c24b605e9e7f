"""Regimes side by side: data quality, trade samples, two-sample tests and power-law tails.

Each regime is a data root whose ``golden/`` folder holds its capture (live or synthetic).
The samples are floats for statistics, never for book state.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path

import polars as pl

from rlx_lib.validation.loader import trade_samples
from rlx_lib.validation.report import ValidationReport
from rlx_lib.validation.resume import validate_golden
from rlx_lib.validation.stats import compare, power_law

__all__ = [
    "MEASURES",
    "compare_regimes",
    "quality_table",
    "regime_samples",
    "samples_frame",
    "tail_fits",
    "validate_regimes",
]

MEASURES = ("size", "inter_arrival_ms")
"""Trade measures compared between regimes."""

Samples = Mapping[str, Mapping[str, Sequence[float]]]


def validate_regimes(roots: Mapping[str, Path]) -> dict[str, ValidationReport]:
    """The validation report of each regime's ``golden/`` folder."""
    return {regime: validate_golden([Path(root) / "golden"]) for regime, root in roots.items()}


def regime_samples(roots: Mapping[str, Path]) -> dict[str, dict[str, list[float]]]:
    """Trade sizes, prices and inter-arrival times from each regime's ``golden/`` folder."""
    return {
        regime: trade_samples(sorted((Path(root) / "golden").rglob("*.jsonl.zst")))
        for regime, root in roots.items()
    }


def quality_table(reports: Mapping[str, ValidationReport]) -> pl.DataFrame:
    """One row per regime and symbol: the scalar fields of each validation summary."""
    return pl.DataFrame(
        [
            {
                "regime": regime,
                "symbol": name,
                **{k: v for k, v in summary.items() if not isinstance(v, dict | list)},
            }
            for regime, report in reports.items()
            for name, summary in report.symbols.items()
        ]
    )


def samples_frame(samples: Samples, *, measures: Sequence[str] = MEASURES) -> pl.DataFrame:
    """The samples in long form: ``regime``, ``measure``, ``value`` (empty samples left out)."""
    frames = [
        pl.DataFrame(
            {"regime": regime, "measure": measure, "value": list(values)},
            schema={"regime": pl.String, "measure": pl.String, "value": pl.Float64},
        )
        for regime, by_measure in samples.items()
        for measure in measures
        if len(values := by_measure.get(measure, ())) > 0
    ]
    if not frames:
        return pl.DataFrame(schema={"regime": pl.String, "measure": pl.String, "value": pl.Float64})
    return pl.concat(frames)


def compare_regimes(
    samples: Samples,
    *,
    measures: Sequence[str] = MEASURES,
    resamples: int = 999,
    seed: int = 0,
) -> pl.DataFrame:
    """KS, Anderson-Darling and energy distance for every pair of regimes and every measure.

    One row per (pair, measure, test): ``pair`` ("high vs low"), ``measure``, then the fields
    of :class:`~rlx_lib.validation.stats.TestResult` (effect size beside the p-value).
    """
    rows = [
        {"pair": f"{left} vs {right}", "measure": measure, **result.to_dict()}
        for left, right in itertools.combinations(samples, 2)
        for measure in measures
        for result in compare(
            samples[left][measure], samples[right][measure], resamples=resamples, seed=seed
        )
    ]
    return pl.DataFrame(rows)


def tail_fits(samples: Samples, *, measure: str = "size") -> pl.DataFrame:
    """A Clauset-Shalizi-Newman power-law tail fit of one measure per regime."""
    return pl.DataFrame(
        [{"regime": regime, **power_law(samples[regime][measure]).to_dict()} for regime in samples]
    )
