"""Times as the graph stores them: integer epoch milliseconds, UTC."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

# 9999-12-31T23:59:59.999Z, the last moment ISO 8601 times can name.
MAX_TIME = 253_402_300_799_999
_DIGITS = re.compile(r"-?[0-9]+")


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def parse_time(value: str | int) -> int:
    """Return epoch milliseconds from epoch milliseconds or an ISO 8601 time.

    A time without an offset, such as ``2026-12-04T17:00:00`` or
    ``2026-12-04``, is read as UTC. Raise ValueError with the accepted forms.
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a time")
    if isinstance(value, int):
        return value
    text = value.strip()
    if _DIGITS.fullmatch(text):
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{value!r} is not a time; give epoch milliseconds such as "
            "1764867600000 or ISO 8601 such as 2026-12-04T17:00:00Z"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)
