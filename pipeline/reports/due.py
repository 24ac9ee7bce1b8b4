"""The daily follow-up list (`hudang due`): what has to be chased today.

As of a date D (its last moment, as the report counts "as of the end of M"): complaints still open
whose 处理时限 has passed or falls within a day; repairs completed without a return visit past their
回访时限 (both from the form definitions' ``[deadline]``); households due a dunning step (SPEC §8).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from hudang.forms.definitions import FormRegistry
from hudang.pipeline.dunning import fees
from hudang.pipeline.reports.figures import load_cases

DAY = dt.timedelta(days=1)


def _minutes(at: dt.datetime) -> str:
    return at.isoformat(" ", "minutes")


@dataclass(frozen=True)
class ComplaintDue:
    """An open complaint whose deadline has passed or falls within a day."""

    record_id: str
    archive_no: str
    number: str
    household: str
    opened: str
    severity: str
    department: str
    deadline: dt.datetime
    state: str
    days_late: float

    def as_json(self) -> dict[str, Any]:
        return {"record_id": self.record_id, "archive_no": self.archive_no, "number": self.number,
                "household": self.household, "opened": self.opened, "severity": self.severity,
                "department": self.department, "deadline": _minutes(self.deadline), "state": self.state,
                "days_late": self.days_late}


@dataclass(frozen=True)
class RepairDue:
    """A completed repair whose return visit is overdue."""

    record_id: str
    archive_no: str
    number: str
    household: str
    category: str
    done: str
    deadline: dt.datetime
    state: str
    days_late: float

    def as_json(self) -> dict[str, Any]:
        return {"record_id": self.record_id, "archive_no": self.archive_no, "number": self.number,
                "household": self.household, "category": self.category, "done": self.done,
                "deadline": _minutes(self.deadline), "state": self.state, "days_late": self.days_late}


@dataclass(frozen=True)
class DunningDue:
    """A household due its next dunning step, and since when."""

    household: str
    kind: str
    step: str
    amount: Decimal
    reason: str
    since: dt.date | None
    days_late: int | None

    def as_json(self) -> dict[str, Any]:
        return {"household": self.household, "kind": self.kind, "step": self.step,
                "amount": str(self.amount.quantize(Decimal("0.01"))), "reason": self.reason,
                "deadline": self.since.isoformat() if self.since else None, "days_late": self.days_late}


def _state(deadline: dt.datetime, day: dt.date) -> str:
    start = dt.datetime.combine(day, dt.time())
    if deadline < start:
        return "已超期"
    return "今日到期" if deadline < start + DAY else "明日到期"


def _late(deadline: dt.datetime, end: dt.datetime) -> float:
    """Days past the deadline at the end of D (negative: days left)."""
    return round((end - deadline).total_seconds() / 86400, 1)


def _order(entry: ComplaintDue | RepairDue) -> tuple[str, str]:
    return _minutes(entry.deadline), entry.archive_no


def complaints_due(conn: sqlite3.Connection, forms: FormRegistry, day: dt.date,
                   estate: str | None) -> list[ComplaintDue]:
    end = dt.datetime.combine(day + DAY, dt.time())
    cases = load_cases(conn, forms.by_id("complaint"), None, day, estate, open_at=end)
    out = []
    for c in cases:
        deadline = c.deadline()
        if deadline is None or (c.done is not None and c.done < end) or deadline >= end + DAY:
            continue
        out.append(ComplaintDue(c.record_id, c.archive_no, c.number, f"{c.estate}/{c.household}",
                                c.get("投诉时间")[:16], c.category("严重程度"), c.category("被投诉部门"),
                                deadline, _state(deadline, day), _late(deadline, end)))
    return sorted(out, key=_order)


def repairs_due(conn: sqlite3.Connection, forms: FormRegistry, day: dt.date,
                estate: str | None) -> list[RepairDue]:
    end = dt.datetime.combine(day + DAY, dt.time())
    cases = load_cases(conn, forms.by_id("repair"), None, day, estate,
                       where=" AND json_extract(v.fields, '$.\"完成时间\"') < ?"
                             " AND (json_extract(v.fields, '$.\"回访时间\"') IS NULL"
                             " OR json_extract(v.fields, '$.\"回访时间\"') >= ?)",
                       params=[end.isoformat(" "), end.isoformat(" ")])
    out = []
    for c in cases:
        due = c.deadline()
        if due is None or due >= end:
            continue
        out.append(RepairDue(c.record_id, c.archive_no, c.number, f"{c.estate}/{c.household}",
                             c.category("维修类别"), c.get("完成时间")[:16], due, _state(due, day), _late(due, end)))
    return sorted(out, key=_order)


def _step_since(kind: str, entry: fees.Standing) -> dt.date | None:
    """When the household became due this step: by the ladder's own constants, or the first overdue day."""
    basis = entry.basis
    if kind == "letter" and basis is not None:
        return fees.add_months(basis.date, fees.LETTER_AFTER_MONTHS)
    if kind == "escalation" and basis is not None:
        return basis.date + dt.timedelta(days=fees.ESCALATE_AFTER_DAYS)
    periods = [r.period for r in entry.overdue]
    return fees.period_end(min(periods)) + DAY if periods else None


@dataclass(frozen=True)
class PriorDue:
    """过户前欠费: periods before a 过户 still unpaid — the previous owner's, outside the ladder."""

    household: str
    owner: str
    until: dt.date
    amount: Decimal
    periods: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {"household": self.household, "owner": self.owner, "transfer_date": self.until.isoformat(),
                "amount": str(self.amount.quantize(Decimal("0.01"))), "periods": list(self.periods)}


def prior_owner_due(conn: sqlite3.Connection, day: dt.date, estate: str | None) -> list[PriorDue]:
    """Every household's 过户前欠费 at D, in estate and room order."""
    return [PriorDue(s.household, p.owner, p.until, p.amount, tuple(p.periods))
            for s in fees.standings(conn, day, estate) for p in s.prior]


def dunning_due(conn: sqlite3.Connection, day: dt.date, estate: str | None) -> list[DunningDue]:
    """Households due a dunning step at D, by the fees module's ladder (SPEC §8)."""
    result = fees.dunning(conn, day, estate)
    out = []
    for kind, entries in (("escalation", result.escalations), ("letter", result.letters),
                          ("reminder", result.reminders)):
        for e in entries:
            since = _step_since(kind, e)
            out.append(DunningDue(e.household, kind, e.step_text, e.amount, e.reason, since,
                                  (day - since).days if since else None))
    return out
