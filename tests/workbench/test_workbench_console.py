"""One progress renderer for every command: plain lines off a terminal, a bar on one."""

from __future__ import annotations

import pytest

from rlx_lib.results import Progress
from workbench import console

STEPS = [Progress("reconstruct", f"BTC-USDT day {n}", n, 3, f"day {n} done") for n in (1, 2, 3)]


def test_off_a_terminal_each_step_is_a_plain_line(capsys: pytest.CaptureFixture[str]) -> None:
    with console.reporting("rebuilding") as progress:
        for step in STEPS:
            progress(step)
    with console.reporting("validating", err=True) as progress:
        progress(STEPS[0])
    with console.reporting("acquiring", lines=False) as progress:
        progress(STEPS[0])
    out, err = capsys.readouterr()
    assert out.splitlines() == ["day 1 done", "day 2 done", "day 3 done"]
    assert err.splitlines() == ["day 1 done"]


def test_on_a_terminal_each_text_prints_above_the_bar(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(console, "is_terminal", lambda: True)
    with console.reporting("rebuilding") as progress:
        for step in STEPS:
            progress(step)
    with console.reporting("acquiring", lines=False) as progress:
        progress(Progress("acquire", "unit", 1, 1, "not printed"))
    out = capsys.readouterr().out
    assert [out.count(f"day {n} done") for n in (1, 2, 3)] == [1, 1, 1]
    assert "not printed" not in out
