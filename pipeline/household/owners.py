"""Owners and occupants over time: the one place that reads a household's registrations as a history.

Every source of registrations feeds it alike — a 住户登记表 filed from intake, a scan, an owner-list import
that creates registrations — because it reads the registration records themselves (current versions, voided
ones aside); `build` is the pure part, for a source that holds its registrations elsewhere.

The rules: an owner's registration (住户类型 业主; every version-1 registration is one) naming a different
owner (set of names: joint owners are one entry, 张三、李四) starts a new ownership — a 过户 — from its
过户日期, else its 入住日期; the earlier registrations stay, no longer current. A registration naming the
same owner again updates the current one. A tenant's (租户) or family member's (家属) registration never
replaces the owner. Current occupants come from registrations and 迁出 events, not from free text.

A roster or owner-list re-import naming a different owner is filed (pipeline/intake/imports.py) as a new
registration whose 过户日期 is the import date; it is read here like any other, and marked as such
(``imported``: its version's original is an import table), so `household show` says the 过户 date is the
import date, not a date anyone wrote down. Where the owner came only from the roster (nobody registered),
that registration also keeps the roster's earlier owner as 原业主: the roster itself names the buyer by then,
so the seller's period is read from there.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hudang.archive.catalog import current_versions

OWNER, TENANT, FAMILY = "业主", "租户", "家属"
MEMBER = "家庭成员"
MOVEOUT = "moveout"
SELLER = "原业主"      # on a registration an import filed as a 过户 from an owner only the roster named
_SPLIT = re.compile(r"[、,，;；]+")     # not "/": it is in company names and in hostile text kept as is


def names(text: str | None) -> tuple[str, ...]:
    """Joint owners or family members written in one field: 张三、李四 or 张三,李四."""
    return tuple(n for n in (p.strip() for p in _SPLIT.split(text or "")) if n)


@dataclass(frozen=True)
class Registration:
    """One registration as the history reads it."""

    record_id: str
    archive_no: str
    kind: str                          # 业主 / 租户 / 家属
    owners: tuple[str, ...]            # 业主姓名 (or 单位名称)
    person: str                        # who registered: the owner(s), or the tenant / family member
    members: tuple[str, ...]           # 家庭成员
    start: dt.date                     # 过户日期, else 入住日期 (for a tenant: 租期起)
    filed_at: str = ""
    transfer_date: bool = False        # the start is a 过户日期 written on the form
    lease_end: dt.date | None = None
    phone: str = ""
    values: Mapping[str, str] = field(default_factory=dict)
    imported: bool = False             # filed from a roster / owner-list row, not from a form

    @classmethod
    def of(cls, record_id: str, archive_no: str, values: Mapping[str, str], filed_at: str = "",
           imported: bool = False) -> Registration | None:
        kind = values.get("住户类型") or OWNER
        owners = names(values.get("业主姓名") or values.get("单位名称"))
        start_text = values.get("过户日期") or (values.get("租期起") if kind == TENANT else None) \
            or values.get("入住日期")
        if not start_text:
            return None
        try:
            start = dt.date.fromisoformat(start_text[:10])
            lease_end = dt.date.fromisoformat(values["租期止"][:10]) if values.get("租期止") else None
        except ValueError:
            return None
        person = values.get("住户姓名") or "、".join(owners) if kind != OWNER else "、".join(owners)
        return cls(record_id, archive_no, kind, owners, person, names(values.get("家庭成员")), start, filed_at,
                   bool(values.get("过户日期")), lease_end, values.get("联系电话", ""), dict(values), imported)


@dataclass
class OwnerPeriod:
    owners: tuple[str, ...]
    start: dt.date | None              # None: owner since before anything on file
    end: dt.date | None = None         # the next 过户, None while current
    registrations: list[Registration] = field(default_factory=list)
    by_transfer: bool = False          # began with a 过户 (a registration naming a different owner)
    source: str = "registration"       # or "roster" when only the roster names the owner

    @property
    def name(self) -> str:
        return "、".join(self.owners)

    @property
    def latest(self) -> Registration | None:
        return self.registrations[-1] if self.registrations else None

    def holds(self, day: dt.date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day < self.end)

    def as_json(self) -> dict[str, Any]:
        latest = self.latest
        return {"owners": list(self.owners), "name": self.name,
                "from": self.start.isoformat() if self.start else None,
                "to": self.end.isoformat() if self.end else None, "current": self.end is None,
                "transfer": self.by_transfer, "source": self.source,
                "transfer_by_import": self.by_transfer and bool(self.registrations)
                and self.registrations[0].imported and self.registrations[0].transfer_date,
                "registration": latest.record_id if latest else None,
                "archive_no": latest.archive_no if latest else None,
                "registrations": [r.record_id for r in self.registrations]}


@dataclass(frozen=True)
class Moveout:
    person: str
    date: dt.date


@dataclass
class History:
    periods: list[OwnerPeriod]
    others: list[Registration]          # tenants and family members
    moveouts: list[Moveout] = field(default_factory=list)

    @property
    def current(self) -> OwnerPeriod | None:
        return self.periods[-1] if self.periods else None

    def owner_at(self, day: dt.date) -> OwnerPeriod | None:
        """Who owned the household on ``day`` (the first owner on file for days before any record)."""
        for period in self.periods:
            if period.holds(day):
                return period
        return self.periods[0] if self.periods and day < (self.periods[0].start or day) else self.current

    def transfers(self) -> list[tuple[dt.date, OwnerPeriod, OwnerPeriod]]:
        return [(b.start, a, b) for a, b in zip(self.periods, self.periods[1:], strict=False) if b.start]

    def moved_out(self, person: str, since: dt.date, day: dt.date) -> dt.date | None:
        return next((m.date for m in self.moveouts if m.person == person and since <= m.date <= day), None)

    def occupants(self, day: dt.date) -> list[dict[str, Any]]:
        """Who lives there on ``day``: the owner's household (unless moved out), tenants within their lease,
        family members registered under the current owner — each from its registration."""
        out: list[dict[str, Any]] = []
        period = self.owner_at(day)
        seen: set[str] = set()

        def add(name: str, role: str, reg: Registration | None, since: dt.date | None) -> None:
            if name in seen or self.moved_out(name, since or dt.date.min, day):
                return
            seen.add(name)
            out.append({"name": name, "role": role, "since": since.isoformat() if since else None,
                        "record_id": reg.record_id if reg else None})

        if period is not None:
            reg = period.latest
            for owner in period.owners:
                add(owner, OWNER, reg, reg.start if reg else period.start)
            for member in reg.members if reg else ():
                add(member, MEMBER, reg, reg.start if reg else None)
        start = period.start if period and period.start else dt.date.min
        for reg in sorted(self.others, key=lambda r: (r.start, r.filed_at)):
            if reg.start > day or reg.start < start:
                continue
            if reg.kind == TENANT and reg.lease_end is not None and reg.lease_end < day:
                continue
            add(reg.person, reg.kind, reg, reg.start)
            for member in reg.members:
                add(member, MEMBER, reg, reg.start)
        return out

    def former(self, day: dt.date) -> list[dict[str, Any]]:
        """Tenants whose lease ended and persons moved out, for the record."""
        out = [{"name": m.person, "date": m.date.isoformat(), "how": "迁出"} for m in self.moveouts if m.date <= day]
        out += [{"name": r.person, "date": r.lease_end.isoformat(), "how": "租期届满"} for r in self.others
                if r.kind == TENANT and r.lease_end is not None and r.lease_end < day]
        return out


def build(registrations: Iterable[Registration], roster_owner: str | None = None,
          moveouts: Iterable[Moveout] = ()) -> History:
    """The history from registrations in any order (pure: any registration source can feed it)."""
    regs = sorted(registrations, key=lambda r: (r.start, r.filed_at, r.record_id))
    periods: list[OwnerPeriod] = []
    for reg in (r for r in regs if r.kind == OWNER and r.owners):
        if periods and set(periods[-1].owners) == set(reg.owners):
            periods[-1].registrations.append(reg)
            continue
        if periods:
            periods[-1].end = reg.start
        periods.append(OwnerPeriod(reg.owners, reg.start if periods else None, registrations=[reg],
                                   by_transfer=bool(periods)))
    if periods and periods[0].registrations[0].transfer_date:
        first = periods[0].registrations[0]
        periods[0].start = first.start   # the first registration on file is itself a 过户
        # from the seller an import recorded (the roster has named the buyer since), else the roster's owner
        listed = names(first.values.get(SELLER)) or names(roster_owner)
        if listed and set(listed) != set(periods[0].owners):    # from the roster's owner: the seller
            periods[0].by_transfer = True
            periods.insert(0, OwnerPeriod(listed, None, periods[0].start, source="roster"))
    if not periods and roster_owner:
        periods.append(OwnerPeriod(names(roster_owner) or (roster_owner,), None, source="roster"))
    others = [r for r in regs if r.kind != OWNER]
    return History(periods, others, sorted(moveouts, key=lambda m: m.date))


# ---------------------------------------------------------------- reading the catalog

def _where(estate: str | None, key: str | None, prefix: str = "") -> tuple[str, list[str]]:
    where, args = "1 = 1", list[str]()
    if estate:
        where, args = f"{where} AND {prefix}estate = ?", [*args, estate]
    if key:
        where, args = f"{where} AND {prefix}household = ?", [*args, key]
    return where, args


def histories(conn: sqlite3.Connection, estate: str | None = None,
              key: str | None = None) -> dict[tuple[str, str], History]:
    """Every household's history (in the estate, or one household), from the catalog in three queries."""
    where, args = _where(estate, key, "r.")
    regs: dict[tuple[str, str], list[Registration]] = defaultdict(list)
    imported = "EXISTS (SELECT 1 FROM originals o WHERE o.sha256 = v.sha256 AND o.kind = 'import') AS imported"
    for row in current_versions(conn, f"r.record_id, r.archive_no, r.estate, r.household, r.filed_at, v.fields, "
                                f"{imported}", f"r.form = 'registration' AND r.voided = 0 AND {where}", args):
        reg = Registration.of(row["record_id"], row["archive_no"], json.loads(row["fields"]), row["filed_at"] or "",
                              bool(row["imported"]))
        if reg is not None:
            regs[(row["estate"], row["household"])].append(reg)
    where, args = _where(estate, key)
    gone: dict[tuple[str, str], list[Moveout]] = defaultdict(list)
    for row in conn.execute(f"SELECT estate, household, detail FROM household_events WHERE kind = ? AND {where}",
                            [MOVEOUT, *args]):
        detail = json.loads(row["detail"])
        gone[(row["estate"], row["household"])].append(Moveout(detail["person"], dt.date.fromisoformat(detail["date"])))
    rosters = {(r["estate"], r["key"]): r["owner"] for r in conn.execute(
        f"SELECT estate, key, owner FROM rooms WHERE {where.replace('household', 'key')}", args)}
    out: dict[tuple[str, str], History] = {}
    for place in {*regs, *gone, *(k for k, v in rosters.items() if v)}:
        out[place] = build(regs.get(place, []), rosters.get(place), gone.get(place, []))
    return out


def history(conn: sqlite3.Connection, estate: str, key: str) -> History:
    return histories(conn, estate, key).get((estate, key)) or History([], [])


def current_owner(conn: sqlite3.Connection, estate: str, key: str) -> tuple[str, str, Registration | None]:
    """Whom letters, summaries and certificates address: the current owner (name, phone, registration)."""
    period = history(conn, estate, key).current
    if period is None:
        return "", "", None
    latest = period.latest
    return period.name, latest.phone if latest else "", latest
