"""The dispatcher, sniffing, ZIP safety, JSON forms and legacy office files (LibreOffice, marked slow)."""

from __future__ import annotations

import json
import re
import shutil
import sys
import types
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest

from hudang.errors import UnreadableFile
from hudang.forms.readers import is_temp_file, read_document
from hudang.forms.readers.legacy import convert_legacy, ole_kind
from hudang.forms.readers.model import Extraction, RawRecord, ReadLimits, SimpleVocabulary, Vocabulary
from hudang.forms.readers.sniff import check_zip, detect_type

from builders import soffice_convert

try:
    from hudang.forms.values import normalize_label as _normalize
except ImportError:  # pragma: no cover - before values.py existed
    def _normalize(s: str) -> str:
        return re.sub(r"\s+", "", s).rstrip(":：")

VOCAB = SimpleVocabulary(frozenset({"投诉人", "联系电话", "投诉内容", "房号", "费用", "有偿服务", "备注"}), _normalize)
COMPLAINT = {"表单": "投诉处理单", "字段": {"投诉人": "张三", "房号": 1201, "费用": 12.0, "有偿服务": True,
                                        "备注": None, "投 诉 内 容：": "楼上漏水"}}


def make_docx(path: Path, rows: list[tuple[str, str]] | None = None) -> Path:
    doc = docx.Document()
    doc.add_paragraph("投诉处理单")
    rows = rows or [("投诉人", "张三"), ("投诉内容", "楼上漏水")]
    table = doc.add_table(rows=len(rows), cols=2)
    for r, (label, value) in enumerate(rows):
        table.cell(r, 0).text = label
        table.cell(r, 1).text = value
    doc.add_paragraph("本表一式两份")   # Word always ends a body with a paragraph; LibreOffice's .doc needs it
    doc.save(str(path))
    return path


def make_xlsx(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["投诉人", "房号"])
    sheet.append(["张三", "3-2-1201"])
    book.save(path)
    return path


def unreadable(path: Path, code: str, limits: ReadLimits | None = None) -> UnreadableFile:
    with pytest.raises(UnreadableFile) as info:
        read_document(path, VOCAB, limits)
    assert info.value.code == code, info.value.message
    assert re.search(r"[\u4e00-\u9fff]", info.value.message)
    return info.value


@pytest.fixture
def fake_readers(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Path, str | None]]:
    """Stand-ins for the PDF and table readers (another module's work), recording how they were called."""
    calls: list[tuple[str, Path, str | None]] = []

    def read_pdf(path: Path, vocab: Vocabulary, limits: ReadLimits) -> Extraction:
        calls.append(("pdf", path, None))
        return Extraction(kind="form", records=[RawRecord({})], detected_type="pdf")

    def read_table(path: Path, vocab: Vocabulary, limits: ReadLimits, detected: str) -> Extraction:
        calls.append(("table", path, detected))
        book = openpyxl.load_workbook(path.open("rb")) if detected == "xlsx" else None
        rows = [[str(c) for c in row] for row in book.active.iter_rows(values_only=True)] if book else []
        return Extraction(kind="table", records=[RawRecord(dict(zip(rows[0], rows[1], strict=True)))] if rows else [])

    for name, func in (("pdf", read_pdf), ("tabular", read_table)):
        module = types.ModuleType(f"hudang.forms.readers.{name}")
        setattr(module, func.__name__, func)
        monkeypatch.setitem(sys.modules, module.__name__, module)
    return calls


# --- sniffing and the dispatcher ----------------------------------------------------------------

def test_detect_type(tmp_path: Path) -> None:
    samples = {
        "a.docx": make_docx(tmp_path / "a.docx").read_bytes(),
        "b.xlsx": make_xlsx(tmp_path / "b.xlsx").read_bytes(),
        "c.bin": b"\r\n  junk\n%PDF-1.7\n...",
        "d.doc": bytes.fromhex("D0CF11E0A1B11AE1") + bytes(504),
        "e.txt": "\ufeff  {\"表单\": 1}".encode(),
        "f.csv": "投诉人,房号\n张三,1201\n".encode("gb18030"),
        "g.txt": "投诉人\t房号\n张三\t1201\n".encode(),
        "h.txt": "只是一段说明文字。".encode(),
        "i.png": b"\x89PNG\r\n\x1a\n" + bytes(20),
        "j.jpg": b"\xff\xd8\xff\xe0" + bytes(20),
        "k.tif": b"II*\x00" + bytes(20),
        "l.bmp": b"BM" + bytes(20),
        "m.dat": bytes(range(256)) * 4,
        "n.json": b"",
        "o.doc": b"{\\rtf1\\ansi hello}",
        "p.xls": b"<html><body><table><tr><td>1</td></tr></table></body></html>",
    }
    expected = {"a.docx": "docx", "b.xlsx": "xlsx", "c.bin": "pdf", "d.doc": "ole", "e.txt": "json",
                "f.csv": "csv", "g.txt": "csv", "h.txt": "text", "i.png": "image", "j.jpg": "image",
                "k.tif": "image", "l.bmp": "image", "m.dat": "unknown", "n.json": "empty", "o.doc": "rtf",
                "p.xls": "html"}
    for name, data in samples.items():
        path = tmp_path / name
        path.write_bytes(data)
        assert detect_type(path) == expected[name], name


def test_docx_that_is_really_a_pdf_is_read_as_pdf(tmp_path: Path, fake_readers: list) -> None:
    path = tmp_path / "投诉.docx"
    path.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    extraction = read_document(path, VOCAB)
    assert fake_readers == [("pdf", path, None)]
    assert [w.code for w in extraction.warnings] == ["extension_mismatch"]
    assert ".docx" in extraction.warnings[0].message and "PDF" in extraction.warnings[0].message


def test_xlsx_named_xls_goes_to_the_table_reader(tmp_path: Path, fake_readers: list) -> None:
    path = make_xlsx(tmp_path / "名册.xls")
    extraction = read_document(path, VOCAB)
    assert fake_readers == [("table", path, "xlsx")]
    assert extraction.records[0].fields == {"投诉人": "张三", "房号": "3-2-1201"}
    assert extraction.warnings[0].code == "extension_mismatch"


def test_csv_goes_to_the_table_reader_without_warning(tmp_path: Path, fake_readers: list) -> None:
    path = tmp_path / "台账.csv"
    path.write_text("投诉人,房号\n张三,1201\n", encoding="utf-8-sig")
    extraction = read_document(path, VOCAB)
    assert fake_readers == [("table", path, "csv")] and extraction.warnings == []


def test_docx_that_is_really_text_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "投诉.docx"
    path.write_text("投诉人：张三\n", encoding="utf-8")
    error = unreadable(path, "wrong_type")
    assert ".docx" in error.message and "纯文本" in error.message


def test_image_is_a_scan(tmp_path: Path) -> None:
    path = tmp_path / "扫描件.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0" + bytes(100))
    extraction = read_document(path, VOCAB)
    assert extraction.kind == "scan" and extraction.records == [] and extraction.detected_type == "image"


def test_empty_and_too_large_files(tmp_path: Path) -> None:
    empty = tmp_path / "空.docx"
    empty.touch()
    unreadable(empty, "empty_file")
    big = make_docx(tmp_path / "大.docx")
    unreadable(big, "too_large", ReadLimits(max_bytes=1000))


def test_temp_files_are_refused() -> None:
    for name in ("~$投诉.docx", ".~lock.投诉.docx#", "投诉.docx.tmp", "下载.part", ".DS_Store", "Thumbs.db"):
        assert is_temp_file(Path(name)), name
    assert not is_temp_file(Path("投诉.docx"))
    with pytest.raises(UnreadableFile) as info:
        read_document(Path("/nonexistent/~$投诉.docx"), VOCAB)
    assert info.value.code == "temp_file"


def test_truncated_docx_is_corrupt(tmp_path: Path) -> None:
    whole = make_docx(tmp_path / "whole.docx").read_bytes()
    path = tmp_path / "半个.docx"
    path.write_bytes(whole[: len(whole) // 2])
    assert detect_type(path) == "docx"
    unreadable(path, "corrupt")


def test_broken_xml_inside_a_docx_is_corrupt_not_a_traceback(tmp_path: Path) -> None:
    source = make_docx(tmp_path / "ok.docx")
    path = tmp_path / "坏.docx"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(item, data[:200] if item.filename == "word/document.xml" else data)
    error = unreadable(path, "corrupt")
    assert isinstance(error.__cause__, Exception)


def test_zip_bomb_is_refused_before_opening(tmp_path: Path) -> None:
    path = tmp_path / "炸弹.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
        with zf.open("word/media/zeros.bin", "w", force_zip64=True) as member:
            chunk = bytes(1024 * 1024)
            for _ in range(300):
                member.write(chunk)
    limits = ReadLimits(max_unzipped_bytes=1024 * 1024)
    unreadable(path, "zip_bomb", limits)
    with pytest.raises(UnreadableFile) as info:
        check_zip(path, ReadLimits())          # under the size cap, still far over the ratio
    assert info.value.code == "zip_bomb"


def test_check_zip_accepts_a_normal_docx(tmp_path: Path) -> None:
    check_zip(make_docx(tmp_path / "ok.docx"), ReadLimits())


# --- JSON --------------------------------------------------------------------------------------

def test_json_chinese_keys(tmp_path: Path) -> None:
    path = tmp_path / "投诉.json"
    path.write_text(json.dumps(COMPLAINT, ensure_ascii=False), encoding="utf-8")
    extraction = read_document(path, VOCAB)
    assert extraction.kind == "form" and extraction.form_hint == "投诉处理单"
    assert extraction.records[0].fields == {"投诉人": "张三", "房号": "1201", "费用": "12", "有偿服务": "是",
                                            "备注": "", "投诉内容": "楼上漏水"}
    assert extraction.text.splitlines()[:3] == ["表单：投诉处理单", "投诉人：张三", "房号：1201"]
    assert extraction.warnings == []


def test_json_english_keys_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "complaint.json"
    data = {"form": "complaint", "fields": {"投诉人": "李四", "费用": 1234.5}}
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(data, ensure_ascii=False).encode())
    extraction = read_document(path, VOCAB)
    assert extraction.form_hint == "complaint"
    assert extraction.records[0].fields == {"投诉人": "李四", "费用": "1234.5"}


def test_json_gb18030(tmp_path: Path) -> None:
    path = tmp_path / "投诉.json"
    path.write_bytes(json.dumps(COMPLAINT, ensure_ascii=False).encode("gb18030"))
    assert read_document(path, VOCAB).records[0].fields["投诉人"] == "张三"


@pytest.mark.parametrize(("content", "reason"), [
    (b'{"\xe8\xa1\xa8\xe5\x8d\x95": "x", ', "格式错误"),
    (b'[{"form": "x", "fields": {}}]', "列表"),
    (b'{"form": "x"}', "缺少"),
    (b'{"form": "x", "fields": ["a", "b"]}', "应为对象"),
    (b'{"form": "\xff\xff\x80"}', "编码"),
    ("投诉人：张三".encode(), "格式错误"),
])
def test_bad_json(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "坏.json"
    path.write_bytes(content)
    assert reason in unreadable(path, "bad_json").message


# --- legacy office files (LibreOffice) ---------------------------------------------------------

@pytest.mark.slow
def test_legacy_doc_and_wps(tmp_path: Path) -> None:
    doc = soffice_convert(make_docx(tmp_path / "投诉单.docx"), "doc", tmp_path)
    assert detect_type(doc) == "ole" and ole_kind(doc) == "doc"
    extraction = read_document(doc, VOCAB)
    assert extraction.converted_from == "doc" and extraction.detected_type == "ole"
    assert extraction.title == "投诉处理单"
    assert extraction.records[0].fields == {"投诉人": "张三", "投诉内容": "楼上漏水"}
    assert extraction.warnings == []
    wps = tmp_path / "投诉单.wps"
    shutil.copyfile(doc, wps)
    assert read_document(wps, VOCAB).converted_from == "wps"
    unknown = tmp_path / "投诉单.dat"              # an OLE file under another name: decided by its streams
    shutil.copyfile(doc, unknown)
    extraction = read_document(unknown, VOCAB)
    assert extraction.converted_from == "doc" and extraction.warnings[0].code == "extension_mismatch"


@pytest.mark.slow
def test_legacy_xls(tmp_path: Path, fake_readers: list) -> None:
    xls = soffice_convert(make_xlsx(tmp_path / "名册.xlsx"), "xls", tmp_path)
    assert ole_kind(xls) == "xls"
    converted = convert_legacy(xls, "xlsx", ReadLimits(), outdir=tmp_path / "out")
    sheet = openpyxl.load_workbook(converted).active
    assert sheet is not None and sheet["A2"].value == "张三"
    extraction = read_document(xls, VOCAB)
    assert [(kind, detected) for kind, _, detected in fake_readers] == [("table", "xlsx")]
    assert extraction.converted_from == "xls"
    assert extraction.records[0].fields == {"投诉人": "张三", "房号": "3-2-1201"}
    assert xls.read_bytes()[:8] == bytes.fromhex("D0CF11E0A1B11AE1")   # the original is untouched


@pytest.mark.slow
def test_rtf_saved_as_doc(tmp_path: Path) -> None:
    body = "".join(f"\\u{ord(ch)}?" for ch in "投诉人：张三")
    path = tmp_path / "导出.doc"
    path.write_text("{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 SimSun;}}\\f0 " + body + "\\par}", encoding="ascii")
    extraction = read_document(path, VOCAB)
    assert extraction.records[0].fields == {"投诉人": "张三"} and extraction.converted_from == "doc"


@pytest.mark.slow
def test_broken_ole_file_fails_to_convert(tmp_path: Path) -> None:
    path = tmp_path / "坏.doc"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(2000))
    assert unreadable(path, "convert_failed").code == "convert_failed"


def test_libreoffice_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    path = tmp_path / "旧.doc"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(2000))
    assert "apt-get install libreoffice" in unreadable(path, "tool_missing").message


def test_encrypted_office_file(tmp_path: Path) -> None:
    path = tmp_path / "加密.docx"
    entry = "EncryptedPackage".encode("utf-16-le") + b"\x00\x00"
    entry = entry.ljust(64, b"\x00") + len(entry).to_bytes(2, "little") + bytes(62)
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(1016) + entry)
    unreadable(path, "encrypted")


@pytest.mark.slow
def test_conversion_timeout(tmp_path: Path) -> None:
    doc = soffice_convert(make_docx(tmp_path / "投诉单.docx"), "doc", tmp_path)
    error = unreadable(doc, "convert_failed", ReadLimits(libreoffice_timeout=0.3))
    assert "超时" in error.message
