"""Office time: China Standard Time, whatever the server's zone (SPEC §3)."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta, timezone

from hudang.errors import UsageError

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


def check_range(start: date | None, end: date | None) -> None:
    """The one rule for a ``--from``/``--to`` pair (search, registers, 调档): the start may not be after the end."""
    if start is not None and end is not None and start > end:
        raise UsageError(f"--from（{start}）晚于 --to（{end}）：起始日期应不晚于截止日期", code="bad_date_range")


def parse_day(text: str | None, name: str) -> date | None:
    """The one rule for a date a person types as an argument (``--from``, ``as_of`` …), written as the archivist
    writes it (2026-11-03, 2026/11/3, 2026年11月3日 …); None when absent; otherwise ``bad_date`` naming ``name``."""
    if not text:
        return None
    from hudang.errors import ValueProblem
    from hudang.forms.values import parse_date

    try:
        return parse_date(text)
    except ValueProblem as exc:
        raise UsageError(f"{name} 的日期无法识别：{exc.message}", code="bad_date") from None
