"""``rlx notebooks export``: HTML for every notebook, failing cells reported as an error."""

from __future__ import annotations

from pathlib import Path

import pytest

from rlx_lib.errors import StageError
from workbench.commands.notebooks import export

NOTEBOOK = """import marimo

app = marimo.App()


@app.cell
def _():
    import os

    root = os.environ["RLX_DATA_ROOT"]
    assert {condition}
    return


if __name__ == "__main__":
    app.run()
"""


def test_export_writes_html_and_reports_a_failing_notebook(tmp_path: Path) -> None:
    """The notebook sees the data root; a failing cell is an error and the HTML is kept."""
    notebook = tmp_path / "checks_root.py"
    notebook.write_text(NOTEBOOK.format(condition="root.endswith('data')"), encoding="utf-8")
    out = tmp_path / "html"
    assert export([notebook], out, root=tmp_path / "data") == [out / "checks_root.html"]
    assert "<html" in (out / "checks_root.html").read_text(encoding="utf-8").lower()
    (out / "checks_root.html").unlink()
    with pytest.raises(StageError, match=r"checks_root\.py"):
        export([notebook], out, root=tmp_path / "elsewhere")
    assert (out / "checks_root.html").is_file()
