"""A window's price grid and the reference order size, both from the live side."""

from __future__ import annotations

import numpy as np

from rlx_lib.rl.models import Grid, check_grid, infer_grid

__all__ = ["order_size", "window_grid"]


def window_grid(live, tick_size: float | None = None) -> Grid:
    """The price grid of a window's live side; a given tick size must divide every price."""
    prices = live.levels[:, :, :, 0]
    prices = prices[prices > 0]
    sizes = live.levels[:, :, :, 1]
    sizes = np.concatenate([sizes[sizes > 0], live.trades["quantity"].to_numpy()])
    grid = infer_grid(np.concatenate([prices, live.trades["price"].to_numpy()]), sizes)
    if tick_size is None:
        return grid
    tick = round(tick_size * 100_000_000)
    check_grid(tick, prices)
    return Grid(tick=tick, lot=grid.lot)


def order_size(live, grid: Grid) -> float:
    """Median live trade quantity, down to the lot grid (at least one lot)."""
    quantity = live.trades["quantity"].to_numpy()
    median = int(np.median(quantity)) if quantity.size else grid.lot
    return max(median // grid.lot, 1) * grid.lot / 100_000_000
