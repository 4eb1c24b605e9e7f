"""Raw Binance frames: split the combined-stream envelope without re-serialising ``data``.

A combined-stream frame is ``{"stream":"btcusdt@trade","data":<raw payload>}``. The payload
text is cut out of the frame byte for byte, so a golden record holds exactly what the
exchange sent. Also: the sequence id of each stream kind, and receive times in any unit.
"""

from __future__ import annotations

from typing import Any

import orjson

from rlx_lib.golden import json_object

__all__ = ["SEQUENCE_KEYS", "message_sequence", "split_envelope", "to_nanoseconds"]

_STREAM_PREFIX = b'{"stream":"'  # 11 bytes
_DATA_KEY = b'","data":'  # 9 bytes

SEQUENCE_KEYS = {"depth": "u", "trade": "t", "aggTrade": "a", "bookTicker": "u"}
"""The payload field that orders messages of a stream kind (``depth@100ms`` -> ``depth``)."""


def split_envelope(frame: bytes) -> tuple[str, bytes, dict[str, Any]] | None:
    """Split a combined-stream frame into ``(stream, raw data, decoded data)``.

    Returns ``None`` when the frame is not a valid envelope (a control message such as a
    subscription reply, or a malformed frame). Data must be a JSON object.

    Examples
    --------
    >>> split_envelope(b'{"stream":"btcusdt@trade","data":{"t":1}}')[:2]
    ('btcusdt@trade', b'{"t":1}')
    """
    if frame[:11] == _STREAM_PREFIX and frame[-1:] == b"}":  # Binance's exact envelope
        end = frame.find(_DATA_KEY, 11)
        if end > 0:
            stream = frame[11:end]
            raw = frame[end + 9 : -1]
            if b'"' not in stream and b"\\" not in stream:
                data = json_object(raw)
                return None if data is None else (stream.decode(), raw, data)
    return _split_slowly(frame.strip())


def _split_slowly(frame: bytes) -> tuple[str, bytes, dict[str, Any]] | None:
    """Envelopes in another key order or spacing: the payload is re-encoded compactly."""
    value = json_object(frame)
    if value is None:
        return None
    stream, data = value.get("stream"), value.get("data")
    if not isinstance(stream, str) or not isinstance(data, dict):
        return None
    return stream, orjson.dumps(data), data


def message_sequence(kind: str, data: dict[str, Any]) -> int | None:
    """The sequence id of a payload (``u`` for depth and bookTicker, ``t``, ``a``), if any."""
    key = SEQUENCE_KEYS.get(kind.split("@", 1)[0])
    value = data.get(key) if key else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def to_nanoseconds(token: str | bytes) -> int:
    """A receive time in seconds (``"1633998512.0633569"``), ms, us or ns, as exact ns.

    Integers are told apart by size (ns ~1e18, us ~1e15, ms ~1e12, s ~1e9); a decimal point
    means seconds, converted from the text so no float rounding enters.

    Examples
    --------
    >>> to_nanoseconds("1633998512.0633569")
    1633998512063356900
    >>> to_nanoseconds("1723161253937085")
    1723161253937085000
    """
    text = token.decode() if isinstance(token, bytes) else token
    text = text.strip()
    whole, dot, fraction = text.partition(".")
    if not whole.isdigit() or (dot and not fraction.isdigit()):
        msg = f"receive time must be a number of s, ms, us or ns, received {text!r}"
        raise ValueError(msg)
    if dot:
        return int(whole) * 1_000_000_000 + int(fraction[:9].ljust(9, "0"))
    value = int(whole)
    for threshold, scale in ((10**17, 1), (10**14, 1_000), (10**11, 1_000_000)):
        if value >= threshold:
            return value * scale
    return value * 1_000_000_000
