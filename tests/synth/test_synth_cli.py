"""``rlx synth`` end to end: same seed same bytes, reruns, --from-golden, errors, the demo step."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rlx_lib.catalog import file_sha256
from workbench.cli import app

ARGS = ["synth", "--symbols", "BTC-USDT,ETH-USDT", "--minutes", "0.5", "--seed", "21"]


def _digest(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): file_sha256(path)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(name="first_run", scope="module")
def fixture_first_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("first")
    return root, _run(*ARGS, "--data-root", str(root))


def test_same_seed_gives_identical_files(
    first_run: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    first, output = first_run
    second = tmp_path_factory.mktemp("second")
    _run(*ARGS, "--data-root", str(second))
    files = _digest(first)
    assert any(name.endswith(".jsonl.zst") for name in files)
    assert sum(name.endswith("part-0.parquet") for name in files) == 6  # 3 tables x 2 symbols
    assert files == _digest(second)
    assert "BTC-USDT:" in output
    assert "ETH-USDT:" in output


def test_other_seed_gives_other_files(first_run: tuple[Path, str], tmp_path: Path) -> None:
    first, _ = first_run
    args = ["synth", "--symbols", "BTC-USDT", "--minutes", "0.5", "--seed", "22"]
    _run(*args, "--views", "golden", "--data-root", str(tmp_path))
    mine = {k: v for k, v in _digest(tmp_path).items() if "BTC-USDT" in k}
    theirs = {k: v for k, v in _digest(first).items() if k in mine}
    assert mine
    assert all(mine[k] != theirs.get(k) for k in mine)


def test_rerun_keeps_identical_files_and_refuses_changes(first_run: tuple[Path, str]) -> None:
    root, _ = first_run
    before = _digest(root)
    _run(*ARGS, "--data-root", str(root))
    assert _digest(root) == before
    result = CliRunner().invoke(app, [*ARGS[:-1], "22", "--data-root", str(root)])
    assert result.exit_code == 1
    assert "--force" in str(result.exception) or "--force" in result.output


def test_from_golden_writes_the_vendor_view(first_run: tuple[Path, str], tmp_path: Path) -> None:
    root, _ = first_run
    output = _run(
        "synth",
        "--from-golden",
        str(root / "golden"),
        "--drop-rate",
        "0.05",
        "--seed",
        "3",
        "--data-root",
        str(tmp_path),
    )
    assert "lake rows" in output
    injected = json.loads((tmp_path / "lake" / "_injected.json").read_text())
    assert injected["dropped_messages"]
    assert injected["duplicated_rows"] == []
    assert len(list((tmp_path / "lake").rglob("part-0.parquet"))) == 6


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--regime", "sideways"], "unknown regime"),
        (["--symbols", "../etc"], "symbol"),
        (["--minutes", "0"], "minutes"),
        (["--views", "golden,csv"], "views"),
        (["--start", "yesterday"], "--start"),
    ],
)
def test_bad_options_exit_1_with_a_clear_message(
    args: list[str], message: str, tmp_path: Path
) -> None:
    result = CliRunner().invoke(app, ["synth", *args, "--data-root", str(tmp_path)])
    assert result.exit_code == 1
    assert message in str(result.exception)


def test_a_vendor_root_keeps_the_lake_view_apart_from_golden(tmp_path: Path) -> None:
    """As the demo uses it: golden into the data root, the vendor view under ``vendor_root``."""
    from rlx_lib.synth import synthesize

    vendor = tmp_path / "out" / "vendor"
    result = synthesize(
        tmp_path / "data", symbols=["BTC-USDT"], minutes=1, seed=5, vendor_root=vendor
    )
    assert result.ok
    assert list((tmp_path / "data" / "golden").rglob("*.jsonl.zst"))
    assert not (tmp_path / "data" / "lake").exists()
    assert len(list((vendor / "lake").rglob("part-0.parquet"))) == 3


def test_from_golden_injects_every_vendor_fault_at_its_rate(
    first_run: tuple[Path, str], tmp_path: Path
) -> None:
    """Issue 14: --duplicate-rate and --off-grid-rate were accepted and ignored here."""
    import polars as pl

    root, _ = first_run
    _run(
        "synth", "--from-golden", str(root / "golden"), "--drop-rate", "0.02",
        "--duplicate-rate", "0.01", "--off-grid-rate", "0.01", "--seed", "3",
        "--data-root", str(tmp_path),
    )  # fmt: skip
    injected = json.loads((tmp_path / "lake" / "_injected.json").read_text())

    def table(name: str, symbol: str = "*") -> pl.DataFrame:
        files = (
            tmp_path / "lake" / name / "exchange=BINANCE" / f"symbol={symbol}" / "*" / "*.parquet"
        )
        return pl.read_parquet(files, hive_partitioning=False)

    deltas, trades = table("book_delta_v2"), table("trades")
    duplicated = len(injected["duplicated_rows"])
    assert 0.005 < duplicated / (deltas.height - duplicated) < 0.02
    values = deltas.height * 2 + trades.height * 2  # price and size/quantity
    assert 0.005 < len(injected["off_grid_values"]) / values < 0.02
    assert injected["dropped_messages"]
    rows = {s: table("book_delta_v2", s).rows() for s in ("BTC-USDT", "ETH-USDT")}
    for item in injected["duplicated_rows"]:  # each copy sits right after its original
        assert rows[item["symbol"]][item["row"]] == rows[item["symbol"]][item["row"] - 1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from-golden", "{golden}", "--regime", "low"], "--regime has no effect"),
        (["--from-golden", "{golden}", "--disconnects", "2"], "--disconnects has no effect"),
        (["--views", "golden", "--off-grid-rate", "0.1"], "--off-grid-rate has no effect"),
        (["--views", "lake", "--reorder-rate", "0.1"], "--reorder-rate has no effect"),
        (["--plant-every", "30"], "--plant-every has no effect"),
    ],
)
def test_options_that_would_be_ignored_are_refused(
    args: list[str], message: str, first_run: tuple[Path, str], tmp_path: Path
) -> None:
    golden = str(first_run[0] / "golden")
    args = [arg.format(golden=golden) for arg in args]
    result = CliRunner().invoke(app, ["synth", *args, "--data-root", str(tmp_path)])
    assert result.exit_code == 1
    assert message in str(result.exception)
    assert not list(tmp_path.rglob("*.parquet"))
