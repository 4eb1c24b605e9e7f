"""The demo's reports and every app page in Chromium set to New York time: every time axis
reads as the UTC time of the data, no time axis runs beyond the data, no legend is repeated,
and moving the book explorer's slider redraws the ladder."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DemoRun
from workbench.screenshots import CHROMIUM, take_screenshots

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CLOCK = re.compile(r"^(\d\d):(\d\d):(\d\d)$")


def _move_slider(page: Any, moved: dict[str, bool]) -> None:
    """Drag the time slider to its start; record whether the ladder was redrawn."""
    ladder = page.locator(".vega-embed").first
    before = ladder.inner_html()
    handle = page.locator(".noUi-handle").first
    track = page.locator(".noUi-base").first.bounding_box()
    box = handle.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(track["x"] + 2, box["y"] + box["height"] / 2, steps=10)
    page.mouse.up()
    for _ in range(60):  # a guard against waiting forever, not a timing rule
        page.wait_for_timeout(500)
        if page.locator(".vega-embed").first.inner_html() != before:
            moved["ladder"] = True
            return
    moved["ladder"] = False


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed")
def test_reports_and_app_pages_tell_utc_time_and_the_slider_moves(
    demo_run: DemoRun, tmp_path: Path
) -> None:
    moved: dict[str, bool] = {}
    shots = take_screenshots(
        demo_run.root,
        demo_run.reports,
        tmp_path / "shots",
        action=lambda page, _: _move_slider(page, moved),
    )
    assert {shot.name for shot in shots} >= {"fidelity-report", "summary", "app-book"}
    for shot in shots:
        assert shot.png.stat().st_size > 0
        assert shot.errors == [], f"{shot.name}: {shot.errors}"
        for labels in shot.time_axes:  # the demo runs from 00:00 to 00:01 UTC on 2024-08-08
            clocks = [CLOCK.match(label) for label in labels]
            assert all(clocks), f"{shot.name}: time labels {labels}"
            seconds = [int(m[1]) * 3600 + int(m[2]) * 60 + int(m[3]) for m in clocks]
            assert max(seconds) <= 61, f"{shot.name}: {labels} (the data ends at 00:01:00)"
        for legends in shot.legends:
            assert len(legends) == len(set(legends)), f"{shot.name}: repeated legend {legends}"
    timed = {shot.name for shot in shots if shot.time_axes}
    assert {"fidelity-report", "summary", "app-capture", "app-book"} <= timed
    assert moved == {"ladder": True}
