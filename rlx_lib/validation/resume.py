"""Resumable validation: checkpoint the validator's position and state, continue after a crash.

The validator (every symbol's sequences, sync state, book, pending joins and the issues so far)
is pickled atomically to ``checkpoint`` every ``every`` lines and after each file. A rerun with
the same files and checkpoint skips the finished files and the lines already read of the
current one; a checkpoint made for other files is ignored. The checkpoint is removed once the
report is built.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rlx_lib.catalog import atomic_path
from rlx_lib.golden import golden_files
from rlx_lib.results import Progress, ProgressCallback
from rlx_lib.validation.checks import GoldenValidator
from rlx_lib.validation.fanout import validate_golden_parallel
from rlx_lib.validation.report import ValidationReport

__all__ = ["load_checkpoint", "save_checkpoint", "validate_golden"]

log = logging.getLogger(__name__)
_VERSION = 2


def save_checkpoint(path: Path, files: list[str], validator: GoldenValidator) -> None:
    """Write the validator's state for ``files`` atomically."""
    with atomic_path(Path(path)) as temp, open(temp, "wb") as handle:
        pickle.dump({"version": _VERSION, "files": files, "validator": validator}, handle)


def load_checkpoint(path: Path, files: list[str]) -> GoldenValidator | None:
    """The validator saved for exactly these files, or None (absent, other files, unreadable)."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        with open(path, "rb") as handle:
            saved = pickle.load(handle)  # our own file, written by save_checkpoint
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError) as error:
        log.warning("ignoring unreadable checkpoint %s: %s", path, error)
        return None
    if saved.get("version") != _VERSION or saved.get("files") != files:
        log.info("checkpoint %s was made for other files; starting over", path)
        return None
    return saved["validator"]


def validate_golden(
    paths: Iterable[Path],
    *,
    checkpoint: Path | None = None,
    every: int = 200_000,
    progress: ProgressCallback | None = None,
    workers: int = 1,
    cluster: Any = None,
    **options: int,
) -> ValidationReport:
    """Validate golden files or folders and return the report.

    Parameters
    ----------
    paths
        Golden files or folders (expanded by :func:`rlx_lib.golden.golden_files`).
    checkpoint
        Where to keep the resumable state; None validates without checkpoints.
    every
        Lines between checkpoints.
    progress
        Told the bytes of the files validated so far after each file (of all files' bytes),
        or each finished symbol on a parallel run.
    workers, cluster
        Validate one symbol per unit in ``workers`` processes or on a Dask cluster (an address
        or a client), merged into the serial report (:mod:`rlx_lib.validation.fanout`); such a
        run keeps no checkpoint: a rerun validates again.
    **options
        ``window``, ``jump_ms``, ``max_rows`` of :class:`GoldenValidator`.
    """
    files = [str(path) for path in golden_files(paths)]
    if workers > 1 or cluster is not None:
        parts = [Path(name) for name in files]
        merged = validate_golden_parallel(
            parts, workers=workers, cluster=cluster, progress=progress, **options
        )
        return ValidationReport.from_validator(merged)
    validator = _validate_files(files, checkpoint, every, progress, options)
    report = ValidationReport.from_validator(validator)
    if checkpoint is not None:
        Path(checkpoint).unlink(missing_ok=True)
    return report


def _validate_files(
    files: list[str],
    checkpoint: Path | None,
    every: int,
    progress: ProgressCallback | None,
    options: dict[str, int],
) -> GoldenValidator:
    """Validate ``files`` in one process, from the checkpoint when there is one for them."""
    validator = load_checkpoint(checkpoint, files) if checkpoint is not None else None
    if validator is None:
        validator = GoldenValidator(**options)
    else:
        log.info("resuming validation after %d files", len(validator.files_done))

    def save(current: GoldenValidator) -> None:
        if checkpoint is not None:
            save_checkpoint(checkpoint, files, current)

    todo = [Path(name) for name in files if name not in validator.files_done]
    total, done = sum(path.stat().st_size for path in todo), 0
    for path in todo:
        position = validator.position
        skip = position.lines if position is not None and position.source == str(path) else 0
        validator.add_file(path, skip_lines=skip, checkpoint=save, every=every)
        save(validator)
        done += path.stat().st_size
        if progress is not None:
            text = f"validated {path} ({done:,} of {total:,} bytes)"
            progress(Progress("validate", path.name, done, total, text))
    return validator
