"""Golden copies of the real captures, imported once per session into a temporary root."""

from __future__ import annotations

from pathlib import Path

import pytest

from rlx_lib.capture import import_capture


@pytest.fixture(name="real_golden", scope="session")
def fixture_real_golden(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hftbacktest BTCUSDT capture (both files) as golden files; returns the data root."""
    root = tmp_path_factory.mktemp("real_golden")
    spot = real_data / "hftbacktest-binance-2024-08-08" / "spot"
    import_capture(root, paths=sorted(spot.glob("btcusdt_*.gz")), format="hftbacktest")
    return root


@pytest.fixture(name="cryptofeed_golden", scope="session")
def fixture_cryptofeed_golden(real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cryptofeed four-symbol capture (ws + REST snapshots) as golden files."""
    root = tmp_path_factory.mktemp("cryptofeed_golden")
    folder = real_data / "cryptofeed-binance-2021-10-12"
    import_capture(
        root, paths=[folder / "BINANCE.ws.1.0", folder / "BINANCE.http.0.0"], format="cryptofeed"
    )
    return root
