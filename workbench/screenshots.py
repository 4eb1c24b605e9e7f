"""Screenshots of the demo's reports and every app page in headless Chromium.

``make screenshots`` (``python -m workbench.screenshots``) writes one PNG per page under
``reports/screenshots/``. The browser runs in the America/New_York time zone, so a chart drawn
in the browser's local time instead of UTC would show it. Each page also yields what the
browser test checks: every time axis's labels, every legend's entries, the page's errors.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rlx_lib.errors import ConfigError

__all__ = ["CHROMIUM", "TIMEZONE", "Shot", "served", "take_screenshots"]

CHROMIUM = Path("/usr/bin/chromium")
TIMEZONE = "America/New_York"
_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]

_FACTS = """(svgs) => svgs.map((svg) => ({
  axes: [...svg.querySelectorAll('g.role-axis')].map((axis) => ({
    title: [...axis.querySelectorAll('.role-axis-title text')].map((t) => t.textContent).join(' '),
    labels: [...axis.querySelectorAll('.role-axis-label text')].map((t) => t.textContent),
  })),
  legends: [...svg.querySelectorAll('g.role-legend')].map((legend) =>
    [...legend.querySelectorAll('.role-legend-label text')].map((t) => t.textContent).join('|')),
}))"""


@dataclass
class Shot:
    """One page: its PNG, the time axes' labels, the legends of each chart, its errors."""

    name: str
    png: Path
    time_axes: list[list[str]] = field(default_factory=list)
    legends: list[list[str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def served(root: Path, reports: Path) -> Iterator[str]:
    """``rlx serve`` over ``root`` on a free loopback port; yields its base URL."""
    port = _free_port()
    command = [sys.executable, "-m", "workbench.cli", "serve", "--port", str(port)]
    command += ["--data-root", str(root), "--reports", str(reports)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # a guard against waiting forever, not a timing rule
            if process.poll() is not None:
                msg = f"rlx serve exited with {process.returncode}"
                raise ConfigError(msg)
            try:
                with urllib.request.urlopen(f"{base}/catalog"):
                    break
            except OSError:
                time.sleep(0.5)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=60)


def _facts(page: Any, shot: Shot) -> Shot:
    charts = page.locator("svg.marks").evaluate_all(_FACTS)
    for chart in charts:
        shot.time_axes += [a["labels"] for a in chart["axes"] if "(UTC)" in a["title"]]
        shot.legends.append(chart["legends"])
    return shot


def _open(browser: Any, url: str, name: str, out: Path, *, action: Any = None) -> Shot:
    context = browser.new_context(timezone_id=TIMEZONE, viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    shot = Shot(name=name, png=out / f"{name}.png")
    page.on("pageerror", lambda error: shot.errors.append(str(error)))
    page.on("console", lambda m: shot.errors.append(m.text) if m.type == "error" else None)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1500)  # let Panel lay out and every chart finish drawing
    if page.locator(".vega-embed").count():
        page.locator("svg.marks").first.wait_for()
    if action is not None:
        action(page, shot)
    page.screenshot(path=str(shot.png), full_page=True)
    _facts(page, shot)
    context.close()
    return shot


def take_screenshots(
    root: Path, reports: Path, out: Path, *, demo: str = "demo", action: Any = None
) -> list[Shot]:
    """Screenshot ``reports/<demo>/index.html`` (the fidelity report), its ``summary.html``
    and every app page over ``root``; ``action(page, shot)`` runs on the book explorer."""
    from playwright.sync_api import sync_playwright

    from workbench.app import PAGES

    if not CHROMIUM.exists():
        msg = f"no Chromium at {CHROMIUM}: install Debian's (apt-get install chromium)"
        raise ConfigError(msg)
    report = Path(reports) / demo
    if not (report / "index.html").exists():
        msg = f"no demo report at {report}: run `rlx demo` (or `make demo`) first"
        raise ConfigError(msg)
    out.mkdir(parents=True, exist_ok=True)
    shots = []
    with served(root, reports) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=_ARGS)
        try:
            for name, page in (("fidelity-report", "index.html"), ("summary", "summary.html")):
                url = (report / page).resolve().as_uri()
                shots.append(_open(browser, url, name, out))
            for route in PAGES:
                hook = action if route == "book" else None
                shots.append(_open(browser, f"{base}/{route}", f"app-{route}", out, action=hook))
        finally:
            browser.close()
    return shots


def main() -> None:
    """``python -m workbench.screenshots``: write the PNGs and list them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", type=Path, default=Path("data"))
    parser.add_argument("--reports", type=Path, default=Path("reports"))
    parser.add_argument("--out", type=Path, default=Path("reports/screenshots"))
    options = parser.parse_args()
    for shot in take_screenshots(options.data_root, options.reports, options.out):
        problems = f" ({len(shot.errors)} page errors)" if shot.errors else ""
        print(f"{shot.png}{problems}")


if __name__ == "__main__":
    main()
