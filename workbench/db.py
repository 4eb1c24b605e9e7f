"""DuckDB over the data root: one read-only view per dataset and named ``.sql`` queries.

:func:`connect` opens an in-memory DuckDB, creates a view for every dataset that has files
(``lake_trades``, ``lake_book``, ``lake_book_delta_v2``, ``golden``, ``events``, ``book``,
``issues``, ``fidelity``) plus ``book_states`` (the reconstructed ``book`` and Lake's ``book``
snapshots in one shape), then locks the connection: no file access outside the data root, no
configuration changes. :meth:`Database.query` runs ``workbench/sql/<name>.sql`` with ``$name``
parameters bound by DuckDB, never formatted into the text; :meth:`Database.sql` runs one
analyst's statement and refuses anything but a query.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from rlx_lib.catalog import data_root
from rlx_lib.errors import ConfigError

__all__ = ["DATASETS", "SQL_DIR", "Database", "connect", "query_names"]

log = logging.getLogger(__name__)

SQL_DIR = Path(__file__).resolve().parent / "sql"

DATASETS: dict[str, str] = {
    "lake_trades": "lake/trades",
    "lake_book": "lake/book",
    "lake_book_delta_v2": "lake/book_delta_v2",
    "golden": "golden",
    "events": "events",
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
    if view == "golden":
        if not any(folder.glob("**/*.jsonl.zst")):
            return None
        return (
            f"read_json({_quote(str(folder / '**' / '*.jsonl.zst'))}, "
            "format='newline_delimited', compression='zstd', hive_partitioning=true, "
            "columns={capture_ns: 'BIGINT', stream: 'VARCHAR', data: 'JSON'})"
        )
    if not any(folder.glob("**/*.parquet")):
        return None
    return (
        f"read_parquet({_quote(str(folder / '**' / '*.parquet'))}, "
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
            "SELECT 'vendor' AS source, exchange, symbol, dt, origin_time, received_time, "
            f"sequence_number AS update_id, {_LEVELS} FROM lake_book"
        )
    return " UNION ALL BY NAME ".join(parts) or None


def _first_line(error: Exception) -> str:
    """DuckDB messages span lines (a caret under the query); rlx errors are one line."""
    return str(error).strip().splitlines()[0]


def query_names() -> list[str]:
    """Names of the named queries (``workbench/sql/*.sql``)."""
    return sorted(path.stem for path in SQL_DIR.glob("*.sql"))


class Database:
    """A locked, in-memory DuckDB with one view per dataset present under ``root``."""

    def __init__(self, root: Path, *, threads: int = 2) -> None:
        self.root = Path(root).resolve()
        self.connection = duckdb.connect(":memory:", config={"threads": threads})
        self.views: list[str] = []
        for view in DATASETS:
            source = _source(self.root, view)
            if source is not None:
                self.connection.sql(f"CREATE VIEW {view} AS SELECT * FROM {source}")
                self.views.append(view)
        states = _book_states(self.views)
        if states is not None:
            self.connection.sql(f"CREATE VIEW book_states AS {states}")
            self.views.append("book_states")
        self.connection.sql("SET TimeZone='UTC'")
        self.connection.sql(f"SET allowed_directories=[{_quote(str(self.root))}]")
        self.connection.sql("SET enable_external_access=false")
        self.connection.sql("SET lock_configuration=true")
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
            return pl.DataFrame(
                schema={
                    "dataset": pl.String,
                    "exchange": pl.String,
                    "symbol": pl.String,
                    "dt": pl.Date,
                    "files": pl.Int64,
                    "rows": pl.Int64,
                    "bytes": pl.Int64,
                }
            )
        return self.query("coverage", root=str(self.root), glob=str(self.root / "**" / "*.parquet"))

    def sql(self, text: str) -> pl.DataFrame:
        """Run one read-only statement (a query); refuse anything that could write."""
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
        try:
            relation = self.connection.sql(text)
        except duckdb.Error as error:
            msg = f"query failed: {_first_line(error)}"
            raise ConfigError(msg) from error
        return relation.pl() if relation is not None else pl.DataFrame()

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()


def connect(root: Path | str | None = None, *, threads: int = 2) -> Database:
    """Open the data root (``root``, ``$RLX_DATA_ROOT`` or ``./data``) as a :class:`Database`."""
    return Database(data_root(root), threads=threads)
