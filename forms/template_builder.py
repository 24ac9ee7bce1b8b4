"""Builds the shipped docxtpl templates with python-docx, so they are reproducible from source.

``python -m hudang.forms.template_builder`` rewrites ``forms/templates/dunning_letter.docx``,
``household_summary.docx`` and ``arrears_certificate.docx``. An office changes wording by copying one into ``<home>/templates/`` and
editing it in Word; the ``{{ … }}`` fields and the ``{%tr %}`` rows must stay.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

SERIF = "Noto Serif CJK SC"
SANS = "Noto Sans CJK SC"


def _fonts(element: object, name: str) -> None:
    rpr = element.get_or_add_rPr()  # type: ignore[attr-defined]
    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)


def a4_document(*, margins_mm: tuple[float, float, float, float] = (15, 12, 25, 22), font: str = SERIF,
                size: float = 11, space_after: float = 2, line_spacing: float = 1.15) -> DocxDocument:
    """An A4 document (python-docx starts on Letter) in Noto CJK, marked Simplified Chinese.

    Margins are top, bottom, left, right in millimetres; the shipped templates and the blank forms share this."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    top, bottom, left, right = margins_mm
    section.top_margin, section.bottom_margin = Mm(top), Mm(bottom)
    section.left_margin, section.right_margin = Mm(left), Mm(right)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(size)
    _fonts(normal.element, font)
    # Simplified Chinese, so LibreOffice picks the SC face of the Noto CJK collection, not the JP one.
    lang = normal.element.get_or_add_rPr().makeelement(qn("w:lang"), {qn("w:val"): "zh-CN",
                                                                       qn("w:eastAsia"): "zh-CN"})
    normal.element.get_or_add_rPr().append(lang)
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    for fonts in defaults.iter(qn("w:rFonts")):   # theme fonts would override ours in LibreOffice
        for attr in list(fonts.attrib):
            del fonts.attrib[attr]
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            fonts.set(qn(attr), font)
    for lang_el in defaults.iter(qn("w:lang")):
        lang_el.set(qn("w:val"), "zh-CN")
        lang_el.set(qn("w:eastAsia"), "zh-CN")
    normal.paragraph_format.space_after = Pt(space_after)
    normal.paragraph_format.line_spacing = line_spacing
    return doc


def paragraph(container: DocxDocument | _Cell, text: str = "", *, size: float | None = None,
              bold: bool | None = False, align: WD_ALIGN_PARAGRAPH | None = None, font: str | None = None,
              indent: bool = False, before: float | None = None, after: float | None = None, first: bool = False,
              style: str | None = None) -> Paragraph:
    """One paragraph holding ``text`` as one run, added to a document or a table cell — the one way the templates,
    the printed blanks and the binder pages write a line.

    ``first`` writes into the container's first paragraph while it is still empty (a new table cell has one)
    instead of adding another; ``size``, ``font``, ``before``, ``after`` and ``bold`` left at None keep the
    style's (``style``, a paragraph style of the document such as "Caption")."""
    paras = container.paragraphs
    p = paras[0] if first and paras and not paras[0].runs else container.add_paragraph(style=style)
    run = p.add_run(text)
    run.bold = bold
    if size is not None:
        run.font.size = Pt(size)
    if font:
        _fonts(run._element, font)
    if align is not None:
        p.alignment = align
    if indent:
        p.paragraph_format.first_line_indent = Pt(23)
    if before is not None:
        p.paragraph_format.space_before = Pt(before)
    if after is not None:
        p.paragraph_format.space_after = Pt(after)
    return p


def _cell(table: Table, row: int, col: int, text: str, *, bold: bool = False,
          align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.CENTER, size: float = 10.5) -> None:
    cell = table.cell(row, col)
    p = cell.paragraphs[0]
    p.alignment = align
    p.paragraph_format.space_after = Pt(0)
    run = p.add_run(text)
    run.bold = bold
    run.font.size = Pt(size)


def _widths(table: Table, widths: tuple[int, ...]) -> None:
    """Column widths in the grid and in every cell: Word reads the cells, LibreOffice the grid."""
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=False):
            cell.width = width


def _letterhead(doc: DocxDocument, title: str, *, number_after: float) -> None:
    """The company and service centre, the document's title, its number on the right."""
    paragraph(doc, "{{ company }}", size=14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, font=SANS, after=0)
    paragraph(doc, "{{ service_centre }}", size=10.5, align=WD_ALIGN_PARAGRAPH.CENTER, font=SANS, after=6)
    paragraph(doc, title, size=22, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, before=2, after=2)
    paragraph(doc, "{{ number }}", size=11, align=WD_ALIGN_PARAGRAPH.RIGHT, after=number_after)


def _fee_table(doc: DocxDocument, headers: tuple[str, ...], keys: tuple[str, ...], total: str, *,
               size: float = 10.5) -> Table:
    """A table of fee rows: the header, one row per ``r in rows`` (amounts ``due``/``paid``/``owed`` on the right),
    and a 合计 row with ``total`` under the fifth column."""
    last = len(headers) - 1
    table = doc.add_table(rows=4, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for col, text in enumerate(headers):
        _cell(table, 0, col, text, bold=True, size=size)
    _cell(table, 1, 0, "{%tr for r in rows %}", align=WD_ALIGN_PARAGRAPH.LEFT)
    table.cell(1, 0).merge(table.cell(1, last))
    for col, key in enumerate(keys):
        _cell(table, 2, col, f"{{{{ r.{key} }}}}", size=size,
              align=WD_ALIGN_PARAGRAPH.RIGHT if key in ("due", "paid", "owed") else WD_ALIGN_PARAGRAPH.CENTER)
    _cell(table, 3, 0, "{%tr endfor %}", align=WD_ALIGN_PARAGRAPH.LEFT)
    table.cell(3, 0).merge(table.cell(3, last))
    row = table.add_row()
    row.cells[0].merge(row.cells[3])
    _cell(table, 4, 0, "合计", bold=True)
    _cell(table, 4, 4, total, bold=True, align=WD_ALIGN_PARAGRAPH.RIGHT)
    return table


def dunning_letter(dest: Path) -> None:
    doc = a4_document()
    _letterhead(doc, "催  缴  函", number_after=4)
    paragraph(doc, "尊敬的 {{ owner }} 业主：", bold=True)
    paragraph(doc, "您好！感谢您一直以来对我们物业服务工作的理解和支持。经核对，截至{{ as_of_text }}，您在"
                   "{{ estate }}{{ room }}的以下费用（所属期间 {{ periods }}）已逾期未缴：", indent=True)
    _fee_table(doc, ("费用项目", "所属期间", "应收金额（元）", "实收金额（元）", "欠费金额（元）"),
               ("item", "period", "due", "paid", "owed"), "{{ amount }}")
    paragraph(doc, "欠费合计：人民币 {{ amount }} 元（大写：人民币{{ amount_upper }}）。", bold=True, before=6)
    paragraph(doc, "{{ reminder_text }}", indent=True)
    paragraph(doc, "根据《中华人民共和国民法典》第九百四十四条，业主应当按照约定向物业服务人支付物业费；物业服务人已经按照"
                   "约定和有关规定提供服务的，业主不得以未接受或者无需接受相关物业服务为由拒绝支付物业费；业主违反约定"
                   "逾期不支付物业费的，物业服务人可以催告其在合理期限内支付。《物业管理条例》亦规定，业主应当根据物业"
                   "服务合同的约定交纳物业服务费用。", indent=True)
    paragraph(doc, "请您于{{ deadline_text }}前缴清上述费用。合理期限届满仍未缴纳的，我公司将依法提起诉讼或者申请仲裁，"
                   "以维护全体业主的共同利益。如您已缴纳，请忽略本函，并请携缴费凭证到物业服务中心核对；如对欠费金额有"
                   "异议，请在上述期限内与我们联系。", indent=True)
    paragraph(doc, "缴费方式：", bold=True, before=4, after=0)
    paragraph(doc, "{%p for way in payment %}", after=0)
    paragraph(doc, "{{ loop.index }}. {{ way }}", indent=True, after=0)
    paragraph(doc, "{%p endfor %}", after=0)
    paragraph(doc, "联系电话：{{ phone }}　　地址：{{ address }}", before=4)
    paragraph(doc, "特此函告。", indent=True, before=4)
    paragraph(doc, "{{ company }}", align=WD_ALIGN_PARAGRAPH.RIGHT, before=6, after=0)
    paragraph(doc, "{{ seal }}", align=WD_ALIGN_PARAGRAPH.RIGHT, after=0)
    paragraph(doc, "{{ date_text }}", align=WD_ALIGN_PARAGRAPH.RIGHT, after=10)
    paragraph(doc, "－ － － － － － － － － －  沿此线剪下  － － － － － － － － － －", size=9,
              align=WD_ALIGN_PARAGRAPH.CENTER, before=6, after=4, font=SANS)
    paragraph(doc, "送 达 回 执", size=14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    paragraph(doc, "（请签收后将本回执交回或寄回{{ service_centre }}）", size=9, align=WD_ALIGN_PARAGRAPH.CENTER, after=3)
    receipt = doc.add_table(rows=6, cols=2)
    receipt.style = "Table Grid"
    receipt.alignment = WD_TABLE_ALIGNMENT.CENTER
    for row, (label, value) in enumerate((
            ("函件编号", "{{ number }}"), ("受送达人", "{{ owner }}"), ("房屋", "{{ estate }}{{ room }}"),
            ("送达方式", "特快专递（EMS）　邮件号："),
            ("签收人（签字）", ""), ("签收日期", "          年      月      日"))):
        _cell(receipt, row, 0, label, bold=True)
        _cell(receipt, row, 1, value, align=WD_ALIGN_PARAGRAPH.LEFT)
    _widths(receipt, (Mm(40), Mm(118)))
    doc.save(str(dest))


def household_summary(dest: Path) -> None:
    doc = a4_document()
    normal = doc.styles["Normal"]
    normal.font.size = Pt(10)
    normal.paragraph_format.line_spacing = 1.1
    paragraph(doc, "户 档 摘 要", size=18, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=2)
    paragraph(doc, "{{ estate }} {{ room }}（{{ household }}）", size=11.5, align=WD_ALIGN_PARAGRAPH.CENTER,
              font=SANS, after=6)
    info = doc.add_table(rows=4, cols=4)
    info.style = "Table Grid"
    info.alignment = WD_TABLE_ALIGNMENT.CENTER
    cells = (("业主", "{{ owner }}", "联系电话", "{{ phone }}"),
             ("证件号码", "{{ id_number }}", "入住日期", "{{ moved_in }}"),
             ("家庭成员", "{{ members }}", "建筑面积", "{{ area }}"),
             ("车牌号", "{{ plates }}", "登记档号", "{{ registration_no }}"))
    for r, row in enumerate(cells):
        for c, text in enumerate(row):
            _cell(info, r, c, text, bold=c % 2 == 0, align=WD_ALIGN_PARAGRAPH.CENTER if c % 2 == 0 else
                  WD_ALIGN_PARAGRAPH.LEFT, size=10)
    paragraph(doc, "欠费与催缴", size=12, bold=True, font=SANS, before=8, after=2)
    paragraph(doc, "截至{{ as_of_text }}：欠费 {{ arrears }} 元{{ periods_text }}；催缴进度：{{ step }}。{{ reason }}",
              after=2)
    paragraph(doc, "未办结事项", size=12, bold=True, font=SANS, before=6, after=2)
    paragraph(doc, "{%p for item in open_items %}", after=0)
    paragraph(doc, "· {{ item }}", after=0)
    paragraph(doc, "{%p endfor %}", after=0)
    paragraph(doc, "{{ open_none }}", after=2)
    paragraph(doc, "档案记录（{{ record_count }} 件{{ records_note }}）", size=12, bold=True, font=SANS, before=6, after=2)
    table = doc.add_table(rows=3, cols=5)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for col, text in enumerate(("日期", "档号", "表单", "摘要", "状态")):
        _cell(table, 0, col, text, bold=True, size=9.5)
    _cell(table, 1, 0, "{%tr for r in records %}", align=WD_ALIGN_PARAGRAPH.LEFT, size=9)
    table.cell(1, 0).merge(table.cell(1, 4))
    for col, key in enumerate(("date", "archive_no", "form", "summary", "state")):
        _cell(table, 2, col, f"{{{{ r.{key} }}}}", size=9,
              align=WD_ALIGN_PARAGRAPH.LEFT if key == "summary" else WD_ALIGN_PARAGRAPH.CENTER)
    end = table.add_row()
    end.cells[0].merge(end.cells[4])
    _cell(table, 3, 0, "{%tr endfor %}", align=WD_ALIGN_PARAGRAPH.LEFT, size=9)
    _widths(table, (Mm(22), Mm(38), Mm(24), Mm(58), Mm(21)))
    paragraph(doc, "本摘要由户档系统生成于{{ date_text }}，证件号码和电话已按个人信息保护要求隐去部分数字。"
                   "{{ company }} {{ service_centre }}", size=8.5, before=8)
    doc.save(str(dest))


def arrears_certificate(dest: Path) -> None:
    """欠费证明 / 无欠费证明: one page, the unpaid amounts of every period up to the date, or none."""
    doc = a4_document()
    _letterhead(doc, "{{ title_spaced }}", number_after=6)
    paragraph(doc, "兹证明：{{ estate }}{{ room }}（现业主：{{ owner }}），截至{{ as_of_text }}，{{ statement }}", indent=True)
    paragraph(doc, "{%p if rows %}", after=0)
    table = _fee_table(doc, ("费用项目", "所属期间", "应收（元）", "已收（元）", "未缴（元）", "状态", "所属业主"),
                       ("item", "period", "due", "paid", "owed", "state", "owner"), "{{ total }}", size=10)
    _widths(table, (Mm(28), Mm(20), Mm(22), Mm(22), Mm(22), Mm(20), Mm(30)))
    paragraph(doc, "其中已逾期未缴 {{ overdue_total }} 元；标为“未到期”的费用，其所属期间尚未结束，尚未逾期。",
              before=4, indent=True)
    paragraph(doc, "{%p endif %}", after=0)
    paragraph(doc, "本证明依据本中心收费台账（截至出具之日导入的数据）出具，仅证明上述日期的缴费情况，"
                   "不代表此后的缴费情况。如有疑问，请致电 {{ phone }}。", indent=True, before=6)
    paragraph(doc, "特此证明。", indent=True, before=4)
    paragraph(doc, "{{ company }}", align=WD_ALIGN_PARAGRAPH.RIGHT, before=18, after=0)
    paragraph(doc, "（盖章）", align=WD_ALIGN_PARAGRAPH.RIGHT, after=0)
    paragraph(doc, "{{ date_text }}", align=WD_ALIGN_PARAGRAPH.RIGHT, after=0)
    doc.save(str(dest))


def main(argv: list[str] | None = None) -> None:
    out = Path(argv[0]) if argv else Path(__file__).parent / "templates"
    out.mkdir(parents=True, exist_ok=True)
    dunning_letter(out / "dunning_letter.docx")
    household_summary(out / "household_summary.docx")
    arrears_certificate(out / "arrears_certificate.docx")


if __name__ == "__main__":
    main(sys.argv[1:])
