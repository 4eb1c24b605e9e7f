"""The fidelity front door: ``evaluate(root, *, ...)`` and its typed result."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import polars as pl

import rlx_lib.fidelity as fidelity
from rlx_lib.fidelity import FidelityResult, MetricRecord, evaluate
from rlx_lib.results import Progress, StageResult

METRICS = ["depth_agreement_20", "message_coverage", "trade_match_rate"]
SYMBOLS = ["BTC-USDT", "ETH-USDT"]


def test_front_door_exports_the_verb_its_result_and_the_metric_registry():
    expected = {"evaluate", "FidelityResult", "Metric", "MetricResult", "register", "get"}
    assert expected | {"available", "ENTRY_POINT_GROUP"} <= set(fidelity.__all__)
    assert all(hasattr(fidelity, name) for name in fidelity.__all__)
    assert issubclass(FidelityResult, StageResult)


def test_evaluate_takes_the_root_first_and_everything_else_by_keyword():
    parameters = list(inspect.signature(evaluate).parameters.values())
    assert parameters[0].name == "root"
    assert parameters[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters[1:])
    assert {"symbols", "start", "end", "progress"} <= {p.name for p in parameters}


def test_result_rows_are_one_record_per_metric_per_symbol(data_root, market_factory, write_market):
    for number, symbol in enumerate(SYMBOLS):
        write_market(data_root, market_factory(messages=80, seed=20 + number), symbol=symbol)
    told: list[Progress] = []

    result = evaluate(
        data_root,
        symbols=SYMBOLS,
        start="2024-08-08",
        end="2024-08-09",
        metrics=METRICS,
        progress=told.append,
    )

    assert all(isinstance(row, MetricRecord) and row.period is None for row in result.rows)
    assert [(r.symbol, r.name) for r in result.rows] == [(s, m) for s in SYMBOLS for m in METRICS]
    assert len(result.records) > len(result.rows)  # depth agreement per resync period too
    assert result.ok is result.verdict.passed is True
    assert result.failed == []
    frame = result.to_frame()
    assert isinstance(frame, pl.DataFrame)
    assert frame["name"].to_list() == [r.name for r in result.rows]
    assert result.results_frame().height == len(result.records)
    assert result.verdict.sentence() in result._repr_html_()
    assert [(p.stage, p.unit, p.done, p.total) for p in told] == [
        ("fidelity", f"{s} {m}", i + 1, 6)
        for i, (s, m) in enumerate((s, m) for s in SYMBOLS for m in METRICS)
    ]


def test_a_failed_gated_metric_fails_the_result(data_root, market_factory, write_market):
    write_market(data_root, market_factory(messages=120, seed=4, drop=(50,)))

    result = evaluate(
        data_root, symbols=["BTC-USDT"], start="2024-08-08", end="2024-08-09", metrics=METRICS
    )

    assert not result.ok
    # the dropped diff leaves the vendor's book wrong until it resyncs, and a message missing
    assert [r.name for r in result.failed] == ["depth_agreement_20", "message_coverage"]
    assert "2 failed" in result._repr_html_()


def test_verdict_and_records_do_not_import_the_run():
    folder = Path(fidelity.__file__).parent
    for name in ("verdict.py", "records.py", "result.py"):
        tree = ast.parse((folder / name).read_text(encoding="utf-8"))
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert "rlx_lib.fidelity.run" not in imported, name
