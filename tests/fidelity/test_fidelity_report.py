"""The fidelity dashboard: one offline HTML file, drawn in headless Chromium with no network."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from rlx_lib.fidelity import evaluate
from workbench.fidelity_report import publish_report

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CHARTS_PER_SYMBOL = 11
"""7, the RL readiness heat map (its metrics are installed plugins) and three phenomena charts:
Hawkes matrices, depth profile, pattern timeline (the MMD needs five one-minute windows)."""


@pytest.fixture(name="published", scope="module")
def fixture_published(tmp_path_factory, market_factory, write_market):
    """A report over a market with a dropped vendor message and a live disconnect."""
    base = tmp_path_factory.mktemp("fidelity_report")
    root = base / "data"
    built = market_factory(messages=400, seed=9, drop=(60,), live_disconnect=(200, 4))
    write_market(root, built)
    report = evaluate(
        root,
        symbols=["BTC-USDT"],
        start="2024-08-08",
        end="2024-08-09",
        out=base / "reports" / "run",
    )
    validation = base / "reports" / "validation" / "validation.json"
    validation.parent.mkdir(parents=True)
    validation.write_text("{}")
    links = {"validation summary": validation}
    return publish_report(report, base / "reports" / "run", links=links), built


def test_report_is_one_offline_file_with_verdict_drill_down_and_index(published):
    published, market = published
    text = published.read_text(encoding="utf-8")
    assert not re.search(r'<script[^>]+src="https?:', text)
    assert not re.search(r'<link[^>]+href="https?:', text)
    assert '"ImportedStyleSheet"' not in text or "cdn.holoviz.org" not in text
    assert "Verdict: FAIL" in text
    assert f"the vendor lacks message u={market.dropped[0]}" in text  # named in the drill-down
    assert "../validation/validation.json" in text
    index = (published.parent.parent / "index.html").read_text(encoding="utf-8")
    assert 'href="run/index.html"' in index


@pytest.mark.browser
def test_report_draws_every_chart_offline_in_chromium(published, tmp_path):
    published, _ = published
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        pytest.fail(f"Debian's chromium is required at {CHROMIUM} for browser tests")
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    outside: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})

        def route(request_route):
            url = request_route.request.url
            if url.startswith(("file://", "data:", "blob:")):
                request_route.continue_()
            else:
                outside.append(url)
                request_route.abort()

        page.route("**/*", route)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(published.resolve().as_uri())
        page.locator(".vega-embed").nth(CHARTS_PER_SYMBOL - 1).wait_for(timeout=60_000)
        embeds = page.locator(".vega-embed")
        assert embeds.count() == CHARTS_PER_SYMBOL
        for index in range(embeds.count()):
            embed = embeds.nth(index)
            embed.scroll_into_view_if_needed()
            drawn = embed.evaluate(
                """e => {
                    const canvas = e.querySelector('canvas');
                    if (canvas) {
                        const data = canvas.getContext('2d')
                            .getImageData(0, 0, canvas.width, canvas.height).data;
                        let painted = 0;
                        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
                        return painted;
                    }
                    const svg = e.querySelector('svg');
                    return svg ? svg.querySelectorAll('path, rect, line, text').length : 0;
                }"""
            )
            assert drawn > 0, f"chart {index} drew nothing"
        shot = tmp_path / "fidelity_report.png"
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert shot.stat().st_size > 10_000
    assert outside == []
    assert errors == []
