"""Tables that are not forms: rosters (房屋清单), fee ledgers (收费台账), reminder logs (催缴记录).

Each is recognised by its header (declared in forms/tables/kinds.toml; SPEC §2, §4, §8) and checked
row by row here; good rows are kept, bad rows are reported with their row number and quarantined as a
file of their own.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal
from typing import Any

from hudang.archive.estates import Estates, roster_room
from hudang.errors import Problem, ValueProblem
from hudang.forms import values as v
from hudang.forms.readers.model import RawRecord
from hudang.forms.table_kinds import LEDGER, REMINDERS, ROSTER, TableKind


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
    cell = functools.partial(kind.cell, rec.fields)

    def attempt(field: str, fn: Any) -> Any:
        try:
            return fn()
        except ValueProblem as exc:
            problems.append(Problem(field, exc.code, exc.message))
            return None

    estate_text = cell("项目")
    if kind.id == ROSTER:
        if not estate_text:
            problems.append(Problem("项目", "missing", "缺少“项目”"))
        out["estate"] = v.to_simplified(estate_text)
        canonical = estates.resolve(estate_text)
        out["estate"] = canonical or out["estate"]
        room = attempt("房号", lambda: roster_room(cell("楼栋"), cell("单元"), cell("房号")))
        if room:
            out.update(room)
        out["area"] = cell("建筑面积") or None
        out["owner"] = cell("业主姓名") or None
        return (None, problems) if problems else (out, [])
    estate = estates.resolve(estate_text) if estate_text else None
    if estate is None:
        problems.append(Problem("项目", "unknown_estate" if estate_text else "missing",
                                f"项目“{estate_text}”不存在" if estate_text else "缺少“项目”"))
    else:
        out["estate"] = estate
        place = attempt("房号", lambda: estates.place(estate, cell("房号")))
        if place is not None:
            out["household"] = place.key
    if kind.id == LEDGER:
        item = cell("费用项目")
        if not item:
            problems.append(Problem("费用项目", "missing", "缺少“费用项目”"))
        out["item"] = item
        out["period"] = attempt("所属期间", lambda: _period(cell("所属期间")))
        due = attempt("应收金额", lambda: _money(cell("应收金额"), "应收金额", required=True))
        paid = attempt("实收金额", lambda: _money(cell("实收金额"), "实收金额", required=False))
        out["due"] = f"{due:.2f}" if due is not None else None
        out["paid"] = f"{paid:.2f}" if paid is not None else None
        paid_on = cell("收费日期")
        out["paid_on"] = attempt("收费日期", lambda: v.parse_date(paid_on).isoformat()) if paid_on else None
    elif kind.id == REMINDERS:
        out["date"] = attempt("日期", lambda: v.parse_date(cell("日期")).isoformat())
        method = v.to_simplified(cell("方式"))
        methods = kind.column("方式").choices
        if method not in methods:
            problems.append(Problem("方式", "bad_enum", f"“方式”应为{'、'.join(methods)}之一，实际为“{method[:10]}”"))
        out["method"] = method
        out["note"] = cell("备注") or None
    return (None, problems) if problems else (out, [])
