"""Tables that are not forms: rosters (房屋清单), fee ledgers (收费台账), reminder logs (催缴记录).

Each is recognised by its header (SPEC §2, §4, §8) and checked row by row; good rows are kept,
bad rows are reported with their row number and quarantined as a file of their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from hudang.archive.estates import Estates, roster_room
from hudang.errors import Problem, ValueProblem
from hudang.forms import values as v
from hudang.forms.readers.model import RawRecord
from hudang.pipeline.dunning.fees import METHODS


@dataclass(frozen=True)
class TableKind:
    id: str
    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    def matches(self, header: list[str]) -> bool:
        return set(self.required) <= set(header)


ROSTER = TableKind("roster", "房屋清单", ("项目", "楼栋", "单元", "房号"), ("建筑面积", "业主姓名"))
LEDGER = TableKind("ledger", "收费台账", ("项目", "房号", "费用项目", "所属期间", "应收金额", "实收金额"), ("收费日期",))
REMINDERS = TableKind("reminders", "催缴记录", ("项目", "房号", "日期", "方式"), ("备注",))
KINDS = (LEDGER, REMINDERS, ROSTER)
LABELS = frozenset(label for kind in KINDS for label in (*kind.required, *kind.optional))


def table_kind(header: list[str] | None) -> TableKind | None:
    if not header:
        return None
    return next((kind for kind in KINDS if kind.matches(header)), None)


def _cell(rec: RawRecord, name: str) -> str:
    return (rec.fields.get(name) or "").strip()


def _money(text: str, name: str, *, required: bool) -> Decimal:
    if not text:
        if required:
            raise ValueProblem(f"缺少“{name}”", code="missing")
        return Decimal("0.00")
    amount = v.parse_money(text)
    if amount < 0:
        raise ValueProblem(f"“{name}”不能为负数（{text}）", code="negative_amount")
    return amount


def _period(text: str) -> str:
    m = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?", v.to_halfwidth(text).strip())
    if not m or not 1 <= int(m[2]) <= 12:
        raise ValueProblem(f"“所属期间”应为 YYYY-MM（如 2026-10），实际为“{text[:20]}”", code="bad_period")
    return f"{int(m[1]):04d}-{int(m[2]):02d}"


def check_row(kind: TableKind, rec: RawRecord, estates: Estates,
              pending_estates: set[str]) -> tuple[dict[str, Any] | None, list[Problem]]:
    """One row of an import table → its normalised form, or its problems (all of them)."""
    problems: list[Problem] = []
    out: dict[str, Any] = {"row": rec.row}

    def attempt(field: str, fn: Any) -> Any:
        try:
            return fn()
        except ValueProblem as exc:
            problems.append(Problem(field, exc.code, exc.message))
            return None

    estate_text = _cell(rec, "项目")
    if kind == ROSTER:
        if not estate_text:
            problems.append(Problem("项目", "missing", "缺少“项目”"))
        out["estate"] = v.to_simplified(estate_text)
        canonical = estates.resolve(estate_text)
        out["estate"] = canonical or out["estate"]
        room = attempt("房号", lambda: roster_room(_cell(rec, "楼栋"), _cell(rec, "单元"), _cell(rec, "房号")))
        if room:
            out.update(room)
        out["area"] = _cell(rec, "建筑面积") or None
        out["owner"] = _cell(rec, "业主姓名") or None
        return (None, problems) if problems else (out, [])
    estate = estates.resolve(estate_text) if estate_text else None
    if estate is None:
        problems.append(Problem("项目", "unknown_estate" if estate_text else "missing",
                                f"项目“{estate_text}”不存在" if estate_text else "缺少“项目”"))
    else:
        out["estate"] = estate
        place = attempt("房号", lambda: estates.place(estate, _cell(rec, "房号")))
        if place is not None:
            out["household"] = place.key
    if kind == LEDGER:
        item = _cell(rec, "费用项目")
        if not item:
            problems.append(Problem("费用项目", "missing", "缺少“费用项目”"))
        out["item"] = item
        out["period"] = attempt("所属期间", lambda: _period(_cell(rec, "所属期间")))
        due = attempt("应收金额", lambda: _money(_cell(rec, "应收金额"), "应收金额", required=True))
        paid = attempt("实收金额", lambda: _money(_cell(rec, "实收金额"), "实收金额", required=False))
        out["due"] = f"{due:.2f}" if due is not None else None
        out["paid"] = f"{paid:.2f}" if paid is not None else None
        paid_on = _cell(rec, "收费日期")
        out["paid_on"] = attempt("收费日期", lambda: v.parse_date(paid_on).isoformat()) if paid_on else None
    elif kind == REMINDERS:
        out["date"] = attempt("日期", lambda: v.parse_date(_cell(rec, "日期")).isoformat())
        method = v.to_simplified(_cell(rec, "方式"))
        if method not in METHODS:
            problems.append(Problem("方式", "bad_enum", f"“方式”应为{'、'.join(METHODS)}之一，实际为“{method[:10]}”"))
        out["method"] = method
        out["note"] = _cell(rec, "备注") or None
    return (None, problems) if problems else (out, [])
