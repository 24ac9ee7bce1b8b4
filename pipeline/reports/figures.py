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

from hudang.errors import UsageError

UNCLASSIFIED = "未分类"
SATISFIED = ("满意", "基本满意")
# The centre's procedures: complaints closed within 10 / 3 / 2 days by 严重程度; return visits within
# 2 days of completion, leaks (渗漏水) within 3.
COMPLAINT_DAYS = {"重大": 10, "重要": 3, "轻微": 2}
DEFAULT_SEVERITY = "轻微"      # the form's own default when a (待核对) record lacks one
VISIT_DAYS = {"渗漏水": 3}
DEFAULT_VISIT_DAYS = 2
# Display order of the enums (the form definitions'); values outside come after, 未分类 last.
SEVERITY_ORDER = ("重大", "重要", "轻微")
CATEGORY_ORDER = ("有效投诉", "求助型", "咨询型", "发泄型")
REPAIR_ORDER = ("安全设施", "渗漏水", "水电", "门窗", "公共设施", "其他")

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
    """A complaint, repair or registration as its current version says."""

    record_id: str
    archive_no: str
    form: str
    estate: str
    household: str
    values: dict[str, str]
    review: bool

    @property
    def number(self) -> str:
        return self.values.get("编号") or self.archive_no

    def get(self, name: str) -> str:
        return (self.values.get(name) or "").strip()

    def category(self, name: str) -> str:
        return re.sub(r"\s+", "", self.get(name)) or UNCLASSIFIED

    # -- complaints --
    @property
    def opened(self) -> dt.datetime | None:
        return when(self.values.get("投诉时间") or self.values.get("报修时间"))

    @property
    def done(self) -> dt.datetime | None:
        return when(self.values.get("完成时间"))

    @property
    def visited(self) -> dt.datetime | None:
        return when(self.values.get("回访时间"))

    def deadline(self) -> dt.datetime | None:
        """When a complaint had to be closed (opened + 10/3/2 days by 严重程度)."""
        opened = self.opened
        if opened is None:
            return None
        days = COMPLAINT_DAYS.get(self.get("严重程度"), COMPLAINT_DAYS[DEFAULT_SEVERITY])
        return opened + dt.timedelta(days=days)

    def visit_deadline(self) -> dt.datetime | None:
        """When a completed repair's return visit was due (completed + 2 days, leaks 3)."""
        done = self.done
        if done is None:
            return None
        return done + dt.timedelta(days=VISIT_DAYS.get(self.get("维修类别"), DEFAULT_VISIT_DAYS))


_FORM_TIME = {"complaint": "投诉时间", "repair": "报修时间", "registration": "入住日期"}


def load_cases(conn: sqlite3.Connection, form: str, start: dt.date | None, end: dt.date | None,
               estate: str | None, *, where: str = "", params: Iterable[Any] = ()) -> list[Case]:
    """Current versions of a form's live records whose own date (投诉时间/报修时间/入住日期) is in [start, end]."""
    field_path = f'$."{_FORM_TIME[form]}"'
    sql = ("SELECT r.record_id, r.archive_no, r.form, r.estate, r.household, r.review, v.fields"
           " FROM records r JOIN versions v ON v.record_id = r.record_id AND v.version = r.current_version"
           " WHERE r.form = ? AND r.voided = 0")
    args: list[Any] = [form]
    if start is not None:
        sql += " AND substr(json_extract(v.fields, ?), 1, 10) >= ?"
        args += [field_path, start.isoformat()]
    if end is not None:
        sql += " AND substr(json_extract(v.fields, ?), 1, 10) <= ?"
        args += [field_path, end.isoformat()]
    if estate:
        sql += " AND r.estate = ?"
        args.append(estate)
    sql += where + " ORDER BY json_extract(v.fields, ?), r.archive_no"
    args += [*params, field_path]
    return [Case(r["record_id"], r["archive_no"], r["form"], r["estate"], r["household"],
                 json.loads(r["fields"]), bool(r["review"])) for r in conn.execute(sql, args)]


def ordered(counts: Counter[str], order: Iterable[str] = ()) -> dict[str, int]:
    """Non-zero counts: the enum's order first, then by count, 未分类 last."""
    order = list(order)
    rank = {name: i for i, name in enumerate(order)}
    keys = [k for k, n in counts.items() if n]
    keys.sort(key=lambda k: (k == UNCLASSIFIED, rank.get(k, len(rank)), -counts[k], k))
    return {k: counts[k] for k in keys}


def complaint_figures(cases: list[Case], month: Month) -> dict[str, Any]:
    end = month.end
    closed = [c for c in cases if c.done is not None and c.done < end]
    on_time = [c for c in closed if c.deadline() is not None and c.done <= c.deadline()]  # type: ignore[operator]
    return {
        "total": len(cases),
        "by_severity": ordered(Counter(c.category("严重程度") for c in cases), SEVERITY_ORDER),
        "by_category": ordered(Counter(c.category("投诉类别") for c in cases), CATEGORY_ORDER),
        "by_department": ordered(Counter(c.category("被投诉部门") for c in cases)),
        "closed": len(closed),
        "handling_rate": rate(len(closed), len(cases)),
        "on_time": len(on_time),
        "timely_rate": rate(len(on_time), len(closed)),
    }


def repair_figures(cases: list[Case], month: Month) -> dict[str, Any]:
    end = month.end
    completed = [c for c in cases if c.done is not None and c.done < end]
    revisited = [c for c in completed if c.visited is not None and c.visited < end]
    on_time = [c for c in revisited if c.visited <= c.visit_deadline()]  # type: ignore[operator]
    rework = [c for c in completed if c.get("返修") == "是"]
    return {
        "total": len(cases),
        "by_category": ordered(Counter(c.category("维修类别") for c in cases), REPAIR_ORDER),
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


def month_cases(conn: sqlite3.Connection, month: Month, estate: str | None) -> MonthCases:
    return two_months(conn, month, estate)[0]


def two_months(conn: sqlite3.Connection, month: Month, estate: str | None) -> tuple[MonthCases, MonthCases]:
    """M's and M−1's cases, read in one pass per form (each record by its own date field)."""
    before = month.previous()
    first, last = before.start.date(), month.last_day
    cur, prev = MonthCases(month, [], [], []), MonthCases(before, [], [], [])
    start = month.start
    for form, attr in (("complaint", "complaints"), ("repair", "repairs"), ("registration", "registrations")):
        for case in load_cases(conn, form, first, last, estate):
            day = (case.values.get(_FORM_TIME[form]) or "")[:10]
            target = cur if day >= start.date().isoformat() else prev
            getattr(target, attr).append(case)
    return cur, prev


def section_figures(conn: sqlite3.Connection, cases: MonthCases, estate: str | None) -> dict[str, Any]:
    month = cases.month
    return {
        "month": month.label,
        "complaints": complaint_figures(cases.complaints, month),
        "repairs": repair_figures(cases.repairs, month),
        "satisfaction": satisfaction_figures([*cases.complaints, *cases.repairs], month),
        "registrations": {"total": len(cases.registrations)},
        "fees": fee_figures(conn, month, estate),
    }


def figures(conn: sqlite3.Connection, month: Month, estate: str | None,
            cases: tuple[MonthCases, MonthCases] | None = None) -> dict[str, Any]:
    """The §9 figures for M with `previous` for M−1 (what `report monthly --json` prints, less `outputs`)."""
    cur, prev = cases or two_months(conn, month, estate)
    data = section_figures(conn, cur, estate)
    data["previous"] = section_figures(conn, prev, estate)
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


def details(conn: sqlite3.Connection, month: Month, estate: str | None, cases: MonthCases | None = None) -> Details:
    cases = cases or month_cases(conn, month, estate)
    out = Details(cases)
    end = month.end
    # Every complaint opened by the end of M and still open then, whatever its month: the backlog.
    still_open = load_cases(conn, "complaint", None, month.last_day, estate,
                            where=" AND (json_extract(v.fields, '$.\"完成时间\"') IS NULL"
                                  " OR json_extract(v.fields, '$.\"完成时间\"') >= ?)",
                            params=[end.isoformat(" ")])
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
        done, due = c.done, c.visit_deadline()
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
    sql = ("SELECT r.form, substr(json_extract(v.fields, CASE r.form WHEN 'complaint' THEN '$.\"投诉时间\"'"
           " ELSE '$.\"报修时间\"' END), 1, 7) AS m, COUNT(*) AS n"
           " FROM records r JOIN versions v ON v.record_id = r.record_id AND v.version = r.current_version"
           " WHERE r.form IN ('complaint', 'repair') AND r.voided = 0"
           # form_date is the date of that same field: a cheap first cut before reading any JSON
           " AND r.form_date BETWEEN ? AND ?")
    args: list[Any] = [(first.start.date() - dt.timedelta(days=1)).isoformat(),
                       (month.last_day + dt.timedelta(days=1)).isoformat()]
    if estate:
        sql += " AND r.estate = ?"
        args.append(estate)
    sql += " GROUP BY r.form, m"
    counts = {(row["form"], row["m"]): row["n"] for row in conn.execute(sql, args)}
    out = []
    m = first
    for _ in range(months):
        out.append({"month": m.label, "complaints": counts.get(("complaint", m.label), 0),
                    "repairs": counts.get(("repair", m.label), 0)})
        m = m.next()
    return out
