"""Data roots the notebooks fall back to: synthetic sessions when none is given.

Each helper returns a data root: the one given when it already holds the data the notebook
reads, else a fresh temporary folder filled by the synthetic market (and, for the lake, served
from a local S3 server and acquired through ``lakeapi`` as ``rlx acquire`` does). They call the
stages' front doors, as the demo does.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from rlx_lib.acquisition import AcquireResult, acquire
from rlx_lib.local.s3 import LocalLake
from rlx_lib.reconstruction import ReconstructResult, reconstruct
from rlx_lib.synth import DEFAULT_START, VendorFaults, synthesize

__all__ = [
    "acquire_from_local_lake",
    "acquired_lake",
    "fidelity_session",
    "phenomena_session",
    "rebuilt_window",
    "regime_sessions",
]


def regime_sessions(
    symbol: str,
    regimes: Sequence[str],
    *,
    minutes: float,
    seed: int,
    views: Sequence[str] = ("golden",),
    workdir: Path | None = None,
) -> dict[str, Path]:
    """One short synthetic session per regime, each in its own data root under ``workdir``."""
    workdir = Path(workdir or tempfile.mkdtemp(prefix="rlx-regimes-"))
    roots = {}
    for regime in regimes:
        roots[regime] = synthesize(
            workdir / regime,
            symbols=[symbol],
            regime=regime,
            minutes=minutes,
            seed=seed,
            views=views,
        ).root
    return roots


def fidelity_session(
    root: Path | str | None, *, symbol: str, minutes: float, seed: int, drop_rate: float
) -> Path:
    """``root`` when it holds ``golden/`` and ``lake/`` files, else a fresh synthetic session
    whose vendor view drops messages."""
    if root and all(any((Path(root) / view).rglob("*.*")) for view in ("golden", "lake")):
        return Path(root)
    return synthesize(
        Path(tempfile.mkdtemp(prefix="rlx-fidelity-")),
        symbols=[symbol],
        minutes=minutes,
        seed=seed,
        vendor_faults=VendorFaults(drop_rate=drop_rate),
    ).root


@dataclass(frozen=True)
class RebuiltWindow:
    """One symbol's day whose two sides are rebuilt into ``book/`` and ``events/``."""

    data_root: Path
    symbol: str
    start: dt.date
    rebuilt: Mapping[str, ReconstructResult]  # by source: golden, lake

    @property
    def end(self) -> dt.date:
        """The day after (windows are end-exclusive)."""
        return self.start + dt.timedelta(days=1)


def rebuilt_window(
    root: Path | str | None,
    *,
    symbol: str,
    day: str | dt.date,
    minutes: float,
    seed: int,
    drop_rate: float,
) -> RebuiltWindow:
    """:func:`fidelity_session`'s data root with both sides of ``symbol`` rebuilt over ``day``
    (days rebuilt before are skipped): where the fidelity and RL notebooks start."""
    data_root = fidelity_session(
        root, symbol=symbol, minutes=minutes, seed=seed, drop_rate=drop_rate
    )
    start = dt.date.fromisoformat(str(day))
    rebuilt = _rebuild_both_sides(data_root, symbols=[symbol], day=start)
    return RebuiltWindow(data_root=data_root, symbol=symbol, start=start, rebuilt=rebuilt)


def _rebuild_both_sides(
    data_root: Path, *, symbols: Sequence[str], day: dt.date
) -> dict[str, ReconstructResult]:
    """Both sides (golden, lake) of ``symbols`` rebuilt over ``day`` (days rebuilt before from
    the same inputs are skipped; a side without input is a failed row, not an error)."""
    end = day + dt.timedelta(days=1)
    return {
        source: reconstruct(data_root, source=source, symbols=list(symbols), start=day, end=end)
        for source in ("golden", "lake")
    }


def phenomena_session(
    root: Path | str | None,
    *,
    symbols: Sequence[str],
    day: dt.date,
    minutes: float,
    seed: int,
    plant_every_s: float,
) -> Path:
    """``root`` (a fresh temporary folder when empty); when it holds no ``golden/`` or
    ``lake/`` data, a ``high`` session starting at ``day``'s midnight (UTC) is synthesized into
    it with spoofing, layering and momentum ignition planted every ``plant_every_s`` seconds
    (``_planted.json``). Both sides of ``day`` are then reconstructed where they are not yet."""
    root = Path(root) if root else Path(tempfile.mkdtemp(prefix="rlx-phenomena-"))
    if not any(path.is_dir() for path in (root / "golden", root / "lake")):
        synthesize(
            root,
            symbols=symbols,
            start=day,
            minutes=minutes,
            seed=seed,
            plant=("spoofing", "layering", "momentum_ignition"),
            plant_every_s=plant_every_s,
        )
    _rebuild_both_sides(root, symbols=symbols, day=day)
    return root


def acquired_lake(
    root: Path | str | None, *, symbols: Sequence[str], minutes: float, seed: int
) -> Path:
    """``root`` when its ``lake/`` holds Parquet files, else a synthetic lake acquired through
    ``lakeapi`` from a local S3 server in Crypto Lake's layout."""
    if root and any((Path(root) / "lake").glob("**/*.parquet")):
        return Path(root)
    scratch = Path(tempfile.mkdtemp(prefix="rlx_acquire_"))
    data_root, vendor, day = scratch / "data", scratch / "out" / "vendor", DEFAULT_START.date()
    synthesize(data_root, symbols=symbols, minutes=minutes, seed=seed, vendor_root=vendor)
    acquire_from_local_lake(data_root, vendor=vendor, symbols=symbols, day=day)
    return data_root


def acquire_from_local_lake(
    root: Path, *, vendor: Path, symbols: Sequence[str], day: dt.date
) -> AcquireResult:
    """Serve a vendor view (``vendor/lake/...``) from a local S3 server in Crypto Lake's layout
    and acquire all of its ``day`` into ``root`` through ``lakeapi``; a failed unit raises."""
    with LocalLake() as lake:
        lake.upload_view(vendor)
        result = acquire(
            root,
            symbols=symbols,
            start=day,
            end=day + dt.timedelta(days=1),
            endpoint_url=lake.endpoint_url,
            bucket=lake.bucket_path,
            session=lake.session(),
        )
    result.raise_for_failures()
    return result
