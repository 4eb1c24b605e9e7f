"""``rlx validate``: data-quality checks over golden samples or vendor tables, with a report."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from rlx_lib.errors import ConfigError
from workbench import options
from workbench.console import track
from workbench.options import DataRootOption, at_least, day_span, resolve_root

if TYPE_CHECKING:
    from rlx_lib.validation.report import ValidationReport

__all__ = ["demo_step", "register", "run_validation"]


def run_validation(
    root: Path,
    *,
    paths: list[Path] | None = None,
    lake_symbols: list[str] | None = None,
    start: str | dt.date | None = None,
    end: str | dt.date | None = None,
    out: Path,
    golden: bool = True,
    force: bool = False,
    resume: bool = True,
    workers: int = 1,
    cluster: str | None = None,
) -> ValidationReport:
    """Validate golden data (``paths``, default all under ``root/golden``) and, when
    ``lake_symbols`` is given, vendor tables; write the report and issue rows.

    ``workers`` processes or a Dask ``cluster`` validate one symbol per unit; the report is
    the serial one."""
    from rlx_lib.parallel import open_pool

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with open_pool(workers=workers, cluster=cluster) as pool:
        report = _validate(root, paths, lake_symbols, start, end, out, golden, resume, pool)
    report.write(out)
    report.write_issues(root, force=force)
    return report


def _validate(
    root: Path,
    paths: list[Path] | None,
    lake_symbols: list[str] | None,
    start: str | dt.date | None,
    end: str | dt.date | None,
    out: Path,
    golden: bool,
    resume: bool,
    pool: Any,
) -> ValidationReport:
    from rlx_lib.validation.fanout import validate_lake_parallel
    from rlx_lib.validation.report import ValidationReport, issues_frame
    from rlx_lib.validation.resume import validate_golden

    if golden:
        targets = paths or [root / "golden"]
        if not paths and not targets[0].exists():
            msg = f"no golden data under {targets[0]}; pass PATH... or use --lake"
            raise ConfigError(msg)
        report = validate_golden(
            targets,
            checkpoint=out / ".validation.checkpoint" if resume else None,
            progress=lambda files: track(files, description="validating golden files"),
            cluster=pool,
        )
    else:
        report = ValidationReport()
    if lake_symbols:
        if start is None or end is None:
            msg = "--lake needs --start and --end (UTC days, end exclusive)"
            raise ConfigError(msg)
        summaries, rows = validate_lake_parallel(
            root, lake_symbols, *day_span(start, end), cluster=pool
        )
        report.lake = summaries
        report.issues = issues_frame([*report.issues.to_dicts(), *rows])
    return report


def validate_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Golden files or folders (default: all golden data)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Report folder (default: <data-root>/validation).")
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 1 on any sequence gap or error finding.")
    ] = False,
    lake: Annotated[
        bool, typer.Option("--lake", help="Validate vendor tables under lake/.")
    ] = False,
    symbols: Annotated[str, typer.Option(help="Vendor symbols, e.g. BTC-USDT,ETH-USDT.")] = "",
    start: Annotated[str | None, typer.Option(help="First UTC day (vendor checks).")] = None,
    end: Annotated[str | None, typer.Option(help="Day after the last (exclusive).")] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace issue partitions that would change.")
    ] = False,
    workers: Annotated[int, at_least(1, "Symbols in parallel, one process each.")] = 1,
    cluster: Annotated[
        str | None, typer.Option(help="Dask scheduler address (tcp://host:8786).")
    ] = None,
    data_root: DataRootOption = None,
) -> None:
    """Check golden samples (or, with --lake, vendor tables) and write validation.json/.md."""
    from rlx_lib.parallel import check_address

    if cluster is not None:
        check_address(cluster)  # a bad address fails first, in one line
    root = resolve_root(data_root)
    if lake and not symbols.strip():
        msg = "--lake needs --symbols"
        raise ConfigError(msg)
    vendor_symbols = options.lake_symbols(symbols) if lake else None
    report = run_validation(
        root,
        paths=paths or None,
        lake_symbols=vendor_symbols,
        start=start,
        end=end,
        out=out or root / "validation",
        golden=not lake or bool(paths),
        force=force,
        workers=workers,
        cluster=cluster,
    )
    for line in summary_lines(report):
        typer.echo(line)
    typer.echo(str((out or root / "validation") / "validation.json"))
    if strict and (report.gaps or report.errors):
        found = f"{report.gaps} sequence gaps and {report.errors} error findings"
        typer.echo(f"rlx: {found} (--strict)", err=True)
        raise typer.Exit(1)


def summary_lines(report: ValidationReport) -> list[str]:
    """One line per symbol (golden, then vendor)."""
    lines = []
    for name, s in report.all_symbols():
        agreement = s["book_ticker_agreement"]
        shown = f"{agreement:.4%}" if agreement is not None else "n/a"
        lines.append(
            f"{name}: {s['depth_messages']} depth msgs, {s['depth_gaps']} depth gaps, "
            f"{s['trade_messages']} trades, {s['trade_id_gaps']} trade-id gaps, "
            f"{s['out_of_order']} out of order, {s['duplicates']} duplicates, "
            f"bookTicker agreement {shown} of {s['book_ticker_checks']}"
        )
    for name, s in report.lake.items():
        lines.append(
            f"{name} (lake): {s['delta_messages']} delta msgs, {s['sequence_regressions']} "
            f"sequence regressions, {s['trade_id_gaps']} trade-id gaps, {s['off_grid_values']} "
            f"off-grid, {s['crossed_books']} crossed, {len(s['days_without_data'])} empty days, "
            f"{s['unreadable_files']} unreadable files"
        )
    return lines


def demo_step(context: Any) -> None:
    """Validate the demo's golden and vendor data into ``context.out / "validation"``."""
    out = context.out / "validation"
    day = context.day
    report = run_validation(
        context.root,
        lake_symbols=list(context.symbols),
        start=day,
        end=day + dt.timedelta(days=1),
        out=out,
        golden=(context.root / "golden").exists(),
        force=True,
    )
    context.notes["validation"] = out / "validation.json"
    agreement = [
        s["book_ticker_agreement"]
        for s in report.symbols.values()
        if s["book_ticker_agreement"] is not None
    ]
    shown = f", bookTicker agreement >= {min(agreement):.4%}" if agreement else ""
    context.summary.append(
        f"validation: {len(report.symbols)} symbols, {report.gaps} gaps, "
        f"{report.issues.height} issue rows{shown} ({out / 'validation.md'})"
    )


def register(app: typer.Typer) -> None:
    """Add ``rlx validate`` to the app."""
    app.command("validate")(validate_command)
