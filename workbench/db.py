"""DuckDB over the data root: one read-only view per dataset and named ``.sql`` queries.

:func:`connect` creates a view for every dataset that has files (``lake_trades``, ``lake_book``,
``lake_book_delta_v2``, ``golden``, ``events``, ``trades``, ``book``, ``issues``, ``fidelity``,
``patterns``) plus ``book_states`` (the reconstructed ``book`` and Lake's ``book`` snapshots in one
shape) in a scratch catalog, then opens that catalog ``READ_ONLY`` and locks it: DuckDB's local file
system is disabled, the data root is reachable only through the read-only ``rlxdata://`` file system
(:mod:`workbench.readonly`), no external access, no configuration changes. So ``COPY``, ``EXPORT``
or ``ATTACH`` fail inside DuckDB whatever statement wraps them. :meth:`Database.query` runs
``workbench/sql/<name>.sql`` with ``$name`` parameters bound by DuckDB, never formatted into the
text; :meth:`Database.batches` streams one analyst's query.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa

from rlx_lib.catalog import data_root
from rlx_lib.errors import ConfigError
from rlx_lib.schemas import COVERAGE, empty_frame
from workbench.readonly import ReadOnlyRoot, url

__all__ = ["DATASETS", "SQL_DIR", "Database", "connect", "head", "query_errors", "query_names"]

log = logging.getLogger(__name__)

SQL_DIR = Path(__file__).resolve().parent / "sql"

DATASETS: dict[str, str] = {
    "lake_trades": "lake/trades",
    "lake_book": "lake/book",
    "lake_book_delta_v2": "lake/book_delta_v2",
    "golden": "golden",
    "events": "events",
    "trades": "trades",
    "book": "book",
    "issues": "issues",
    "fidelity": "fidelity",
    "patterns": "patterns",
}
"""View name -> dataset folder under the data root."""

_LEVELS = r"COLUMNS('^(bid|ask)_\d+_(price|size)$')"
_ALLOWED = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _source(root: Path, view: str) -> str | None:
    """The table function reading a dataset, or None when it has no files yet."""
    folder = root / DATASETS[view]
    if view == "golden":  # closed files and .part files (captures cut short: cut_short)
        patterns = [p for p in ("*.jsonl.zst", "*.jsonl.zst.part") if any(folder.glob(f"**/{p}"))]
        if not patterns:
            return None
        globs = ", ".join(_quote(url(f"{DATASETS[view]}/**/{p}")) for p in patterns)
        return (
            f"(SELECT * EXCLUDE (filename), filename LIKE '%.part' AS cut_short FROM read_json("
            f"[{globs}], format='newline_delimited', compression='zstd', "
            "hive_partitioning=true, filename=true, "
            "columns={capture_ns: 'BIGINT', stream: 'VARCHAR', data: 'JSON'}))"
        )
    if not any(folder.glob("**/*.parquet")):
        return None
    return (
        f"read_parquet({_quote(url(DATASETS[view] + '/**/*.parquet'))}, "
        "hive_partitioning=true, union_by_name=true)"
    )


def _book_states(views: list[str]) -> str | None:
    """``book_states``: reconstructed book rows and Lake ``book`` snapshots, one shape."""
    parts = []
    if "book" in views:
        parts.append(
            "SELECT CAST(source AS VARCHAR) AS source, exchange, symbol, dt, origin_time, "
            f"received_time, update_id, {_LEVELS} FROM book"
        )
    if "lake_book" in views:
        parts.append(
            "SELECT 'lake_snapshot' AS source, exchange, symbol, dt, origin_time, received_time, "
            f"sequence_number AS update_id, {_LEVELS} FROM lake_book"
        )
    return " UNION ALL BY NAME ".join(parts) or None


def _first_line(error: Exception) -> str:
    """DuckDB messages span lines (a caret under the query); rlx errors are one line.

    An error raised by the read-only file system arrives as a Python traceback: its last line
    (``PermissionError: the data root is read-only: ...``) is the one that says why.
    """
    lines = [line for line in str(error).strip().splitlines() if line.strip()] or [repr(error)]
    return lines[-1].strip() if lines[0].startswith("Traceback") else lines[0]


_LOCKS = (
    f"SET allowed_directories=[{_quote(url(''))}]",
    "SET enable_external_access=false",
    "SET disabled_filesystems='LocalFileSystem'",
    "SET lock_configuration=true",
)


def _create_views(connection: duckdb.DuckDBPyConnection, root: Path) -> list[str]:
    """A view per dataset with files, plus ``book_states``; the names created."""
    views = []
    for view in DATASETS:
        source = _source(root, view)
        if source is not None:
            connection.sql(f"CREATE VIEW {view} AS SELECT * FROM {source}")
            views.append(view)
    states = _book_states(views)
    if states is not None:
        connection.sql(f"CREATE VIEW book_states AS {states}")
        views.append("book_states")
    return views


def _open_locked(root: Path, threads: int) -> tuple[duckdb.DuckDBPyConnection, list[str]]:
    """The views built in a scratch catalog, reopened READ_ONLY and locked."""
    files = ReadOnlyRoot(root)
    scratch = Path(tempfile.mkdtemp(prefix="rlx-sql-"))
    try:
        with duckdb.connect(str(scratch / "views.duckdb")) as build:
            build.register_filesystem(files)
            views = _create_views(build, root)
        connection = duckdb.connect(
            str(scratch / "views.duckdb"), read_only=True, config={"threads": threads}
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)  # DuckDB keeps the open file
    connection.register_filesystem(files)
    connection.sql("SET TimeZone='UTC'")
    for setting in _LOCKS:
        connection.sql(setting)
    return connection, views


@contextlib.contextmanager
def query_errors() -> Iterator[None]:
    """DuckDB errors while planning or running a query, as one-line ConfigErrors."""
    try:
        yield
    except (duckdb.Error, pa.ArrowException) as error:
        msg = f"query failed: {_first_line(error)}"
        raise ConfigError(msg) from error
    except MemoryError as error:
        msg = "the result does not fit in memory: add a LIMIT or write it with --out FILE"
        raise ConfigError(msg) from error


def head(reader: pa.RecordBatchReader, limit: int) -> pa.Table:
    """The first ``limit`` rows of a stream; the rest is never read."""
    batches, count = [], 0
    while count < limit:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            break
        batches.append(batch.slice(0, limit - count))
        count += batches[-1].num_rows
    return pa.Table.from_batches(batches, schema=reader.schema)


def query_names() -> list[str]:
    """Names of the named queries (``workbench/sql/*.sql``)."""
    return sorted(path.stem for path in SQL_DIR.glob("*.sql"))


class Database:
    """A locked, in-memory DuckDB with one view per dataset present under ``root``."""

    def __init__(self, root: Path, *, threads: int = 2) -> None:
        self.root = Path(root).resolve()
        if self.root.exists() and not self.root.is_dir():
            msg = f"the data root {root} is a file, not a folder"
            raise ConfigError(msg)
        self.connection, self.views = _open_locked(self.root, threads)
        log.debug("views over %s: %s", self.root, self.views)

    def has(self, *views: str) -> bool:
        """True when every named view exists (its dataset has files)."""
        return all(view in self.views for view in views)

    def query(self, name: str, **params: Any) -> pl.DataFrame:
        """Run the named query ``sql/<name>.sql`` with ``$params`` bound; return a frame."""
        if name not in query_names():
            msg = f"no named query {name!r}; available: {', '.join(query_names())}"
            raise ConfigError(msg)
        text = (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
        try:
            return self.connection.sql(text, params=params or None).pl()
        except duckdb.CatalogException as error:
            msg = f"query {name!r} needs a dataset absent under {self.root}: {_first_line(error)}"
            raise ConfigError(msg) from error

    def coverage(self) -> pl.DataFrame:
        """Files, rows and bytes per dataset, exchange, symbol and day (Parquet datasets)."""
        if not any(self.root.glob("**/*.parquet")):
            return empty_frame(COVERAGE)
        return self.query("coverage", prefix=url(""), glob=url("**/*.parquet"))

    def relation(self, text: str) -> duckdb.DuckDBPyRelation:
        """One analyst's statement, checked to be one query and planned (not yet run)."""
        try:
            statements = duckdb.extract_statements(text)
        except duckdb.Error as error:
            msg = f"cannot parse the statement: {_first_line(error)}"
            raise ConfigError(msg) from error
        if len(statements) != 1:
            msg = f"expected exactly one statement, received {len(statements)}"
            raise ConfigError(msg)
        kind = statements[0].type
        if kind not in _ALLOWED:
            msg = f"only queries are allowed (SELECT, WITH, DESCRIBE, ...); received {kind.name}"
            raise ConfigError(msg)
        with query_errors():
            relation = self.connection.sql(text)
        if relation is None:
            msg = "the statement returns no result"
            raise ConfigError(msg)
        return relation

    def reader(self, text: str, *, rows: int = 65_536) -> pa.RecordBatchReader:
        """One query's result as a stream of Arrow batches of at most ``rows`` rows.

        Read it inside :func:`query_errors`: a query can fail while it runs (a bad ``CAST``).
        """
        relation = self.relation(text)
        with query_errors():
            return relation.to_arrow_reader(rows)

    def sql(self, text: str, *, limit: int | None = None) -> pl.DataFrame:
        """One query's result as a frame (only its first ``limit`` rows when given)."""
        reader = self.reader(text)
        with query_errors():
            table = reader.read_all() if limit is None else head(reader, limit)
        frame = pl.from_arrow(table)
        return frame if isinstance(frame, pl.DataFrame) else frame.to_frame()

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()


def connect(root: Path | str | None = None, *, threads: int = 2) -> Database:
    """Open the data root (``root``, ``$RLX_DATA_ROOT`` or ``./data``) as a :class:`Database`."""
    return Database(data_root(root), threads=threads)
