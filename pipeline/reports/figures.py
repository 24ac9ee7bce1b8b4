"""The figures of the monthly 客服接待月报表 (SPEC §9), computed from the catalog.

Each record counts by its current version and by the times written in it, never by when a form
reached us. Rates are exact fractions rounded half-up to 4 places, None when nothing to divide by.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hudang.archive import catalog
from hudang.errors import UsageError
from hudang.forms.definitions import Deadline, FormDef, FormRegistry

UNCLASSIFIED = "未分类"
SATISFIED = ("满意", "基本满意")
# The deadlines (处理时限, 回访时限) and the order categories are listed in are the form definitions'
# ([deadline] and each enum's choices): nothing here repeats them.

_MONTH_RE = re.compile(r"\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s*")


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        m = _MONTH_RE.fullmatch(text or "")
        if not m or not 1 <= int(m[2]) <= 12 or not 1900 <= int(m[1]) <= 2099:
            raise UsageError(f"月份“{text}”无法识别，应写作 YYYY-MM，如 2026-10", code="bad_month")
        return cls(int(m[1]), int(m[2]))

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def chinese(self) -> str:
        return f"{self.year}年{self.month}月"

    @property
    def start(self) -> dt.datetime:
        return dt.datetime(self.year, self.month, 1)

    @property
    def end(self) -> dt.datetime:
        """The first moment after the month: "≤ end of M" is "< this"."""
        return self.next().start

    @property
    def last_day(self) -> dt.date:
        return (self.end - dt.timedelta(days=1)).date()

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def back(self, n: int) -> Month:
        m = self
        for _ in range(n):
            m = m.previous()
        return m


def when(value: str | None) -> dt.datetime | None:
    """A stored datetime (``YYYY-MM-DD HH:MM:SS``) or date; a value a scan left unreadable is no time."""
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None


def rate(numerator: int | Decimal, denominator: int | Decimal) -> float | None:
    if not denominator:
        return None
    return float((Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001"), ROUND_HALF_UP))


def money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01"), ROUND_HALF_UP))


@dataclass
class Case:
    """A complaint, repair or registration as its current version says, with its form's deadline rule."""

    record_id: str
    archive_no: str
    form: str
    estate: str
    household: str
    values: dict[str, str]
    review: bool
    rule: Deadline | None = None

    @property
    def number(self) -> str:
        return self.values.get("编号") or self.archive_no

    def get(self, name: str) -> str:
        return (self.values.get(name) or "").strip()

    def category(self, name: str) -> str:
        return re.sub(r"\s+", "", self.get(name)) or UNCLASSIFIED

    @property
    def done(self) -> dt.datetime | None:
        return when(self.values.get("完成时间"))

    @property
    def visited(self) -> dt.datetime | None:
        return when(self.values.get("回访时间"))

    def deadline(self) -> dt.datetime | None:
        """When the form's deadline falls (a complaint's 处理时限, a repair's 回访时限); None without a start."""
        if self.rule is None:
            return None
        start = when(self.values.get(self.rule.start))
        if start is None:
            return None
        return start + dt.timedelta(days=self.rule.days_for(self.get(self.rule.by)))


_CASE_COLUMNS = "r.record_id, r.archive_no, r.form, r.estate, r.household, r.review, v.fields"


def load_cases(conn: sqlite3.Connection, form: FormDef, start: dt.date | None, end: dt.date | None,
               estate: str | None, *, open_at: dt.datetime | None = None, where: str = "",
               params: Iterable[Any] = ()) -> list[Case]:
    """Current versions of a form's live records whose own date (its ``date_field``) is in [start, end].

    With ``open_at``, only complaints still open then (the catalog's one "open complaint" query);
    ``where`` (with ``params``) narrows further, written as " AND …"."""
    own = form.date_field or form.opened_field or ""
    field_path = f'$."{own}"'
    sql, args = "r.form = ? AND r.voided = 0", [form.id]
    if start is not None:
        sql += " AND substr(json_extract(v.fields, ?), 1, 10) >= ?"
        args += [field_path, start.isoformat()]
    if end is not None:
        sql += " AND substr(json_extract(v.fields, ?), 1, 10) <= ?"
        args += [field_path, end.isoformat()]
    if estate:
        sql += " AND r.estate = ?"
        args.append(estate)
    sql, args = sql + where, [*args, *params]
    if open_at is not None:
        rows = catalog.open_complaints(conn, open_at.isoformat(" "), _CASE_COLUMNS, sql, args)
    else:
        rows = catalog.current_versions(conn, _CASE_COLUMNS, sql, args)
    cases = [Case(r["record_id"], r["archive_no"], r["form"], r["estate"], r["household"],
                  json.loads(r["fields"]), bool(r["review"]), form.deadline) for r in rows]
    # In the order of the form's own time (as SQLite orders text: UTF-8 bytes, a missing one first).
    cases.sort(key=lambda c: (c.values.get(own) is not None, str(c.values.get(own) or "").encode(), c.archive_no))
    return cases


def ordered(counts: Counter[str], order: Iterable[str] = ()) -> dict[str, int]:
    """Non-zero counts: the enum's order first, then by count, 未分类 last."""
    order = list(order)
    rank = {name: i for i, name in enumerate(order)}
    keys = [k for k, n in counts.items() if n]
    keys.sort(key=lambda k: (k == UNCLASSIFIED, rank.get(k, len(rank)), -counts[k], k))
    return {k: counts[k] for k in keys}


def complaint_figures(cases: list[Case], month: Month, form: FormDef) -> dict[str, Any]:
    end = month.end
    closed = [c for c in cases if c.done is not None and c.done < end]
    on_time = [c for c in closed if c.deadline() is not None and c.done <= c.deadline()]  # type: ignore[operator]
    return {
        "total": len(cases),
        "by_severity": ordered(Counter(c.category("严重程度") for c in cases), form.choices("严重程度")),
        "by_category": ordered(Counter(c.category("投诉类别") for c in cases), form.choices("投诉类别")),
        "by_department": ordered(Counter(c.category("被投诉部门") for c in cases)),
        "closed": len(closed),
        "handling_rate": rate(len(closed), len(cases)),
        "on_time": len(on_time),
        "timely_rate": rate(len(on_time), len(closed)),
    }


def repair_figures(cases: list[Case], month: Month, form: FormDef) -> dict[str, Any]:
    end = month.end
    completed = [c for c in cases if c.done is not None and c.done < end]
    revisited = [c for c in completed if c.visited is not None and c.visited < end]
    on_time = [c for c in revisited if c.visited <= c.deadline()]  # type: ignore[operator]
    rework = [c for c in completed if c.get("返修") == "是"]
    return {
        "total": len(cases),
        "by_category": ordered(Counter(c.category("维修类别") for c in cases), form.choices("维修类别")),
        "completed": len(completed),
        "completion_rate": rate(len(completed), len(cases)),
        "revisited": len(revisited),
        "revisit_rate": rate(len(revisited), len(completed)),
        "revisit_on_time": len(on_time),
        "revisit_timely_rate": rate(len(on_time), len(revisited)),
        "rework": len(rework),
        "rework_rate": rate(len(rework), len(completed)),
    }


def satisfaction_figures(cases: Iterable[Case], month: Month) -> dict[str, Any]:
    end = month.end
    results = [c.get("回访结果") for c in cases if c.get("回访结果") and c.visited is not None and c.visited < end]
    satisfied = sum(1 for r in results if r in SATISFIED)
    return {"with_result": len(results), "satisfied": satisfied, "satisfaction_rate": rate(satisfied, len(results))}


def fee_figures(conn: sqlite3.Connection, month: Month, estate: str | None) -> dict[str, Any] | None:
    """None when no ledger row belongs to M; payments count when made by the last day of M."""
    sql = "SELECT due, paid, paid_on FROM fee_rows WHERE period = ?"
    args: list[Any] = [month.label]
    if estate:
        sql += " AND estate = ?"
        args.append(estate)
    rows = conn.execute(sql, args).fetchall()
    if not rows:
        return None
    last = month.last_day.isoformat()
    billed = sum((Decimal(r["due"] or "0") for r in rows), Decimal(0))
    collected = sum((Decimal(r["paid"] or "0") for r in rows if r["paid_on"] and r["paid_on"][:10] <= last),
                    Decimal(0))
    return {"billed": money(billed), "collected": money(collected), "collection_rate": rate(collected, billed)}


@dataclass
class MonthCases:
    month: Month
    complaints: list[Case]
    repairs: list[Case]
    registrations: list[Case]


def month_cases(conn: sqlite3.Connection, forms: FormRegistry, month: Month, estate: str | None) -> MonthCases:
    return two_months(conn, forms, month, estate)[0]


def two_months(conn: sqlite3.Connection, forms: FormRegistry, month: Month,
               estate: str | None) -> tuple[MonthCases, MonthCases]:
    """M's and M−1's cases, read in one pass per form (each record by its own date field)."""
    before = month.previous()
    first, last = before.start.date(), month.last_day
    cur, prev = MonthCases(month, [], [], []), MonthCases(before, [], [], [])
    start = month.start
    for form_id, attr in (("complaint", "complaints"), ("repair", "repairs"), ("registration", "registrations")):
        form = forms.by_id(form_id)
        for case in load_cases(conn, form, first, last, estate):
            day = (case.values.get(form.date_field or "") or "")[:10]
            target = cur if day >= start.date().isoformat() else prev
            getattr(target, attr).append(case)
    return cur, prev


def section_figures(conn: sqlite3.Connection, forms: FormRegistry, cases: MonthCases,
                    estate: str | None) -> dict[str, Any]:
    month = cases.month
    return {
        "month": month.label,
        "complaints": complaint_figures(cases.complaints, month, forms.by_id("complaint")),
        "repairs": repair_figures(cases.repairs, month, forms.by_id("repair")),
        "satisfaction": satisfaction_figures([*cases.complaints, *cases.repairs], month),
        "registrations": {"total": len(cases.registrations)},
        "fees": fee_figures(conn, month, estate),
    }


def figures(conn: sqlite3.Connection, forms: FormRegistry, month: Month, estate: str | None,
            cases: tuple[MonthCases, MonthCases] | None = None) -> dict[str, Any]:
    """The §9 figures for M with `previous` for M−1 (what `report monthly --json` prints, less `outputs`)."""
    cur, prev = cases or two_months(conn, forms, month, estate)
    data = section_figures(conn, forms, cur, estate)
    data["previous"] = section_figures(conn, forms, prev, estate)
    return data


# ---- what the document adds: lists and the trend ----

@dataclass
class Details:
    """The cases behind the figures, for the lists and the written analysis."""

    cases: MonthCases
    overdue: list[dict[str, Any]] = field(default_factory=list)       # open past deadline at end of M
    late_closed: list[dict[str, Any]] = field(default_factory=list)   # of M, closed after the deadline
    visits: list[dict[str, Any]] = field(default_factory=list)        # of M, visit missing or late
    trend: list[dict[str, Any]] = field(default_factory=list)         # 12 months ending M
    limits: dict[str, str] = field(default_factory=dict)   # form id → its deadline as written (重大10天、…)


def _days(delta: dt.timedelta) -> float:
    return round(delta.total_seconds() / 86400, 2)


def duration(delta: dt.timedelta) -> str:
    """A lateness as people say it: 1天14小时, 3小时5分钟, 1分钟."""
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时" if hours else f"{days}天"
    if hours:
        return f"{hours}小时{mins}分钟" if mins else f"{hours}小时"
    return f"{mins}分钟"


def _complaint_row(c: Case, deadline: dt.datetime, overdue: dt.timedelta, status: str) -> dict[str, Any]:
    return {"number": c.number, "archive_no": c.archive_no, "household": f"{c.estate}/{c.household}",
            "room": c.get("投诉人房号") or c.household, "opened": c.get("投诉时间")[:16],
            "severity": c.category("严重程度"), "category": c.category("投诉类别"),
            "department": c.category("被投诉部门"), "deadline": deadline.isoformat(" ", "minutes"),
            "days_over": _days(overdue), "over": duration(overdue), "status": status, "review": c.review}


def details(conn: sqlite3.Connection, forms: FormRegistry, month: Month, estate: str | None,
            cases: MonthCases | None = None) -> Details:
    cases = cases or month_cases(conn, forms, month, estate)
    out = Details(cases, limits={f.id: f.deadline.describe() for f in forms if f.deadline is not None})
    end = month.end
    # Every complaint opened by the end of M and still open then, whatever its month: the backlog.
    still_open = load_cases(conn, forms.by_id("complaint"), None, month.last_day, estate, open_at=end)
    for c in still_open:
        deadline = c.deadline()
        if deadline is not None and deadline < end and (c.done is None or c.done >= end):
            out.overdue.append(_complaint_row(c, deadline, end - deadline, "未办结"))
    out.overdue.sort(key=lambda r: -r["days_over"])
    for c in cases.complaints:
        deadline = c.deadline()
        if c.done is not None and c.done < end and deadline is not None and c.done > deadline:
            out.late_closed.append(_complaint_row(c, deadline, c.done - deadline, "超时办结"))
    for c in cases.repairs:
        done, due = c.done, c.deadline()
        if done is None or done >= end or due is None:
            continue
        visited = c.visited if c.visited is not None and c.visited < end else None
        if visited is None:
            status, over = ("未回访（已超时）", end - due) if due < end else ("未回访（未到期）", dt.timedelta(0))
        elif visited > due:
            status, over = "回访超时", visited - due
        else:
            continue
        out.visits.append({"number": c.number, "archive_no": c.archive_no, "household": f"{c.estate}/{c.household}",
                           "room": c.get("房号") or c.household, "category": c.category("维修类别"),
                           "done": c.get("完成时间")[:16], "deadline": due.isoformat(" ", "minutes"),
                           "visited": visited.isoformat(" ", "minutes") if visited else "",
                           "days_over": _days(over), "over": duration(over) if over else "", "status": status, "review": c.review})
    out.visits.sort(key=lambda r: (-r["days_over"], r["deadline"]))
    out.trend = trend(conn, month, estate)
    return out


def trend(conn: sqlite3.Connection, month: Month, estate: str | None, months: int = 12) -> list[dict[str, Any]]:
    """Complaints and repairs per month over the 12 months ending M (live records by their own times)."""
    first = month.back(months - 1)
    columns = ("r.form, substr(json_extract(v.fields, CASE r.form WHEN 'complaint' THEN '$.\"投诉时间\"'"
               " ELSE '$.\"报修时间\"' END), 1, 7) AS m, COUNT(*) AS n")
    # form_date is the date of that same field: a cheap first cut before reading any JSON
    where = "r.form IN ('complaint', 'repair') AND r.voided = 0 AND r.form_date BETWEEN ? AND ?"
    args: list[Any] = [(first.start.date() - dt.timedelta(days=1)).isoformat(),
                       (month.last_day + dt.timedelta(days=1)).isoformat()]
    if estate:
        where += " AND r.estate = ?"
        args.append(estate)
    counts = {(row["form"], row["m"]): row["n"]
              for row in catalog.current_versions(conn, columns, where, args, then="GROUP BY r.form, m")}
    out = []
    m = first
    for _ in range(months):
        out.append({"month": m.label, "complaints": counts.get(("complaint", m.label), 0),
                    "repairs": counts.get(("repair", m.label), 0)})
        m = m.next()
    return out
