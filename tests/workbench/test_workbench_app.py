"""The Panel app served on 127.0.0.1 and driven in headless Chromium."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from workbench.app import PAGES

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_served(url: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(600):  # a guard against hanging forever, not a timing assertion
        if process.poll() is not None:
            raise AssertionError(f"rlx serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} never answered")


@pytest.fixture(name="served")
def fixture_served(catalog: Any, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """``rlx serve`` (default address) over the known catalog, with one published report."""
    reports = tmp_path / "reports"
    (reports / "demo").mkdir(parents=True)
    (reports / "demo" / "index.html").write_text("<html><body>demo</body></html>", encoding="utf-8")
    port = _free_port()
    log = tmp_path / "serve.log"
    command = [
        sys.executable,
        "-m",
        "workbench.cli",
        "serve",
        "--port",
        str(port),
        "--data-root",
        str(catalog.root),
        "--reports",
        str(reports),
    ]
    with open(log, "wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    try:
        _wait_until_served(f"http://127.0.0.1:{port}/catalog", process)
        yield {"port": port, "pid": process.pid, "log": log}
    finally:
        process.terminate()
        process.wait(timeout=60)


def _listening_addresses(served: dict[str, Any]) -> set[str]:
    return {
        connection.laddr.ip
        for connection in psutil.Process(served["pid"]).net_connections(kind="inet")
        if connection.status == psutil.CONN_LISTEN and connection.laddr.port == served["port"]
    }


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed")
def test_app_on_loopback_pages_load_and_regime_widget_redraws(served: dict[str, Any]) -> None:
    """Binds 127.0.0.1 only; every page loads without console errors; widgets redraw."""
    from playwright.sync_api import sync_playwright

    assert _listening_addresses(served) == {"127.0.0.1"}
    base = f"http://127.0.0.1:{served['port']}"
    with urllib.request.urlopen(f"{base}/reports/demo/index.html") as response:
        assert response.read() == b"<html><body>demo</body></html>"  # published reports open
    for bad in ("/reports/%00", "/reports/demo/index.html%00", "/reports/demo%00/index.html"):
        with pytest.raises(urllib.error.HTTPError) as refused:  # issue 14: was a 500 + traceback
            urllib.request.urlopen(base + bad)
        assert refused.value.code == 400

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for route, (title, _) in PAGES.items():
                page = browser.new_page(viewport={"width": 1300, "height": 1000})
                errors: list[str] = []
                page.on(
                    "console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None
                )
                page.on("pageerror", lambda error, e=errors: e.append(str(error)))
                page.goto(f"{base}/{route}")
                page.get_by_role("heading", name=title).wait_for()
                page.wait_for_load_state("networkidle")
                assert errors == [], f"{route}: {errors}"
                if route == "regimes":
                    _check_regime_redraw(page)
                page.close()
        finally:
            browser.close()
    assert "Traceback" not in served["log"].read_text(encoding="utf-8")


def _check_regime_redraw(page: Any) -> None:
    """Choosing another symbol for window B changes the size distribution chart."""
    chart = page.locator(".vega-embed").first
    chart.wait_for()
    page.wait_for_timeout(500)  # let Vega finish drawing before the reference screenshot
    before = chart.screenshot()
    page.locator("select").nth(1).select_option(label="BTC-USDT 2024-08-08")
    page.get_by_text("B: BTC-USDT").first.wait_for()
    page.wait_for_timeout(500)
    assert page.locator(".vega-embed").first.screenshot() != before
