"""Offline, self-contained, escaped HTML reports."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import polars as pl

from workbench import publish
from workbench.demo import Demo

HOSTILE = "<script>alert(1)</script>"


def _offline_problems(text: str) -> list[str]:
    """Network references a browser would fetch when opening the report."""
    problems = re.findall(r'<script[^>]+src="https?://[^"]+"', text)
    problems += re.findall(r'<link[^>]+rel="stylesheet"[^>]+href="https?://[^"]+"', text)
    problems += re.findall(
        r'ImportedStyleSheet\\?",\\?"id\\?":\\?"[^"\\]+\\?",\\?"attributes'
        r'\\?":\{\\?"url\\?":\\?"https?://[^"\\]+',
        text,
    )
    return problems


def test_publish_summary_is_offline_and_escaped(catalog: Any, tmp_path: Path) -> None:
    demo = Demo(root=catalog.root, out=tmp_path / "reports" / "demo")
    demo.out.mkdir(parents=True)
    index = demo.out / "index.html"
    path = publish.publish_summary(demo.root, index, demo=demo, steps=[f"synth: wrote {HOSTILE}"])
    text = path.read_text(encoding="utf-8")
    assert path == index
    assert _offline_problems(text) == []
    assert "InlineStyleSheet" in text
    assert HOSTILE not in text
    # escaped once by us, then again by Panel and Bokeh's document embedding
    assert re.search(r"&(amp;)+lt;script&(amp;)+gt;alert\(1\)", text)
    assert "BTC-USDT (lake_snapshot)" in text  # the synthetic book's mid and spread chart


def test_inline_panel_css_replaces_cdn_stylesheets() -> None:
    model = (
        '"name":"ImportedStyleSheet","id":"p1","attributes":{"url":'
        '"https://cdn.holoviz.org/panel/1.9.4/dist/css/markdown.css"}'
    )
    inlined = publish.inline_panel_css(model)
    assert "cdn.holoviz.org" not in inlined
    assert inlined.startswith('"name":"InlineStyleSheet","id":"p1"')


def test_table_pane_escapes_text_from_data() -> None:
    frame = pl.DataFrame({"symbol": ["BTC-USDT"], "detail": [HOSTILE]})
    pane = publish.table_pane(frame)
    assert HOSTILE not in pane.object
    assert "&lt;script&gt;" in pane.object


def test_update_reports_index_lists_reports(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    for name in ("demo", "fidelity-run-1", "a&b"):
        (reports / name).mkdir(parents=True)
        (reports / name / "index.html").write_text("<html></html>", encoding="utf-8")
    index = publish.update_reports_index(reports)
    text = index.read_text(encoding="utf-8")
    links = re.findall(r'href="([^"]+)"', text)
    assert sorted(links) == ["a&amp;b/index.html", "demo/index.html", "fidelity-run-1/index.html"]


def test_report_describes_the_data_root_it_was_given(catalog: Any, tmp_path: Path) -> None:
    """``rlx report``: not the demo's title or parameters; the datasets and symbols found."""
    (tmp_path / "reports" / "empty").mkdir(parents=True)
    empty = publish.publish_summary(
        tmp_path / "empty", tmp_path / "reports" / "empty" / "index.html"
    )
    text = empty.read_text(encoding="utf-8")
    assert "rlx data report" in text
    assert "holds no datasets yet" in text
    assert "rlx demo report" not in text
    assert "seed 7" not in text
    (tmp_path / "reports" / "full").mkdir(parents=True)
    full = publish.publish_summary(catalog.root, tmp_path / "reports" / "full" / "index.html")
    text = full.read_text(encoding="utf-8")
    assert "symbols BTC-USDT, ETH-USDT, UTC days 2024-08-08 to 2024-08-08" in text
    assert "regime" not in text
