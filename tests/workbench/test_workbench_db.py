"""DuckDB views and named queries over a small, known catalog."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from rlx_lib import schemas
from rlx_lib.catalog import partition_dir, write_parquet
from rlx_lib.errors import ConfigError
from workbench import db
from workbench.commands.sql import sql_command


def test_connect_views_exist_only_for_present_datasets(catalog: Any) -> None:
    database = db.connect(catalog.root)
    assert set(database.views) == {
        "lake_trades",
        "lake_book",
        "golden",
        "book",
        "issues",
        "fidelity",
        "book_states",
    }
    empty = db.connect(catalog.root / "nothing-here")
    assert empty.views == []


def test_live_single_fills_are_the_trades_view_beside_lake_trades(catalog: Any) -> None:
    """``trades/`` (a capture's ``@trade`` fills) is view ``trades``; Lake's stays ``lake_trades``
    and the named queries over Lake's trades read the same rows as before."""
    fills = schemas.empty_frame("trades").extend(
        pl.DataFrame(
            {"source": ["golden"] * 3, "origin_time": [catalog.start] * 3,
             "received_time": [catalog.start] * 3, "trade_id": [7, 8, 9],
             "side_is_bid": [True, True, False], "price": ["60000.01"] * 3,
             "size": ["0.5", "0.25", "1"]},
        ).cast(dict(schemas.TRADES))
    )  # fmt: skip
    folder = partition_dir(catalog.root, "trades", symbol="BTC-USDT", day=dt.date(2024, 8, 8))
    write_parquet(fills, folder / "part-golden.parquet")
    database = db.connect(catalog.root)
    assert {"trades", "lake_trades"} <= set(database.views)
    assert database.sql("SELECT sum(size) AS s FROM trades")["s"].item() == Decimal("1.75")
    coverage = database.coverage()
    assert coverage.filter(dataset="trades")["rows"].to_list() == [3]
    assert coverage.filter(dataset="lake_trades")["rows"].sum() == sum(catalog.trades.values())
    end = catalog.start + dt.timedelta(hours=1)
    facts = database.query("window_facts", symbol="BTC-USDT", start=catalog.start, end=end)
    assert facts["trades"].item() == catalog.trades["BTC-USDT"]


def test_coverage_counts_rows_per_partition(catalog: Any) -> None:
    coverage = db.connect(catalog.root).coverage()
    trades = coverage.filter(dataset="lake_trades")
    assert dict(zip(trades["symbol"], trades["rows"], strict=True)) == catalog.trades
    assert trades["dt"].to_list() == [dt.date(2024, 8, 8)] * 2
    assert coverage.filter(dataset="book")["rows"].item() == 2 * catalog.book_states
    assert coverage.filter(dataset="issues")["rows"].item() == catalog.issues


def test_named_queries_bind_parameters(catalog: Any) -> None:
    database = db.connect(catalog.root)
    series = database.query("book_series", source="golden", symbol="BTC-USDT")
    assert series.height == catalog.book_states
    assert series["spread"].round(6).unique().to_list() == [0.02]
    at = catalog.start + dt.timedelta(seconds=5)
    ladder = database.query("book_ladder", source="lake_snapshot", symbol="BTC-USDT", at=at)
    assert ladder.height == 40
    assert ladder["update_id"].unique().to_list() == [51]
    bids = ladder.filter(side="bid")
    assert bids["cumulative_size"].cast(float).to_list()[:2] == [0.5, 2.0]
    window = database.query(
        "trades_window",
        symbol="ETH-USDT",
        start=catalog.start,
        end=catalog.start + dt.timedelta(seconds=10),
    )
    assert window.height == 40
    facts = database.query(
        "window_facts",
        symbol="BTC-USDT",
        start=catalog.start,
        end=catalog.start + dt.timedelta(hours=1),
    )
    assert facts["trades"].item() == catalog.trades["BTC-USDT"]


def test_named_query_parameter_cannot_inject(catalog: Any) -> None:
    database = db.connect(catalog.root)
    hostile = "BTC-USDT' OR '1'='1"
    assert database.query("book_series", source="lake_snapshot", symbol=hostile).height == 0
    hostile = "x'; DROP VIEW lake_trades; --"
    assert database.query("book_series", source=hostile, symbol="BTC-USDT").height == 0
    assert "lake_trades" in database.sql("SHOW TABLES")["name"].to_list()


def test_summaries_of_issues_fidelity_and_golden(catalog: Any) -> None:
    database = db.connect(catalog.root)
    summary = database.query("issues_summary")
    assert dict(zip(summary["check"], summary["findings"], strict=True)) == {
        "depth_gap": 2,
        "off_grid": 1,
    }
    assert database.query("issues_list", limit=2).height == 2
    assert database.query("fidelity_runs").height == 2
    golden = database.query("golden_coverage")
    assert golden.filter(stream="trade")["messages"].item() == 100
    assert database.query("capture_sessions")["event"].to_list() == ["connected"]
    rates = database.query("capture_rates", symbol="BTC-USDT")
    assert rates["messages"].sum() == 100


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE TABLE t AS SELECT 1",
        "COPY (SELECT 1) TO '/tmp/rlx-should-not-exist.csv'",
        "INSERT INTO lake_trades SELECT * FROM lake_trades",
        "DROP VIEW lake_trades",
        "ATTACH '/tmp/rlx-x.db'",
        "SET enable_external_access=true",
        "SELECT 1; DROP VIEW lake_trades",
        "PRAGMA version",
    ],
)
def test_sql_refuses_writes(catalog: Any, statement: str) -> None:
    database = db.connect(catalog.root)
    with pytest.raises(ConfigError):
        database.sql(statement)
    assert database.sql("SELECT count(*) AS n FROM lake_trades")["n"].item() == sum(
        catalog.trades.values()
    )
    assert not Path("/tmp/rlx-should-not-exist.csv").exists()


def test_sql_cannot_read_outside_the_data_root(catalog: Any) -> None:
    with pytest.raises(ConfigError, match="query failed"):
        db.connect(catalog.root).sql("SELECT * FROM read_csv('/etc/passwd')")


def test_unknown_named_query_is_a_clear_error(catalog: Any) -> None:
    with pytest.raises(ConfigError, match="no named query"):
        db.connect(catalog.root).query("no_such_query")


def _writes(root: Path, target: Path) -> list[str]:
    """Statements that would replace ``target`` (a dataset file) or add files beside it."""
    relative = target.relative_to(root).as_posix()
    statements = []
    for path in (str(target), f"rlxdata://{relative}", f"rlxdata://{relative}.new"):
        statements += [
            f"COPY (SELECT 1 AS x) TO '{path}' (FORMAT parquet)",
            f"EXPLAIN ANALYZE COPY (SELECT 1 AS x) TO '{path}' (FORMAT parquet)",
            f"EXPLAIN ANALYZE COPY lake_trades TO '{path}'",
            f"ATTACH '{path}' AS other",
        ]
    for folder in (str(root / "exported"), "rlxdata://exported"):
        statements += [f"EXPORT DATABASE '{folder}'", f"EXPLAIN ANALYZE EXPORT DATABASE '{folder}'"]
    return statements


def test_sql_cannot_write_under_the_data_root_whatever_wraps_it(
    catalog: Any, tree_digest: Callable[[Path], dict[str, str]]
) -> None:
    """Issue 14: ``EXPLAIN ANALYZE COPY ... TO '<data-root>/lake/...'`` replaced a vendor file.

    Run on the locked connection itself (no statement check in front): DuckDB refuses.
    """
    before = tree_digest(catalog.root)
    target = next(catalog.root.glob("lake/trades/**/*.parquet"))
    database = db.connect(catalog.root)
    for statement in _writes(catalog.root, target):
        with pytest.raises(duckdb.Error):
            database.connection.sql(statement)
        with pytest.raises(ConfigError, match=r"query failed|only queries|cannot parse"):
            database.sql(statement)
    assert tree_digest(catalog.root) == before
    assert database.sql("SELECT count(*) AS n FROM lake_trades")["n"].item() == sum(
        catalog.trades.values()
    )


def test_sql_catalog_is_read_only_and_locked(catalog: Any) -> None:
    database = db.connect(catalog.root)
    settings = dict(
        database.connection.sql(
            "SELECT name, value FROM duckdb_settings() WHERE name IN "
            "('access_mode', 'enable_external_access', 'lock_configuration')"
        ).fetchall()
    )
    assert settings == {
        "access_mode": "read_only",
        "enable_external_access": "false",
        "lock_configuration": "true",
    }
    for statement in ("DROP VIEW lake_trades", "CREATE VIEW x AS SELECT 1"):
        with pytest.raises(duckdb.Error, match="read-only"):
            database.connection.sql(statement)
    with pytest.raises(duckdb.Error, match="locked"):
        database.connection.sql("SET disabled_filesystems=''")


def test_sql_runtime_errors_are_one_line(catalog: Any) -> None:
    database = db.connect(catalog.root)
    for statement, reason in [
        ("SELECT CAST('x' AS INTEGER)", "Could not convert"),
        ("SELECT error('boom')", "boom"),
        ("SELECT * FROM sniff_csv('rlxdata://lake')", "query failed"),
        ("SELECT * FROM read_csv('rlxdata://../../etc/passwd')", "query failed"),
    ]:
        with pytest.raises(ConfigError, match=reason) as error:
            database.sql(statement)
        assert "\n" not in str(error.value)
        assert "Traceback" not in str(error.value)


def test_sql_limit_reads_only_the_first_rows(catalog: Any) -> None:
    """A 30M-row result is not materialised to show its head."""
    database = db.connect(catalog.root)
    frame = database.sql("SELECT range AS i FROM range(30000000)", limit=7)
    assert frame["i"].to_list() == list(range(7))


def test_data_root_that_is_a_file_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "file"
    path.write_text("x")
    with pytest.raises(ConfigError, match="is a file"):
        db.connect(path)


def test_golden_view_reads_captures_cut_short_and_says_so(catalog: Any) -> None:
    (closed,) = sorted((catalog.root / "golden").rglob("*.jsonl.zst"))
    part = closed.with_name("23.jsonl.zst.part")  # a capture killed while writing
    part.write_bytes(closed.read_bytes())
    counts = db.connect(catalog.root).connection.sql(
        "SELECT cut_short, count(*) FROM golden GROUP BY cut_short ORDER BY cut_short"
    )
    assert counts.fetchall() == [(False, 101), (True, 101)]


def test_rlx_sql_help_names_every_view() -> None:
    """The help text is written out (``--help`` must not import DuckDB): it names each view."""
    listed = " ".join((sql_command.__doc__ or "").split())
    for view in [*db.DATASETS, "book_states"]:
        assert f" {view}," in listed or f" {view} " in listed, view
