"""The capture stage's front door: ``capture`` and ``import_capture`` and their typed results."""

from __future__ import annotations

import ast
import gzip
import inspect
from pathlib import Path

import pytest

import rlx_lib.capture as stage
from rlx_lib.capture import (
    CaptureResult,
    CaptureRow,
    CaptureTuning,
    ImportResult,
    ImportRow,
    capture,
    import_capture,
)
from rlx_lib.errors import ConfigError
from rlx_lib.golden import golden_files, iter_records
from rlx_lib.local.binance import BinanceServer, ServerThread, capture_local, synthetic_feed
from rlx_lib.results import Progress

PACKAGE = Path(stage.__file__).parent
SYMBOLS = ("btcusdt", "ethusdt")


@pytest.mark.parametrize("verb", [capture, import_capture])
def test_verbs_take_the_root_first_and_everything_else_by_keyword(verb) -> None:
    parameters = list(inspect.signature(verb).parameters.values())
    assert parameters[0].name == "root"
    assert parameters[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters[1:])
    assert parameters[-1].name == "progress"
    assert {"capture", "CaptureResult", "import_capture", "ImportResult"} <= set(stage.__all__)


def test_capture_returns_a_row_per_symbol_and_reports_progress(data_root: Path) -> None:
    feed = list(synthetic_feed(SYMBOLS, messages=600, seed=4))
    seen: list[Progress] = []
    with ServerThread(BinanceServer(feed, rate=1500)) as server:
        result = capture(
            data_root,
            symbols=SYMBOLS,
            ws_url=server.ws_url,
            rest_url=server.rest_url,
            duration=1.2,
            flush_interval=0.1,
            tuning=CaptureTuning(status_interval=0.2, backoff_initial=0.05),
            progress=seen.append,
        )
        sent = len(server.sent)
    assert isinstance(result, CaptureResult)
    assert [row.symbol for row in result.rows] == ["BTC-USDT", "ETH-USDT"]
    assert all(isinstance(row, CaptureRow) and row.status == "ok" for row in result.rows)
    assert result.ok
    assert not result.failed
    assert sum(row.messages for row in result.rows) == result.messages == sent > 0
    assert [row.snapshots for row in result.rows] == [1, 1]
    assert sum(row.files for row in result.rows) == len(result.files) == 2
    written = sum(1 for path in result.files for _ in iter_records(path))
    assert written > result.messages  # plus snapshots and _session records
    assert seen
    assert all(p.stage == "capture" and "msg/s" in p.text for p in seen)
    frame = result.to_frame()
    assert frame["symbol"].to_list() == ["BTC-USDT", "ETH-USDT"]
    assert frame["messages"].sum() == result.messages
    assert "<table>" in result._repr_html_()
    assert "BTC-USDT" in result._repr_html_()


def test_capture_refuses_a_bad_symbol(data_root: Path) -> None:
    with pytest.raises(ConfigError, match="lower-case Binance symbol"):
        capture(data_root, symbols=["BTC-USDT"], duration=0.1)


def test_capture_local_adds_what_the_server_did(data_root: Path) -> None:
    feed = synthetic_feed(SYMBOLS, messages=300, seed=2)
    result = capture_local(data_root, records=feed, symbols=SYMBOLS, rate=1500.0)
    assert result.ok
    assert result.sent == result.messages > 0
    assert result.feed_position == 300
    assert result.faults == ()


def _hftbacktest_file(folder: Path) -> Path:
    path = folder / "btcusdt_20240808.gz"
    lines = [
        b'1723161600000000000 {"lastUpdateId":10,"bids":[["1.0","2.0"]],"asks":[["2.0","1.0"]]}',
        b'1723161600001000000 {"stream":"btcusdt@trade","data":{"e":"trade","t":1,"p":"1.5"}}',
        b'1723165200002000000 {"stream":"btcusdt@trade","data":{"e":"trade","t":2,"p":"1.6"}}',
    ]
    with gzip.open(path, "wb") as handle:
        handle.write(b"\n".join(lines) + b"\n")
    return path


def test_import_capture_has_a_row_per_golden_file(tmp_path: Path, data_root: Path) -> None:
    source = _hftbacktest_file(tmp_path)
    seen: list[Progress] = []
    result = import_capture(data_root, paths=[source], format="hftbacktest", progress=seen.append)
    assert isinstance(result, ImportResult)
    assert result.ok
    assert all(isinstance(row, ImportRow) for row in result.rows)
    assert [(row.symbol, row.records, row.status) for row in result.rows] == [
        ("BTC-USDT", 2, "written"),  # hour 00: the snapshot and a trade
        ("BTC-USDT", 1, "written"),  # hour 01
    ]
    assert result.written == golden_files([data_root / "golden"])
    assert result.records == {"btcusdt@depthSnapshot": 1, "btcusdt@trade": 2}
    assert result.symbols == ["btcusdt"]
    assert result.market == "spot"
    assert [(p.stage, p.done, p.total) for p in seen] == [("import", 1, 2), ("import", 2, 2)]
    assert result.to_frame()["records"].to_list() == [2, 1]
    again = import_capture(data_root, paths=[source], format="hftbacktest")
    assert [row.status for row in again.rows] == ["unchanged", "unchanged"]
    assert again.written == []
    assert again.unchanged == result.written


def test_import_capture_refuses_an_unknown_format(tmp_path: Path, data_root: Path) -> None:
    with pytest.raises(ConfigError, match="import format must be one of"):
        import_capture(data_root, paths=[_hftbacktest_file(tmp_path)], format="csv")  # type: ignore[arg-type]


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_capture_has_no_import_cycle_and_never_imports_the_local_stand_ins() -> None:
    graph = {
        f"rlx_lib.capture.{path.stem}": {
            name for name in _imports(path) if name.startswith("rlx_lib.capture.")
        }
        for path in PACKAGE.glob("*.py")
        if path.stem != "__init__"
    }
    for path in PACKAGE.glob("*.py"):
        assert not any(name.startswith("rlx_lib.local") for name in _imports(path)), path

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for step in graph.get(start, ()):
            if step == goal or (step not in seen and reaches(step, goal, seen | {step})):
                return True
        return False

    assert graph["rlx_lib.capture.link"]  # the graph is read
    cycles = [module for module in graph if reaches(module, module, {module})]
    assert cycles == []
