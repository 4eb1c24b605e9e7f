"""Validation fanned out per symbol, merged into what a serial run reports.

A symbol's hours chain (depth ids, the rebuilt book and its bookTicker joins run across
files), so the unit is one symbol: its golden files in order, or its vendor tables over the
days asked for. Units run through :mod:`rlx_lib.parallel` and are merged in the serial order.
Golden files are grouped by the ``symbol=`` folder in their path; when a file names no symbol,
groups would interleave, or a file turns out to hold another group's symbol, the files are
validated in one serial pass instead, so the report never depends on how the work was cut.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from rlx_lib.parallel import open_pool, run_all
from rlx_lib.results import Progress, ProgressCallback
from rlx_lib.validation.checks import PATH_SYMBOL, GoldenValidator
from rlx_lib.validation.vendor import validate_lake

__all__ = ["group_by_symbol", "validate_golden_parallel", "validate_lake_parallel"]


def group_by_symbol(files: list[Path]) -> list[list[Path]] | None:
    """``files`` cut into runs of one ``symbol=`` folder, or None when that is not possible
    (a file without a symbol in its path, or a symbol's files not next to each other)."""
    groups: list[list[Path]] = []
    seen: set[str] = set()
    previous = None
    for path in files:
        match = PATH_SYMBOL.search(str(path))
        if match is None:
            return None
        symbol = match.group(1)
        if symbol != previous:
            if symbol in seen:
                return None
            seen.add(symbol)
            groups.append([])
            previous = symbol
        groups[-1].append(path)
    return groups


def _validate_files(index: int, files: list[Path], options: dict[str, int]) -> tuple:
    """One unit: validate ``files`` in order and finish; ``(index, validator)``."""
    validator = GoldenValidator(**options)
    validator.add_files(files)
    validator.finish()
    return index, validator


def validate_golden_parallel(
    files: list[Path],
    *,
    workers: int = 1,
    cluster: Any = None,
    progress: ProgressCallback | None = None,
    **options: int,
) -> GoldenValidator:
    """Validate ``files`` (sorted golden files) one symbol per unit; the merged validator.
    ``progress`` is told each finished unit (its symbols)."""
    groups = group_by_symbol(files) or [files]
    with open_pool(workers=workers if len(groups) > 1 else 1, cluster=cluster) as pool:
        calls = [(index, group, options) for index, group in enumerate(groups)]
        parts = {}
        for index, validator in run_all(_validate_files, calls, pool=pool):
            parts[index] = validator
            _tell(progress, ",".join(sorted(validator.states)), len(parts), len(groups))
    ordered = [parts[index] for index in range(len(groups))]
    names = [name for part in ordered for name in part.states]
    if len(names) != len(set(names)):  # a symbol in two units: only a serial pass is exact
        return _validate_files(0, files, options)[1]
    return GoldenValidator.merged(ordered)


def _validate_symbol(
    index: int, root: Path, symbol: str, start: dt.date, end: dt.date, max_rows: int
) -> tuple[int, tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]]:
    """One unit: the vendor checks of one symbol; ``(index, (summaries, issue_rows))``."""
    return index, validate_lake(root, [symbol], start, end, max_rows=max_rows)


def validate_lake_parallel(
    root: Path,
    symbols: list[str],
    start: dt.date,
    end: dt.date,
    *,
    workers: int = 1,
    cluster: Any = None,
    max_rows: int = 1000,
    progress: ProgressCallback | None = None,
) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """:func:`~rlx_lib.validation.vendor.validate_lake`, one symbol per unit, merged in order;
    ``progress`` is told each finished symbol."""
    calls = [(i, root, symbol, start, end, max_rows) for i, symbol in enumerate(symbols)]
    with open_pool(workers=workers if len(calls) > 1 else 1, cluster=cluster) as pool:
        found = {}
        for index, part in run_all(_validate_symbol, calls, pool=pool):
            found[index] = part
            _tell(progress, f"{symbols[index]} (lake)", len(found), len(calls))
    summaries: dict[str, dict[str, Any]] = {}
    issues: list[dict[str, Any]] = []
    for index in range(len(symbols)):
        part_summaries, part_issues = found[index]
        summaries.update(part_summaries)
        issues += part_issues
    return summaries, issues


def _tell(progress: ProgressCallback | None, unit: str, done: int, total: int) -> None:
    if progress is not None:
        progress(Progress("validate", unit, done, total, f"validated {unit}"))
