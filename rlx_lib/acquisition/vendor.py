"""Crypto Lake through ``lakeapi``: where to read, one day per call, and clear errors.

``lakeapi`` keeps caches under ``./.lake_cache`` of the working directory and serves file
listings, logins and data from them across runs. Here it is imported with its caches placed
under ``<data root>/_cache/lakeapi``; every call uses a fresh in-memory listing cache, an
uncached login and ``cached=False``, so a re-run always sees what the bucket holds now.
Credentials come the way ``lakeapi`` takes them (AWS environment variables or a profile);
they are never logged, written, or put into messages.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
import os
import re
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import polars as pl

from rlx_lib.errors import (
    AccessDeniedError,
    AcquisitionError,
    CorruptFileError,
    CredentialsError,
    EndpointUnreachableError,
    NoDataError,
)

__all__ = [
    "PAID_BUCKET",
    "SAMPLE_BUCKET",
    "LakeSource",
    "TransientError",
    "load_day",
    "redact_url",
]

log = logging.getLogger(__name__)

PAID_BUCKET = "qnt.data/market-data/cryptofeed"
SAMPLE_BUCKET = "sample.crypto.lake"
_REGION = "eu-west-1"
_IMPORT_LOCK = threading.Lock()
_CALL_LOCK = threading.Lock()


_USERINFO = re.compile(r"(?<=://)[^/\s@\"']+@")
_CHATTY = ("lakeapi", "botocache", "botocore", "boto3", "s3fs", "awswrangler")
"""Loggers of the libraries lakeapi reads through; they log failing URLs as they are."""


def redact_url(text: str) -> str:
    """``text`` with the user and password of every URL in it replaced by ``***``."""
    return _USERINFO.sub("***@", text)


class _Redacting(logging.Filter):
    """Rewrites a record whose message holds a URL with credentials (``user:secret@``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "@" in message:
            record.msg, record.args = redact_url(message), None
        if record.exc_info and not record.exc_text:  # a traceback names the URL too
            record.exc_text = redact_url(logging.Formatter().formatException(record.exc_info))
        return True


_REDACTING = _Redacting()


def _redact_library_logs() -> None:
    """Put the redacting filter on every logger of lakeapi and the libraries under it.

    A filter acts only on the logger it is attached to, not on its children, so each one gets
    it (lakeapi's retry line and botocache's "Error encountered" line print the endpoint URL).
    """
    for name in list(logging.root.manager.loggerDict):
        if name.split(".")[0] in _CHATTY:
            logger = logging.getLogger(name)
            if _REDACTING not in logger.filters:
                logger.addFilter(_REDACTING)


class TransientError(AcquisitionError):
    """A failure worth retrying (server error, throttling, dropped connection)."""


@dataclass(frozen=True, kw_only=True)
class LakeSource:
    """Where Crypto Lake data is read from.

    Parameters
    ----------
    bucket
        ``bucket/prefix`` as ``lakeapi`` takes it; default: the paid bucket, or the sample
        bucket when ``sample``.
    endpoint_url
        Any S3-compatible endpoint (a local server, a mirror); default: AWS.
    sample
        Crypto Lake's free sample bucket, read anonymously.
    profile
        An AWS profile name; default: the standard credential chain.
    session
        An explicit ``boto3.Session`` (the demo's local server); never shown in ``repr``.
    """

    bucket: str | None = None
    endpoint_url: str | None = None
    sample: bool = False
    profile: str | None = None
    session: Any = field(default=None, repr=False, compare=False)

    @property
    def bucket_path(self) -> str:
        """The ``bucket/prefix`` read from."""
        if self.bucket:
            return self.bucket.strip("/")
        return SAMPLE_BUCKET if self.sample else PAID_BUCKET

    def describe(self) -> dict[str, str]:
        """Provenance safe to write into a manifest: bucket and endpoint host, no secrets."""
        endpoint = "aws"
        if self.endpoint_url:
            parts = urlsplit(self.endpoint_url)
            endpoint = f"{parts.scheme}://{parts.hostname}" + (
                f":{parts.port}" if parts.port else ""
            )
        return {"vendor": "cryptolake", "bucket": self.bucket_path, "endpoint": endpoint}

    def boto3_session(self) -> Any:
        """The session lakeapi reads with; raises :class:`CredentialsError` if it has no keys."""
        import boto3
        import botocore.exceptions

        if self.session is not None:
            return self.session
        try:
            session = boto3.Session(profile_name=self.profile, region_name=_REGION)
        except botocore.exceptions.ProfileNotFound:
            msg = f"AWS profile {self.profile!r} not found in your AWS config files"
            raise CredentialsError(msg) from None
        if not self.sample and session.get_credentials() is None:
            msg = (
                "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                "(or AWS_PROFILE / --profile) to your Crypto Lake keys, or use --sample"
            )
            raise CredentialsError(msg)
        return session


def _import_lakeapi(cache_dir: Path) -> Any:
    """Import lakeapi with its import-time caches under ``cache_dir``, not the CWD."""
    with _IMPORT_LOCK:
        if "lakeapi.main" not in sys.modules:
            cache_dir.mkdir(parents=True, exist_ok=True)
            previous = Path.cwd()
            os.chdir(cache_dir)
            try:
                import lakeapi.main  # noqa: F401
            finally:
                os.chdir(previous)
        return sys.modules["lakeapi.main"]


@contextlib.contextmanager
def _configured(source: LakeSource, cache_dir: Path) -> Any:
    """lakeapi set up for ``source``: fresh caches under ``cache_dir``, endpoint, sample mode."""
    import joblib

    main = _import_lakeapi(cache_dir)
    import lakeapi._cache
    import lakeapi._config

    _redact_library_logs()

    with _CALL_LOCK:
        saved = (
            main.cache,
            main._login,
            lakeapi._cache._store,
            lakeapi._config.config.s3_endpoint_url,
        )
        main.cache = {}  # the listing cache lives for one call only: never stale, never on disk
        lakeapi._cache._store = joblib.Memory(str(cache_dir), compress=False, verbose=0)
        # A custom endpoint has no login service: read it directly over S3.
        main._login = (
            _direct_s3 if source.endpoint_url else getattr(saved[1], "__wrapped__", saved[1])
        )
        lakeapi._config.config.s3_endpoint_url = source.endpoint_url
        main.use_sample_data(anonymous_access=source.sample)
        try:
            yield main
        finally:
            main.cache, main._login, lakeapi._cache._store, endpoint = saved
            lakeapi._config.config.s3_endpoint_url = endpoint
            main.use_sample_data(anonymous_access=False)
            main.set_default_bucket(PAID_BUCKET)


def _direct_s3(_session: Any, _table: str) -> tuple[str, str]:
    return ("unknown", "s3")


def load_day(
    table: str,
    *,
    symbol: str,
    exchange: str,
    day: dt.date,
    source: LakeSource,
    cache_dir: Path,
) -> pl.DataFrame:
    """Load one table, symbol and day with ``lakeapi.load_data`` (uncached) as a polars frame.

    Raises
    ------
    CredentialsError, AccessDeniedError, NoDataError, EndpointUnreachableError
        The actionable failures, each saying what to do.
    CorruptFileError
        The object is not readable Parquet.
    TransientError
        Server errors and dropped connections, worth a retry.
    """
    session = source.boto3_session()
    start = dt.datetime.combine(day, dt.time())
    end = start + dt.timedelta(days=1)
    where = f"{table} {exchange} {symbol} {day} from {source.describe()['bucket']}"
    chatter = io.StringIO()  # botocache prints its retries to stdout; keep them in the log
    with _configured(source, cache_dir) as main, contextlib.redirect_stdout(chatter):
        try:
            frame = main.load_data(
                table,
                start,
                end,
                [symbol],
                [exchange],
                bucket=source.bucket_path,
                boto3_session=session,
                use_threads=False,
                drop_partition_cols=True,
                cached=False,
            )
        except Exception as error:
            raise _translate(error, where=where, table=table, source=source) from None
        finally:
            if chatter.getvalue():
                log.debug("lakeapi: %s", redact_url(chatter.getvalue().strip()))
    if frame.shape[1] == 0:
        # lakeapi logs "No data available" and returns no columns for a file that is empty
        # or lacks Parquet's magic bytes; that is a damaged object, not an empty day.
        msg = f"the object for {where} is empty or not Parquet (no columns could be read)"
        raise CorruptFileError(msg)
    return pl.from_pandas(frame)


def _translate(error: Exception, *, where: str, table: str, source: LakeSource) -> Exception:
    """Map lakeapi, botocore and pyarrow failures to rlx errors with actionable messages."""
    import botocore.exceptions
    import pyarrow as pa
    from lakeapi.exceptions import NoFilesFound

    if isinstance(error, ValueError) and isinstance(
        error.__context__, botocore.exceptions.ClientError
    ):
        # lakeapi's 404 retry does int(code) and fails on codes like "InvalidAccessKeyId".
        error = error.__context__
    if isinstance(error, NoFilesFound):
        return NoDataError(f"no data for {where}: the vendor holds no file for that day")
    if isinstance(error, botocore.exceptions.NoCredentialsError | PermissionError):
        return CredentialsError(
            f"no usable AWS credentials for {where}: set your Crypto Lake keys or use --sample"
        )
    if isinstance(
        error,
        botocore.exceptions.EndpointConnectionError | botocore.exceptions.ConnectTimeoutError,
    ):
        endpoint = source.describe()["endpoint"]
        endpoint = "AWS S3" if endpoint == "aws" else endpoint
        return EndpointUnreachableError(
            f"cannot reach the storage endpoint {endpoint} for {where}: check the network or "
            "--endpoint-url"
        )
    if isinstance(
        error,
        botocore.exceptions.ReadTimeoutError
        | botocore.exceptions.ConnectionClosedError
        | botocore.exceptions.ResponseStreamingError,
    ):
        return TransientError(f"connection dropped while reading {where}: {type(error).__name__}")
    if isinstance(error, botocore.exceptions.ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken"):
            return CredentialsError(
                f"the AWS credentials were refused for {where} ({code}): check your Crypto "
                "Lake keys"
            )
        if code in ("403", "AccessDenied", "AllAccessDisabled") or status == 403:
            return AccessDeniedError(
                f"access denied to {where}: your Crypto Lake subscription or keys do not cover "
                f"table {table!r}"
            )
        if code in ("404", "NoSuchKey", "NoSuchBucket"):
            return NoDataError(f"no data for {where} ({code})")
        if status >= 500 or code in ("500", "502", "503", "504", "SlowDown", "InternalError"):
            return TransientError(f"server error {code or status} while reading {where}")
        return AcquisitionError(f"S3 refused {where}: {code or status}")
    if isinstance(error, pa.ArrowException | OSError | EOFError):
        return CorruptFileError(f"the object for {where} is not readable Parquet: {error}")
    if isinstance(error, botocore.exceptions.BotoCoreError):
        return TransientError(f"{type(error).__name__} while reading {where}")
    return error
