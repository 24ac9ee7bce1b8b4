"""Office time: China Standard Time, whatever the server's zone (SPEC §3)."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

CST = timezone(timedelta(hours=8), "CST")


def now() -> datetime:
    """Aware current time in CST; ``HUDANG_NOW`` (ISO) fixes it for tests and demos."""
    fixed = os.environ.get("HUDANG_NOW")
    if fixed:
        value = datetime.fromisoformat(fixed)
        return value if value.tzinfo else value.replace(tzinfo=CST)
    return datetime.now(CST)


def stamp() -> str:
    """A timestamp for provenance and events: ISO 8601 with the +08:00 offset."""
    return now().isoformat(timespec="seconds")
