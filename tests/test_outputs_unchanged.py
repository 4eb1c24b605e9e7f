"""The restructuring of the stages changed no output byte: sha256 against values recorded before.

``tests/outputs_sha256.json`` was written from commit 34f1401 (before the front doors) by running
the same commands: ``rlx demo --minutes 1``; ``rlx import`` of the real hftbacktest capture,
``rlx validate`` and ``rlx reconstruct --source golden`` of it. A change that alters an output on
purpose must re-record the file and say why in its commit (so far: ``trades/``, the captures'
single fills, and the RL detail and fidelity run id that follow from it; ``events/`` and
``book/`` unchanged).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DemoRun
from tests.output_hashes import hash_tree

EXPECTED = json.loads((Path(__file__).parent / "outputs_sha256.json").read_text())
RLX = Path(sys.executable).with_name("rlx")
DAYS = ("2024-08-08", "2024-08-09")


def _rlx(*args: str | Path) -> None:
    subprocess.run([RLX, *map(str, args)], check=True, capture_output=True, text=True)


def _expected(prefix: str) -> dict[str, str]:
    return {k.removeprefix(prefix): v for k, v in EXPECTED.items() if k.startswith(prefix)}


def test_the_demo_writes_the_recorded_bytes(demo_run: DemoRun) -> None:
    assert hash_tree(demo_run.root, demo_run.root) == _expected("demo/")


@pytest.mark.usefixtures("real_data")
def test_import_validate_reconstruct_of_the_real_capture_write_the_recorded_bytes(
    real_data: Path, tmp_path: Path
) -> None:
    data, checked = tmp_path / "data", tmp_path / "validation"
    spot = real_data / "hftbacktest-binance-2024-08-08" / "spot"
    files = sorted(spot.glob("btcusdt_*.gz"))
    _rlx("import", *files, "--format", "hftbacktest", "--data-root", data)
    subprocess.run([RLX, "validate", "--data-root", data, "--out", checked], check=False)
    _rlx(
        "reconstruct",
        "--source",
        "golden",
        "--symbols",
        "BTC-USDT",
        "--start",
        DAYS[0],
        "--end",
        DAYS[1],
        "--data-root",
        data,
    )
    assert hash_tree(data, data) == _expected("real/")
    assert hash_tree(checked, data) == _expected("validation/")
