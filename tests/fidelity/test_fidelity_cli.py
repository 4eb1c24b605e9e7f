"""``rlx fidelity`` from the command line: outputs, exit codes, the reports index."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from workbench.cli import app

WINDOW = ["--start", "2024-08-08", "--end", "2024-08-09"]


def test_fidelity_command_writes_report_metrics_manifest_and_index(
    data_root, tmp_path, market_factory, write_market
):
    write_market(data_root, market_factory(messages=120, seed=21))
    out = tmp_path / "reports" / "fidelity-run"
    arguments = ["fidelity", "--symbols", "BTC-USDT", *WINDOW, "--out", str(out)]
    result = CliRunner().invoke(app, [*arguments, "--data-root", str(data_root)])
    assert result.exit_code == 0, result.output
    assert "PASS: depth_agreement_20 = 1.000000" in result.output
    assert result.output.strip().splitlines()[-1] == str((out / "index.html").resolve())
    metrics = json.loads((out / "metrics.json").read_text())
    names = {m["name"] for m in metrics["metrics"]}
    assert {"top_of_book_agreement", "depth_agreement_20", "message_coverage"} <= names
    assert json.loads((out / "manifest.json").read_text())["run_id"] == metrics["run_id"]
    assert "fidelity-run/index.html" in (tmp_path / "reports" / "index.html").read_text()


def test_fidelity_command_fails_clearly(data_root, tmp_path, market_factory, write_market):
    runner = CliRunner()
    missing = runner.invoke(app, ["fidelity", "--symbols", "BTC-USDT", *WINDOW])
    assert missing.exit_code == 1
    assert "rlx reconstruct" in str(missing.exception)
    write_market(data_root, market_factory(messages=80, seed=22, drop=(10,)))
    out = tmp_path / "out"
    arguments = ["fidelity", "--symbols", "BTC-USDT", *WINDOW, "--out", str(out)]
    failed = runner.invoke(
        app, [*arguments, "--metrics", "message_coverage,depth_agreement_20", "--fail-on-verdict"]
    )
    assert failed.exit_code == 1
    assert "FAIL: depth_agreement_20" in failed.output
    unknown = runner.invoke(app, [*arguments, "--metrics", "no_such_metric"])
    assert unknown.exit_code == 1
    assert "unknown fidelity metric 'no_such_metric'" in str(unknown.exception)


def test_fidelity_reconstructs_a_missing_side_itself(data_root, tmp_path):
    """From lake/ and golden/ alone, one command reaches the report (one line per side)."""
    runner = CliRunner()
    synth = ["synth", "--symbols", "BTC-USDT", "--minutes", "0.2", "--seed", "3"]
    assert runner.invoke(app, [*synth, "--data-root", str(data_root)]).exit_code == 0
    out = tmp_path / "report"
    arguments = ["fidelity", "--symbols", "BTC-USDT", *WINDOW, "--out", str(out)]
    result = runner.invoke(app, [*arguments, "--data-root", str(data_root)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == (
        "no lake reconstruction of BTC-USDT in [2024-08-08, 2024-08-09): "
        "reconstructing it from lake/book_delta_v2/ first"
    )
    assert lines[1].startswith("no golden reconstruction of BTC-USDT")
    assert "PASS: depth_agreement_20" in result.output
    again = runner.invoke(app, [*arguments, "--data-root", str(data_root)])
    assert "reconstructing" not in again.output  # both sides are there now


def test_fidelity_rebuilds_the_days_a_partly_rebuilt_window_lacks(data_root, tmp_path):
    """Issue 15: a side with any day rebuilt was skipped, so a later day's FAIL was wrong."""
    runner = CliRunner()
    root = ["--data-root", str(data_root)]
    for start in ("2024-08-08T00:00Z", "2024-08-09T00:00Z"):
        synth = ["synth", "--symbols", "BTC-USDT", "--minutes", "0.2", "--start", start]
        assert runner.invoke(app, [*synth, "--seed", "3", *root]).exit_code == 0
    for source in ("lake", "golden"):
        first_day = ["reconstruct", "--source", source, "--symbols", "BTC-USDT", *WINDOW]
        assert runner.invoke(app, [*first_day, *root]).exit_code == 0
    window = ["--start", "2024-08-08", "--end", "2024-08-10", "--out", str(tmp_path / "report")]
    result = runner.invoke(app, ["fidelity", "--symbols", "BTC-USDT", *window, *root])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        "no lake reconstruction of BTC-USDT in [2024-08-08, 2024-08-10)"
    )
    assert "PASS: depth_agreement_20" in result.output
    assert (data_root / "book/exchange=BINANCE/symbol=BTC-USDT/dt=2024-08-09").is_dir()
