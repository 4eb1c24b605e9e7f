"""``rlx export`` and ``rlx rl``: bad input is one clear line (exit 1), listings work."""

from __future__ import annotations

from typer.testing import CliRunner

from workbench.cli import app, main

WINDOW = ["--symbols", "BTC-USDT", "--start", "2024-08-08", "--end", "2024-08-09"]


def _run(monkeypatch, capsys, *args):
    monkeypatch.setattr("sys.argv", ["rlx", *args])
    try:
        main()
    except SystemExit as stop:
        return int(stop.code or 0), capsys.readouterr()
    return 0, capsys.readouterr()


def test_unknown_format_and_missing_reconstruction_are_one_line(
    monkeypatch, capsys, data_root, tmp_path
):
    code, out = _run(
        monkeypatch, capsys, "export", "--format", "csv", *WINDOW, "--out", str(tmp_path)
    )
    assert code == 1
    assert out.err.strip() == "rlx: error: unknown export format 'csv'; rlx exports hftbacktest"
    code, out = _run(monkeypatch, capsys, "export", *WINDOW, "--out", str(tmp_path))
    assert code == 1
    assert out.err.count("\n") == 1
    assert "run `rlx reconstruct --source golden --symbols BTC-USDT" in out.err


def test_sweep_rejects_non_numbers_and_policies_are_listed(monkeypatch, capsys, data_root):
    code, out = _run(monkeypatch, capsys, "rl", "sweep", *WINDOW, "--drop-rates", "0,lots")
    assert code == 1
    assert out.err.startswith("rlx: error: --drop-rates takes numbers")
    listed = CliRunner().invoke(app, ["rl", "policies"])
    assert listed.exit_code == 0
    assert listed.output.split() == [
        "imbalance_taker",
        "passive_quoter",
        "random_quoter",
        "twap_seller",
    ]
