"""CLI start-up stays fast: ``rlx --help`` and every ``rlx <command> --help`` import no heavy
library (the command imports what it needs inside its body), and the defaults the commands
repeat for their help match the library's."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = (
    "polars", "pyarrow", "numpy", "numba", "scipy", "pandas", "duckdb", "panel", "bokeh",
    "altair", "marimo", "dask", "statsmodels", "lakeapi", "boto3", "moto",
)  # fmt: skip

PROBE = """
import json, sys
from typer.main import get_command
from typer.testing import CliRunner
from workbench.cli import app
runner = CliRunner()
group = get_command(app)
results = {"import workbench.cli": [0, sorted({m.split(".")[0] for m in sys.modules})]}
for name in ["", *sorted(group.commands)]:
    args = [name, "--help"] if name else ["--help"]
    before = set(sys.modules)
    code = runner.invoke(app, args).exit_code
    results[name or "rlx"] = [code, sorted({m.split(".")[0] for m in set(sys.modules) - before})]
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(sys.argv[1])))
print(json.dumps({"results": results, "heavy": heavy}))
"""


def test_help_of_every_command_imports_no_heavy_library() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(HEAVY)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(found["results"]) >= 12, found["results"]
    assert all(code == 0 for code, _ in found["results"].values()), found["results"]
    culprits = {
        name: sorted(set(modules) & set(HEAVY))
        for name, (_, modules) in found["results"].items()
        if set(modules) & set(HEAVY)
    }
    assert found["heavy"] == [], f"--help imported {found['heavy']}: by command {culprits}"


def test_help_defaults_repeat_the_library_constants() -> None:
    from rlx_lib.capture.importers import FORMATS
    from rlx_lib.fidelity import DEFAULT_THRESHOLD
    from rlx_lib.reconstruction.pipeline import BOOK_EVERY
    from rlx_lib.venues import binance
    from workbench.commands import capture, fidelity, reconstruct

    assert capture.STREAM_KINDS == binance.STREAM_KINDS
    assert (capture.WS_URL, capture.REST_URL) == (binance.WS_URL, binance.REST_URL)
    assert capture.FORMATS == FORMATS
    assert fidelity.DEFAULT_THRESHOLD == DEFAULT_THRESHOLD
    assert tuple(BOOK_EVERY) == reconstruct.BOOK_EVERY
