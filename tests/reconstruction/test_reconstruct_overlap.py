"""Overlapped writing (a segment encoded on other threads while the next is rebuilt)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from rlx_lib import catalog
from rlx_lib.reconstruction.checkpoint import final_state_path
from rlx_lib.reconstruction.overlap import Lanes
from tests.reconstruction.conftest import rebuild

SYMBOL = "BTC-USDT"


def test_overlapped_run_writes_the_bytes_of_a_one_thread_run(
    tmp_path: Path, market_factory
) -> None:
    roots = [tmp_path / "one_thread", tmp_path / "overlapped"]
    for root in roots:
        market = market_factory(root, days=2, messages=400)
    for root, threaded in zip(roots, (False, True), strict=True):
        rows = rebuild(root, market.days, checkpoint_messages=48, overlap=threaded)
        assert [row.status for row in rows] == ["done", "done"]
        assert rows[0].segments > 5
    for day in market.days:
        for dataset in ("events", "book", "drift", "issues"):
            files = [
                next(catalog.partition_dir(root, dataset, symbol=SYMBOL, day=day).glob("*.parquet"))
                for root in roots
            ]
            assert files[0].read_bytes() == files[1].read_bytes(), (dataset, day)
        states = [final_state_path(r, source="lake", symbol=SYMBOL, day=day) for r in roots]
        assert states[0].read_bytes() == states[1].read_bytes()


def test_lanes_run_jobs_in_order_on_their_own_threads() -> None:
    done: list[tuple[str, int]] = []
    threads: set[str] = set()

    def job(lane: str, index: int) -> None:
        time.sleep(0.001 * (index % 3))
        threads.add(threading.current_thread().name)
        done.append((lane, index))

    with Lanes(("a", "b"), depth=2) as lanes:
        for index in range(20):
            lanes.submit("a", job, "a", index)
            lanes.submit("b", job, "b", index)
    assert [i for lane, i in done if lane == "a"] == list(range(20))
    assert [i for lane, i in done if lane == "b"] == list(range(20))
    assert threading.current_thread().name not in threads
    assert len(threads) == 2


def test_a_failing_job_is_raised_in_the_caller_and_later_jobs_do_not_run() -> None:
    done: list[int] = []

    def job(index: int) -> None:
        if index == 1:
            raise OSError("disk full")
        done.append(index)

    lanes = Lanes(("a",), depth=1)
    lanes.submit("a", job, 0)
    lanes.submit("a", job, 1)
    with pytest.raises(OSError, match="disk full"):  # waits for job 1, which failed
        lanes.submit("a", job, 2)
    lanes.close()
    assert done == [0]


def test_one_thread_lanes_run_each_job_at_once() -> None:
    done: list[int] = []
    with Lanes(("a",), threaded=False) as lanes:
        lanes.submit("a", done.append, 1)
        assert done == [1]
        with pytest.raises(ZeroDivisionError):
            lanes.submit("a", lambda: 1 / 0)
