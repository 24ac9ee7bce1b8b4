"""The 客服接待月报表 template: a docxtpl document built with python-docx, so it can be regenerated.

The built template lives at ``forms/templates/monthly_report.docx``; an office may replace it with its
own ``templates/monthly_report.docx`` in the data home (same variables, see `VARIABLES`).
Regenerate with ``python -m hudang.forms.report_template``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor
from docx.table import Table

from hudang.forms.template_builder import SANS, SERIF, _fonts, paragraph

BUILTIN_TEMPLATES = Path(__file__).parent / "templates"
MONTHLY_REPORT = "monthly_report.docx"
BODY_FONT = SERIF     # 宋体-like body, as official reports are set
HEAD_FONT = SANS      # 黑体-like headings

# What the template may use (checked against docxtpl's get_undeclared_template_variables in the tests).
VARIABLES = frozenset({
    "title", "estate_label", "month_chinese", "company", "centre", "compiled", "edition", "draft_note",
    "summary", "previous_note", "severity_rows", "category_rows", "department_rows", "repair_rows",
    "chart_bars", "chart_trend", "overdue", "visits", "overdue_note", "visits_note", "fees", "fee_note",
    "analysis", "review_note", "complaint_limits", "visit_limits",
})


def template_path(home_templates: Path | None, name: str = MONTHLY_REPORT) -> Path:
    """The data home's own template when it has one, else the built-in (as form definitions are overridden)."""
    if home_templates is not None and (home_templates / name).is_file():
        return home_templates / name
    return BUILTIN_TEMPLATES / name


def _style(doc: DocxDocument, name: str, font: str, size: float, *, bold: bool = False,
           before: float = 0, after: float = 4, center: bool = False) -> None:
    style = doc.styles[name]
    style.font.name = font
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.color.rgb = RGBColor(0, 0, 0)
    _fonts(style.element, font)
    fmt = style.paragraph_format
    fmt.space_before = Pt(before)
    fmt.space_after = Pt(after)
    if center:
        fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _para(doc: DocxDocument, text: str = "", *, style: str | None = None, size: float | None = None,
          bold: bool = False, center: bool = False, font: str | None = None, after: float | None = None) -> None:
    """The report template's line: bold only when asked (a caption keeps its style's), centred or not."""
    paragraph(doc, text, style=style, size=size, bold=bold or None, font=font, after=after,
              align=WD_ALIGN_PARAGRAPH.CENTER if center else None)


def _shade(cell: object, fill: str) -> None:
    tcpr = cell._tc.get_or_add_tcPr()  # type: ignore[attr-defined]
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tcpr.append(shd)


def _repeat_header(row: object) -> None:
    trpr = row._tr.get_or_add_trPr()  # type: ignore[attr-defined]
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    trpr.append(el)


def _loop_table(doc: DocxDocument, headers: list[str], cells: list[str], loop: str,
                widths: list[float], numeric_from: int = 1, size: float = 9.5) -> Table:
    """A bordered table: a shaded header row, then one templated row repeated by `{%tr for %}`."""
    table = doc.add_table(rows=4, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for i, text in enumerate(headers):
        cell = table.rows[0].cells[i]
        cell.text = ""
        run = cell.paragraphs[0].add_run(text)
        run.bold = True
        _fonts(run._r, HEAD_FONT)
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        _shade(cell, "D9E2F3")
    _repeat_header(table.rows[0])
    table.rows[1].cells[0].text = "{%tr for r in " + loop + " %}"
    for i, text in enumerate(cells):
        cell = table.rows[2].cells[i]
        cell.text = text
        cell.paragraphs[0].alignment = (WD_ALIGN_PARAGRAPH.RIGHT if i >= numeric_from
                                        else WD_ALIGN_PARAGRAPH.LEFT)
    table.rows[3].cells[0].text = "{%tr endfor %}"
    table.autofit = False
    for i, width in enumerate(widths):  # the grid (what LibreOffice reads) and every cell (what Word reads)
        table.columns[i].width = Cm(width)
        for row in table.rows:
            row.cells[i].width = Cm(width)
    for row in table.rows:
        for cell in row.cells:
            for p in cell.paragraphs:
                p.paragraph_format.space_after = Pt(0)
                for run in p.runs:
                    run.font.size = Pt(size)
    return table


def _note_or_none(doc: DocxDocument, rows: str, none_text: str) -> None:
    """Under a list table: its note (``<rows>_note``) when there is one, and ``none_text`` when the list is empty."""
    _para(doc, f"{{%p if {rows}_note %}}")
    _para(doc, f"{{{{ {rows}_note }}}}", size=9)
    _para(doc, "{%p endif %}")
    _para(doc, f"{{%p if not {rows} %}}")
    _para(doc, none_text)
    _para(doc, "{%p endif %}")


def _page_number_footer(doc: DocxDocument) -> None:
    p = doc.sections[0].footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.add_run("第 ")
    for instr in ("PAGE",):
        run = p.add_run()
        begin, text, end = OxmlElement("w:fldChar"), OxmlElement("w:instrText"), OxmlElement("w:fldChar")
        begin.set(qn("w:fldCharType"), "begin")
        text.set(qn("xml:space"), "preserve")
        text.text = instr
        end.set(qn("w:fldCharType"), "end")
        run._r.append(begin)
        run._r.append(text)
        run._r.append(end)
    p.add_run(" 页")


def build(path: Path) -> Path:
    """Write the monthly-report template to `path` (A4 portrait, set explicitly: python-docx defaults to Letter)."""
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Cm(2.5), Cm(2.2)
    section.left_margin, section.right_margin = Cm(2.4), Cm(2.2)
    _style(doc, "Normal", BODY_FONT, 10.5, after=3)
    _style(doc, "Heading 1", HEAD_FONT, 14, bold=True, before=12, after=6)
    _style(doc, "Heading 2", HEAD_FONT, 12, bold=True, before=8, after=4)
    _style(doc, "Caption", HEAD_FONT, 9, center=True, after=8)
    _page_number_footer(doc)

    # ---- cover ----
    for _ in range(6):
        _para(doc)
    _para(doc, "{{ company }}", size=16, center=True, font=HEAD_FONT, after=24)
    _para(doc, "{{ title }}", size=30, bold=True, center=True, font=HEAD_FONT, after=30)
    _para(doc, "{{ estate_label }}", size=18, center=True, font=HEAD_FONT, after=6)
    _para(doc, "（{{ month_chinese }}）", size=16, center=True, after=80)
    for line in ("编制单位：{{ centre }}", "编制日期：{{ compiled }}", "版　　次：{{ edition }}"):
        _para(doc, line, size=13, center=True, after=6)
    _para(doc, "{{ draft_note }}", size=11, center=True)
    doc.paragraphs[-1].runs[-1].add_break(WD_BREAK.PAGE)

    # ---- 1 summary ----
    doc.add_heading("一、主要指标汇总", level=1)
    _loop_table(doc, ["指标", "本月", "上月", "增减", "增减幅度"],
                ["{{ r.name }}", "{{ r.this }}", "{{ r.last }}", "{{ r.diff }}", "{{ r.pct }}"],
                "summary", [6.0, 2.5, 2.5, 3.0, 2.4])
    _para(doc, "{%p if previous_note %}")
    _para(doc, "{{ previous_note }}", size=9)
    _para(doc, "{%p endif %}")
    _para(doc, "说明：处理率＝已办结÷投诉总数；及时率＝时限内办结÷已办结（{{ complaint_limits }}）；"
               "回访率＝已回访÷已完成维修；回访及时率＝时限内回访÷已回访（{{ visit_limits }}）；"
               "满意率＝（满意＋基本满意）÷有回访结果数。均按各记录所载时间、截至月末最后时刻统计。", size=8.5)
    _para(doc, "{%p if review_note %}")
    _para(doc, "{{ review_note }}", size=8.5)
    _para(doc, "{%p endif %}")

    # ---- 2 complaints by category ----
    doc.add_heading("二、投诉分类统计", level=1)
    for heading, loop in (("（一）按严重程度", "severity_rows"), ("（二）按投诉类别", "category_rows"),
                          ("（三）按被投诉部门", "department_rows")):
        doc.add_heading(heading, level=2)
        _loop_table(doc, ["类别", "本月", "上月", "增减"],
                    ["{{ r.name }}", "{{ r.this }}", "{{ r.last }}", "{{ r.diff }}"], loop, [6.4, 3.3, 3.3, 3.4])

    # ---- 3 repairs ----
    doc.add_heading("三、维修分类统计", level=1)
    doc.add_heading("按维修类别", level=2)
    _loop_table(doc, ["类别", "本月", "上月", "增减"],
                ["{{ r.name }}", "{{ r.this }}", "{{ r.last }}", "{{ r.diff }}"], "repair_rows", [6.4, 3.3, 3.3, 3.4])

    # ---- 4 charts ----
    doc.add_heading("四、统计图表", level=1)
    _para(doc, "{{ chart_bars }}", center=True)
    _para(doc, "图1  本月与上月分类对比", style="Caption")
    _para(doc, "{{ chart_trend }}", center=True)
    _para(doc, "图2  近12个月投诉与报修数量趋势", style="Caption")

    # ---- 5, 6 lists ----
    doc.add_heading("五、超期未办结投诉清单", level=1)
    _para(doc, "至本月末已超过处理时限仍未办结的投诉（含以前月份受理的）。", size=9)
    _loop_table(doc, ["序号", "编号", "房号", "投诉时间", "严重程度", "被投诉部门", "已超期"],
                ["{{ r.seq }}", "{{ r.number }}", "{{ r.room }}", "{{ r.opened }}", "{{ r.severity }}",
                 "{{ r.department }}", "{{ r.over }}"], "overdue", [1.1, 2.1, 3.4, 3.0, 1.8, 2.4, 2.6],
                numeric_from=6, size=8.5)
    _note_or_none(doc, "overdue", "本月末无超期未办结的投诉。")
    doc.add_heading("六、维修回访缺失或超时清单", level=1)
    _para(doc, "本月报修、月末前已完成，但未回访或未在时限内回访的维修单。", size=9)
    _loop_table(doc, ["序号", "编号", "房号", "类别", "完成时间", "回访期限", "回访时间", "状态"],
                ["{{ r.seq }}", "{{ r.number }}", "{{ r.room }}", "{{ r.category }}", "{{ r.done }}",
                 "{{ r.deadline }}", "{{ r.visited }}", "{{ r.status }}"], "visits",
                [1.1, 1.8, 2.8, 1.6, 2.3, 2.3, 2.3, 2.2], numeric_from=8, size=8.5)
    _note_or_none(doc, "visits", "本月已完成的维修均已按时回访。")

    # ---- 7 fees ----
    doc.add_heading("七、物业费收缴情况", level=1)
    _para(doc, "{%p if fees %}")
    _loop_table(doc, ["项目", "本月", "上月"], ["{{ r.name }}", "{{ r.this }}", "{{ r.last }}"], "fees",
                [6.4, 5.0, 5.0])
    _para(doc, "{%p endif %}")
    _para(doc, "{{ fee_note }}", size=9)

    # ---- 8 analysis ----
    doc.add_heading("八、文字分析说明", level=1)
    _para(doc, "{%p for para in analysis %}")
    p = doc.add_paragraph("{{ para }}")
    p.paragraph_format.first_line_indent = Pt(21)
    p.paragraph_format.line_spacing = 1.3
    _para(doc, "{%p endfor %}")
    _para(doc)
    _para(doc, "编制：__________　　　审核：__________　　　批准：__________", after=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


if __name__ == "__main__":
    out = build(Path(sys.argv[1]) if len(sys.argv) > 1 else BUILTIN_TEMPLATES / MONTHLY_REPORT)
    print(out)
