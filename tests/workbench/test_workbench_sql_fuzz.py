"""Fuzz ``rlx sql``'s guard: generated statements change no byte under the data root.

Statements are built from what an attacker would try (issue 14): writes (COPY, EXPORT,
ATTACH, CREATE, INSERT, SET, INSTALL) aimed at dataset files by absolute path, by the
read-only ``rlxdata://`` address and by escaping paths, wrapped in ``EXPLAIN ANALYZE``, CTEs
and subqueries, beside reads through table functions. Each runs on the locked connection
itself (the guard, no statement check in front) and through :meth:`Database.sql`.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from rlx_lib.errors import ConfigError
from workbench import db

STATEMENTS = 500


def _paths(root: Path, outside: Path) -> list[str]:
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    paths = []
    for relative in files[:6]:
        paths += [str(root / relative), f"rlxdata://{relative}", f"rlxdata:///{relative}"]
    return [
        *paths,
        str(root / "new.parquet"),
        "rlxdata://new.csv",
        "rlxdata://lake/trades/../../escape.csv",
        "rlxdata://../escape.csv",
        str(outside / "escape.csv"),
        "escape.csv",
        "file://" + str(root / "new.json"),
    ]


def _statements(views: list[str], paths: int) -> st.SearchStrategy[str]:
    """Statements naming paths by token (``@3@``, see :func:`_fill_paths`)."""
    path = st.integers(0, paths - 1).map("@{}@".format)
    view = st.sampled_from(views)
    reads = st.one_of(
        st.builds("SELECT * FROM {}".format, view),
        st.builds("SELECT count(*) FROM {}".format, view),
        st.builds("SELECT * FROM read_parquet('{}')".format, path),
        st.builds("SELECT * FROM read_csv('{}')".format, path),
        st.builds("SELECT * FROM read_json('{}')".format, path),
        st.builds("SELECT * FROM read_text('{}')".format, path),
        st.builds("SELECT * FROM read_blob('{}')".format, path),
        st.builds("SELECT * FROM glob('{}')".format, path),
        st.builds("SELECT * FROM parquet_metadata('{}')".format, path),
        st.builds("SELECT * FROM sniff_csv('{}')".format, path),
        st.just("SELECT * FROM duckdb_settings()"),
        st.just("SELECT 1"),
    )
    fmt = st.sampled_from(["parquet", "csv", "json"])
    writes = st.one_of(
        st.builds("COPY ({}) TO '{}' (FORMAT {})".format, reads, path, fmt),
        st.builds("COPY {} TO '{}'".format, view, path),
        st.builds("EXPORT DATABASE '{}'".format, path),
        st.builds("ATTACH '{}' AS other".format, path),
        st.builds("CREATE TABLE t AS {}".format, reads),
        st.builds("CREATE OR REPLACE VIEW {} AS SELECT 1 AS x".format, view),
        st.builds("INSERT INTO {} SELECT * FROM {}".format, view, view),
        st.builds("DROP VIEW {}".format, view),
        st.builds("SET allowed_directories=['{}']".format, path),
        st.sampled_from(
            [
                "SET enable_external_access=true",
                "SET disabled_filesystems=''",
                "SET lock_configuration=false",
                "INSTALL httpfs",
                "LOAD httpfs",
                "CHECKPOINT",
                "VACUUM",
                "PRAGMA enable_profiling",
            ]
        ),
    )
    single = st.one_of(reads, writes)
    wrapped = st.one_of(
        single,
        st.builds("EXPLAIN {}".format, single),
        st.builds("EXPLAIN ANALYZE {}".format, single),
        st.builds("WITH q AS ({}) {}".format, reads, single),
        st.builds("SELECT * FROM ({}) AS sub".format, reads),
        st.builds("{}; {}".format, reads, writes),
    )
    return st.recursive(
        wrapped,
        lambda inner: st.one_of(
            st.builds("EXPLAIN ANALYZE {}".format, inner),
            st.builds("WITH q AS (SELECT 1) {}".format, inner),
        ),
        max_leaves=3,
    )


def _fill_paths(statement: str, paths: list[str]) -> str:
    return re.sub(r"@(\d+)@", lambda match: paths[int(match[1])], statement)


def test_generated_statements_change_no_byte_under_the_data_root(
    catalog: Any, tmp_path: Path, tree_digest: Callable[[Path], dict[str, str]]
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    before = tree_digest(catalog.root)
    database = db.connect(catalog.root)
    paths = _paths(catalog.root, outside)
    seen: list[str] = []

    @settings(max_examples=STATEMENTS, derandomize=True, database=None)
    @given(drawn=_statements(database.views, len(paths)))
    def run(drawn: str) -> None:
        statement = _fill_paths(drawn, paths)
        seen.append(statement)
        with contextlib.suppress(duckdb.Error):
            database.connection.execute(statement).fetchall()
        with contextlib.suppress(ConfigError):
            database.sql(statement)
        assert tree_digest(catalog.root) == before, statement
        assert not any(outside.iterdir()), statement

    run()
    assert len(seen) >= STATEMENTS
    assert sum("EXPLAIN ANALYZE COPY" in s for s in seen) >= 10
    assert database.sql("SELECT count(*) AS n FROM lake_trades")["n"].item() == sum(
        catalog.trades.values()
    )
