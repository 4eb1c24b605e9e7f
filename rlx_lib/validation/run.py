"""The validation verb: golden captures and vendor tables checked, the report and issue rows
written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rlx_lib.catalog import parse_day
from rlx_lib.errors import ConfigError
from rlx_lib.parallel import open_pool
from rlx_lib.results import ProgressCallback
from rlx_lib.validation.fanout import validate_lake_parallel
from rlx_lib.validation.report import ValidationReport, issues_frame
from rlx_lib.validation.result import ValidationResult
from rlx_lib.validation.resume import validate_golden

__all__ = ["validate"]


def validate(
    root: Path,
    *,
    paths: Sequence[Path] | None = None,
    symbols: Sequence[str] | None = None,
    lake: bool = False,
    start: str | dt.date | None = None,
    end: str | dt.date | None = None,
    out: Path | None = None,
    force: bool = False,
    resume: bool = True,
    workers: int = 1,
    cluster: str | Any | None = None,
    progress: ProgressCallback | None = None,
) -> ValidationResult:
    """Check golden captures and, with ``lake``, the vendor tables of ``symbols`` over
    ``[start, end)``; write ``validation.json``/``.md`` into ``out`` (default
    ``root/validation``) and the issue rows under ``root/issues``.

    Golden data is checked unless only ``lake`` is asked for: ``paths`` (files or folders),
    default everything under ``root/golden``. ``resume`` keeps a checkpoint so a rerun after a
    crash continues. ``workers`` processes or a Dask ``cluster`` check one symbol per unit;
    the report is the serial one. ``force`` replaces issue partitions that would change.
    ``progress`` is told the bytes of golden files read and each finished symbol.
    """
    root = Path(root)
    out = Path(out) if out is not None else root / "validation"
    lake_days = _lake_days(symbols, start, end) if lake else None
    out.mkdir(parents=True, exist_ok=True)
    with open_pool(workers=workers, cluster=cluster) as pool:
        if paths or not lake:
            report = _golden(root, paths, out / ".validation.checkpoint", resume, pool, progress)
        else:
            report = ValidationReport()
        if lake_days is not None:
            _add_lake(report, root, list(symbols or ()), lake_days, pool, progress)
    path = report.write(out)
    report.write_issues(root, force=force)
    return ValidationResult.of(report, path)


def _lake_days(
    symbols: Sequence[str] | None, start: str | dt.date | None, end: str | dt.date | None
) -> tuple[dt.date, dt.date]:
    if not symbols:
        msg = "lake checks need symbols (BTC-USDT, ...)"
        raise ConfigError(msg)
    if start is None or end is None:
        msg = "lake checks need a start and an end (UTC days, end exclusive)"
        raise ConfigError(msg)
    first, stop = parse_day(start), parse_day(end)
    if stop <= first:
        msg = f"end ({stop}) must be after start ({first}); end is exclusive"
        raise ConfigError(msg)
    return first, stop


def _golden(
    root: Path,
    paths: Sequence[Path] | None,
    checkpoint: Path,
    resume: bool,
    pool: Any,
    progress: ProgressCallback | None,
) -> ValidationReport:
    targets = [Path(path) for path in paths] if paths else [root / "golden"]
    if not paths and not targets[0].exists():
        msg = f"no golden data under {targets[0]}; pass PATH... or use --lake"
        raise ConfigError(msg)
    return validate_golden(
        targets, checkpoint=checkpoint if resume else None, progress=progress, cluster=pool
    )


def _add_lake(
    report: ValidationReport,
    root: Path,
    symbols: list[str],
    days: tuple[dt.date, dt.date],
    pool: Any,
    progress: ProgressCallback | None,
) -> None:
    summaries, rows = validate_lake_parallel(root, symbols, *days, cluster=pool, progress=progress)
    report.lake = summaries
    report.issues = issues_frame([*report.issues.to_dicts(), *rows])
