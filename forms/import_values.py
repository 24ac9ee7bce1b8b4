"""Values as other systems export them (SPEC §12): Excel serial dates without a date format, date-times where a
date is meant, and fee rows covering a range of months spread into one row per month."""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_DOWN, Decimal

from hudang.errors import ValueProblem
from hudang.forms import values as v


def import_date(text: str, name: str, serial_dates: bool | None = None) -> dt.date:
    """A date cell: any spelling `values.parse_date` reads, an Excel serial (42736 → 2017-01-01; see
    `values.excel_serial`, which a profile's ``serial_dates`` widens or turns off) or a date-time
    (`2020-06-10 12:30:00`, the date part counts)."""
    s = v.to_halfwidth(text).strip()
    serial = v.excel_serial(s, serial_dates)
    if serial is not None:
        return serial.date()
    try:
        return v.parse_date(s)
    except ValueProblem:
        try:
            return v.parse_datetime(s)[0].date()
        except ValueProblem:
            raise ValueProblem(f"“{name}”日期无法识别：“{text[:20]}”，应为 2026-10-01、2026年10月1日或 Excel 日期",
                               code="bad_date") from None


def month_of(text: str, name: str, serial_dates: bool | None = None) -> str:
    """A month cell: `2026-10`, `2026年10月`, `202610`, or any date in it."""
    s = v.to_halfwidth(text).strip()
    m = re.fullmatch(r"(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*月?|(\d{2}))", s)
    if m:
        month = int(m[2] or m[3])
        if 1 <= month <= 12:
            return f"{int(m[1]):04d}-{month:02d}"
    try:
        day = import_date(text, name, serial_dates)
    except ValueProblem:
        raise ValueProblem(f"“{name}”应为 YYYY-MM（如 2026-10），实际为“{text[:20]}”", code="bad_period") from None
    return f"{day.year:04d}-{day.month:02d}"


def months_covered(start: dt.date, end: dt.date) -> list[str]:
    """The months a fee range touches, first to last. A range ending on the 1st of a month after it began ends
    with the month before: other systems write a year from 2016-01-01 as ending 2017-01-01 (12 months)."""
    if end < start:
        raise ValueProblem(f"结束时间 {end} 早于开始时间 {start}", code="bad_period")
    last = end - dt.timedelta(days=1) if end.day == 1 and end > start else end
    months = []
    year, month = start.year, start.month
    while (year, month) <= (last.year, last.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        if len(months) > 1200:
            raise ValueProblem(f"费用期间过长（{start} 至 {end}）", code="bad_period")
    return months


def split_evenly(total: Decimal, parts: int) -> list[Decimal]:
    """`total` in `parts` shares to the cent, equal except the last, which takes the remainder."""
    share = (total / parts).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return [share] * (parts - 1) + [total - share * (parts - 1)]


def fill_earliest(paid: Decimal, dues: list[Decimal]) -> list[Decimal]:
    """A paid amount spread over months, earliest first, each up to its due; any excess stays on the last."""
    out, left = [], paid
    for due in dues:
        take = min(left, due) if left > 0 else Decimal("0.00")
        out.append(take)
        left -= take
    if left > 0 and out:
        out[-1] += left
    return out
