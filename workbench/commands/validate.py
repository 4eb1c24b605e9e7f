"""``rlx validate``: data-quality checks over golden samples or vendor tables, with a report."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from rlx_lib.errors import ConfigError
from workbench.console import track
from workbench.options import DataRootOption, day_span, lake_symbols, resolve_root

if TYPE_CHECKING:
    from rlx_lib.validation.report import ValidationReport

__all__ = ["demo_step", "register", "run_validation"]


def run_validation(
    root: Path,
    *,
    paths: list[Path] | None = None,
    symbols: list[str] | None = None,
    start: str | dt.date | None = None,
    end: str | dt.date | None = None,
    out: Path,
    golden: bool = True,
    force: bool = False,
    resume: bool = True,
) -> ValidationReport:
    """Validate golden data (``paths``, default all under ``root/golden``) and, when
    ``symbols`` is given, vendor tables; write the report and issue rows."""
    from rlx_lib.validation.report import ValidationReport, issues_frame
    from rlx_lib.validation.resume import validate_golden
    from rlx_lib.validation.vendor import validate_lake

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if golden:
        targets = paths or [root / "golden"]
        if not paths and not targets[0].exists():
            msg = f"no golden data under {targets[0]}; pass PATH... or use --lake"
            raise ConfigError(msg)
        report = validate_golden(
            targets,
            checkpoint=out / ".validation.checkpoint" if resume else None,
            progress=lambda files: track(files, description="validating golden files"),
        )
    else:
        report = ValidationReport()
    if symbols:
        if start is None or end is None:
            msg = "--lake needs --start and --end (UTC days, end exclusive)"
            raise ConfigError(msg)
        summaries, rows = validate_lake(root, symbols, *day_span(start, end))
        report.lake = summaries
        report.issues = issues_frame([*report.issues.to_dicts(), *rows])
    report.write(out)
    report.write_issues(root, force=force)
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
    data_root: DataRootOption = None,
) -> None:
    """Check golden samples (or, with --lake, vendor tables) and write validation.json/.md."""
    root = resolve_root(data_root)
    if lake and not symbols.strip():
        msg = "--lake needs --symbols"
        raise ConfigError(msg)
    vendor_symbols = lake_symbols(symbols) if lake else None
    report = run_validation(
        root,
        paths=paths or None,
        symbols=vendor_symbols,
        start=start,
        end=end,
        out=out or root / "validation",
        golden=not lake or bool(paths),
        force=force,
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
        symbols=list(context.symbols),
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
