"""Tables that are not forms: rosters (房屋清单), owner lists (业主名单), fee ledgers (收费台账), reminder logs (催缴记录).

Each is recognised by its header (declared in forms/tables/kinds.toml; SPEC §2, §4, §8, §12) and checked
row by row here; good rows are kept, bad rows are reported with their row number and quarantined as a
file of their own. The estate comes from a 项目 column or from the file's context (`file_estate`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from hudang.archive.estates import Estates, find_estate, name_problem, roster_room
from hudang.errors import Problem, ValueProblem
from hudang.forms import values as v
from hudang.forms.definitions import FormDef
from hudang.forms.import_values import fill_earliest, import_date, month_of, months_covered, split_evenly
from hudang.forms.readers.model import Extraction, RawRecord
from hudang.forms.rooms import import_room
from hudang.forms.table_kinds import LEDGER, OWNERS, REMINDERS, ROSTER, HeaderMap, TableKinds, header_key

ESTATE_FROM = ("column", "option", "folder", "title", "file_name")


@dataclass
class FileEstate:
    """The estate of a file's rows that have no 项目 cell, and where it was found (SPEC §12)."""

    name: str | None = None
    source: str | None = None           # one of ESTATE_FROM
    option: str | None = None           # `--estate` as given
    problems: list[Problem] = field(default_factory=list)


def file_estate(columns: HeaderMap, estates: Estates, *, option: str | None, folders: list[str],
                ext: Extraction, file_name: str) -> FileEstate:
    """项目 column, else --estate, else an intake sub-folder named after an estate, else a known estate name or
    alias in the title rows, else in the file name. Only the 项目 column or --estate may name a new estate."""
    out = FileEstate(option=option)
    if option:
        known = estates.resolve(option)
        if known is None and columns.kind.id != ROSTER:
            out.problems.append(Problem("项目", "unknown_estate", f"--estate 指定的项目“{option}”不存在"))
        out.name, out.source = known or v.to_simplified(option.strip()), "option"
        if "项目" in columns.found:
            out.source = "column"
        return out
    if "项目" in columns.found:
        out.source = "column"
        return out
    for folder in folders:
        name = estates.resolve(folder)
        if name:
            out.name, out.source = name, "folder"
            return out
    title = " ".join(c for r in ext.title_rows for c in r if c)
    for text, source in ((title, "title"), (Path(file_name).stem, "file_name")):
        name = find_estate(estates.conn, text) if text else None
        if name:
            out.name, out.source = name, source
            return out
    return out


def batch_row_estate(form: FormDef, fields: dict[str, str], option: str | None,
                     estates: Estates) -> tuple[dict[str, str], list[Problem]]:
    """A form batch's row without a 项目 takes ``ingest --estate``; a row naming another estate is an error
    (as for import tables). ``option`` is the estate as given; it was checked to exist for the file."""
    if not option:
        return fields, []
    from hudang.forms.validate import map_labels

    raw, _ = map_labels(form, fields, [])
    own = raw.get(form.estate_field, "").strip()
    if not own:
        return {**fields, form.estate_field: option}, []
    chosen = estates.resolve(option)
    if (estates.resolve(own) or v.to_simplified(own)) != chosen:
        return fields, [Problem(form.estate_field, "estate_mismatch",
                                f"项目“{own[:30]}”与 --estate 指定的“{option}”不一致")]
    return fields, []


def rows_of(ext: Extraction, columns: HeaderMap) -> Iterator[tuple[RawRecord, int, dict[str, str]]]:
    """Each data row's values per side-by-side block; a block with no value in it is no row."""
    for rec in ext.records:
        cells = rec.cells if rec.cells is not None else []
        for block in range(len(columns.blocks)):
            values = columns.values(cells, block)
            if any(values.values()):
                yield rec, block, values


def _money(text: str, name: str, *, required: bool) -> Decimal:
    if not text:
        if required:
            raise ValueProblem(f"缺少“{name}”", code="missing")
        return Decimal("0.00")
    amount = v.parse_money(text)
    if amount < 0:
        raise ValueProblem(f"“{name}”不能为负数（{text}）", code="negative_amount")
    return amount


def room_text(values: dict[str, str]) -> tuple[str, str, str]:
    return values.get("楼栋", ""), values.get("单元", ""), values.get("房号", "")


def check_row(columns: HeaderMap, values: dict[str, str], row: int, estates: Estates,
              where: FileEstate) -> tuple[list[dict[str, Any]], list[Problem]]:
    """One row of an import table → its normalised rows (a fee range gives one per month), or its problems."""
    kind = columns.kind
    problems: list[Problem] = []
    out: dict[str, Any] = {"row": row}

    def attempt(name: str, fn: Any) -> Any:
        try:
            return fn()
        except ValueProblem as exc:
            problems.append(Problem(name, exc.code, exc.message))
            return None

    estate_text = values.get("项目", "")
    estate = estates.resolve(estate_text) if estate_text else None
    if estate_text and where.option and where.name and (estate or v.to_simplified(estate_text)) != where.name:
        problems.append(Problem("项目", "estate_mismatch",
                                f"项目“{estate_text}”与 --estate 指定的“{where.option}”不一致"))
    if not estate_text and where.name is None:
        problems.append(Problem("项目", "missing", "无法确定项目：表中没有“项目”，请用 --estate 指定项目，"
                                                 "或把文件放进以项目命名的子文件夹"))
    if kind.id == ROSTER:
        out["estate"] = estate or (v.to_simplified(estate_text) if estate_text else where.name)
        bad_name = name_problem(out["estate"]) if out["estate"] and estate is None else None
        if bad_name:   # a new estate names a folder of the archive: refused as the row's problem, not the batch's
            problems.append(Problem("项目", "bad_estate", bad_name))
        room = attempt("房号", lambda: roster_room(*room_text(values), columns.room_format))
        if room:
            out.update(room)
        out["area"] = values.get("建筑面积") or None
        out["owner"] = values.get("业主姓名") or None
        out["values"] = {k: values[k] for k in ("业主姓名", "联系电话", "证件号码") if values.get(k)}
        return ([], problems) if problems else ([out], [])
    if estate_text and estate is None:
        problems.append(Problem("项目", "unknown_estate", f"项目“{estate_text}”不存在"))
    estate = estate or (where.name if not estate_text else None)
    if estate is not None and not problems:
        out["estate"] = estate
        place = attempt("房号", lambda: estates.place(estate, _room_for_place(values, columns.room_format)))
        if place is not None:
            out["household"] = place.key
    serial = columns.serial_dates
    if kind.id == LEDGER:
        return _ledger(values, out, problems, attempt, serial)
    if kind.id == REMINDERS:
        out["date"] = attempt("日期", lambda: import_date(values.get("日期", ""), "日期", serial).isoformat())
        method = v.to_simplified(values.get("方式", ""))
        methods = kind.column("方式").choices
        if method not in methods:
            problems.append(Problem("方式", "bad_enum", f"“方式”应为{'、'.join(methods)}之一，实际为“{method[:10]}”"))
        out["method"] = method
        out["note"] = values.get("备注") or None
    elif kind.id == OWNERS:
        if not values.get("业主姓名"):
            problems.append(Problem("业主姓名", "missing", "缺少“业主姓名”"))
        out["values"] = {k: values[k] for k in ("业主姓名", "联系电话", "证件号码", "证件类型", "车牌号", "备注")
                         if values.get(k)}
    return ([], problems) if problems else ([out], [])


def _room_for_place(values: dict[str, str], room_format: str | None = None) -> str:
    """The room as a form would write it, from separate or combined cells."""
    room, display = import_room(*room_text(values), room_format)
    return display


def _ledger(values: dict[str, str], out: dict[str, Any], problems: list[Problem],
            attempt: Any, serial: bool | None = None) -> tuple[list[dict[str, Any]], list[Problem]]:
    """A fee row: one month (所属期间), or a range (开始时间/结束时间) spread over the months it touches."""
    item = values.get("费用项目", "")
    if not item:
        problems.append(Problem("费用项目", "missing", "缺少“费用项目”"))
    out["item"] = item
    due = attempt("应收金额", lambda: _money(values.get("应收金额", ""), "应收金额", required=True))
    paid = attempt("实收金额", lambda: _money(values.get("实收金额", ""), "实收金额", required=False))
    paid_on = values.get("收费日期", "")
    out["paid_on"] = attempt("收费日期", lambda: import_date(paid_on, "收费日期", serial).isoformat()) if paid_on else None
    if values.get("所属期间"):
        months = attempt("所属期间", lambda: [month_of(values["所属期间"], "所属期间", serial)])
    elif values.get("开始时间"):
        start = attempt("开始时间", lambda: import_date(values["开始时间"], "开始时间", serial))
        end_text = values.get("结束时间", "")
        end = attempt("结束时间", lambda: import_date(end_text, "结束时间", serial)) if end_text else start
        months = attempt("结束时间", lambda: months_covered(start, end)) if start and end else None
    else:
        problems.append(Problem("所属期间", "missing", "缺少“所属期间”（或“开始时间”“结束时间”）"))
        months = None
    if problems or not months or due is None or paid is None:
        return [], problems
    if len(months) == 1:
        return [{**out, "period": months[0], "due": f"{due:.2f}", "paid": f"{paid:.2f}"}], []
    dues = split_evenly(due, len(months))
    paids = fill_earliest(paid, dues)
    source = {"row": out["row"], "start": values.get("开始时间"), "end": values.get("结束时间"),
              "due": f"{due:.2f}", "paid": f"{paid:.2f}", "months": len(months)}
    return [{**out, "period": m, "due": f"{d:.2f}", "paid": f"{p:.2f}", "source": source}
            for m, d, p in zip(months, dues, paids, strict=True)], []


def merge_room_columns(form: FormDef, fields: dict[str, str], kinds: TableKinds) -> dict[str, str]:
    """A form batch with separate 楼栋/单元/房号 columns: one 房号 as the form has it (SPEC §12)."""
    if not form.room_field:
        return fields
    roster = kinds.kind(ROSTER)
    parts: dict[str, tuple[str, str]] = {}
    for label, value in fields.items():
        key = header_key(label)
        if form.labels.get(v.normalize_label(label)) == form.room_field or key in roster.column("房号").spellings:
            name: str | None = "房号"
        else:
            name = next((n for n in ("楼栋", "单元") if key in roster.column(n).spellings), None)
        if name and name not in parts:
            parts[name] = (label, value)
    if "楼栋" not in parts and "单元" not in parts:
        return fields
    b, u, n = (parts.get(name, ("", ""))[1] for name in ("楼栋", "单元", "房号"))
    try:
        _, display = import_room(b, u, n)
    except ValueProblem:
        return fields
    used = {label for label, _ in parts.values()}
    return {**{k: val for k, val in fields.items() if k not in used}, form.room_field: display}
