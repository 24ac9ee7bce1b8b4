"""read_pdf on real PDFs made in the test: reportlab for pages and simple fields, pypdf for CJK fields."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PageObject, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    PdfObject,
    TextStringObject,
    create_string_object,
)
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from hudang.errors import UnreadableFile
from hudang.forms.readers.model import ReadLimits, SimpleVocabulary
from hudang.forms.readers.pdf import read_pdf

try:
    from hudang.forms.values import normalize_label as _normalize
except ImportError:  # pragma: no cover - before values.py existed
    def _normalize(s: str) -> str:
        return re.sub(r"\s+", "", s).rstrip(":：")

LABELS = frozenset("""编号 项目 日期 投诉人 投诉时间 投诉人房号 联系电话 接报人 投诉方式 投诉类别 严重程度
    投诉内容 有偿服务 回访结果 返修""".split())
VOCAB = SimpleVocabulary(LABELS, _normalize)
LIMITS = ReadLimits()
FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _canvas(path: Path, **kwargs: object) -> canvas.Canvas:
    c = canvas.Canvas(str(path), **kwargs)  # type: ignore[arg-type]
    c.setFont(FONT, 12)
    return c


def _text_pdf(path: Path, pages: list[list[tuple[int, int, str]]], title: str | None = None) -> Path:
    c = _canvas(path)
    if title:
        c.setTitle(title)
    for page in pages:
        c.setFont(FONT, 12)
        for x, y, text in page:
            c.drawString(x, y, text)
        c.showPage()
    c.save()
    return path


COMPLAINT_PAGES = [
    [(50, 800, "投诉处理单"),
     (50, 770, "编号：TS-2026-001"),
     (50, 740, "投诉人 张三  投诉时间 2026-11-03 09:30"),
     (50, 710, "投诉人房号"), (200, 710, "3栋2单元1201"), (350, 710, "联系电话"), (450, 710, "13800138000"),
     (50, 680, "投诉方式  ☑来电 □来访")],
    [(50, 800, "投诉内容：楼上 漏水，天花板 发霉")],
]


def test_text_layer_label_lines_and_side_by_side_pairs(tmp_path: Path) -> None:
    result = read_pdf(_text_pdf(tmp_path / "t.pdf", COMPLAINT_PAGES), VOCAB, LIMITS)
    assert result.kind == "form" and result.detected_type == "pdf" and result.pages == 2
    assert result.records[0].fields == {
        "编号": "TS-2026-001", "投诉人": "张三", "投诉时间": "2026-11-03 09:30", "投诉人房号": "3栋2单元1201",
        "联系电话": "13800138000", "投诉方式": "来电", "投诉内容": "楼上 漏水，天花板 发霉",
    }
    assert result.title == "投诉处理单"  # reportlab's placeholder title "untitled" is ignored
    assert "张三" in result.text and "天花板" in result.text
    assert result.warnings == []


def test_single_spaced_pairs_and_metadata_title(tmp_path: Path) -> None:
    pdf = _text_pdf(tmp_path / "t.pdf", [[(50, 800, "说明文字"), (50, 770, "投诉人 李四 投诉时间 2026-11-04 14:00")]],
                    title="Microsoft Word - 投诉处理单.docx")
    result = read_pdf(pdf, VOCAB, LIMITS)
    assert result.records[0].fields == {"投诉人": "李四", "投诉时间": "2026-11-04 14:00"}
    assert result.title == "投诉处理单"


def test_reportlab_acroform_fields(tmp_path: Path) -> None:
    path = tmp_path / "f.pdf"
    c = _canvas(path)
    c.drawString(50, 800, "投诉处理单")
    form = c.acroForm
    # reportlab cannot draw CJK field values; names and radio values may be CJK.
    form.textfield(name="投诉人", value="Zhang San", x=100, y=700, width=200, height=20)
    form.textfield(name="text7", tooltip="联系电话", value="13800138000", x=100, y=670, width=200, height=20)
    form.textfield(name="unrelated", value="ignored", x=100, y=640, width=200, height=20)
    form.checkbox(name="投诉方式_来电", checked=True, x=100, y=610)
    form.checkbox(name="投诉方式:来访", checked=False, x=130, y=610)
    form.checkbox(name="有偿服务", checked=True, x=160, y=610)
    form.checkbox(name="返修", checked=False, x=190, y=610)
    form.radio(name="严重程度", value="重要", selected=True, x=100, y=580)
    form.radio(name="严重程度", value="轻微", selected=False, x=130, y=580)
    c.setSubject("complaint")
    c.save()
    result = read_pdf(path, VOCAB, LIMITS)
    assert result.kind == "form"
    assert result.records[0].fields == {
        "投诉人": "Zhang San", "联系电话": "13800138000", "投诉方式": "来电", "有偿服务": "是", "返修": "否",
        "严重程度": "重要",
    }
    assert result.form_hint == "complaint"
    assert result.title == "投诉处理单"
    assert "投诉人：Zhang San" in result.text and "unrelated：ignored" in result.text


def _field_pdf(path: Path, fields: list[dict[str, PdfObject]], kids: dict[str, list[str]] | None = None,
               metadata: dict[str, str] | None = None) -> Path:
    """A one-page PDF with AcroForm fields written directly, so names and values can be any Unicode."""
    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    roots, annots = ArrayObject(), ArrayObject()

    def add(entries: dict[str, PdfObject], widget: bool = True) -> tuple[PdfObject, DictionaryObject]:
        obj = DictionaryObject({NameObject(k): v for k, v in entries.items()})
        if widget:
            y = 780 - 25 * len(annots)
            obj.update({NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Widget"),
                        NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (50, y, 250, y + 20)])})
        ref = writer._add_object(obj)
        if widget:
            annots.append(ref)
        return ref, obj

    for entries in fields:
        name = str(entries["/T"])
        if kids and name in kids:  # a radio group: states live in its kids' appearances
            ref, group = add(entries, widget=False)
            group[NameObject("/Kids")] = ArrayObject(
                add({"/Parent": ref, "/AP": _appearance(state)})[0] for state in kids[name])
        else:
            ref, _ = add(entries)
        roots.append(ref)
    page[NameObject("/Annots")] = annots
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject({NameObject("/Fields"): roots})
    if metadata:
        writer.add_metadata(metadata)
    writer.write(path)
    return path


def _appearance(on: str) -> DictionaryObject:
    states = {NameObject("/" + on): NameObject("/Null"), NameObject("/Off"): NameObject("/Null")}
    return DictionaryObject({NameObject("/N"): DictionaryObject(states)})


T: Callable[[str], TextStringObject] = TextStringObject


def test_cjk_acroform_fields(tmp_path: Path) -> None:
    pdf = _field_pdf(tmp_path / "f.pdf", [
        {"/FT": NameObject("/Tx"), "/T": T("投诉人"), "/V": T("张三")},
        {"/FT": NameObject("/Tx"), "/T": T("f2"), "/TU": T("投诉人房号"), "/V": T("3栋2单元1201")},
        {"/FT": NameObject("/Ch"), "/T": T("投诉类别"), "/V": T("求助型"),
         "/Opt": ArrayObject([T("有效投诉"), T("求助型")])},
        {"/FT": NameObject("/Btn"), "/Ff": NumberObject(1 << 15), "/T": T("投诉方式"), "/V": NameObject("/来电")},
        {"/FT": NameObject("/Btn"), "/T": T("回访结果：满意"), "/V": NameObject("/Yes"), "/AP": _appearance("Yes")},
        {"/FT": NameObject("/Btn"), "/T": T("回访结果：不满意"), "/V": NameObject("/Off"), "/AP": _appearance("Yes")},
        {"/FT": NameObject("/Btn"), "/T": T("严重程度"), "/V": NameObject("/轻微"), "/AP": _appearance("轻微")},
        {"/FT": NameObject("/Tx"), "/T": T("投訴內容"), "/V": T("电梯 故障")},  # Traditional label
        {"/FT": NameObject("/Btn"), "/Ff": NumberObject(1 << 16), "/T": T("编号")},  # a push button
        # GBK bytes without a BOM, as some Chinese PDF producers write them
        {"/FT": NameObject("/Tx"), "/T": create_string_object("接报人".encode("gbk")),
         "/V": create_string_object("李四".encode("gbk"))},
    ], kids={"投诉方式": ["来电", "来访"]}, metadata={"/Title": "投诉处理单", "/Keywords": "投诉处理单"})
    result = read_pdf(pdf, VOCAB, LIMITS)
    assert result.kind == "form" and result.pages == 1
    fields = result.records[0].fields
    assert fields["投诉人"] == "张三" and fields["投诉人房号"] == "3栋2单元1201"
    assert fields["投诉类别"] == "求助型" and fields["投诉方式"] == "来电" and fields["回访结果"] == "满意"
    assert fields["严重程度"] == "轻微"
    assert "编号" not in fields
    assert fields["接报人"] == "李四"
    if _normalize("投訴內容") == "投诉内容":
        assert fields["投诉内容"] == "电梯 故障"
    assert result.form_hint == "投诉处理单" and result.title == "投诉处理单"


def test_fields_not_named_by_labels_fall_back_to_text(tmp_path: Path) -> None:
    path = tmp_path / "f.pdf"
    c = _canvas(path)
    c.drawString(50, 800, "投诉人：王五")
    c.acroForm.textfield(name="Text1", value="x", x=100, y=700, width=200, height=20)
    c.save()
    result = read_pdf(path, VOCAB, LIMITS)
    assert result.kind == "form" and result.records[0].fields == {"投诉人": "王五"}


def test_encrypted_pdf_is_refused(tmp_path: Path) -> None:
    source = _text_pdf(tmp_path / "t.pdf", COMPLAINT_PAGES)
    writer = PdfWriter(clone_from=source)
    writer.encrypt("secret")
    writer.write(tmp_path / "locked.pdf")
    with pytest.raises(UnreadableFile) as caught:
        read_pdf(tmp_path / "locked.pdf", VOCAB, LIMITS)
    assert caught.value.code == "encrypted_pdf"
    assert caught.value.message == "PDF 文件已加密，无法读取；请提供未加密的文件"


def test_empty_user_password_is_readable(tmp_path: Path) -> None:
    source = _text_pdf(tmp_path / "t.pdf", COMPLAINT_PAGES)
    writer = PdfWriter(clone_from=source)
    writer.encrypt("", owner_password="owner")  # only restricts printing/editing
    writer.write(tmp_path / "restricted.pdf")
    result = read_pdf(tmp_path / "restricted.pdf", VOCAB, LIMITS)
    assert result.records[0].fields["投诉人"] == "张三"


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9])
def test_truncated_pdf_is_refused(tmp_path: Path, keep: float) -> None:
    data = _text_pdf(tmp_path / "t.pdf", COMPLAINT_PAGES).read_bytes()
    (tmp_path / "cut.pdf").write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(UnreadableFile) as caught:
        read_pdf(tmp_path / "cut.pdf", VOCAB, LIMITS)
    assert caught.value.code == "corrupt"


def test_pdf_repaired_to_no_pages_is_refused(tmp_path: Path) -> None:
    # pypdf is lenient: it rebuilds this file (bad startxref) into a document with zero pages.
    (tmp_path / "empty.pdf").write_bytes(
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
        b"trailer\n<< /Root 1 0 R >>\nstartxref\n9999\n%%EOF")
    with pytest.raises(UnreadableFile) as caught:
        read_pdf(tmp_path / "empty.pdf", VOCAB, LIMITS)
    assert caught.value.code == "corrupt"


def test_missing_tail_is_read_with_a_warning(tmp_path: Path) -> None:
    data = _text_pdf(tmp_path / "t.pdf", COMPLAINT_PAGES).read_bytes()
    (tmp_path / "cut.pdf").write_bytes(data.rstrip()[:-3])  # "%%EOF" lost
    result = read_pdf(tmp_path / "cut.pdf", VOCAB, LIMITS)
    assert result.records[0].fields["投诉人"] == "张三"
    assert [w.code for w in result.warnings] == ["pdf_incomplete"]


def test_not_a_pdf_is_corrupt(tmp_path: Path) -> None:
    (tmp_path / "x.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 20)
    with pytest.raises(UnreadableFile) as caught:
        read_pdf(tmp_path / "x.pdf", VOCAB, LIMITS)
    assert caught.value.code == "corrupt"


def _scan_pdf(path: Path, watermark: str | None = None) -> Path:
    c = _canvas(path)
    c.drawImage(ImageReader(Image.new("RGB", (200, 280), "white")), 0, 0, 595, 842)
    if watermark:
        c.drawString(20, 20, watermark)
    c.setKeywords("维修工作单")
    c.save()
    return path


def test_image_only_pdf_is_a_scan(tmp_path: Path) -> None:
    result = read_pdf(_scan_pdf(tmp_path / "scan.pdf"), VOCAB, LIMITS)
    assert result.kind == "scan" and result.records == [] and result.pages == 1
    assert result.text == "" and result.form_hint == "维修工作单"


def test_scan_with_stray_text_stays_a_scan(tmp_path: Path) -> None:
    result = read_pdf(_scan_pdf(tmp_path / "scan.pdf", watermark="扫描全能王"), VOCAB, LIMITS)
    assert result.kind == "scan" and result.records == []
    assert "扫描全能王" in result.text


def test_unreadable_page_text_is_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pdf = _text_pdf(tmp_path / "t.pdf", COMPLAINT_PAGES)
    original = PageObject.extract_text

    def extract(page: PageObject, *args: object, **kwargs: object) -> str:
        if "投诉内容" in original(page, extraction_mode="plain"):
            raise KeyError("/Widths")  # what pypdf raises on some broken fonts
        return original(page, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(PageObject, "extract_text", extract)
    result = read_pdf(pdf, VOCAB, LIMITS)
    assert result.records[0].fields["投诉人"] == "张三" and "投诉内容" not in result.records[0].fields
    assert [w.code for w in result.warnings] == ["pdf_page_text"] and "第 2 页" in result.warnings[0].message
