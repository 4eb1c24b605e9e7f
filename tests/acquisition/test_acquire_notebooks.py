"""Lake coverage (the notebooks' DuckDB query) and the Jupyter notebook committed without outputs.

Both ``10_acquire`` notebooks are also run headless by ``tests/notebooks/test_notebooks.py``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import nbformat

from rlx_lib.acquisition import acquire
from workbench.coverage import calendar_chart, lake_coverage

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
DAYS = (dt.date(2024, 8, 8), dt.date(2024, 8, 9))


def test_lake_coverage_counts_rows_bytes_and_issues(data_root, lake, source, make_vendor):
    assert lake_coverage(data_root).height == 0
    for seed, day in enumerate(DAYS):
        for table in ("trades", "book_delta_v2"):
            frame = make_vendor(table, day, rows=50 + 10 * seed, seed=seed)
            if table == "trades" and seed == 1:
                frame = frame.vstack(frame.tail(2))  # two duplicate rows: two issue rows
            lake.put_frame(table, frame, symbol="ETH-USDT", day=day)
    result = acquire(
        data_root,
        tables=["trades", "book_delta_v2"],
        symbols=["ETH-USDT"],
        start=DAYS[0],
        end="2024-08-10",
        endpoint_url=source.endpoint_url,
        bucket=source.bucket,
    )
    results = {(r.unit.table, r.unit.day): r for r in result.rows}

    coverage = lake_coverage(data_root)

    assert coverage.height == 4
    for row in coverage.iter_rows(named=True):
        result = results[row["table"], row["dt"]]
        assert row["rows"] == result.rows
        assert row["bytes"] == result.path.stat().st_size
        assert row["issues"] == result.issue_rows
        assert row["verified"]
        assert row["files"] == 1
    assert coverage.filter(table="trades", dt=DAYS[1])["issues"][0] == 2
    spec = calendar_chart(coverage).to_dict()
    assert spec["mark"]["type"] == "rect"


def test_jupyter_notebook_is_committed_without_outputs():
    notebook = nbformat.read(NOTEBOOKS / "10_acquire.ipynb", as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert any("lake_coverage(" in cell.source for cell in code)
    assert all(not cell.outputs and cell.execution_count is None for cell in code)
