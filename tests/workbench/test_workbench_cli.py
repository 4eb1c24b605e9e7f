"""The CLI contract: --help everywhere, exit 2 on usage, exit 1 and one line on RlxError."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import typer

from tests.conftest import DemoRun
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
NO_DATA_ROOT = {("bench",), ("capture-server",), ("rl", "policies")}
"""Commands that read no data root: benchmarks, a local test server fed from files, and the
list of installed RL policies."""


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
    from rlx_lib.synth import synthesize

    result = synthesize(data_root, symbols=["BTC-USDT"], minutes=0.1, seed=3)
    query = (
        "SELECT 'book' AS t, count(*) FROM lake_book UNION ALL "
        "SELECT 'book_delta_v2', count(*) FROM lake_book_delta_v2 UNION ALL "
        "SELECT 'trades', count(*) FROM lake_trades UNION ALL "
        "SELECT 'golden', count(*) FROM golden ORDER BY 1"
    )
    assert _run(monkeypatch, "sql", "--data-root", str(data_root), "--format", "csv", query) == 0
    counted = dict(line.split(",") for line in capsys.readouterr().out.splitlines()[1:])
    expected = {**result.table_rows, "golden": result.rows[0].messages}
    assert {table: int(count) for table, count in counted.items()} == expected


def test_demo_says_a_line_per_step_and_the_report_path_last(demo_run: DemoRun) -> None:
    steps = [line.split(":")[0] for line in demo_run.lines[:-1]]
    assert steps == [
        "synth", "acquire", "capture", "validation", "reconstruct", "report", "rl sweep", "fidelity"
    ]  # fmt: skip
    report = demo_run.reports / "demo" / "index.html"
    assert demo_run.lines[-1] == str(report.resolve())
    assert report.is_file()
    assert (demo_run.reports / "demo" / "summary.html").is_file()
    assert (demo_run.reports / "index.html").is_file()


def test_sql_table_shows_at_most_limit_rows(
    catalog: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 14: a 30M-row result as a table ran out of memory; it is capped, never read whole."""
    from workbench.commands import sql

    monkeypatch.setattr(sql, "TABLE_LIMIT", 20)
    query = "SELECT range AS i FROM range(30000000)"
    assert _run(monkeypatch, "sql", "--data-root", str(catalog.root), query) == 0
    out = capsys.readouterr().out
    assert "more rows left out after the first 20" in out
    assert "│ 19 │" in out
    assert "│ 20 │" not in out
    assert _run(monkeypatch, "sql", "--data-root", str(catalog.root), "--limit", "3", query) == 0
    assert "more rows left out after the first 3:" in capsys.readouterr().out
    assert _run(monkeypatch, "sql", "--data-root", str(catalog.root), "--limit", "0", query) == 2


def test_sql_streams_csv_and_json_over_many_batches(
    catalog: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    root = str(catalog.root)
    query = "SELECT range AS i FROM range(150000)"
    assert _run(monkeypatch, "sql", "--data-root", root, "--format", "csv", query) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "i"
    assert [int(line) for line in lines[1:]] == list(range(150_000))
    assert _run(monkeypatch, "sql", "--data-root", root, "--format", "json", query) == 0
    assert [row["i"] for row in json.loads(capsys.readouterr().out)] == list(range(150_000))
    empty = "SELECT 1 AS a, 2 AS b WHERE false"
    assert _run(monkeypatch, "sql", "--data-root", root, "--format", "csv", empty) == 0
    assert capsys.readouterr().out == "a,b\n"


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--format", "csv", "SELECT [1, 2] AS l"], "CSV cannot hold the nested columns l"),
        (["SELECT CAST('x' AS INTEGER)"], "query failed: Conversion Error"),
        (["SELECT error('no')"], "query failed: Invalid Input Error: no"),
        (["--out", "{root}/lake/x.csv", "SELECT 1"], "inside the data root"),
    ],
)
def test_sql_errors_are_one_line(
    catalog: Any,
    args: list[str],
    reason: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = [arg.format(root=catalog.root) for arg in args]
    assert _run(monkeypatch, "sql", "--data-root", str(catalog.root), *args) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert reason in err
    assert not (catalog.root / "lake" / "x.csv").exists()
