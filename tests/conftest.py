"""Shared fixtures: a temporary data root and the real Binance captures in ``../shared``."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Machines here are noisy: hypothesis' per-example deadline would make tests flaky, not stricter.
settings.register_profile(
    "rlx", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("rlx")

REPO = Path(__file__).resolve().parent.parent
REAL_DATA = Path(os.environ.get("RLX_REAL_DATA", REPO.parent / "shared" / "data" / "real"))


@pytest.fixture(name="data_root")
def fixture_data_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data root, also exported as RLX_DATA_ROOT."""
    root = tmp_path / "data"
    root.mkdir()
    monkeypatch.setenv("RLX_DATA_ROOT", str(root))
    return root


@pytest.fixture(name="real_data", scope="session")
def fixture_real_data() -> Path:
    """The real captures folder (set RLX_REAL_DATA; default ../shared/data/real).

    Skipped with a reason only where the folder is absent (a user's own clone); in CI it is
    present and these tests run.
    """
    if not REAL_DATA.is_dir():
        pytest.skip(f"real captures not found at {REAL_DATA} (set RLX_REAL_DATA)")
    return REAL_DATA


@dataclass(frozen=True)
class DemoRun:
    """Where one ``rlx demo --minutes 1`` wrote: its data root and its reports folder."""

    root: Path
    reports: Path
    lines: tuple[str, ...]  # what the command printed


@pytest.fixture(name="demo_run", scope="session")
def fixture_demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """One one-minute ``rlx demo``, run once per session as a user would (shared: read only)."""
    base = tmp_path_factory.mktemp("demo_run")
    root, reports = base / "data", base / "reports"
    rlx = Path(sys.executable).with_name("rlx")
    command = [rlx, "demo", "--minutes", "1", "--data-root", root, "--out", reports / "demo"]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return DemoRun(root=root, reports=reports, lines=tuple(done.stdout.splitlines()))
