"""No command leaves ``*.new``, ``*.partial`` or ``*.part`` files behind, failed or not."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from workbench.cli import app

LEFTOVER = (".new", ".partial", ".part")


def _leftovers(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.suffix in LEFTOVER]


def test_failed_synth_and_reconstruct_leave_no_temporary_files(data_root: Path) -> None:
    runner = CliRunner()
    root = ["--data-root", str(data_root)]
    synth = ["synth", "--symbols", "BTC-USDT", "--minutes", "0.1", *root]
    window = ["--symbols", "BTC-USDT", "--start", "2024-08-08", "--end", "2024-08-09", *root]
    assert runner.invoke(app, [*synth, "--seed", "1"]).exit_code == 0
    assert runner.invoke(app, ["reconstruct", "--source", "lake", *window]).exit_code == 0
    clash = runner.invoke(app, [*synth, "--seed", "2"])  # would change finished files
    assert clash.exit_code == 1
    assert "--force" in str(clash.exception)
    assert _leftovers(data_root) == []
    assert runner.invoke(app, [*synth, "--seed", "2", "--force"]).exit_code == 0
    rebuilt = runner.invoke(app, ["reconstruct", "--source", "lake", *window])
    assert rebuilt.exit_code == 1  # its output would change: refused without --force
    assert "failed" in rebuilt.output
    assert _leftovers(data_root) == []
