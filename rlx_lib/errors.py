"""One exception tree for rlx, rooted at :class:`RlxError`.

Bad market data is data (an ``ISSUE`` row); these exceptions are for broken inputs,
contracts and configuration, and each message says what was expected and what was received.

::

    RlxError
    ├── ConfigError          bad option, symbol, date or path
    ├── SchemaError          a dataset does not match its contract
    ├── ParseError           a message or decimal that cannot be read
    ├── DataRangeError       a value outside Decimal(18, 8)
    ├── OverwriteError       a finished partition would change without --force
    ├── CorruptFileError     a file that cannot be read back
    ├── AcquisitionError     vendor download problems
    │   ├── CredentialsError
    │   ├── AccessDeniedError
    │   ├── NoDataError
    │   └── EndpointUnreachableError
    ├── CaptureError         live capture problems
    └── StageError           a stage failed for one unit of work
"""

from __future__ import annotations

__all__ = [
    "AccessDeniedError",
    "AcquisitionError",
    "CaptureError",
    "ConfigError",
    "CorruptFileError",
    "CredentialsError",
    "DataRangeError",
    "EndpointUnreachableError",
    "NoDataError",
    "OverwriteError",
    "ParseError",
    "RlxError",
    "SchemaError",
    "StageError",
]


class RlxError(Exception):
    """Base class of every error rlx raises on purpose."""


class ConfigError(RlxError, ValueError):
    """An option, symbol, date or path that is not valid."""


class SchemaError(RlxError):
    """A dataset whose columns or types differ from its contract in ``schemas``."""


class ParseError(RlxError, ValueError):
    """A message, field or decimal string that cannot be parsed."""


class DataRangeError(RlxError, ValueError):
    """A price or size outside the range of ``Decimal(18, 8)``."""


class OverwriteError(RlxError):
    """A finished partition would change; pass ``force`` to replace it."""


class CorruptFileError(RlxError):
    """A file that cannot be read back (truncated or damaged)."""


class AcquisitionError(RlxError):
    """A problem downloading vendor data."""


class CredentialsError(AcquisitionError):
    """No usable credentials were found."""


class AccessDeniedError(AcquisitionError):
    """The credentials do not grant access to the requested table."""


class NoDataError(AcquisitionError):
    """The vendor holds no data for the requested unit."""


class EndpointUnreachableError(AcquisitionError):
    """The storage endpoint could not be reached."""


class CaptureError(RlxError):
    """A problem in live capture that cannot be recorded and survived."""


class StageError(RlxError):
    """A stage failed for one unit of work (symbol, day)."""
