"""App pages built in-process: explanations where data is absent, content where it exists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import panel as pn
import pytest

from workbench.app import PAGES, build_page


def _alerts(page: pn.viewable.Viewable) -> list[str]:
    return [item.object for item in page.select(pn.pane.Alert)]


@pytest.mark.parametrize("route", list(PAGES))
def test_page_without_data_explains_what_to_run(route: str, tmp_path: Path) -> None:
    page = build_page(route, root=tmp_path / "empty", reports_dir=tmp_path / "reports")
    alerts = _alerts(page)
    assert alerts, f"{route} shows no explanation"
    assert all("Run `rlx" in alert for alert in alerts)


@pytest.mark.parametrize("route", list(PAGES))
def test_page_with_data_shows_it_escaped(route: str, catalog: Any, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    (reports / "run-1").mkdir(parents=True)
    (reports / "run-1" / "index.html").write_text("<html></html>", encoding="utf-8")
    page = build_page(route, root=catalog.root, reports_dir=reports)
    assert _alerts(page) == []
    html = [str(item.object) for item in page.select(pn.pane.HTML)]
    assert html or page.select(pn.pane.Vega)
    assert not any("<script>alert(1)</script>" in text for text in html)
