"""A local S3-protocol server holding data in Crypto Lake's exact layout, for the demo, tests
and benchmarks.

It runs ``moto``'s threaded server on 127.0.0.1 (a random free port) and fills a bucket with
keys ``market-data/cryptofeed/{table}/exchange=../symbol=../dt=../1.snappy.parquet`` whose
files carry the raw cryptofeed column names (``timestamp``, ``receipt_timestamp``, ``amount``,
``id``), the way ``lakeapi.load_data`` finds them in Crypto Lake's bucket. The server only ever
holds synthetic data; its keys are fixed dummies, not credentials.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from rlx_lib import schemas
from rlx_lib.catalog import partitions
from rlx_lib.venues.lake import OBJECT_PREFIX, TABLES, object_key, to_raw

__all__ = ["LOCAL_KEY", "LocalLake", "raw_parquet"]

log = logging.getLogger(__name__)

LOCAL_KEY = ("rlx-local-lake", "rlx-local-lake-secret")
"""The fixed access key pair of the local server (it accepts any; these are not secrets)."""

_REGION = "eu-west-1"


def raw_parquet(table: str, frame: pl.DataFrame) -> bytes:
    """Snappy Parquet bytes of a Lake table in the raw layout.

    ``frame`` is either loaded-style (lakeapi names, float64 numbers) or exact (the
    ``LAKE_TABLES`` contract, decimals); decimals become float64 as Crypto Lake stores them.
    """
    floats = frame.with_columns(
        pl.col(name).cast(pl.Float64)
        for name, kind in frame.schema.items()
        if isinstance(kind, pl.Decimal)
    )
    buffer = io.BytesIO()
    pq.write_table(to_raw(table, floats).to_arrow(), buffer, compression="snappy")
    return buffer.getvalue()


class LocalLake:
    """A loopback S3 server with one bucket in Crypto Lake's layout.

    Use it as a context manager; pass ``endpoint_url``, ``bucket_path`` and ``session()`` to
    :func:`rlx_lib.acquisition.acquire` to read it.

    Parameters
    ----------
    bucket
        Bucket name (Crypto Lake's paid bucket is ``qnt.data``).
    prefix
        Key prefix inside the bucket.
    """

    def __init__(self, *, bucket: str = "qnt.data", prefix: str = OBJECT_PREFIX) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.endpoint_url: str | None = None
        self._server: Any = None
        self._client: Any = None

    @property
    def bucket_path(self) -> str:
        """``bucket/prefix``, the form ``lakeapi`` takes as ``bucket=``."""
        return f"{self.bucket}/{self.prefix}".rstrip("/")

    def __enter__(self) -> LocalLake:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Start the server on 127.0.0.1 and create the bucket."""
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        self._client = self.client()
        # moto keeps its state per process: a bucket left by an earlier server is emptied.
        try:
            self._client.create_bucket(
                Bucket=self.bucket, CreateBucketConfiguration={"LocationConstraint": _REGION}
            )
        except self._client.exceptions.BucketAlreadyOwnedByYou:
            self._empty()
        log.info("local lake at %s, bucket %s", self.endpoint_url, self.bucket)

    def stop(self) -> None:
        """Empty the bucket and stop the server."""
        if self._server is not None:
            self._empty()
            self._server.stop()
            self._server = None

    def _empty(self) -> None:
        pages = self._client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
        for page in pages:
            for item in page.get("Contents", []):
                self._client.delete_object(Bucket=self.bucket, Key=item["Key"])

    def session(self) -> Any:
        """A boto3 session holding the local dummy key (what lakeapi signs requests with)."""
        import boto3

        return boto3.Session(
            aws_access_key_id=LOCAL_KEY[0], aws_secret_access_key=LOCAL_KEY[1], region_name=_REGION
        )

    def client(self) -> Any:
        """A boto3 S3 client for this server."""
        return self.session().client("s3", endpoint_url=self.endpoint_url)

    def put_bytes(
        self,
        table: str,
        body: bytes,
        *,
        exchange: str = "BINANCE",
        symbol: str,
        day: str | dt.date,
        public: bool = False,
    ) -> str:
        """Upload raw bytes under a table's key (corrupt objects for tests); return the key."""
        key = object_key(table, exchange=exchange, symbol=symbol, day=day, prefix=self.prefix)
        extra = {"ACL": "public-read"} if public else {}
        self._client.put_object(Bucket=self.bucket, Key=key, Body=body, **extra)
        return key

    def put_frame(
        self,
        table: str,
        frame: pl.DataFrame,
        *,
        exchange: str = "BINANCE",
        symbol: str,
        day: str | dt.date,
        public: bool = False,
    ) -> str:
        """Upload one day of a table (loaded-style or exact frame) in the raw layout."""
        return self.put_bytes(
            table,
            raw_parquet(table, frame),
            exchange=exchange,
            symbol=symbol,
            day=day,
            public=public,
        )

    def upload_view(self, root: Path, *, public: bool = False) -> list[str]:
        """Upload every ``lake/<table>`` partition found under the data root ``root``.

        This publishes a vendor view (as the synthetic market writes it) the way Crypto Lake
        serves it. Returns the uploaded keys.
        """
        keys = []
        for table in TABLES:
            for part in partitions(Path(root), f"lake/{table}"):
                files = sorted(Path(part["path"]).glob("*.parquet"))
                if not files:
                    continue
                frame = pl.concat([pl.read_parquet(f, hive_partitioning=False) for f in files])
                frame = frame.select([c for c in schemas.LAKE_TABLES[table] if c in frame.columns])
                keys.append(
                    self.put_frame(
                        table,
                        frame,
                        exchange=part["exchange"],
                        symbol=part["symbol"],
                        day=part["dt"],
                        public=public,
                    )
                )
        return keys
