"""Word forms made in the test with python-docx, plus raw WordprocessingML for what python-docx cannot make."""

from __future__ import annotations

import re
from pathlib import Path

import docx
from docx.document import Document as DocumentObject
from docx.oxml import parse_xml
from docx.table import _Cell

from hudang.forms.readers import read_document
from hudang.forms.readers.model import Extraction, SimpleVocabulary
from hudang.forms.readers.pairs import resolve_checks
from hudang.forms.readers.wordfile import read_docx

try:
    from hudang.forms.values import normalize_label as _normalize
except ImportError:  # pragma: no cover - before values.py existed
    def _normalize(s: str) -> str:
        return re.sub(r"\s+", "", s).rstrip(":：")

LABELS = frozenset("""编号 项目 日期 投诉人 投诉时间 投诉人房号 联系电话 接报人 投诉方式 投诉类别 严重程度
    投诉内容 处理结果 回访结果 有偿服务 维修类别 报修人 房号""".split())
VOCAB = SimpleVocabulary(LABELS, _normalize)

NS = ('xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
      'xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml" '
      'xmlns:v="urn:schemas-microsoft-com:vml" '
      'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
      'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
      'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
      'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"')


def run(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>'


def inline_sdt(text: str, placeholder: bool = False) -> str:
    flag = "<w:showingPlcHdr/>" if placeholder else ""
    return (f'<w:sdt {NS}><w:sdtPr><w:alias w:val="字段"/>{flag}</w:sdtPr>'
            f"<w:sdtContent>{run(text)}</w:sdtContent></w:sdt>")


def checkbox_sdt(checked: bool) -> str:
    glyph = "☒" if checked else "☐"
    return (f'<w:sdt {NS}><w:sdtPr><w14:checkbox><w14:checked w14:val="{int(checked)}"/>'
            '<w14:checkedState w14:val="2612" w14:font="MS Gothic"/>'
            '<w14:uncheckedState w14:val="2610" w14:font="MS Gothic"/></w14:checkbox></w:sdtPr>'
            f"<w:sdtContent>{run(glyph)}</w:sdtContent></w:sdt>")


def form_checkbox(checked: bool) -> str:
    state = "<w:checked/>" if checked else ""
    return (f'<w:r {NS}><w:fldChar w:fldCharType="begin"><w:ffData><w:name w:val="Check1"/><w:enabled/>'
            f'<w:checkBox><w:sizeAuto/><w:default w:val="0"/>{state}</w:checkBox></w:ffData></w:fldChar></w:r>')


def append_xml(cell_or_paragraph: _Cell | object, *fragments: str) -> None:
    """Append raw XML to the first paragraph of a cell, or to a paragraph."""
    p = cell_or_paragraph.paragraphs[0]._p if isinstance(cell_or_paragraph, _Cell) else cell_or_paragraph._p  # type: ignore[attr-defined]
    for fragment in fragments:
        p.append(parse_xml(fragment if "xmlns:w=" in fragment else fragment.replace("<w:r>", f"<w:r {NS}>", 1)))


def fill(doc: DocumentObject, rows: list[list[str]]) -> docx.table.Table:
    table = doc.add_table(rows=len(rows), cols=len(rows[0]))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    return table


def read(doc: DocumentObject, tmp_path: Path, name: str = "form.docx") -> Extraction:
    path = tmp_path / name
    doc.save(str(path))
    return read_document(path, VOCAB)


def fields(extraction: Extraction) -> dict[str, str]:
    assert extraction.kind == "form" and len(extraction.records) == 1
    return extraction.records[0].fields


# --- table layouts ---------------------------------------------------------------------------

def test_two_column_table(tmp_path: Path) -> None:
    doc = docx.Document()
    fill(doc, [["投诉人", "张三"], ["联系电话：", "13812345678"], ["*投诉内容", "楼上漏水"]])
    got = fields(read(doc, tmp_path))
    assert got == {"投诉人": "张三", "联系电话": "13812345678", "投诉内容": "楼上漏水"}


def test_four_column_row_with_an_empty_value_does_not_take_the_next_label(tmp_path: Path) -> None:
    doc = docx.Document()
    fill(doc, [["投诉人", "张三", "投诉时间", "2026-11-03 09:30"],
               ["联系电话", "", "接报人", "李四"]])
    got = fields(read(doc, tmp_path))
    assert got == {"投诉人": "张三", "投诉时间": "2026-11-03 09:30", "联系电话": "", "接报人": "李四"}


def test_labels_over_values(tmp_path: Path) -> None:
    doc = docx.Document()
    fill(doc, [["投诉人", "联系电话", "投诉时间"], ["张三", "13812345678", "2026-11-03 09:30"]])
    got = fields(read(doc, tmp_path))
    assert got == {"投诉人": "张三", "联系电话": "13812345678", "投诉时间": "2026-11-03 09:30"}


def test_label_last_in_row_takes_the_cell_below(tmp_path: Path) -> None:
    doc = docx.Document()
    fill(doc, [["投诉人", "张三", "投诉内容"], ["联系电话", "13812345678", "楼上漏水"]])
    got = fields(read(doc, tmp_path))
    assert got == {"投诉人": "张三", "投诉内容": "楼上漏水", "联系电话": "13812345678"}


def test_label_whose_cell_below_is_a_label_is_empty(tmp_path: Path) -> None:
    doc = docx.Document()
    fill(doc, [["处理结果"], ["回访结果"], ["满意"]])
    assert fields(read(doc, tmp_path)) == {"处理结果": "", "回访结果": "满意"}


def test_horizontally_merged_cells_count_once(tmp_path: Path) -> None:
    doc = docx.Document()
    table = fill(doc, [["投诉人", "张三", "联系电话", "13812345678"], ["投诉内容", "", "", ""],
                       ["处理结果", "", "", ""]])
    table.cell(1, 1).merge(table.cell(1, 3)).text = "楼上漏水"
    table.cell(2, 0).merge(table.cell(2, 1)).text = "处理结果"
    table.cell(2, 2).merge(table.cell(2, 3)).text = "已修复"
    extraction = read(doc, tmp_path)
    assert fields(extraction) == {"投诉人": "张三", "联系电话": "13812345678", "投诉内容": "楼上漏水",
                                  "处理结果": "已修复"}
    assert extraction.text.count("楼上漏水") == 1
    assert "投诉内容\t楼上漏水" in extraction.text


def test_vertically_merged_cells_count_once(tmp_path: Path) -> None:
    doc = docx.Document()
    table = fill(doc, [["投诉内容", "楼上漏水"], ["", ""], ["联系电话", "13812345678"]])
    table.cell(0, 0).merge(table.cell(1, 0)).text = "投诉内容"
    table.cell(0, 1).merge(table.cell(1, 1)).text = "楼上漏水"
    # Labels merged downwards over their values: the value is below the merged label.
    table2 = fill(doc, [["投诉人", "投诉时间"], ["", ""], ["张三", "2026-11-03 09:30"]])
    table2.cell(0, 0).merge(table2.cell(1, 0)).text = "投诉人"
    table2.cell(0, 1).merge(table2.cell(1, 1)).text = "投诉时间"
    extraction = read(doc, tmp_path)
    assert fields(extraction) == {"投诉内容": "楼上漏水", "联系电话": "13812345678", "投诉人": "张三",
                                  "投诉时间": "2026-11-03 09:30"}
    assert extraction.text.count("楼上漏水") == 1


def test_nested_table(tmp_path: Path) -> None:
    doc = docx.Document()
    outer = fill(doc, [["投诉人", "张三"], ["详情", ""]])
    inner = outer.cell(1, 1).add_table(rows=2, cols=2)
    for r, (label, value) in enumerate([("投诉方式", "来电"), ("投诉内容", "电梯故障")]):
        inner.cell(r, 0).text = label
        inner.cell(r, 1).text = value
    extraction = read(doc, tmp_path)
    assert fields(extraction) == {"投诉人": "张三", "投诉方式": "来电", "投诉内容": "电梯故障"}
    assert "投诉方式\t来电" in extraction.text


def test_free_cell_with_label_value_lines_and_continuation(tmp_path: Path) -> None:
    doc = docx.Document()
    table = fill(doc, [["投诉人", "张三"], ["", ""]])
    merged = table.cell(1, 0).merge(table.cell(1, 1))
    merged.text = "投诉内容："
    merged.add_paragraph("楼上卫生间漏水，")
    merged.add_paragraph("已影响天花板。")
    merged.add_paragraph("接报人：李四  日期：2026-11-03")
    got = fields(read(doc, tmp_path))
    assert got["投诉内容"] == "楼上卫生间漏水，\n已影响天花板。"
    assert got["接报人"] == "李四" and got["日期"] == "2026-11-03"


# --- content controls, text boxes, check boxes ------------------------------------------------

def test_inline_content_control_in_a_cell(tmp_path: Path) -> None:
    doc = docx.Document()
    table = fill(doc, [["投诉人", ""], ["联系电话", ""]])
    append_xml(table.cell(0, 1), inline_sdt("张三"))
    append_xml(table.cell(1, 1), inline_sdt("单击或点击此处输入文字。", placeholder=True))
    assert table.cell(0, 1).text == ""   # what python-docx alone would see
    assert fields(read(doc, tmp_path)) == {"投诉人": "张三", "联系电话": ""}


def test_block_content_controls(tmp_path: Path) -> None:
    doc = docx.Document()
    body = doc.element.body
    body.insert(0, parse_xml(f'<w:sdt {NS}><w:sdtPr/><w:sdtContent><w:p>{run("投诉人：王五")}</w:p>'
                             "</w:sdtContent></w:sdt>"))
    table = fill(doc, [["投诉内容", ""]])
    tc = table.cell(0, 1)._tc
    tc.remove(tc.p_lst[0])
    tc.append(parse_xml(f'<w:sdt {NS}><w:sdtPr/><w:sdtContent><w:p>{run("车库进水")}</w:p>'
                        "</w:sdtContent></w:sdt>"))
    extraction = read(doc, tmp_path)
    assert fields(extraction) == {"投诉人": "王五", "投诉内容": "车库进水"}
    assert extraction.text.splitlines()[0] == "投诉人：王五"


def test_rows_and_cells_wrapped_in_content_controls(tmp_path: Path) -> None:
    doc = docx.Document()
    table = fill(doc, [["投诉人", "张三"], ["联系电话", "13812345678"]])
    tbl, second = table._tbl, table.rows[1]._tr
    tbl.remove(second)   # a repeating-section control around a row
    row_sdt = parse_xml(f'<w:sdt {NS}><w:sdtPr/><w:sdtContent/></w:sdt>')
    row_sdt[1].append(second)
    tbl.append(row_sdt)
    tc = second.tc_lst[1]
    second.remove(tc)    # and a control around a single cell
    cell_sdt = parse_xml(f'<w:sdt {NS}><w:sdtPr/><w:sdtContent/></w:sdt>')
    cell_sdt[1].append(tc)
    second.append(cell_sdt)
    assert fields(read(doc, tmp_path)) == {"投诉人": "张三", "联系电话": "13812345678"}


def test_wingdings_check_boxes(tmp_path: Path) -> None:
    doc = docx.Document()
    table = fill(doc, [["有偿服务", ""]])
    append_xml(table.cell(0, 1), f'<w:r {NS}><w:sym w:font="Wingdings" w:char="F0FE"/></w:r>', run("是 "),
               f'<w:r {NS}><w:sym w:font="Wingdings" w:char="F0A8"/></w:r>', run("否"))
    assert fields(read(doc, tmp_path)) == {"有偿服务": "是"}


def test_text_boxes_vml_and_drawingml_once(tmp_path: Path) -> None:
    doc = docx.Document()
    para = doc.add_paragraph("正文")
    append_xml(para, f'<w:r {NS}><w:pict><v:shape id="tb1"><v:textbox><w:txbxContent>'
                     f'<w:p>{run("联系电话：13812345678")}</w:p></w:txbxContent></v:textbox></v:shape></w:pict></w:r>')
    box = f'<w:txbxContent><w:p>{run("投诉人：王五")}</w:p></w:txbxContent>'
    append_xml(para, f'<w:r {NS}><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wp:anchor>'
                     '<wp:extent cx="1" cy="1"/><wp:docPr id="1" name="文本框 1"/><a:graphic><a:graphicData '
                     'uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"><wps:wsp>'
                     f"<wps:txbx>{box}</wps:txbx></wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing>"
                     f'</mc:Choice><mc:Fallback><w:pict><v:shape id="tb2"><v:textbox>{box}</v:textbox></v:shape>'
                     "</w:pict></mc:Fallback></mc:AlternateContent></w:r>")
    extraction = read(doc, tmp_path)
    assert fields(extraction) == {"联系电话": "13812345678", "投诉人": "王五"}
    assert extraction.text.count("投诉人：王五") == 1
    assert extraction.text.splitlines()[0] == "正文"


def test_check_box_glyphs(tmp_path: Path) -> None:
    doc = docx.Document()
    fill(doc, [["投诉方式", "☑来电 □来访 □信函"], ["有偿服务", "是☑  否□"], ["投诉类别", "[√]有效投诉 [ ]咨询型"],
               ["严重程度", "□重大 □重要 □轻微"]])
    doc.add_paragraph("维修类别：■渗漏水 □水电 ☑门窗")
    got = fields(read(doc, tmp_path))
    assert got == {"投诉方式": "来电", "有偿服务": "是", "投诉类别": "有效投诉", "严重程度": "",
                   "维修类别": "渗漏水、门窗"}


def test_word_check_box_controls_and_legacy_form_fields(tmp_path: Path) -> None:
    doc = docx.Document()
    table = fill(doc, [["投诉方式", ""], ["回访结果", ""]])
    cell = table.cell(0, 1)
    append_xml(cell, checkbox_sdt(False), run("来电 "), checkbox_sdt(True), run("来访 "),
               checkbox_sdt(True), run("网络"))
    append_xml(table.cell(1, 1), form_checkbox(True), run("满意 "), form_checkbox(False), run("不满意"))
    extraction = read(doc, tmp_path)
    assert fields(extraction) == {"投诉方式": "来访、网络", "回访结果": "满意"}
    assert "□来电 ☑来访 ☑网络" in extraction.text


def test_resolve_checks_keeps_plain_text() -> None:
    assert resolve_checks("楼上漏水（√已报物业）") == "楼上漏水（√已报物业）"
    assert resolve_checks("张三") == "张三"
    assert resolve_checks("(√)来电 ( )来访") == "来电"
    assert resolve_checks("☑") == "☑"


# --- paragraphs, title, metadata --------------------------------------------------------------

def test_paragraph_pairs(tmp_path: Path) -> None:
    doc = docx.Document()
    doc.add_paragraph("投诉处理单")
    doc.add_paragraph("投诉人：张三    联系电话：13812345678")
    doc.add_paragraph("投诉时间:2026-11-03 09:30\t接报人：李四")
    doc.add_paragraph("项    目：金第花园")
    doc.add_paragraph("备注：请联系物业  编号不详")   # a name this vocabulary lacks: kept (an extra field)
    doc.add_paragraph("经现场查看发现：水管破裂")      # a sentence, not a name: no pair
    extraction = read(doc, tmp_path)
    assert fields(extraction) == {"投诉人": "张三", "联系电话": "13812345678", "投诉时间": "2026-11-03 09:30",
                                  "接报人": "李四", "项目": "金第花园", "备注": "请联系物业  编号不详"}
    assert extraction.title == "投诉处理单"


def test_first_occurrence_wins_and_a_conflict_is_warned(tmp_path: Path) -> None:
    doc = docx.Document()
    fill(doc, [["投诉人", "张三"]])
    doc.add_paragraph("投诉人：李四")
    extraction = read(doc, tmp_path)
    assert fields(extraction) == {"投诉人": "张三"}
    assert [w.code for w in extraction.warnings] == ["duplicate_label"]
    assert "李四" not in extraction.warnings[0].message


def test_text_in_reading_order(tmp_path: Path) -> None:
    doc = docx.Document()
    doc.add_paragraph("投诉处理单")
    fill(doc, [["投诉人", "张三"], ["投诉内容", "楼上漏水"]])
    doc.add_paragraph("本表一式两份")
    assert read(doc, tmp_path).text == "投诉处理单\n投诉人\t张三\n投诉内容\t楼上漏水\n本表一式两份"


def test_title_rules(tmp_path: Path) -> None:
    doc = docx.Document()
    doc.add_paragraph("")
    doc.add_paragraph("投诉人：张三")
    assert read(doc, tmp_path, "a.docx").title is None

    doc = docx.Document()
    doc.add_paragraph("本公司为规范客户投诉处理流程，提高服务质量，特制定本表，请如实填写以下各项内容。")
    assert read(doc, tmp_path, "b.docx").title is None

    doc = docx.Document()
    table = fill(doc, [["", ""], ["投诉人", "张三"]])
    table.cell(0, 0).merge(table.cell(0, 1)).text = "客户投诉处理单"
    extraction = read(doc, tmp_path, "c.docx")
    assert extraction.title == "客户投诉处理单"
    assert fields(extraction) == {"投诉人": "张三"}

    doc = docx.Document()
    doc.add_paragraph("投诉处理单")
    doc.core_properties.title = "客户投诉处理单（2026版）"
    assert read(doc, tmp_path, "d.docx").title == "客户投诉处理单（2026版）"


def test_core_property_hints(tmp_path: Path) -> None:
    doc = docx.Document()
    doc.core_properties.subject = "维修工作单"
    doc.core_properties.keywords = "报修"
    extraction = read(doc, tmp_path, "a.docx")
    assert extraction.form_hint == "维修工作单"
    assert extraction.title is None and extraction.detected_type == "docx"

    doc = docx.Document()
    doc.core_properties.category = "投诉处理单"
    assert read(doc, tmp_path, "b.docx").form_hint == "投诉处理单"

    doc = docx.Document()
    doc.core_properties.keywords = "住户登记表"
    assert read(doc, tmp_path, "c.docx").form_hint == "住户登记表"
    assert read(docx.Document(), tmp_path, "d.docx").form_hint is None


def test_read_docx_directly(tmp_path: Path) -> None:
    doc = docx.Document()
    fill(doc, [["报修人", "赵六"], ["房号", "3栋2单元1201"]])
    path = tmp_path / "报修.docx"
    doc.save(str(path))
    extraction = read_docx(path, VOCAB)
    assert fields(extraction) == {"报修人": "赵六", "房号": "3栋2单元1201"}
    assert extraction.warnings == []
