"""The household over time as the doors use it: 迁出 of an occupant, lending paper originals (借阅登记).

Each is an event in the household's own file (archive/store.py `add_household_event`), audited here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hudang.clock import now, stamp
from hudang.errors import NotFound, UsageError
from hudang.pipeline.app.session import Session
from hudang.pipeline.household import lending, owners


@dataclass(frozen=True)
class MovedOut:
    household: str
    person: str
    date: dt.date
    event: str
    occupants: list[dict[str, Any]]
    """Who still lives there after the 迁出."""

    def as_json(self) -> dict[str, Any]:
        return {"household": self.household, "person": self.person, "date": self.date.isoformat(),
                "event": self.event, "occupants": self.occupants}


def moveout(session: Session, address: str, person: str, day: dt.date) -> MovedOut:
    """An occupant moved out on ``day``: from then on not listed as current (a later registration brings
    them back). Only someone living there on that day can move out."""
    archive = session.archive
    person = person.strip()
    with archive.writer():
        place = archive.estates.household(address, strict=True)
        living = owners.history(archive.conn, place.estate, place.key).occupants(day)
        if person not in {p["name"] for p in living}:
            names = "、".join(p["name"] for p in living) or "（无）"
            raise UsageError(f"{place.address} 在 {day} 没有登记在住的“{person}”；现住人员：{names}",
                             code="not_an_occupant")
        data = archive.add_household_event(place, {"kind": owners.MOVEOUT, "at": stamp(), "by": session.user,
                                                   "person": person, "date": day.isoformat()})
        after = owners.history(archive.conn, place.estate, place.key).occupants(max(day, now().date()))
    session.audit("moveout", household=place.address, person=person, date=day.isoformat())
    return MovedOut(place.address, person, day, data["event"], after)


@dataclass(frozen=True)
class LoanView:
    loan: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return self.loan


def lend_out(session: Session, address: str, to: str, purpose: str, due: dt.date,
             day: dt.date | None = None) -> LoanView:
    """The household's paper file handed to ``to`` for ``purpose``, to come back by ``due``."""
    day = day or now().date()
    if not to.strip() or not purpose.strip():
        raise UsageError("借阅人（--to）和借阅事由（--purpose）都不能为空", code="bad_loan")
    if due < day:
        raise UsageError(f"应还日期 {due} 早于借出日期 {day}", code="bad_loan")
    archive = session.archive
    with archive.writer():
        place = archive.estates.household(address, strict=True)
        loan_id = lending.next_id(archive.conn)
        archive.add_household_event(place, {"kind": lending.LOAN, "at": stamp(), "by": session.user,
                                            "loan_id": loan_id, "to": to.strip(), "purpose": purpose.strip(),
                                            "out": day.isoformat(), "due": due.isoformat()})
        loan = lending.find(archive.conn, loan_id)
    assert loan is not None
    session.audit("lend_out", household=place.address, loan_id=loan_id, to=to.strip(), due=due.isoformat())
    return LoanView(loan.as_json(day))


def lend_return(session: Session, loan_id: str, day: dt.date | None = None) -> LoanView:
    day = day or now().date()
    archive = session.archive
    with archive.writer():
        loan = lending.find(archive.conn, loan_id)
        if loan is None:
            raise NotFound(f"找不到借阅登记 {loan_id}（hudang lend list 查看）", code="no_loan")
        if loan.returned:
            raise UsageError(f"借阅 {loan.loan_id} 已于 {loan.returned} 归还", code="already_returned")
        if day < loan.out:
            raise UsageError(f"归还日期 {day} 早于借出日期 {loan.out}", code="bad_loan")
        place = archive.estates.household(loan.household)
        archive.add_household_event(place, {"kind": lending.RETURN, "at": stamp(), "by": session.user,
                                            "loan_id": loan.loan_id, "date": day.isoformat()})
        back = lending.find(archive.conn, loan.loan_id)
    assert back is not None
    session.audit("lend_return", household=back.household, loan_id=back.loan_id, date=day.isoformat())
    return LoanView(back.as_json(day))


@dataclass(frozen=True)
class Loans:
    as_of: dt.date
    loans: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "loans": self.loans}


def lend_list(session: Session, *, overdue_only: bool = False, open_only: bool = False,
              day: dt.date | None = None, estate: str | None = None) -> Loans:
    day = day or now().date()
    found = lending.loans(session.archive.conn, session.estate(estate), open_only=open_only)
    if overdue_only:
        found = [loan for loan in found if loan.overdue_at(day)]
    return Loans(day, [loan.as_json(day) for loan in found])


def lend_list_across(session: Session, estates: Sequence[str | None], *, open_only: bool = False,
                     day: dt.date | None = None) -> Loans:
    """`lend_list` of several estates (a user limited to some) as the 借阅登记 page shows it: the loans still out
    first, then by loan ID."""
    day = day or now().date()
    found = [loan for e in estates for loan in lend_list(session, open_only=open_only, day=day, estate=e).loans]
    found.sort(key=lambda loan: (bool(loan["returned"]), loan["loan_id"]))
    return Loans(day, found)


@dataclass(frozen=True)
class Certificate:
    """欠费证明 / 无欠费证明 written, filed in the household as a 文件 (类别 证明) and audited."""

    data: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return self.data


def certificate(session: Session, address: str, as_of: dt.date) -> Certificate:
    """Every unpaid amount of periods up to ``as_of`` (not yet overdue ones marked), or none; numbered."""
    from hudang.pipeline.household import certificate as cert

    data = cert.issue(session.home, session.archive, session.forms, address, as_of, now().date(), session.user)
    session.audit("certificate", household=data["household"], number=data["number"], record_id=data["record_id"],
                  as_of=data["as_of"], total=data["total"])
    return Certificate(data)
