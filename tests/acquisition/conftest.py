"""Fixtures for acquisition: dummy AWS keys, a loopback S3 server, vendor frames, a faulty proxy."""

from __future__ import annotations

import datetime as dt
import http.client
import threading
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import polars as pl
import pytest

from rlx_lib import schemas
from rlx_lib.acquisition.vendor import LakeSource
from rlx_lib.local.s3 import LocalLake
from rlx_lib.venues.lake import epoch_ns_from_ms_via_float

FAKE_KEY_ID = "AKIAFAKEKEY7EXAMPLE42"
FAKE_SECRET = "fakesecretKEY0example0do0not0use0anywhere"


@pytest.fixture(name="aws_env")
def fixture_aws_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """Dummy keys in the environment (returned), no real AWS config, botocore retries off."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws_config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws_credentials"))
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return FAKE_KEY_ID, FAKE_SECRET


@pytest.fixture(name="lake")
def fixture_lake(aws_env: tuple[str, str]) -> Iterator[LocalLake]:
    """A loopback S3 server with a fresh bucket in Crypto Lake's layout."""
    with LocalLake(bucket=f"lake-{uuid.uuid4().hex[:10]}") as lake:
        yield lake


@pytest.fixture(name="source")
def fixture_source(lake: LocalLake) -> LakeSource:
    """Read the local lake with the environment's (dummy) credentials."""
    return LakeSource(endpoint_url=lake.endpoint_url, bucket=lake.bucket_path)


def _times(ms: np.ndarray, delay_ms: np.ndarray) -> tuple[pl.Series, pl.Series]:
    origin = pl.Series("origin_time", epoch_ns_from_ms_via_float(ms)).cast(schemas.TIME)
    received_ns = (ms + delay_ms) * 1_000_000 + 250
    received = pl.Series("received_time", received_ns).cast(schemas.TIME)
    return origin, received


def vendor_frame(table: str, day: dt.date, *, rows: int = 200, seed: int = 1) -> pl.DataFrame:
    """A loaded-style (float64) Crypto Lake day of ``table``, as lakeapi would return it."""
    rng = np.random.default_rng(seed)
    start_ms = int(dt.datetime.combine(day, dt.time(), dt.UTC).timestamp() * 1000)
    if table == "trades":
        ms = start_ms + np.cumsum(rng.integers(1, 500, rows))
        origin, received = _times(ms, rng.integers(1, 30, rows))
        return pl.DataFrame(
            [
                origin,
                received,
                pl.Series("side", rng.choice(["buy", "sell"], rows)),
                pl.Series("quantity", rng.integers(1, 10**6, rows) / 1e5),
                pl.Series("price", 64000 + rng.integers(-(10**5), 10**5, rows) / 100),
                pl.Series("trade_id", np.arange(rows, dtype=np.int64) + 10**9),
            ]
        )
    if table == "book_delta_v2":
        messages = max(rows // 4, 2)
        per_message = rng.integers(1, 8, messages)
        ms = np.repeat(start_ms + np.cumsum(rng.integers(50, 150, messages)), per_message)
        sequence = np.repeat(4 * 10**10 + np.cumsum(rng.integers(1, 40, messages)), per_message)
        n = len(ms)
        origin, received = _times(ms, np.repeat(rng.integers(1, 30, messages), per_message))
        bid = rng.random(n) < 0.5
        return pl.DataFrame(
            [
                origin,
                received,
                pl.Series("sequence_number", sequence),
                pl.Series("side_is_bid", bid),
                pl.Series(
                    "price", np.where(bid, 63990.0, 64010.0) + rng.integers(-500, 500, n) / 100
                ),
                pl.Series("size", rng.integers(0, 10**6, n) / 1e5),
            ]
        )
    if table == "book":
        ms = start_ms + 100 * np.arange(1, rows + 1)
        origin, received = _times(ms, rng.integers(1, 30, rows))
        mid = 64000 + np.cumsum(rng.integers(-5, 6, rows)) / 100
        columns = [
            origin,
            received,
            pl.Series("sequence_number", 4 * 10**10 + 10 * np.arange(rows)),
        ]
        for side, sign in (("bid", -1), ("ask", 1)):
            for level in range(schemas.LAKE_BOOK_DEPTH):
                price = np.round(mid + sign * (0.01 + level * 0.01), 2)
                columns.append(pl.Series(f"{side}_{level}_price", price))
                columns.append(
                    pl.Series(f"{side}_{level}_size", rng.integers(1, 10**5, rows) / 1e4)
                )
        return pl.DataFrame(columns)
    raise ValueError(table)


@pytest.fixture(name="make_vendor")
def fixture_make_vendor() -> Callable[..., pl.DataFrame]:
    """``make_vendor(table, day, rows=, seed=)``: a loaded-style vendor day."""
    return vendor_frame


class FaultyProxy:
    """A loopback proxy in front of S3 answering 500 to the first ``failures`` matching requests."""

    def __init__(self, upstream: str, *, match: str, failures: int) -> None:
        self.upstream = upstream.removeprefix("http://")
        self.match, self.remaining, self.failed = match, failures, 0
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                return

            def _forward(self) -> None:
                with proxy.lock:
                    fail = proxy.match in unquote(self.path) and proxy.remaining > 0
                    if fail:
                        proxy.remaining -= 1
                        proxy.failed += 1
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if fail:
                    text = b"<Error><Code>InternalError</Code><Message>injected</Message></Error>"
                    self.send_response(500)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(text)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(text)
                    return
                connection = http.client.HTTPConnection(proxy.upstream, timeout=30)
                connection.request(self.command, self.path, body=body, headers=dict(self.headers))
                response = connection.getresponse()
                payload = response.read()
                self.send_response(response.status)
                dropped = ("transfer-encoding", "connection")
                if self.command != "HEAD":
                    dropped += ("content-length",)
                    self.send_header("Content-Length", str(len(payload)))
                for name, value in response.getheaders():
                    if name.lower() not in dropped:
                        self.send_header(name, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)
                connection.close()

            do_GET = do_HEAD = do_PUT = do_POST = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FaultyProxy:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(name="faulty_proxy")
def fixture_faulty_proxy() -> Callable[..., FaultyProxy]:
    """``faulty_proxy(upstream, match=, failures=)``: a started-on-enter proxy."""
    return FaultyProxy
