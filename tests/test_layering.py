"""Import rules: rlx_lib has no UI imports, stages hand over through datasets, not imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LIBRARY = REPO / "rlx_lib"
STAGES = ("synth", "acquisition", "capture", "reconstruction", "validation", "fidelity")
UI_MODULES = ("duckdb", "panel", "marimo", "altair", "bokeh", "workbench", "typer")
SHARED_EXPORTS = {"rlx_lib.reconstruction"}  # the book class may serve validation and fidelity


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


LIBRARY_FILES = sorted(LIBRARY.rglob("*.py"))


@pytest.mark.parametrize("path", LIBRARY_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_library_never_imports_ui_or_workbench(path: Path) -> None:
    bad = {name for name in _imports(path) if name.split(".")[0] in UI_MODULES}
    assert not bad, f"{path.relative_to(REPO)} imports {sorted(bad)}"


@pytest.mark.parametrize("path", LIBRARY_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_stages_do_not_import_each_other(path: Path) -> None:
    parts = path.relative_to(LIBRARY).parts
    own = parts[0] if len(parts) > 1 and parts[0] in STAGES else None
    if own is None:
        return
    others = set()
    for name in _imports(path):
        pieces = name.split(".")
        if pieces[0] == "rlx_lib" and len(pieces) > 1 and pieces[1] in STAGES and pieces[1] != own:
            allowed = ".".join(pieces[:2]) in SHARED_EXPORTS and own in ("validation", "fidelity")
            if not allowed:
                others.add(name)
    assert not others, f"{path.relative_to(REPO)} imports other stages {sorted(others)}"


def test_lakeapi_is_imported_only_inside_acquisition() -> None:
    offenders = [
        str(path.relative_to(REPO))
        for path in LIBRARY_FILES
        if any(name.split(".")[0] == "lakeapi" for name in _imports(path))
        and "acquisition" not in path.parts
    ]
    assert offenders == []
