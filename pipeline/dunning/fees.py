"""Fees and the dunning ladder (SPEC §8), computed from the catalog's ledger rows and reminders.

Everything here is a pure function of the rows and the as-of date D, so every figure on a letter
can be explained: which rows are overdue at D, which reminder started the clock, why this step.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from hudang.archive.catalog import current_versions
from hudang.forms.table_kinds import REMINDERS, load_table_kinds
from hudang.pipeline.household import owners

ZERO = Decimal("0.00")
# Reminder methods: the one list is the 方式 column of the reminder log (forms/tables/kinds.toml); the
# reminders import, `reminders add` and the ladder all use it. 上门 counts like 电话 for the letter step.
LETTER = "函件"                   # a 催缴函 hudang wrote (or an imported one)
METHODS = load_table_kinds().kind(REMINDERS).column("方式").choices
CALLS = tuple(m for m in METHODS if m != LETTER)
# The ladder (SPEC §8): a letter once a call is this many months old and unpaid; escalation once a
# letter is this many days old and unpaid.
LETTER_AFTER_MONTHS = 3
ESCALATE_AFTER_DAYS = 30
_CHINESE_NUMBERS = "零一二三四五六七八九十"
LETTER_AFTER_TEXT = f"{_CHINESE_NUMBERS[LETTER_AFTER_MONTHS]}个月"   # 三个月, as the letter step is spoken of

STEP_ESCALATION = "escalation"
STEP_LETTER = "letter"
STEP_REMINDER = "reminder"
STEP_WAITING = "waiting"        # in arrears, covered by a recent reminder or letter
STEP_NONE = "none"              # no arrears
STEP_TEXT = {STEP_ESCALATION: "上门催缴或法律途径", STEP_LETTER: "发催缴函", STEP_REMINDER: "电话/短信催缴",
             STEP_WAITING: "已催缴，等待缴费", STEP_NONE: "无欠费"}


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar months, the day clamped to the month's end (11-30 + 3 months = 02-28)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def period_end(period: str) -> dt.date:
    year, month = int(period[:4]), int(period[5:7])
    return dt.date(year, month, calendar.monthrange(year, month)[1])


@dataclass(frozen=True)
class FeeRow:
    estate: str
    household: str
    item: str
    period: str
    due: Decimal
    paid: Decimal
    paid_on: dt.date | None
    source: str = ""            # import id and row number, to explain a figure

    def paid_at(self, day: dt.date) -> Decimal:
        """A payment counts from its 收费日期 on; a paid amount without a date counts always (never dun it)."""
        return self.paid if self.paid_on is None or self.paid_on <= day else ZERO

    def owed_at(self, day: dt.date) -> Decimal:
        """What this row owes at ``day``: only once its period has ended; overpaying it offsets nothing."""
        if period_end(self.period) >= day:
            return ZERO
        return max(ZERO, self.due - self.paid_at(day))

    def overdue_at(self, day: dt.date) -> bool:
        return self.owed_at(day) > 0


@dataclass(frozen=True)
class Reminder:
    estate: str
    household: str
    date: dt.date
    method: str
    note: str | None = None
    source: str = ""            # import id and row, or the letter's record id
    letter_number: str | None = None
    record_id: str | None = None


@dataclass(frozen=True)
class PriorArrears:
    """过户前欠费: what periods before a 过户 still owe at D — the previous owner's, settled at the 过户,
    never dunned to the new owner (they leave the household's ladder)."""

    owner: str
    until: dt.date                      # the 过户 that ended this ownership
    rows: tuple[FeeRow, ...]            # the overdue rows of its periods
    day: dt.date

    @property
    def amount(self) -> Decimal:
        return sum((r.owed_at(self.day) for r in self.rows), ZERO)

    @property
    def periods(self) -> list[str]:
        return sorted({r.period for r in self.rows})

    def as_json(self) -> dict[str, Any]:
        return {"owner": self.owner, "until": self.until.isoformat(), "amount": f"{self.amount:.2f}",
                "periods": self.periods}


@dataclass
class Standing:
    """One household's position on the ladder at D, with the reasons for it."""

    estate: str
    key: str
    day: dt.date
    step: str
    arrears: Decimal
    overdue: list[FeeRow]
    reason: str
    basis: Reminder | None = None       # the reminder that makes a letter due / the letter behind escalation
    rows: list[FeeRow] = field(default_factory=list)
    reminders: list[Reminder] = field(default_factory=list)
    owner: str = ""                     # the owner at D (whom a letter addresses)
    prior: list[PriorArrears] = field(default_factory=list)   # 过户前欠费: periods owned by earlier owners

    @property
    def household(self) -> str:
        return f"{self.estate}/{self.key}"

    @property
    def amount(self) -> Decimal:
        return self.arrears

    @property
    def periods(self) -> list[str]:
        return sorted({r.period for r in self.overdue})

    @property
    def step_text(self) -> str:
        return STEP_TEXT[self.step]


def _still_owed(rows: list[FeeRow], then: dt.date, day: dt.date) -> bool:
    return any(r.overdue_at(then) and r.overdue_at(day) for r in rows)


def standing(estate: str, key: str, rows: list[FeeRow], reminders: Iterable[Reminder], day: dt.date) -> Standing:
    """The ladder at D for one household: escalation before letter before reminder (SPEC §8)."""
    overdue = sorted((r for r in rows if r.overdue_at(day)), key=lambda r: (r.period, r.item))
    arrears = sum((r.owed_at(day) for r in overdue), ZERO)
    known = sorted((r for r in reminders if r.date <= day), key=lambda r: (r.date, r.source))
    base = Standing(estate, key, day, STEP_NONE, arrears, overdue, "没有逾期未缴的费用", rows=rows, reminders=known)
    if not overdue:
        return base
    letters = [r for r in known if r.method == LETTER]
    for letter in reversed(letters):
        if (day - letter.date).days >= ESCALATE_AFTER_DAYS and _still_owed(rows, letter.date, day):
            base.step, base.basis = STEP_ESCALATION, letter
            base.reason = (f"{letter.date} 已发催缴函{'（' + letter.letter_number + '）' if letter.letter_number else ''}，"
                           f"至今 {(day - letter.date).days} 天，函件所催欠费仍未缴清")
            return base
    for reminder in reversed(known):
        if reminder.method not in CALLS:
            continue
        if day < add_months(reminder.date, LETTER_AFTER_MONTHS) or not _still_owed(rows, reminder.date, day):
            continue
        if any(letter.date > reminder.date for letter in letters):
            continue
        base.step, base.basis = STEP_LETTER, reminder
        base.reason = (f"{reminder.date} 已{reminder.method}催缴，满{LETTER_AFTER_TEXT}"
                       f"（{add_months(reminder.date, LETTER_AFTER_MONTHS)} 起）"
                       f"当时逾期的费用仍未缴清，且此后未发函")
        return base
    covering = [r for r in known if _still_owed(rows, r.date, day)]
    if covering:
        last = covering[-1]
        base.step, base.basis = STEP_WAITING, last
        how = "发催缴函" if last.method == LETTER else f"{last.method}催缴"
        base.reason = f"{last.date} 已{how}，当时逾期的费用仍未缴清，尚未到下一步"
        return base
    base.step = STEP_REMINDER
    base.reason = ("有逾期欠费，但没有催缴记录" if not known else
                   "有逾期欠费；以前的催缴所涉费用已缴清，现欠费尚未催缴")
    return base


# ---------------------------------------------------------------- reading the catalog

def _dec(text: str | None) -> Decimal:
    return Decimal(text) if text else ZERO


def fee_rows(conn: sqlite3.Connection, estate: str | None = None, household: str | None = None) -> list[FeeRow]:
    sql, args = "SELECT * FROM fee_rows WHERE 1=1", list[str]()
    if estate:
        sql, args = sql + " AND estate = ?", [*args, estate]
    if household:
        sql, args = sql + " AND household = ?", [*args, household]
    return [FeeRow(r["estate"], r["household"], r["item"], r["period"], _dec(r["due"]), _dec(r["paid"]),
                   dt.date.fromisoformat(r["paid_on"]) if r["paid_on"] else None, f"{r['import_id']} 第{r['row']}行")
            for r in conn.execute(sql + " ORDER BY estate, household, period, item", args)]


def reminders(conn: sqlite3.Connection, estate: str | None = None, household: str | None = None) -> list[Reminder]:
    """Imported and added reminders, plus every letter hudang filed (a 函件 in the ladder), voided ones aside."""
    where, args = "", list[str]()
    if estate:
        where, args = where + " AND estate = ?", [*args, estate]
    if household:
        where, args = where + " AND household = ?", [*args, household]
    out = [Reminder(r["estate"], r["household"], dt.date.fromisoformat(r["date"]), r["method"], r["note"],
                    f"{r['import_id']} 第{r['row']}行")
           for r in conn.execute(f"SELECT * FROM reminders WHERE date IS NOT NULL{where}", args)]
    for r in current_versions(
            conn, "r.record_id, r.estate, r.household, r.number, r.form_date, v.fields",
            "r.form = 'letter' AND r.voided = 0 AND r.form_date IS NOT NULL"
            + where.replace("estate", "r.estate").replace("household", "r.household"), args):
        kind = json.loads(r["fields"]).get("函件类型", "催缴函")
        if kind == "催缴函":
            out.append(Reminder(r["estate"], r["household"], dt.date.fromisoformat(r["form_date"]), LETTER,
                                None, r["record_id"], letter_number=r["number"], record_id=r["record_id"]))
    return out


def owned_standing(estate: str, key: str, rows: list[FeeRow], told: list[Reminder], day: dt.date,
                   history: owners.History | None) -> Standing:
    """The ladder of the owner at D: periods that ended before their 过户 leave it as 过户前欠费 of the
    owner then (each period falls to whoever owned the household on its last day), and reminders sent
    before the 过户 went to the earlier owner."""
    period = history.owner_at(day) if history else None
    cut = period.start if period is not None and period.by_transfer else None
    if cut is None or history is None or period is None:
        out = standing(estate, key, rows, told, day)
        out.owner = period.name if period else ""
        return out
    mine = [r for r in rows if period_end(r.period) >= cut]
    out = standing(estate, key, mine, [r for r in told if r.date >= cut], day)
    out.owner = period.name
    earlier: dict[int, list[FeeRow]] = defaultdict(list)
    for row in rows:
        if period_end(row.period) < cut and row.overdue_at(day):
            owner = history.owner_at(period_end(row.period))
            earlier[history.periods.index(owner) if owner in history.periods else 0].append(row)
    for index, owed in sorted(earlier.items()):
        was = history.periods[index]
        out.prior.append(PriorArrears(was.name, was.end or cut, tuple(sorted(owed, key=lambda r: (r.period, r.item))),
                                      day))
    return out


def standings(conn: sqlite3.Connection, day: dt.date, estate: str | None = None,
              household: str | None = None) -> list[Standing]:
    """Every household with ledger rows (in the estate), in estate and room order."""
    by_house: dict[tuple[str, str], list[FeeRow]] = defaultdict(list)
    for row in fee_rows(conn, estate, household):
        by_house[(row.estate, row.household)].append(row)
    told: dict[tuple[str, str], list[Reminder]] = defaultdict(list)
    for rem in reminders(conn, estate, household):
        told[(rem.estate, rem.household)].append(rem)
    known = owners.histories(conn, estate, household)
    return [owned_standing(e, k, rows, told.get((e, k), []), day, known.get((e, k)))
            for (e, k), rows in sorted(by_house.items(), key=lambda kv: (kv[0][0], room_order(kv[0][1])))]


def room_order(key: str) -> tuple[tuple[int, int | str], ...]:
    """Natural order of household keys: 2-1-902 before 10-1-101."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in key.split("-"))


@dataclass
class Dunning:
    as_of: dt.date
    letters: list[Standing]
    reminders: list[Standing]
    escalations: list[Standing]
    waiting: list[Standing]


def dunning(conn: sqlite3.Connection, as_of: dt.date, estate: str | None = None) -> Dunning:
    """The three lists of SPEC §8 at ``as_of``; each household in at most one."""
    out = Dunning(as_of, [], [], [], [])
    lists = {STEP_LETTER: out.letters, STEP_REMINDER: out.reminders, STEP_ESCALATION: out.escalations,
             STEP_WAITING: out.waiting}
    for s in standings(conn, as_of, estate):
        if s.step in lists:
            lists[s.step].append(s)
    return out


def arrears_of(conn: sqlite3.Connection, estate: str, household: str, day: dt.date) -> Decimal:
    return sum((r.owed_at(day) for r in fee_rows(conn, estate, household)), ZERO)


def release_warning(conn: sqlite3.Connection, estate: str, key: str, day_text: str | None) -> dict[str, Any] | None:
    """A 物品放行条 for a household in arrears carries the amount, so the desk checks fees before signing."""
    from hudang.clock import now

    day = dt.date.fromisoformat(day_text) if day_text else now().date()
    rows = fee_rows(conn, estate, key)
    owed = sum((r.owed_at(day) for r in rows), ZERO)
    if owed <= 0:
        return None
    periods = sorted({r.period for r in rows if r.overdue_at(day)})
    return {"field": None, "code": "in_arrears",
            "message": f"该户截至{day}欠费 {owed:.2f} 元（所属期间 {'、'.join(periods)}），签发放行条前请核实缴费情况"}
