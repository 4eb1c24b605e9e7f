"""One synthetic session: simulate each symbol, derive both views, write them under a data root.

``golden/`` receives the live view (one zstd file per symbol and capture hour) and
``golden/_injected.json`` its faults; ``lake/<table>/`` receives the vendor view (one
``part-0.parquet`` per symbol and day, with a manifest entry) and ``lake/_injected.json`` its
faults (see :mod:`rlx_lib.synth.writers`). Same arguments, same bytes. A rerun leaves
identical files alone and refuses to change a finished file unless ``force``.
"""

from __future__ import annotations

import datetime as dt
import logging
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

from rlx_lib.catalog import lake_symbol, validate_symbol
from rlx_lib.errors import ConfigError
from rlx_lib.golden import GOLDEN_DATASET
from rlx_lib.results import Progress, ProgressCallback
from rlx_lib.synth.faults import LiveFaults, VendorFaults, empty_vendor_injected
from rlx_lib.synth.live import Exchange, LiveConnection
from rlx_lib.synth.result import SynthResult, SynthRow
from rlx_lib.synth.vendor import LakeRecorder, VendorConnection
from rlx_lib.synth.writers import GoldenWriter, LakeWriter, write_injected, write_planted
from rlx_lib.venues import market as find_market

__all__ = ["CHUNK_SECONDS", "DEFAULT_START", "VIEWS", "SynthConfig", "synthesize"]

log = logging.getLogger(__name__)

VIEWS = ("golden", "lake")
DEFAULT_START = dt.datetime(2024, 8, 8, tzinfo=dt.UTC)
"""Where a session starts unless told otherwise (UTC)."""
CHUNK_SECONDS = 600.0


@dataclass(frozen=True, slots=True, kw_only=True)
class SynthConfig:
    """What to synthesize: symbols, regime, length, seed, start and faults (validated)."""

    symbols: tuple[str, ...] = ("BTC-USDT",)
    regime: str = "high"
    minutes: float = 1.0
    seed: int = 0
    start: dt.datetime = DEFAULT_START
    live_faults: LiveFaults = field(default_factory=LiveFaults)
    vendor_faults: VendorFaults = field(default_factory=VendorFaults)
    plant: tuple[str, ...] = ()  # pattern kinds planted into the ground truth
    plant_every_s: float = 240.0  # one instance of each kind per this many seconds

    def __post_init__(self) -> None:
        from rlx_lib.synth.plant import PLANT_KINDS
        from rlx_lib.synth.regimes import resolve_regime

        if not self.symbols:
            msg = "symbols must name at least one symbol, received none"
            raise ConfigError(msg)
        for symbol in self.symbols:
            validate_symbol(symbol)
        resolve_regime(self.regime)
        unknown = [kind for kind in self.plant if kind not in PLANT_KINDS]
        if unknown:
            msg = f"cannot plant {unknown}; kinds: {', '.join(PLANT_KINDS)}"
            raise ConfigError(msg)
        if not self.plant_every_s > 0:
            msg = f"plant_every_s must be positive, received {self.plant_every_s}"
            raise ConfigError(msg)
        if not self.minutes > 0:
            msg = f"minutes must be positive, received {self.minutes}"
            raise ConfigError(msg)
        if self.start.tzinfo is None:
            msg = f"start must be a UTC datetime, received the naive {self.start.isoformat()}"
            raise ConfigError(msg)

    @property
    def start_ns(self) -> int:
        """Session start in ns since the epoch (UTC)."""
        delta = self.start.astimezone(dt.UTC) - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000

    @property
    def end_ns(self) -> int:
        """Session end in ns since the epoch (UTC)."""
        return self.start_ns + round(self.minutes * 60e9)


def synthesize(
    root: Path,
    *,
    symbols: Sequence[str] = ("BTC-USDT",),
    market: str = "spot",
    regime: str = "high",
    minutes: float = 1.0,
    seed: int = 0,
    start: dt.date | dt.datetime = DEFAULT_START,
    live_faults: LiveFaults | None = None,
    vendor_faults: VendorFaults | None = None,
    plant: Sequence[str] = (),
    plant_every_s: float = 240.0,
    views: Sequence[str] = VIEWS,
    vendor_root: Path | None = None,
    chunk_seconds: float = CHUNK_SECONDS,
    force: bool = False,
    progress: ProgressCallback | None = None,
) -> SynthResult:
    """Simulate ``minutes`` of each symbol's market from ``start`` and write its live view
    (``golden/``) and vendor view (``lake/``) under ``root``, with the faults asked for.

    ``market="usdm"`` turns ``BTC-USDT`` into ``BTC-USDT-PERP`` (USD-M futures shapes);
    ``start`` is a UTC datetime or a day (its midnight). ``plant`` names pattern kinds
    planted every ``plant_every_s`` seconds (listed in ``_planted.json``). ``views`` picks
    what is written; the vendor view goes under ``vendor_root`` instead when given. The
    market is simulated and written window by window (``chunk_seconds``), so memory stays
    bounded however long the session. ``force`` replaces files whose content would change.
    ``progress`` hears of every window, in simulated minutes.
    """
    config = SynthConfig(
        symbols=tuple(lake_symbol(s, market=find_market(market).name) for s in symbols),
        regime=regime,
        minutes=minutes,
        seed=seed,
        start=_start_time(start),
        live_faults=live_faults or LiveFaults(),
        vendor_faults=vendor_faults or VendorFaults(),
        plant=tuple(plant),
        plant_every_s=plant_every_s,
    )
    unknown = [view for view in views if view not in VIEWS]
    if unknown or not views:
        msg = f"views must be among {list(VIEWS)}, received {list(views)}"
        raise ConfigError(msg)
    lake_root = Path(vendor_root) if vendor_root is not None else Path(root)
    run = _Session(config, Path(root), lake_root, views=tuple(views), force=force)
    return run.write(chunk_ns=round(chunk_seconds * 1e9), report=_reporter(config, progress))


def _start_time(start: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(start, dt.datetime):
        return start
    return dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC)


def _reporter(
    config: SynthConfig, progress: ProgressCallback | None
) -> Callable[[str, float], None]:
    """``report(symbol, minutes)`` for each window written, as :class:`Progress` to ``progress``."""
    total = config.minutes * len(config.symbols)
    done = [0.0]

    def report(symbol: str, minutes: float) -> None:
        done[0] += minutes
        if progress is not None:
            text = f"{symbol}: {minutes:g} minutes simulated"
            progress(Progress("synthesize", symbol, done[0], total, text))

    return report


def _symbol_seed(seed: int, symbol: str) -> int:
    return (seed * 1_000_003 + zlib.crc32(symbol.encode())) % (2**63)


def _windows(config: SynthConfig, phase_ns: int, chunk_ns: int) -> list[tuple[int, int]]:
    """Simulation windows: ends on the 100 ms depth grid, so no depth window is cut."""
    start, end = config.start_ns, config.end_ns
    edges = [start]
    edge = phase_ns + chunk_ns
    while edge < end:
        edges.append(edge)
        edge += chunk_ns
    edges.append(end)
    return list(pairwise(edges))


@dataclass
class _Symbol:
    """One symbol's exchange, the two connections watching it and the writers of its views."""

    name: str
    seed: int
    exchange: Exchange
    live: LiveConnection
    vendor: VendorConnection
    recorder: LakeRecorder
    golden: GoldenWriter
    lake: LakeWriter


class _Session:
    """The symbols of one config, one after the other, and the files they share."""

    def __init__(
        self,
        config: SynthConfig,
        root: Path,
        lake_root: Path,
        *,
        views: tuple[str, ...],
        force: bool,
    ) -> None:
        from rlx_lib.synth.plant import plan_instances

        self.config, self.root, self.lake_root = config, root, lake_root
        self.views, self.force = views, force
        self.live_injected: dict[str, list[Any]] = {
            "gaps": [],
            "disconnects": [],
            "out_of_order": [],
        }
        self.lake_injected = empty_vendor_injected()
        self.table_rows: dict[str, int] = {}
        self.planted: list[dict[str, Any]] = []
        self.planned = plan_instances(
            config.plant,
            start_ns=config.start_ns,
            end_ns=config.end_ns,
            every_s=config.plant_every_s,
        )

    def write(self, *, chunk_ns: int, report: Callable[[str, float], None]) -> SynthResult:
        """Simulate and write every symbol, then the session's fault and pattern lists."""
        rows = tuple(
            self._symbol(name, chunk_ns=chunk_ns, report=report) for name in self.config.symbols
        )
        injected = {}
        if "golden" in self.views:
            clock_skew = self.config.live_faults.clock_skew_ns
            injected["golden"] = {**self.live_injected, "clock_skew_ns": clock_skew}
            write_injected(self.root / GOLDEN_DATASET, injected["golden"])
        if "lake" in self.views:
            write_injected(self.lake_root / "lake", self.lake_injected)
            injected["lake"] = self.lake_injected
        if self.config.plant:
            write_planted(self.root, self.planted)
        return SynthResult(
            rows=rows,
            root=self.root,
            table_rows=self.table_rows,
            injected=injected,
            planted=tuple(self.planted),
        )

    def _open(self, name: str) -> _Symbol:
        config, seed = self.config, _symbol_seed(self.config.seed, name)
        return _Symbol(
            name=name,
            seed=seed,
            exchange=Exchange(name, seed=seed, start_ns=config.start_ns),
            live=LiveConnection(
                name,
                seed=seed,
                start_ns=config.start_ns,
                end_ns=config.end_ns,
                faults=config.live_faults,
            ),
            vendor=VendorConnection(seed=seed),
            recorder=LakeRecorder(),
            golden=GoldenWriter(self.root, name, force=self.force),
            lake=LakeWriter(
                self.lake_root, name, faults=config.vendor_faults, seed=seed, force=self.force
            ),
        )

    def _symbol(
        self, name: str, *, chunk_ns: int, report: Callable[[str, float], None]
    ) -> SynthRow:
        """Simulate and write one symbol; nothing unfinished is left behind on a failure."""
        symbol = self._open(name)
        try:
            changes = self._simulate(symbol, chunk_ns=chunk_ns, report=report)
            golden_files, lake_files = self._close(symbol)
        except BaseException:
            symbol.golden.abort()
            symbol.lake.abort()
            raise
        log.info("synthesized %s: %d changes", name, changes)
        return SynthRow(
            symbol=name,
            status="written",
            messages=symbol.golden.records,
            level_changes=changes,
            vendor_rows=sum(symbol.lake.rows.values()),
            golden_files=tuple(golden_files),
            lake_files=tuple(lake_files),
        )

    def _simulate(
        self, symbol: _Symbol, *, chunk_ns: int, report: Callable[[str, float], None]
    ) -> int:
        """Simulate the session window by window, writing each; return the level changes."""
        from rlx_lib.synth.market import simulate
        from rlx_lib.synth.plant import plant

        config = self.config
        windows = _windows(config, symbol.exchange.phase_ns, chunk_ns)
        truth = None
        changes = 0
        for number, (start, stop) in enumerate(windows):
            truth = simulate(
                symbol.name,
                config.regime,
                start_ns=truth.end_ns if truth is not None else start,
                seconds=(stop - start) / 1e9,
                seed=config.seed,
                initial=truth.final if truth is not None else None,
            )
            if self.planned:
                truth, planted = plant(truth, self.planned, seed=symbol.seed)
                self.planted += [instance.to_dict() for instance in planted]
            changes += len(truth.change_price)
            last = number == len(windows) - 1
            self._deliver(symbol, truth, horizon_ns=None if last else stop)
            report(symbol.name, (stop - start) / 60e9)
        return changes

    def _deliver(self, symbol: _Symbol, truth: Any, *, horizon_ns: int | None) -> None:
        """One window of the truth, as both connections see it, into the writers."""
        feed = symbol.exchange.messages(truth)
        wanted = symbol.live.snapshot_requests(truth, feed) | symbol.vendor.snapshot_requests(
            truth, feed
        )
        replayed = symbol.exchange.replay(truth, snapshots=wanted)
        records = symbol.live.deliver(feed, replayed, horizon_ns=horizon_ns)
        if "golden" in self.views:
            symbol.golden.add(records)
        if "lake" in self.views:
            symbol.vendor.record(symbol.recorder, feed, replayed[2])
            symbol.lake.add(symbol.recorder.take_frames())

    def _close(self, symbol: _Symbol) -> tuple[list[Path], list[Path]]:
        """Finish the symbol's files and add its faults and rows to the session's."""
        golden_files: list[Path] = []
        lake_files: list[Path] = []
        if "golden" in self.views:
            golden_files = symbol.golden.close()
            for key in self.live_injected:
                self.live_injected[key] += symbol.live.injected[key]
        if "lake" in self.views:
            lake_files = symbol.lake.close()
            for key in self.lake_injected:
                self.lake_injected[key] += symbol.lake.injected[key]
            for table, count in symbol.lake.rows.items():
                self.table_rows[table] = self.table_rows.get(table, 0) + count
        return golden_files, lake_files
