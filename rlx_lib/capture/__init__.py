"""Live capture and importers: Binance streams and other recorders' files into golden samples."""

from __future__ import annotations

from rlx_lib.capture.importers import import_files, read_cryptofeed, read_hftbacktest

__all__ = ["import_files", "read_cryptofeed", "read_hftbacktest"]
