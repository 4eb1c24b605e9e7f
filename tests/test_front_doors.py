"""Every stage has one front door: its package exports a verb ``verb(root, *, ...)`` and the
result type it returns, a frozen dataclass with rows, a table and an HTML view."""

from __future__ import annotations

import dataclasses
import importlib
import inspect

import pytest

from rlx_lib.results import StageResult

FRONT_DOORS = {
    "rlx_lib.synth": ("synthesize", "SynthResult"),
    "rlx_lib.acquisition": ("acquire", "AcquireResult"),
    "rlx_lib.capture": ("capture", "CaptureResult"),
    "rlx_lib.validation": ("validate", "ValidationResult"),
    "rlx_lib.reconstruction": ("reconstruct", "ReconstructResult"),
    "rlx_lib.fidelity": ("evaluate", "FidelityResult"),
    "rlx_lib.rl": ("export", "ExportResult"),
}


@pytest.mark.parametrize(("package", "names"), FRONT_DOORS.items())
def test_the_package_exports_its_verb_and_result(package: str, names: tuple[str, str]) -> None:
    module = importlib.import_module(package)
    assert set(names) <= set(module.__all__), f"{package}.__all__ lacks {names}"


@pytest.mark.parametrize(("package", "names"), FRONT_DOORS.items())
def test_root_comes_first_and_every_option_is_a_keyword(
    package: str, names: tuple[str, str]
) -> None:
    verb = getattr(importlib.import_module(package), names[0])
    first, *options = inspect.signature(verb).parameters.values()
    assert first.name == "root"
    assert first.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert [p.name for p in options if p.kind is not inspect.Parameter.KEYWORD_ONLY] == []
    assert "progress" in [p.name for p in options]
    assert inspect.signature(verb).return_annotation in (names[1], getattr(verb, "__name__", ""))


@pytest.mark.parametrize(("package", "names"), FRONT_DOORS.items())
def test_the_result_is_a_frozen_table_of_rows(package: str, names: tuple[str, str]) -> None:
    result = getattr(importlib.import_module(package), names[1])
    assert issubclass(result, StageResult)
    assert dataclasses.is_dataclass(result)
    assert result.__dataclass_params__.frozen
    members = {f.name for f in dataclasses.fields(result)} | set(dir(result))
    assert {"rows", "to_frame", "_repr_html_", "ok", "failed"} <= members
    required = [f.name for f in dataclasses.fields(result) if f.default is f.default_factory]
    if required:  # a result that cannot be empty (fidelity's carries its verdict)
        return
    empty = result()
    assert empty.ok
    assert empty.failed == []
    assert empty.to_frame().height == 0
    assert result.__name__ in empty._repr_html_()
