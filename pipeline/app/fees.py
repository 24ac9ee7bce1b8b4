"""Fees and the dunning ladder as the doors show them: one household's statement, the arrears list, a reminder.

The ladder itself (which step, why) is `dunning.fees`; here it is read for a household or an estate
at a date and handed back as frozen results whose `as_json()` is the command line's JSON.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from hudang.pipeline.app.session import Session
from hudang.pipeline.dunning import fees, tracking
from hudang.pipeline.household import owners

REMINDER_METHODS = fees.CALLS   # what an archivist may log by hand; 函件 are logged by `letters dunning`


@dataclass(frozen=True)
class Basis:
    """The reminder that started the clock, or the letter behind an escalation."""

    date: dt.date
    method: str
    letter_number: str | None
    source: str

    def as_json(self) -> dict[str, Any]:
        return {"date": self.date.isoformat(), "method": self.method, "letter_number": self.letter_number,
                "source": self.source}


@dataclass(frozen=True)
class Standing:
    """One household's place on the ladder at a date, with the reason for it."""

    household: str
    step: str
    step_text: str
    reason: str
    arrears: Decimal
    periods: tuple[str, ...]
    basis: Basis | None
    owner: str = ""
    prior: tuple[dict[str, Any], ...] = ()
    """过户前欠费: periods of earlier owners still unpaid, outside this household's ladder."""

    @classmethod
    def of(cls, s: fees.Standing) -> Standing:
        b = s.basis
        return cls(s.household, s.step, s.step_text, s.reason, s.arrears, tuple(s.periods),
                   Basis(b.date, b.method, b.letter_number, b.source) if b else None, s.owner,
                   tuple(p.as_json() for p in s.prior))

    def as_json(self) -> dict[str, Any]:
        return {"household": self.household, "step": self.step, "step_text": self.step_text, "reason": self.reason,
                "arrears": f"{self.arrears:.2f}", "periods": list(self.periods),
                "basis": self.basis.as_json() if self.basis else None, "owner": self.owner,
                "prior_owner_arrears": list(self.prior)}


@dataclass(frozen=True)
class FeeLine:
    """One ledger row as it stands at the date: paid so far, owed, overdue or not."""

    item: str
    period: str
    due: Decimal
    paid: Decimal
    paid_on: dt.date | None
    paid_at_as_of: Decimal
    owed: Decimal
    overdue: bool
    source: str
    owner: str = ""          # whose period it is (the owner on its last day)

    @classmethod
    def of(cls, r: fees.FeeRow, day: dt.date, owner: str = "") -> FeeLine:
        return cls(r.item, r.period, r.due, r.paid, r.paid_on, r.paid_at(day), r.owed_at(day), r.overdue_at(day),
                   r.source, owner)

    def as_json(self) -> dict[str, Any]:
        return {"item": self.item, "period": self.period, "due": f"{self.due:.2f}", "paid": f"{self.paid:.2f}",
                "paid_on": self.paid_on.isoformat() if self.paid_on else None,
                "paid_at_as_of": f"{self.paid_at_as_of:.2f}", "owed": f"{self.owed:.2f}", "overdue": self.overdue,
                "source": self.source, "owner": self.owner}


@dataclass(frozen=True)
class ReminderLine:
    """A reminder on file: imported, logged by hand, or a letter hudang sent."""

    date: dt.date
    method: str
    note: str | None
    letter_number: str | None
    source: str

    def as_json(self) -> dict[str, Any]:
        return {"date": self.date.isoformat(), "method": self.method, "note": self.note,
                "letter_number": self.letter_number, "source": self.source}


@dataclass(frozen=True)
class Statement:
    """`fees show`: a household's ledger rows, reminders and ladder step at a date."""

    household: str
    display: str
    as_of: dt.date
    standing: Standing
    rows: tuple[FeeLine, ...]
    reminders: tuple[ReminderLine, ...]

    def as_json(self) -> dict[str, Any]:
        return {"household": self.household, "display": self.display, "as_of": self.as_of.isoformat(),
                **self.standing.as_json(), "rows": [r.as_json() for r in self.rows],
                "reminders": [r.as_json() for r in self.reminders]}


@dataclass(frozen=True)
class Arrears:
    """`fees arrears`: every household in arrears at a date, with its step, and the total owed."""

    as_of: dt.date
    households: tuple[Standing, ...]
    total: Decimal

    def as_json(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "households": [h.as_json() for h in self.households],
                "total": f"{self.total:.2f}"}


@dataclass(frozen=True)
class ReminderAdded:
    """`reminders add`: the reminder as archived (a one-row 催缴记录 import)."""

    import_id: str
    household: str
    method: str
    date: dt.date
    note: str | None

    def as_json(self) -> dict[str, Any]:
        return {"import_id": self.import_id, "household": self.household, "method": self.method,
                "date": self.date.isoformat(), "note": self.note}


def statement(session: Session, address: str, day: dt.date) -> Statement:
    """A household's fees at ``day``; a household without ledger rows stands at 无欠费."""
    conn = session.archive.conn
    place = session.archive.estates.household(address)
    found = fees.standings(conn, day, place.estate, place.key)
    told = fees.reminders(conn, place.estate, place.key)
    s = found[0] if found else fees.standing(place.estate, place.key, [], told, day)
    history = owners.history(conn, place.estate, place.key)

    def owner_of(period: str) -> str:
        held = history.owner_at(fees.period_end(period))
        return held.name if held else ""

    return Statement(place.address, place.display, day, Standing.of(s),
                     tuple(FeeLine.of(r, day, owner_of(r.period)) for r in fees.fee_rows(conn, place.estate, place.key)),
                     tuple(ReminderLine(r.date, r.method, r.note, r.letter_number, r.source)
                           for r in sorted(told, key=lambda r: r.date)))


def arrears(session: Session, day: dt.date, estate: str | None = None) -> Arrears:
    """Every household with overdue fees at ``day`` (in one estate when given), in estate and room order."""
    found = [Standing.of(s) for s in fees.standings(session.archive.conn, day, session.estate(estate))
             if s.step != fees.STEP_NONE]
    return Arrears(day, tuple(found), sum((s.arrears for s in found), fees.ZERO))


def arrears_across(session: Session, day: dt.date, estates: Sequence[str | None]) -> Arrears:
    """`arrears` of several estates as one list (a user limited to some), in the order of ``estates``."""
    lists = [arrears(session, day, e) for e in estates]
    if len(lists) == 1:
        return lists[0]
    return Arrears(day, tuple(h for one in lists for h in one.households), sum((one.total for one in lists), fees.ZERO))


def add_reminder(session: Session, address: str, method: str, day: dt.date, note: str | None) -> ReminderAdded:
    """Log a call, SMS or visit; it moves the household's ladder like an imported reminder log."""
    with session.archive.writer():
        place = session.archive.estates.household(address, strict=True)
        import_id = tracking.add_reminder(session.archive, place, method, day, note, session.user)
    added = ReminderAdded(import_id, place.address, method, day, note)
    session.audit("reminder_add", household=added.household, method=method, date=day.isoformat())
    return added
