"""What a capture records and how it behaves: symbols and streams, endpoints, and the timing
and limits of its connections (defaults follow Binance's limits)."""

from __future__ import annotations

from dataclasses import dataclass

from rlx_lib.errors import ConfigError
from rlx_lib.venues import market
from rlx_lib.venues.binance import MAX_STREAMS_PER_CONNECTION

__all__ = ["CaptureConfig", "CaptureTuning"]


@dataclass(frozen=True, kw_only=True)
class CaptureTuning:
    """How a capture's connections behave; times in seconds."""

    ping_interval: float = 20.0
    ping_timeout: float = 20.0
    stall_timeout: float = 60.0
    open_timeout: float = 10.0
    close_timeout: float = 2.0
    rotate_after: float = 23.5 * 3600  # Binance disconnects at 24 h
    handover_timeout: float = 5.0
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    attempts_per_window: int = 250  # Binance allows 300 per 5 minutes per IP
    attempt_window: float = 300.0
    max_streams_per_connection: int = MAX_STREAMS_PER_CONNECTION
    status_interval: float = 1.0  # progress reports
    log_interval: float = 60.0  # the same figures in the log
    max_buffer_bytes: int = 256 << 20  # held in memory while writes fail, then stop


@dataclass(frozen=True, kw_only=True)
class CaptureConfig(CaptureTuning):
    """What to capture, from where, for how long, plus the tuning."""

    symbols: tuple[str, ...]
    market: str = "spot"  # or "usdm" (USD-M futures)
    streams: tuple[str, ...] = ()  # () : the market's default streams
    ws_url: str = ""  # "": the market's endpoint
    rest_url: str = ""
    duration: float | None = None  # None: until stopped
    snapshot_limit: int = 1000
    flush_interval: float = 1.0

    def __post_init__(self) -> None:
        chosen = market(self.market)
        for name, default in (
            ("streams", chosen.streams),
            ("ws_url", chosen.ws_url),
            ("rest_url", chosen.rest_url),
        ):
            if not getattr(self, name):
                object.__setattr__(self, name, default)
        if not self.symbols or not self.streams:
            msg = "capture needs at least one symbol and one stream"
            raise ConfigError(msg)
        for symbol in self.symbols:
            if not symbol.isalnum() or symbol != symbol.lower():
                msg = f"symbol must be a lower-case Binance symbol like 'btcusdt', got {symbol!r}"
                raise ConfigError(msg)
        if self.max_streams_per_connection < 1 or self.flush_interval <= 0:
            msg = "max_streams_per_connection and flush_interval must be positive"
            raise ConfigError(msg)

    def stream_names(self) -> list[str]:
        """Every ``<symbol>@<stream>`` name, symbol by symbol."""
        return [f"{symbol}@{kind}" for symbol in self.symbols for kind in self.streams]
