"""The tunable thresholds of the adversarial-pattern detectors, in one place."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from rlx_lib.errors import ConfigError

__all__ = ["Thresholds"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Thresholds:
    """What counts as spoofing, layering and momentum ignition.

    Sizes are multiples of the window's median level increase (the typical order added to a
    level), so one setting fits any symbol; distances are basis points of the touch price.

    Attributes
    ----------
    spoof_multiple
        A spoof adds at least this many median increases to one level ...
    layer_multiple
        ... a layer at least this many, on each of ``layer_levels`` levels or more.
    min_distance_bp, max_distance_bp
        Behind the touch (before the add) by at least ``min_distance_bp`` (not a quote at the
        touch) and at most ``max_distance_bp`` (near enough to sway the visible book).
    min_life_s, max_life_s
        Resting at least ``min_life_s`` (long enough to be seen) and cancelled within
        ``max_life_s`` (a level that stays is not a spoof).
    cancel_share
        The cancel takes away at least this share of the added size.
    layer_levels
        Distinct prices in a layering burst.
    layer_add_s, layer_cancel_s
        The adds of a layering burst fall within ``layer_add_s`` of each other, its cancels
        within ``layer_cancel_s``.
    ignition_orders, ignition_span_s
        A momentum-ignition burst holds at least ``ignition_orders`` taker orders on one side
        within ``ignition_span_s`` ...
    ignition_bp
        ... moving the trade price at least this far their way ...
    reversal_share, reversal_s
        ... then, within ``reversal_s`` after the burst's extreme, a trade gives back at least
        ``reversal_share`` of the move.
    """

    spoof_multiple: float = 2000.0
    layer_multiple: float = 50.0
    min_distance_bp: float = 0.05
    max_distance_bp: float = 1.0
    min_life_s: float = 0.3
    max_life_s: float = 3.0
    cancel_share: float = 0.9
    layer_levels: int = 4
    layer_add_s: float = 0.3
    layer_cancel_s: float = 0.3
    ignition_orders: int = 6
    ignition_bp: float = 10.0
    ignition_span_s: float = 1.5
    reversal_share: float = 0.5
    reversal_s: float = 5.0

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not value > 0:
                msg = f"pattern threshold {name} must be positive, received {value}"
                raise ConfigError(msg)
        for name in ("cancel_share", "reversal_share"):
            if getattr(self, name) > 1:
                msg = (
                    f"pattern threshold {name} is a share at most 1, received {getattr(self, name)}"
                )
                raise ConfigError(msg)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return asdict(self)
