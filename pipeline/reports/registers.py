"""Registers (台账): the XLSX ledger of one form's records over a period, personal data masked.

The 投诉登记台账 and 报修登记台账 are kept beside the monthly report; any form type has one.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

from hudang.archive.catalog import current_versions
from hudang.archive.paths import safe_component
from hudang.clock import check_range, now
from hudang.forms import sheets
from hudang.forms.definitions import FormDef, FormRegistry
from hudang.forms.masking import masked_values
from hudang.pipeline.reports.figures import Case

NAMES = {"complaint": "投诉登记台账", "repair": "报修登记台账", "registration": "住户登记台账"}
LOAN_REGISTER = "借阅登记簿"
LOAN_NAMES = ("借阅", "借阅登记", LOAN_REGISTER, "loans", "loan")   # `hudang register 借阅`
_NUMERIC = ("money", "number")


def register_name(form: FormDef) -> str:
    return NAMES.get(form.id, f"{form.name}台账")


def _status(form_id: str, case: Case, at: dt.datetime) -> list[str]:
    """Computed columns that make a complaint or repair ledger useful at a glance."""
    if form_id == "complaint":
        deadline = case.deadline()
        done = case.done
        if done is None or done > at:
            state = "未办结（已超期）" if deadline and deadline < at else "未办结"
        else:
            state = "按时办结" if deadline and done <= deadline else "超时办结"
        return [deadline.isoformat(" ", "minutes") if deadline else "", state]
    if form_id == "repair":
        due = case.deadline()
        visited = case.visited
        if case.done is None:
            state = "未完成"
        elif visited is None:
            state = "未回访（已超时）" if due and due < at else "待回访"
        else:
            state = "按时回访" if due and visited <= due else "回访超时"
        return [due.isoformat(" ", "minutes") if due else "", state]
    return []



def _sheet(title: str, estate: str | None, period_line: str, headers: list[str]) -> tuple[Any, Any]:
    """A register's workbook: its title (and estate) in bold, the period line, the header row shaded (row 3)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append([f"{title}（{estate or '全部项目'}）"])
    ws.append([period_line])
    ws.append(headers)
    ws["A1"].font = Font(bold=True, size=14)
    for cell in ws[3]:
        cell.font, cell.fill = Font(bold=True), PatternFill("solid", fgColor="D9E2F3")
    return wb, ws


def write_register(conn: sqlite3.Connection, forms: FormRegistry, form: FormDef, estate: str | None,
                   date_from: dt.date, date_to: dt.date, folder: Path) -> dict[str, Any]:
    """Write the ledger; rows are the live records whose own date (else filing date) is in the period."""
    from openpyxl.styles import Alignment

    check_range(date_from, date_to)
    where = "r.form = ? AND r.voided = 0 AND COALESCE(r.form_date, substr(r.filed_at, 1, 10)) BETWEEN ? AND ?"
    args: list[Any] = [form.id, date_from.isoformat(), date_to.isoformat()]
    if estate:
        where += " AND r.estate = ?"
        args.append(estate)
    rows = current_versions(conn, "r.*, v.fields", where, args,
                            then="ORDER BY COALESCE(r.form_date, substr(r.filed_at, 1, 10)), r.archive_no")
    at = now().replace(tzinfo=None)
    extra = {"complaint": ["处理期限", "办结情况"], "repair": ["回访期限", "回访情况"]}.get(form.id, [])
    fields = [f for f in form.fields if f.type != "estate" or estate is None]
    headers = ["序号", "档号", "项目", "住户", *(f.name for f in fields), *extra, "版本", "待核对"]
    title = register_name(form)
    wb, ws = _sheet(title, estate, f"期间：{date_from.isoformat()} 至 {date_to.isoformat()}　共 {len(rows)} 件　"
                    f"生成时间：{at.strftime('%Y-%m-%d %H:%M')}　证件号码和电话已打码", headers)
    for cell in ws[3]:
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for n, row in enumerate(rows, 1):
        values = json.loads(row["fields"])
        shown = masked_values(values, form.id, forms)
        case = Case(row["record_id"], row["archive_no"], row["form"], row["estate"], row["household"], values,
                    bool(row["review"]), form.deadline)
        cells: list[Any] = [n, row["archive_no"], row["estate"], row["household"]]
        for f in fields:
            text = shown.get(f.name, "")
            if f.type in _NUMERIC and text:
                try:
                    cells.append(float(text))
                    continue
                except ValueError:
                    pass
            cells.append(text)
        cells += _status(form.id, case, at)
        cells += [row["current_version"], "是" if row["review"] else ""]
        ws.append(cells)
    for i, header in enumerate(headers, 1):
        letter = ws.cell(row=3, column=i).column_letter
        ws.column_dimensions[letter].width = max(8, min(30, len(header) * 2 + 4))
    ws.freeze_panes = "A4"
    ws.print_title_rows = "3:3"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / safe_component(f"{title}_{estate or '全部项目'}_{date_from.isoformat()}_{date_to.isoformat()}.xlsx")
    sheets.save(wb, path)
    return {"form": form.id, "form_name": form.name, "register": title, "estate": estate,
            "from": date_from.isoformat(), "to": date_to.isoformat(), "rows": len(rows), "path": str(path)}


def write_loan_register(conn: sqlite3.Connection, estate: str | None, date_from: dt.date, date_to: dt.date,
                        folder: Path) -> dict[str, Any]:
    """The 借阅登记簿: every loan of paper originals made in the period, with its return (or how late it is)."""
    from hudang.pipeline.household import lending

    check_range(date_from, date_to)
    today = now().date()
    found = [loan for loan in lending.loans(conn, estate) if date_from <= loan.out <= date_to]
    headers = ["序号", "借阅编号", "项目", "住户", "借阅人", "借阅事由", "借出日期", "应还日期", "归还日期", "状态",
               "经办人"]
    wb, ws = _sheet(LOAN_REGISTER, estate, f"期间：{date_from.isoformat()} 至 {date_to.isoformat()}　共 {len(found)} 次　"
                    f"生成日期：{today.isoformat()}", headers)
    for n, loan in enumerate(found, 1):
        if loan.returned:
            state = "已归还" + ("（逾期归还）" if loan.returned > loan.due else "")
        else:
            state = f"未归还（逾期 {loan.days_late(today)} 天）" if loan.overdue_at(today) else "借出中"
        ws.append([n, loan.loan_id, loan.estate, loan.key, loan.to, loan.purpose, loan.out.isoformat(),
                   loan.due.isoformat(), loan.returned.isoformat() if loan.returned else "", state, loan.by])
    for i, width in enumerate((6, 12, 14, 14, 12, 24, 12, 12, 12, 18, 10), 1):
        ws.column_dimensions[ws.cell(row=3, column=i).column_letter].width = width
    ws.freeze_panes = "A4"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / safe_component(f"{LOAN_REGISTER}_{estate or '全部项目'}_{date_from.isoformat()}_{date_to.isoformat()}.xlsx")
    sheets.save(wb, path)
    return {"form": "loan", "form_name": "借阅登记", "register": LOAN_REGISTER, "estate": estate,
            "from": date_from.isoformat(), "to": date_to.isoformat(), "rows": len(found), "path": str(path)}
