"""Blank forms to print, laid out like a centre's paper forms, with a QR code so the scan files itself.

Each page: the company, the form's title, a 编号 line, the QR code (form type, definition version and,
when printed for a household, the household — also in words under the code), one row per field with
room to write (more for the long texts), and signature lines. `separator` is the sheet put between
documents in a batch scan.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from docx.document import Document as DocxDocument
from docx.enum.table import WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.shared import Mm

from hudang.errors import ToolMissing
from hudang.forms import qr
from hudang.forms.definitions import FieldDef, FormDef
from hudang.forms.layout import Layout, layout_id
from hudang.forms.template_builder import SANS, SERIF, _widths, a4_document, paragraph
from hudang.forms.validate import Place
from hudang.settings import OfficeSettings

LONG_FIELDS = ("内容", "原因", "措施", "意见", "批示", "结果", "备注", "成员", "物品", "事由")


def _long(f: FieldDef) -> bool:
    return any(word in f.name for word in LONG_FIELDS) or (f.type == "enum" and len(f.choices) > 3)


def _document() -> DocxDocument:
    return a4_document(margins_mm=(12, 10, 18, 18), font=SANS, space_after=0)


def _text(container, text: str, *, size: float = 11, font: str = SANS, first: bool = True,  # type: ignore[no-untyped-def]
          **style) -> None:
    """The printed blank's line: 11 pt sans, into a new cell's empty paragraph unless ``first`` is False."""
    paragraph(container, text, size=size, font=font, first=first, **style)


def _fields(form: FormDef, place: Place | None) -> list[tuple[FieldDef, str]]:
    """The rows to print, with the values known before it is filled in (the household's estate and room)."""
    rows = []
    for f in form.fields:
        if f.name == form.number_field:
            continue  # printed on the 编号 line
        value = ""
        if place is not None and f.type == "estate":
            value = place.estate
        elif place is not None and f.type == "room":
            value = place.display
        elif f.type == "enum" and f.choices and len(f.choices) <= 6:
            value = "  ".join(f"□{c}" for c in f.choices)
        rows.append((f, value))
    return rows


def _page(doc: DocxDocument, form: FormDef, company: str, place: Place | None, code_png: Path) -> None:
    _text(doc, company, size=12, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, first=False)
    head = doc.add_table(rows=1, cols=2)
    head.alignment = WD_TABLE_ALIGNMENT.CENTER
    _widths(head, (Mm(140), Mm(34)))
    left, right = head.rows[0].cells
    _text(left, form.name, size=20, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, font=SERIF)
    _text(left, "", size=6, first=False)
    _text(left, f"{form.number_field or '编号'}：____________________", size=11, first=False)
    if place is not None:
        _text(left, f"住户：{place.estate} {place.display}", size=11, first=False)
    right.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    right.paragraphs[0].add_run().add_picture(str(code_png), width=Mm(28))
    words = f"{place.estate}/{place.key}" if place else "未指定住户"
    _text(right, f"{words}\n{form.name} 第{form.version}版", size=7, align=WD_ALIGN_PARAGRAPH.CENTER, first=False)
    # Short fields two to a row (label, box, label, box); long texts get a whole row with room to write.
    lines: list[list[tuple[FieldDef, str]]] = []
    for f, value in _fields(form, place):
        if _long(f) or (lines and len(lines[-1]) == 1 and _long(lines[-1][0][0])):
            lines.append([(f, value)])
        elif lines and len(lines[-1]) == 1 and not _long(lines[-1][0][0]):
            lines[-1].append((f, value))
        else:
            lines.append([(f, value)])
    table = doc.add_table(rows=len(lines), cols=4)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _widths(table, (Mm(28), Mm(59), Mm(28), Mm(59)))
    for row, line in zip(table.rows, lines, strict=True):
        row.height = Mm(17) if _long(line[0][0]) else Mm(9)
        row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
        if len(line) == 1:
            row.cells[1].merge(row.cells[3])
        for i, (f, value) in enumerate(line):
            _text(row.cells[2 * i], f.name + ("*" if f.required else ""), size=10.5, bold=True)
            if value:
                _text(row.cells[2 * i + 1], value, size=10)
    _text(doc, "", size=6, first=False)
    _text(doc, "经办人（签字）：______________    住户（签字）：______________    日期：______年____月____日",
          size=10.5, first=False)
    _text(doc, "注：带 * 的为必填项。请用黑色或蓝色笔填写；扫描时请勿遮挡右上角二维码。", size=8, first=False)


def blank_form(form: FormDef, company: str, dest: Path, *, place: Place | None = None, copies: int = 1) -> Path:
    """Write the DOCX of ``copies`` identical pages; returns its path."""
    doc = _document()
    household = f"{place.estate}/{place.key}" if place else None
    with tempfile.TemporaryDirectory() as tmp:
        code_png = Path(tmp) / "qr.png"
        layout = layout_id(form.id, form.version, household is not None)
        qr.image(qr.payload(form.id, form.version, household, layout)).save(code_png)
        for copy in range(copies):
            if copy:
                doc.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
            _page(doc, form, company, place, code_png)
        dest.parent.mkdir(parents=True, exist_ok=True)
        doc.save(str(dest))
    return dest


@dataclass(frozen=True)
class _Printed:
    """The household line of a blank rendered again: where the boxes fall depends only on whether it is printed."""

    estate: str
    key: str
    display: str


def rendered_layout(form: FormDef, household: str | None, layouts: Path, *,
                    timeout: float = OfficeSettings.timeout) -> Layout | None:
    """The layout of a blank of ``form`` (the definition version the blank was printed from) that was printed
    before layouts were stored: the blank rendered again by LibreOffice, its layout read and stored under its
    id (form, version, household line), so each version is rendered once. None when LibreOffice is missing or
    fails: the page is then read by finding the labels."""
    from hudang.forms import layout as lay
    from hudang.forms import office

    layout_key = layout_id(form.id, form.version, household is not None)
    stored = lay.load(layouts, layout_key)
    if stored is not None:
        return stored
    estate, _, key = (household or "").partition("/")
    place = _Printed(estate, key, key) if household else None
    with tempfile.TemporaryDirectory(prefix="hudang-layout-") as tmp:
        docx = blank_form(form, "物业服务中心", Path(tmp) / f"{layout_key}.docx", place=place)
        try:
            pdf = office.to_pdf([docx], Path(tmp), instances=1, timeout=timeout).pdfs.get(docx)
        except ToolMissing:
            return None
        if pdf is None:
            return None
        layout = lay.extract(pdf, form, layout_key)
    lay.save(layouts, layout)
    return layout


def separator(dest: Path) -> Path:
    """The sheet that separates documents in one batch scan (dropped from the filed documents)."""
    doc = _document()
    with tempfile.TemporaryDirectory() as tmp:
        code_png = Path(tmp) / "sep.png"
        qr.image(qr.SEPARATOR, box=12).save(code_png)
        _text(doc, "分 隔 页", size=36, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
        _text(doc, "批量扫描时放在两份表单之间。本页不会归档。", size=14, align=WD_ALIGN_PARAGRAPH.CENTER,
              first=False)
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.add_run().add_picture(str(code_png), width=Mm(90))
        _text(doc, "SEPARATOR · 户档 hudang", size=12, align=WD_ALIGN_PARAGRAPH.CENTER, first=False)
        dest.parent.mkdir(parents=True, exist_ok=True)
        doc.save(str(dest))
    return dest
