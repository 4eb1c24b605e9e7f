"""sha256 of every output file under a folder, independent of where the folder lives.

Files are hashed as they are on disk, except where the absolute path of the folder is written
inside them (validation's ``source`` column and ``validation.json``) or a wall-clock time is
(``generated_at``): those are hashed after the folder's path is replaced by ``<root>`` and the
time dropped. Scratch folders (names starting with ``_``) are skipped.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

__all__ = ["hash_tree"]


def hash_tree(base: Path, root: Path) -> dict[str, str]:
    """``{path relative to base: sha256}`` for every file under ``base``; ``root`` is masked."""
    hashes = {}
    for path in sorted(base.rglob("*")):
        relative = path.relative_to(base)
        if path.is_file() and not any(part.startswith("_") for part in relative.parts):
            hashes[relative.as_posix()] = hashlib.sha256(_canonical(path, str(root))).hexdigest()
    return hashes


def _canonical(path: Path, root: str) -> bytes:
    data = path.read_bytes()
    if root.encode() not in data and path.suffix != ".parquet" and path.suffix != ".json":
        return data
    if path.suffix == ".json":
        return json.dumps(_masked(json.loads(data), root), sort_keys=True).encode()
    if path.suffix == ".parquet":
        return _canonical_parquet(path, data, root)
    return data.replace(root.encode(), b"<root>")


def _canonical_parquet(path: Path, data: bytes, root: str) -> bytes:
    table = pq.read_table(path)
    mentions = [
        name
        for name, column in zip(table.column_names, table.columns, strict=True)
        if _is_text(column.type) and pc.any(pc.match_substring(column, root)).as_py()
    ]
    if not mentions:
        return data
    rows = [
        {k: v.replace(root, "<root>") if k in mentions and v else v for k, v in row.items()}
        for row in table.to_pylist()
    ]
    return (str(table.schema) + json.dumps(rows, default=str)).encode()


def _is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _masked(value: Any, root: str) -> Any:
    if isinstance(value, dict):
        return {k: _masked(v, root) for k, v in value.items() if k != "generated_at"}
    if isinstance(value, list):
        return [_masked(v, root) for v in value]
    if isinstance(value, str):
        return value.replace(root, "<root>")
    return value
