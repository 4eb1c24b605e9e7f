"""The CLI contract: --help everywhere, exit 2 on usage, exit 1 and one line on RlxError."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import typer

from workbench import cli


def _command_paths(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = []
    for name, command in sorted(group.commands.items()):
        if hasattr(command, "commands"):  # a group: list its subcommands
            paths += _command_paths(command, (*prefix, name))
        else:
            paths.append((*prefix, name))
    return paths


COMMANDS = _command_paths(typer.main.get_command(cli.app))
NO_DATA_ROOT = {("bench",), ("capture-server",)}
"""Commands that read no data root: benchmarks, and a local test server fed from files."""


def _run(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["rlx", *args])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    code = exit_info.value.code
    return 0 if code is None else int(code)


def test_every_command_is_registered() -> None:
    assert {("demo",), ("sql",), ("report",), ("serve",), ("notebooks", "export")} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_on_every_command(
    command: tuple[str, ...], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(monkeypatch, *command, "--help") == 0
    out = capsys.readouterr().out
    assert f"rlx {' '.join(command)}" in out
    if command not in NO_DATA_ROOT:
        assert "--data-root" in out


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_usage_error_exits_2(command: tuple[str, ...], monkeypatch: pytest.MonkeyPatch) -> None:
    assert _run(monkeypatch, *command, "--no-such-option") == 2


def test_rlx_error_exits_1_with_one_line(
    catalog: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _run(monkeypatch, "sql", "--data-root", str(catalog.root), "DROP VIEW lake_trades")
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1
    assert err.startswith("rlx: error: only queries are allowed")


def test_sql_prints_counts_and_writes_files(
    catalog: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    query = "SELECT symbol, count(*) AS n FROM lake_trades GROUP BY symbol ORDER BY symbol"
    root = str(catalog.root)
    assert _run(monkeypatch, "sql", "--data-root", root, "--format", "csv", query) == 0
    assert capsys.readouterr().out.splitlines() == [
        "symbol,n",
        *(f"{symbol},{n}" for symbol, n in sorted(catalog.trades.items())),
    ]
    out = tmp_path / "counts.parquet"
    assert _run(monkeypatch, "sql", "--data-root", root, "--out", str(out), query) == 0
    import polars as pl

    assert dict(pl.read_parquet(out).iter_rows()) == catalog.trades
    assert _run(monkeypatch, "sql", "--data-root", root, "--format", "parquet", query) == 1


def test_sql_counts_match_a_synthesized_market(
    data_root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rows the synthetic market reports writing are the rows ``rlx sql`` counts."""
    from rlx_lib.synth import SynthConfig, synthesize

    summary = synthesize(SynthConfig(symbols=("BTC-USDT",), minutes=0.1, seed=3), data_root)
    query = (
        "SELECT 'book' AS t, count(*) FROM lake_book UNION ALL "
        "SELECT 'book_delta_v2', count(*) FROM lake_book_delta_v2 UNION ALL "
        "SELECT 'trades', count(*) FROM lake_trades UNION ALL "
        "SELECT 'golden', count(*) FROM golden ORDER BY 1"
    )
    assert _run(monkeypatch, "sql", "--data-root", str(data_root), "--format", "csv", query) == 0
    counted = dict(line.split(",") for line in capsys.readouterr().out.splitlines()[1:])
    expected = {**summary.rows, "golden": summary.records["BTC-USDT"]}
    assert {table: int(count) for table, count in counted.items()} == expected


def test_demo_prints_the_report_path_last(
    catalog: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """With only the report step (the stages have their own tests), the path comes last."""
    from workbench import demo

    monkeypatch.setattr(demo, "STEPS", ("report",))
    out = tmp_path / "reports" / "demo"
    assert _run(monkeypatch, "demo", "--data-root", str(catalog.root), "--out", str(out)) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == str((out / "index.html").resolve())
    assert (out / "index.html").is_file()
    assert (out.parent / "index.html").is_file()
