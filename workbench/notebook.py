"""Notebook parameters that work everywhere a notebook runs.

``params(symbol="BTC-USDT", minutes=2)`` reads marimo's CLI arguments when a marimo runtime is
present (``marimo run nb.py -- --minutes 5``), then ``RLX_<NAME>`` environment variables (pytest,
nbval, CI), then the defaults. ``mo.cli_args()`` raises outside a marimo runtime, so it is never
called directly.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["params"]


def _cli_args() -> dict[str, Any]:
    try:
        import marimo as mo

        return dict(mo.cli_args())
    except Exception:  # no marimo runtime (pytest, plain import): fall back to the environment
        return {}


def _coerce(value: Any, default: Any) -> Any:
    if isinstance(default, bool):
        return str(value).lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(value)
    if isinstance(default, float):
        return float(value)
    return str(value)


def params(**defaults: Any) -> dict[str, Any]:
    """Resolve each named parameter: marimo CLI args, then ``RLX_<NAME>``, then the default."""
    cli = _cli_args()
    resolved = {}
    for name, default in defaults.items():
        if name in cli and cli[name] not in ("", None):
            resolved[name] = _coerce(cli[name], default)
        elif f"RLX_{name.upper()}" in os.environ:
            resolved[name] = _coerce(os.environ[f"RLX_{name.upper()}"], default)
        else:
            resolved[name] = default
    return resolved
