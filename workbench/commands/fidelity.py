"""``rlx fidelity``: compare the reconstruction from vendor data with the live one; publish."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from workbench.console import reporting
from workbench.options import (
    DataRootOption,
    at_least,
    day_span,
    lake_symbols,
    resolve_root,
    share,
    split_list,
)

__all__ = ["register"]

DEFAULT_THRESHOLD = 0.999
"""The library's default threshold, repeated so ``--help`` needs no heavy import."""


_INPUT = {"lake": "lake/book_delta_v2", "golden": "golden"}


def reconstruct_missing(
    root: Path, symbols: list[str], start: str, end: str, *, workers: int = 1, cluster: Any = None
) -> list[str]:
    """Reconstruct, from its input, each side (lake, golden) of a symbol that has a day in the
    window with input but no ``book/`` yet (on ``workers`` or ``cluster`` as ``rlx reconstruct``
    would; days already rebuilt are skipped); return one line per side rebuilt (what
    ``rlx fidelity`` prints)."""
    from rlx_lib import catalog
    from rlx_lib.errors import StageError
    from rlx_lib.reconstruction import reconstruct

    days = catalog.day_range(start, end)

    def lacks_book(source: str, dataset: str, symbol: str) -> bool:
        for day in days:
            book = catalog.partition_dir(root, "book", symbol=symbol, day=day)
            source_input = catalog.partition_dir(root, dataset, symbol=symbol, day=day)
            if source_input.is_dir() and not (book / f"part-{source}.parquet").exists():
                return True
        return False

    lines = []
    for source, dataset in _INPUT.items():
        missing = [symbol for symbol in symbols if lacks_book(source, dataset, symbol)]
        if not missing:
            continue
        lines.append(
            f"no {source} reconstruction of {', '.join(missing)} in [{start}, {end}): "
            f"reconstructing it from {dataset}/ first"
        )
        typer.echo(lines[-1])
        result = reconstruct(
            root, source=source, symbols=missing, start=start, end=end, workers=workers,
            cluster=cluster,
        )  # fmt: skip
        failed = [f"{r.symbol} {r.day}: {r.error}" for r in result.failed]
        if failed:
            msg = f"reconstructing {source} failed: " + "; ".join(failed)
            raise StageError(msg)
    return lines


def fidelity_command(
    symbols: Annotated[str, typer.Option(help="Symbols, e.g. BTC-USDT,ETH-USDT.")],
    start: Annotated[str, typer.Option(help="First UTC day (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option(help="Day after the last (exclusive).")],
    metrics: Annotated[
        str, typer.Option(help="Metric names, comma-separated (default: every registered one).")
    ] = "",
    threshold: Annotated[
        float, share("Share the headline and every exact-match metric must reach.")
    ] = DEFAULT_THRESHOLD,
    out: Annotated[
        Path | None,
        typer.Option(help="Report folder (default: reports/fidelity-<symbols>-<start>)."),
    ] = None,
    validation: Annotated[
        Path | None, typer.Option(help="A validation.json to link from the report.")
    ] = None,
    fail_on_verdict: Annotated[
        bool, typer.Option("--fail-on-verdict", help="Exit 1 when the verdict fails.")
    ] = False,
    workers: Annotated[int, at_least(1, "Symbols in parallel, one process each.")] = 1,
    cluster: Annotated[
        str | None, typer.Option(help="Dask scheduler address (tcp://host:8786).")
    ] = None,
    data_root: DataRootOption = None,
) -> None:
    """Align lake/ and golden/ reconstructions, compute the metrics, write the HTML report.

    A side not reconstructed yet is reconstructed first from its input (lake/ or golden/).
    """
    names = lake_symbols(symbols)
    first, stop = day_span(start, end)
    root = resolve_root(data_root)
    from rlx_lib.fidelity import evaluate
    from rlx_lib.parallel import check_address

    if cluster is not None:
        check_address(cluster)  # a bad address fails first, in one line
    folder = out or Path("reports") / f"fidelity-{'_'.join(names)}-{first}"
    reconstruct_missing(root, names, first, stop, workers=workers, cluster=cluster)
    chosen = split_list(metrics) or None
    with reporting("fidelity: measuring metrics per symbol") as progress:
        result = evaluate(
            root,
            symbols=names,
            start=first,
            end=stop,
            metrics=chosen,
            threshold=threshold,
            out=folder,
            workers=workers,
            cluster=cluster,
            progress=progress,
        )
    _publish(result, root, folder, validation=validation)
    if fail_on_verdict and not result.ok:
        raise typer.Exit(1)


def _publish(result: Any, root: Path, folder: Path, *, validation: Path | None) -> None:
    """Print each whole-run metric and the verdict, write the HTML report, print its path."""
    from workbench.fidelity_report import publish_report  # panel: a slow import
    from workbench.rl_report import load_sweep

    for record in result.rows:
        value = "undefined" if record.value != record.value else f"{record.value:.6g}"
        pair = record.detail.get("pair")  # a pair metric: both symbols
        symbol = " with ".join(pair) if pair else record.symbol
        typer.echo(f"{symbol} {record.name}: {value} {record.unit} (n={record.n})")
    typer.echo(result.verdict.sentence())
    links = {"validation summary": validation} if validation is not None else {}
    path = publish_report(result, folder, links=links, sweep=load_sweep(root))
    typer.echo(str(path.resolve()))


def register(app: typer.Typer) -> None:
    """Add ``rlx fidelity`` to the app."""
    app.command("fidelity")(fidelity_command)
