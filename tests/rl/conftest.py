"""The real capture's first day, imported, given a fault-free vendor view, rebuilt both ways."""

from __future__ import annotations

import datetime as dt

import pytest

from rlx_lib.capture import import_capture
from rlx_lib.reconstruction import reconstruct
from rlx_lib.synth import synthesize, vendor_from_golden

DAY = dt.date(2024, 8, 8)


def rebuild(root, symbols, days):
    """Reconstruct both sources; fail on any failed symbol-day."""
    for source in ("golden", "lake"):
        end = days[-1] + dt.timedelta(days=1)
        result = reconstruct(root, source=source, symbols=symbols, start=days[0], end=end)
        assert result.ok, result.failed


@pytest.fixture(name="real_root", scope="session")
def fixture_real_root(real_data, tmp_path_factory):
    """A data root holding the real capture's 2024-08-08 as golden and as a fault-free vendor."""
    root = tmp_path_factory.mktemp("rl_real")
    capture = real_data / "hftbacktest-binance-2024-08-08" / "spot"
    import_capture(
        root, paths=[capture / "btcusdt_20240808.gz"], format="hftbacktest", symbol="BTC-USDT"
    )
    vendor_from_golden(root, golden=[root / "golden"], seed=1)
    rebuild(root, ["BTC-USDT"], [DAY])
    return root


@pytest.fixture(name="real_two_days", scope="session")
def fixture_real_two_days(real_data, tmp_path_factory):
    """The real capture's two days (the second opens without a snapshot), rebuilt as golden."""
    root = tmp_path_factory.mktemp("rl_real_two_days")
    capture = real_data / "hftbacktest-binance-2024-08-08" / "spot"
    files = [capture / "btcusdt_20240808.gz", capture / "btcusdt_20240809.gz"]
    import_capture(root, paths=files, format="hftbacktest", symbol="BTC-USDT")
    end = DAY + dt.timedelta(days=2)
    result = reconstruct(root, source="golden", symbols=["BTC-USDT"], start=DAY, end=end)
    assert result.ok, result.failed
    return root


@pytest.fixture(name="synthetic_root", scope="session")
def fixture_synthetic_root(tmp_path_factory):
    """Half a minute of the synthetic high regime, fault-free, rebuilt both ways."""
    root = tmp_path_factory.mktemp("rl_synth")
    synthesize(root, symbols=["BTC-USDT"], regime="high", minutes=0.5, seed=3)
    rebuild(root, ["BTC-USDT"], [DAY])
    return root
