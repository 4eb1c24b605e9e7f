"""``rlx notebooks export``: HTML for every notebook, each run on a scratch data root of its
own; the user's data root stays byte-identical; failing cells are printed on stderr."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from rlx_lib.errors import StageError
from tests.conftest import DemoRun
from workbench.cli import main
from workbench.commands.notebooks import export

NOTEBOOK = """import marimo

app = marimo.App()


@app.cell
def _():
    import os
    from pathlib import Path

    root = Path(os.environ["RLX_DATA_ROOT"])
    root.mkdir(parents=True, exist_ok=True)
    (root / "written-by-the-notebook.txt").write_text("scratch")
    assert {condition}, "broken on purpose"
    return


if __name__ == "__main__":
    app.run()
"""


def _digests(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_export_runs_on_scratch_roots_and_prints_failing_cells(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A notebook writes into its own scratch root; a failing cell is on stderr and an error."""
    good, bad = tmp_path / "good.py", tmp_path / "bad.py"
    good.write_text(NOTEBOOK.format(condition="'rlx-notebook-good-' in str(root)"), "utf-8")
    bad.write_text(NOTEBOOK.format(condition="False"), encoding="utf-8")
    out = tmp_path / "html"
    with pytest.raises(StageError, match=r"failing cells .*: bad\.py$"):
        export([good, bad], out)
    assert "<html" in (out / "good.html").read_text(encoding="utf-8").lower()
    assert "bad.py: " in capsys.readouterr().err
    assert "broken on purpose" in (out / "bad.html").read_text(encoding="utf-8")
    assert not list(tmp_path.rglob("written-by-the-notebook.txt"))  # scratch roots are gone


def test_export_after_the_demo_leaves_its_data_root_byte_identical(
    demo_run: DemoRun,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """05_synth writes a market into its data root: never into the user's (here: the demo's)."""
    before = _digests(demo_run.root)
    monkeypatch.setenv("RLX_DATA_ROOT", str(demo_run.root))
    arguments = ["rlx", "notebooks", "export", "--only", "05_synth", "--minutes", "0.1"]
    monkeypatch.setattr("sys.argv", [*arguments, "--out", str(tmp_path / "html")])
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code == 0
    assert capsys.readouterr().out.strip().endswith("05_synth.html")
    assert _digests(demo_run.root) == before
    assert not [p for p in demo_run.root.rglob("*") if p.suffix in (".new", ".partial", ".part")]
