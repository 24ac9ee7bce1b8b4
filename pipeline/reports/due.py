"""The daily follow-up list (`hudang due`): what has to be chased today.

As of a date D (its last moment, as the report counts "as of the end of M"): complaints still open
whose 处理时限 has passed or falls within a day; repairs completed without a return visit past their
回访时限 (both from the form definitions' ``[deadline]``); households due a dunning step (SPEC §8).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import Decimal
from typing import Any

from hudang.forms.definitions import FormRegistry
from hudang.pipeline.dunning import fees
from hudang.pipeline.reports.figures import load_cases

DAY = dt.timedelta(days=1)


def _state(deadline: dt.datetime, day: dt.date) -> str:
    start = dt.datetime.combine(day, dt.time())
    if deadline < start:
        return "已超期"
    return "今日到期" if deadline < start + DAY else "明日到期"


def _late(deadline: dt.datetime, end: dt.datetime) -> float:
    """Days past the deadline at the end of D (negative: days left)."""
    return round((end - deadline).total_seconds() / 86400, 1)


def complaints_due(conn: sqlite3.Connection, forms: FormRegistry, day: dt.date,
                   estate: str | None) -> list[dict[str, Any]]:
    end = dt.datetime.combine(day + DAY, dt.time())
    cases = load_cases(conn, forms.by_id("complaint"), None, day, estate, open_at=end)
    out = []
    for c in cases:
        deadline = c.deadline()
        if deadline is None or (c.done is not None and c.done < end) or deadline >= end + DAY:
            continue
        out.append({"record_id": c.record_id, "archive_no": c.archive_no, "number": c.number,
                    "household": f"{c.estate}/{c.household}", "opened": c.get("投诉时间")[:16],
                    "severity": c.category("严重程度"), "department": c.category("被投诉部门"),
                    "deadline": deadline.isoformat(" ", "minutes"), "state": _state(deadline, day),
                    "days_late": _late(deadline, end)})
    return sorted(out, key=lambda r: (r["deadline"], r["archive_no"]))


def repairs_due(conn: sqlite3.Connection, forms: FormRegistry, day: dt.date,
                estate: str | None) -> list[dict[str, Any]]:
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
        out.append({"record_id": c.record_id, "archive_no": c.archive_no, "number": c.number,
                    "household": f"{c.estate}/{c.household}", "category": c.category("维修类别"),
                    "done": c.get("完成时间")[:16], "deadline": due.isoformat(" ", "minutes"),
                    "state": _state(due, day), "days_late": _late(due, end)})
    return sorted(out, key=lambda r: (r["deadline"], r["archive_no"]))


def _step_since(kind: str, entry: fees.Standing) -> dt.date | None:
    """When the household became due this step: by the ladder's own constants, or the first overdue day."""
    basis = entry.basis
    if kind == "letter" and basis is not None:
        return fees.add_months(basis.date, fees.LETTER_AFTER_MONTHS)
    if kind == "escalation" and basis is not None:
        return basis.date + dt.timedelta(days=fees.ESCALATE_AFTER_DAYS)
    periods = [r.period for r in entry.overdue]
    return fees.period_end(min(periods)) + DAY if periods else None


def dunning_due(conn: sqlite3.Connection, day: dt.date, estate: str | None) -> list[dict[str, Any]]:
    """Households due a dunning step at D, by the fees module's ladder (SPEC §8)."""
    result = fees.dunning(conn, day, estate)
    out = []
    for kind, entries in (("escalation", result.escalations), ("letter", result.letters),
                          ("reminder", result.reminders)):
        for e in entries:
            since = _step_since(kind, e)
            out.append({"household": e.household, "kind": kind, "step": e.step_text,
                        "amount": str(e.amount.quantize(Decimal("0.01"))), "reason": e.reason,
                        "deadline": since.isoformat() if since else None,
                        "days_late": (day - since).days if since else None})
    return out


def due(conn: sqlite3.Connection, forms: FormRegistry, day: dt.date, estate: str | None) -> dict[str, Any]:
    return {"as_of": day.isoformat(), "estate": estate, "complaints": complaints_due(conn, forms, day, estate),
            "repairs": repairs_due(conn, forms, day, estate), "dunning": dunning_due(conn, day, estate)}
