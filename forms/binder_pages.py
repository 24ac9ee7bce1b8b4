"""The pages hudang writes into a binder (调档): 卷皮, 卷内目录, 备考表, a record's fields as a filled form,
and the 欠费及催缴情况说明 of an evidence set — python-docx documents that LibreOffice turns into PDF.

Every text here comes in already masked (or not) from the caller: these functions only lay it out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm

from hudang.forms.template_builder import SANS, SERIF, a4_document, paragraph

TOC_COLUMNS = ("序号", "档号", "责任者", "文件题名", "日期", "页数", "页号", "备注")
"""DA/T 22's 卷内目录 columns, with 页号 (the item's first–last page in the binder's running numbers)."""
_TOC_WIDTHS_MM = (11, 40, 26, 84, 22, 12, 18, 54)


@dataclass(frozen=True)
class TocRow:
    archive_no: str
    author: str
    title: str
    date: str
    pages: int
    first_page: int
    note: str = ""

    @property
    def page_range(self) -> str:
        last = self.first_page + self.pages - 1
        return str(self.first_page) if last <= self.first_page else f"{self.first_page}–{last}"


def _para(container, text: str, *, size: float = 11, font: str = SANS, space_after: float = 2,  # type: ignore[no-untyped-def]
          **style) -> None:
    """The binder pages' line: 11 pt sans, 2 pt after, into a new cell's empty paragraph."""
    paragraph(container, text, size=size, font=font, after=space_after, first=True, **style)


def _grid(doc: DocxDocument, rows: Sequence[Sequence[str]], widths_mm: Sequence[float], *, size: float = 10,
          header: bool = False) -> None:
    table = doc.add_table(rows=len(rows), cols=len(widths_mm))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for c, width in enumerate(widths_mm):
        table.columns[c].width = Mm(width)
    # Row by row: `table.cell(r, c)` lays out the whole grid on every call, quadratic in a 200-row 卷内目录.
    for r, (row, values) in enumerate(zip(table.rows, rows, strict=True)):
        for c, (cell, value) in enumerate(zip(row.cells, values, strict=True)):
            cell.width = Mm(widths_mm[c])
            label = (header and r == 0) or (not header and len(widths_mm) == 2 and c == 0)
            _para(cell, value, size=size, bold=label, space_after=0)
    if header:  # the column titles again on every page of a long 卷内目录
        tr_pr = table.rows[0]._tr.get_or_add_trPr()
        repeat = OxmlElement("w:tblHeader")
        repeat.set(qn("w:val"), "true")
        tr_pr.append(repeat)


def cover(dest: Path, company: str, pairs: Sequence[tuple[str, str]], purpose_line: str) -> Path:
    """卷皮: the volume's identity in large type, then its facts (项目, 房号, 起止日期, 件数, 页数, 保管期限 …)."""
    doc = a4_document(font=SERIF)
    _para(doc, company, size=14, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=40)
    _para(doc, "住 户 档 案", size=30, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, font=SERIF, space_after=10)
    _para(doc, "（一户一档）", size=14, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=50)
    _grid(doc, [(k, v) for k, v in pairs], (45, 115), size=13)
    _para(doc, "", space_after=30)
    _para(doc, purpose_line, size=11, align=WD_ALIGN_PARAGRAPH.CENTER)
    doc.save(str(dest))
    return dest


def contents(dest: Path, heading: str, rows: Sequence[TocRow]) -> Path:
    """卷内目录 in DA/T 22 columns, landscape so 文件题名 fits; the header row repeats on each page."""
    doc = a4_document(margins_mm=(15, 12, 12, 12), font=SANS, size=9, space_after=0, line_spacing=1.0)
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    _para(doc, "卷 内 目 录", size=18, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, font=SERIF)
    _para(doc, heading, size=10, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=6)
    body = [TOC_COLUMNS, *[(str(i), r.archive_no, r.author, r.title, r.date, str(r.pages), r.page_range, r.note)
                           for i, r in enumerate(rows, 1)]]
    _grid(doc, body, _TOC_WIDTHS_MM, size=8.5, header=True)
    doc.save(str(dest))
    return dest


def filled_form(dest: Path, title: str, subtitle: str, pairs: Sequence[tuple[str, str]], note: str = "") -> Path:
    """A record's fields laid out as the form they came from (JSON/web entries, batch rows, reminders)."""
    doc = a4_document(font=SANS, size=10.5)
    _para(doc, title, size=16, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, font=SERIF)
    _para(doc, subtitle, size=9, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=8)
    _grid(doc, [(k, v) for k, v in pairs] or [("（无内容）", "")], (40, 130), size=10.5)
    if note:
        _para(doc, "", space_after=4)
        _para(doc, note, size=9)
    doc.save(str(dest))
    return dest


def table_page(dest: Path, title: str, subtitle: str, header: Sequence[str], rows: Sequence[Sequence[str]],
               widths_mm: Sequence[float], paragraphs: Sequence[str] = (), closing: Sequence[str] = ()) -> Path:
    """A titled page of paragraphs and one table (收费明细, 欠费及催缴情况说明)."""
    doc = a4_document(font=SANS, size=10.5)
    _para(doc, title, size=16, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, font=SERIF)
    _para(doc, subtitle, size=9, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=8)
    for text in paragraphs:
        _para(doc, text, size=10.5, space_after=4)
    if rows:
        _grid(doc, [tuple(header), *[tuple(r) for r in rows]], widths_mm, size=9, header=True)
    for text in closing:
        _para(doc, text, size=10.5, space_after=4)
    doc.save(str(dest))
    return dest


def backnote(dest: Path, pairs: Sequence[tuple[str, str]], remarks: Sequence[str]) -> Path:
    """备考表: what the volume holds and how it was made, who made it and when, and what was left out."""
    doc = a4_document(font=SANS, size=11)
    _para(doc, "备 考 表", size=18, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, font=SERIF, space_after=12)
    _para(doc, "本卷情况说明：", size=11, bold=True)
    for text in remarks:
        _para(doc, text, size=10.5, space_after=3)
    _para(doc, "", space_after=12)
    _grid(doc, [(k, v) for k, v in pairs], (45, 115), size=11)
    doc.save(str(dest))
    return dest
