"""借阅登记: paper originals of a household's file lent out and returned, as events in its file.

A loan is a ``loan`` event in the household's ``_household`` folder, its return a ``loan_return`` event
naming the loan; the catalog's household_events table holds both, so the loan list (and its numbers,
L0000001 …) is rebuilt from the archive alone.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

LOAN, RETURN = "loan", "loan_return"


@dataclass(frozen=True)
class Loan:
    loan_id: str
    estate: str
    key: str
    to: str
    purpose: str
    out: dt.date
    due: dt.date
    by: str
    returned: dt.date | None = None
    returned_by: str | None = None

    @property
    def household(self) -> str:
        return f"{self.estate}/{self.key}"

    def overdue_at(self, day: dt.date) -> bool:
        """Past its due date and not back by the end of ``day``."""
        return self.due < day and (self.returned is None or self.returned > day)

    def days_late(self, day: dt.date) -> int:
        return max(0, (day - self.due).days) if self.overdue_at(day) else 0

    def as_json(self, day: dt.date | None = None) -> dict[str, Any]:
        from hudang.clock import now

        day = day or now().date()
        return {"loan_id": self.loan_id, "household": self.household, "to": self.to, "purpose": self.purpose,
                "out": self.out.isoformat(), "due": self.due.isoformat(), "by": self.by,
                "returned": self.returned.isoformat() if self.returned else None,
                "overdue": self.overdue_at(day), "days_late": self.days_late(day)}


def loans(conn: sqlite3.Connection, estate: str | None = None, key: str | None = None, *,
          open_only: bool = False) -> list[Loan]:
    """Every loan (in the estate, of one household), oldest first, with its return when there is one."""
    where, args = "kind IN (?, ?)", [LOAN, RETURN]
    if estate:
        where, args = f"{where} AND estate = ?", [*args, estate]
    if key:
        where, args = f"{where} AND household = ?", [*args, key]
    made: dict[str, Loan] = {}
    back: dict[str, dict[str, Any]] = {}
    for row in conn.execute(f"SELECT estate, household, kind, detail FROM household_events WHERE {where}"  # noqa: S608
                            " ORDER BY at, unit", args):
        e = json.loads(row["detail"])
        if row["kind"] == LOAN:
            made[e["loan_id"]] = Loan(e["loan_id"], row["estate"], row["household"], e["to"], e["purpose"],
                                      dt.date.fromisoformat(e["out"]), dt.date.fromisoformat(e["due"]), e.get("by", ""))
        else:
            back[e["loan_id"]] = e
    out = []
    for loan_id, loan in sorted(made.items()):
        ret = back.get(loan_id)
        if ret:
            loan = Loan(**{**loan.__dict__, "returned": dt.date.fromisoformat(ret["date"]),
                           "returned_by": ret.get("by")})
        if not (open_only and loan.returned):
            out.append(loan)
    return out


def find(conn: sqlite3.Connection, loan_id: str) -> Loan | None:
    return next((loan for loan in loans(conn) if loan.loan_id == loan_id.strip().upper()), None)


def next_id(conn: sqlite3.Connection) -> str:
    """Loan numbers run over the whole home and are never reused (counted from the archive's events)."""
    row = conn.execute("SELECT MAX(CAST(substr(json_extract(detail, '$.loan_id'), 2) AS INTEGER)) AS n"
                       " FROM household_events WHERE kind = ?", (LOAN,)).fetchone()
    return f"L{(row['n'] or 0) + 1:07d}"


def overdue(conn: sqlite3.Connection, day: dt.date, estate: str | None = None) -> list[Loan]:
    return [loan for loan in loans(conn, estate) if loan.overdue_at(day)]
