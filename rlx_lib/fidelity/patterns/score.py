"""Detections against known instances: precision and recall per kind.

A detection matches a planted instance of the same kind and symbol when their time spans
overlap (each instance matches at most one detection, the earliest).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from rlx_lib.errors import ConfigError
from rlx_lib.schemas import PATTERN_KINDS

__all__ = ["PLANTED_NAME", "read_planted", "score"]

PLANTED_NAME = "_planted.json"


def read_planted(root: Path) -> list[dict[str, Any]]:
    """The instances listed in ``<root>/_planted.json``."""
    path = Path(root) / PLANTED_NAME
    if not path.is_file():
        msg = f"no {PLANTED_NAME} under {root}; run `rlx synth --plant ...` first"
        raise ConfigError(msg)
    return json.loads(path.read_text(encoding="utf-8"))["patterns"]


def score(detections: pl.DataFrame, planted: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per kind: ``planted``, ``detected``, ``matched``, ``precision`` and ``recall``."""
    found = detections.select(
        pl.col("kind").cast(pl.String),
        "symbol",
        pl.col("start_time").dt.epoch("ns").alias("start_ns"),
        pl.col("end_time").dt.epoch("ns").alias("end_ns"),
    ).to_dicts()
    result = {}
    for kind in PATTERN_KINDS:
        truth = [p for p in planted if p["kind"] == kind]
        mine = [d for d in found if d["kind"] == kind]
        used: set[int] = set()
        for instance in truth:
            for number, detection in enumerate(mine):
                if number in used or detection["symbol"] != instance["symbol"]:
                    continue
                if (
                    detection["start_ns"] <= instance["end_ns"]
                    and instance["start_ns"] <= detection["end_ns"]
                ):
                    used.add(number)
                    break
        matched = len(used)
        result[kind] = {
            "planted": len(truth),
            "detected": len(mine),
            "matched": matched,
            "precision": matched / len(mine) if mine else float("nan"),
            "recall": matched / len(truth) if truth else float("nan"),
        }
    return result
