"""The 户档 page in one call: the household's file (`records.household`) with what is pending on it —
open complaints against their 处理时限, repairs waiting for a 回访, arrears and the ladder step, letters
and their delivery state — each from the module that owns its rule (figures, fees, letters)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from hudang.clock import now
from hudang.pipeline.app import records
from hudang.pipeline.app.session import Session
from hudang.pipeline.dunning import fees
from hudang.pipeline.reports.figures import load_cases

DAY = dt.timedelta(days=1)


def _minutes(at: dt.datetime | None) -> str | None:
    return at.isoformat(" ", "minutes") if at else None


@dataclass(frozen=True)
class Overview:
    """A household as the 户档 page shows it (masked), as of the end of ``as_of``."""

    household: records.HouseholdView
    as_of: str
    form: str | None
    """The timeline's filter (a form id), None for every record."""
    timeline: list[dict[str, Any]]
    open_complaints: list[dict[str, Any]]
    awaiting_visit: list[dict[str, Any]]
    arrears: dict[str, Any] | None
    letters: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {**self.household.as_json(), "as_of": self.as_of, "form": self.form, "timeline": self.timeline,
                "open_complaints": self.open_complaints, "awaiting_visit": self.awaiting_visit,
                "arrears": self.arrears, "letters": self.letters}


def _open_complaints(session: Session, estate: str, key: str, end: dt.datetime) -> list[dict[str, Any]]:
    """Complaints still open at ``end`` with their 处理时限 (the complaint definition's ``[deadline]``)."""
    form = session.forms.by_id("complaint")
    out = []
    for c in load_cases(session.archive.conn, form, None, None, estate, open_at=end,
                        where=" AND r.household = ?", params=[key]):
        deadline = c.deadline()
        out.append({"record_id": c.record_id, "archive_no": c.archive_no, "number": c.number,
                    "opened": c.get(form.opened_field or "")[:16], "severity": c.category(form.deadline.by)
                    if form.deadline else "", "deadline": _minutes(deadline),
                    "overdue": bool(deadline and deadline < end)})
    return sorted(out, key=lambda e: (e["deadline"] or "", e["archive_no"]))


def _awaiting_visit(session: Session, estate: str, key: str, end: dt.datetime) -> list[dict[str, Any]]:
    """Repairs completed by ``end`` with no 回访 yet, with their 回访时限 (the repair definition's)."""
    form = session.forms.by_id("repair")
    rule = form.deadline
    if rule is None:
        return []
    stamp = end.isoformat(" ")
    cases = load_cases(session.archive.conn, form, None, None, estate,
                       where=f" AND r.household = ? AND json_extract(v.fields, '$.\"{rule.start}\"') < ?"
                             f" AND (json_extract(v.fields, '$.\"{rule.met_by}\"') IS NULL"
                             f" OR json_extract(v.fields, '$.\"{rule.met_by}\"') >= ?)",
                       params=[key, stamp, stamp])
    out = []
    for c in cases:
        deadline = c.deadline()
        out.append({"record_id": c.record_id, "archive_no": c.archive_no, "number": c.number,
                    "category": c.category(rule.by), "done": c.get(rule.start)[:16], "deadline": _minutes(deadline),
                    "overdue": bool(deadline and deadline < end)})
    return sorted(out, key=lambda e: (e["deadline"] or "", e["archive_no"]))


def _arrears(session: Session, estate: str, key: str, day: dt.date) -> dict[str, Any] | None:
    """The household's place on the fee ladder (SPEC §8), None when it has no ledger rows."""
    found = fees.standings(session.archive.conn, day, estate, key)
    if not found:
        return None
    s = found[0]
    return {"step": s.step, "step_text": s.step_text, "amount": str(s.arrears), "periods": s.periods,
            "reason": s.reason}


def household_overview(session: Session, address: str, *, as_of: dt.date | None = None,
                       form: str | None = None) -> Overview:
    """Everything the 户档 page shows; ``form`` (id or name) filters the timeline only."""
    view = records.household(session, address)
    day = as_of or now().date()
    end = dt.datetime.combine(day + DAY, dt.time())
    form_id = session.form(form).id if form else None
    timeline = [r for r in view.records if form_id is None or r["form"] == form_id]
    letters = [{"record_id": r["record_id"], "archive_no": r["archive_no"], "summary": r["summary"],
                "date": r["date"], "state": r.get("letter")} for r in view.records if r["form"] == "letter"]
    return Overview(view, day.isoformat(), form_id, timeline,
                    _open_complaints(session, view.estate, view.key, end),
                    _awaiting_visit(session, view.estate, view.key, end),
                    _arrears(session, view.estate, view.key, day), letters)
