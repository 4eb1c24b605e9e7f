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


FRONT_DOORS = {f"rlx_lib.{stage}" for stage in (*STAGES, "rl")}
CONTRACT_MODULES = {
    "rlx_lib",
    "rlx_lib.catalog",
    "rlx_lib.decimals",
    "rlx_lib.errors",
    "rlx_lib.golden",
    "rlx_lib.hawkes",
    "rlx_lib.parallel",
    "rlx_lib.results",
    "rlx_lib.schemas",
    "rlx_lib.venues",
    "rlx_lib.local.binance",
    "rlx_lib.local.s3",
}
SURFACE_FILES = sorted([*(REPO / "workbench").rglob("*.py"), *(REPO / "notebooks").glob("*.py")])


def _notebook_imports(path: Path) -> set[str]:
    """Imports in the code cells of a Jupyter notebook."""
    import json

    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    lines = [line for line in code.splitlines() if not line.lstrip().startswith(("%", "!"))]
    tree = ast.parse("\n".join(lines))
    return {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }


@pytest.mark.parametrize(
    "path",
    [*SURFACE_FILES, *sorted((REPO / "notebooks").glob("*.ipynb"))],
    ids=lambda p: str(p.relative_to(REPO)),
)
def test_surfaces_import_only_front_doors_and_contract_modules(path: Path) -> None:
    names = _notebook_imports(path) if path.suffix == ".ipynb" else _imports(path)
    internal = {
        name
        for name in names
        if name.split(".")[0] == "rlx_lib" and name not in FRONT_DOORS | CONTRACT_MODULES
    }
    assert not internal, f"{path.relative_to(REPO)} reaches inside stages: {sorted(internal)}"


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _load_time_nodes(tree: ast.Module) -> list[ast.AST]:
    """Every statement run when the module loads, ``if TYPE_CHECKING:`` blocks included."""
    nodes, todo = [], list(tree.body)
    while todo:
        node = todo.pop()
        nodes.append(node)
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            todo.extend(
                child for child in ast.iter_child_nodes(node) if isinstance(child, ast.stmt)
            )
    return nodes


def _top_level_imports(path: Path, known: set[str]) -> set[str]:
    """Modules of ``known`` that ``path`` imports at module level (not inside functions)."""
    found: set[str] = set()
    for node in _load_time_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            submodules = {f"{node.module}.{alias.name}" for alias in node.names}
            found.update(submodules & known or {node.module})
    return found & known


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` as a path of module names, or None."""
    state: dict[str, int] = {}
    trail: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        trail.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                return [*trail[trail.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        state[module] = 2
        trail.pop()
        return None

    for module in sorted(graph):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_no_import_cycle_in_the_library() -> None:
    modules = {_module_name(path): path for path in LIBRARY_FILES}
    graph = {
        name: _top_level_imports(path, set(modules)) - {name} for name, path in modules.items()
    }
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


MAX_LINES = 60
CODE_FILES = sorted(
    path
    for folder in ("rlx_lib", "workbench", "benchmarks", "notebooks", "tests")
    for path in (REPO / folder).rglob("*.py")
)


def _is_kernel(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Numba kernels (decorated with ``njit`` or ``numba.njit(...)``) may be long."""
    return any("njit" in ast.unparse(decorator) for decorator in node.decorator_list)


@pytest.mark.parametrize("path", CODE_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_no_function_is_longer_than_60_lines(path: Path) -> None:
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines, line {node.lineno})"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and not _is_kernel(node)
        and node.end_lineno - node.lineno + 1 > MAX_LINES
    ]
    assert not long, f"{path.relative_to(REPO)}: {', '.join(long)}"
