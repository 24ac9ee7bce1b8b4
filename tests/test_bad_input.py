"""Bad input never stops a batch and never loses a file: every one ends with its outcome and a reason."""

from __future__ import annotations

import io
import os
import stat
import zipfile
import zlib
from pathlib import Path

from pypdf import PdfWriter

from builders import complaint, docx_form, json_form, raw_pdf, registration, roster_lines, write_lines
from conftest import Hudang


def _set_limit(hudang: Hudang, mb: float) -> None:
    config = hudang.home / "config.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("max_file_mb = 50", f"max_file_mb = {mb}"),
                      encoding="utf-8")


def _junk_batch(folder: Path) -> dict[str, str]:
    """Each junk file and the status it must end with."""
    folder.mkdir(parents=True)
    expected: dict[str, str] = {}
    good = docx_form(folder / "好的登记表.docx", "住户登记表", registration("1-1-301"))
    expected[good.name] = "filed"
    expected[json_form(folder / "好的投诉.json", "投诉处理单", complaint("TS-7")).name] = "filed"
    (folder / "空文件.docx").write_bytes(b"")
    expected["空文件.docx"] = "quarantined"
    data = good.read_bytes()
    (folder / "截断.docx").write_bytes(data[: len(data) // 2])
    expected["截断.docx"] = "quarantined"
    (folder / "其实是文本.docx").write_text("这不是 Word 文件", encoding="utf-8")
    expected["其实是文本.docx"] = "quarantined"
    (folder / "其实是图片.pdf").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(64))
    expected["其实是图片.pdf"] = "quarantined"  # read as a picture whatever its name says, and it will not open
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.encrypt("secret")
    buf = io.BytesIO()
    writer.write(buf)
    (folder / "加密.pdf").write_bytes(buf.getvalue())
    expected["加密.pdf"] = "quarantined"
    (folder / "太大.json").write_bytes(b"{" + b" " * (2 * 1024 * 1024) + b"}")
    expected["太大.json"] = "quarantined"
    with zipfile.ZipFile(folder / "炸弹.docx", "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("word/document.xml", "w") as member:
            block = b"\0" * (1 << 20)
            for _ in range(300):
                member.write(block)
    expected["炸弹.docx"] = "quarantined"
    odd = json_form(folder / "奇怪..\\名字\t换行\n.json", "住户登记表", registration("1-1-302", "怪名"))
    expected[odd.name.replace("\t", "\\t").replace("\n", "\\n")] = "filed"   # shown escaped
    os.mkfifo(folder / "管道.docx")
    expected["管道.docx"] = "ignored"      # nothing to keep or retry: no empty quarantine entry
    os.mknod(folder / "设备.docx", 0o600 | stat.S_IFCHR, os.makedev(1, 3))   # like /dev/null
    expected["设备.docx"] = "ignored"
    (folder / "断链.docx").symlink_to(folder / "不存在.docx")
    expected["断链.docx"] = "ignored"   # a link inside a folder is never followed (broken or not)
    (folder / "~$好的登记表.docx").write_bytes(b"owner file")
    expected["~$好的登记表.docx"] = "ignored"
    (folder / "下载中.json.part").write_text("{}")
    expected["下载中.json.part"] = "ignored"
    inner = folder / "目录.docx"
    inner.mkdir()
    json_form(inner / "文件夹里的.json", "住户登记表", registration("1-1-1201", "夹中"))
    expected["文件夹里的.json"] = "filed"
    return expected


def test_one_batch_of_junk_and_good_files(hudang: Hudang, roster_csv: Path, tmp_path: Path) -> None:
    _set_limit(hudang, 1)
    hudang.ingest(roster_csv)
    expected = _junk_batch(tmp_path / "batch")
    outcomes = hudang.ingest(tmp_path / "batch")
    got = {Path(o["source"]).name: o for o in outcomes}
    assert set(got) == set(expected)
    for name, status in expected.items():
        assert got[name]["status"] == status, (name, got[name])
        if status == "quarantined":
            assert got[name]["errors"] and all(e["message"] for e in got[name]["errors"]), name
    codes = {name: got[name]["errors"][0]["code"] for name, s in expected.items() if s == "quarantined"}
    assert codes["空文件.docx"] == "empty_file"
    assert codes["太大.json"] == "too_large"
    assert codes["炸弹.docx"] == "zip_bomb"
    assert codes["加密.pdf"] == "encrypted_pdf"
    assert {got[n]["warnings"][0]["code"] for n in ("管道.docx", "设备.docx")} == {"not_regular_file"}
    assert got["断链.docx"]["warnings"][0]["code"] == "symlink"
    # Nothing lost: every quarantined file with bytes has its copy and report in quarantine (a file over the
    # size limit only its report: where it is, how large; test_limits.py).
    entries = {Path(e["source"]).name: e for e in hudang.json("quarantine", "list")["entries"]}
    for name in ("空文件.docx", "截断.docx", "其实是文本.docx", "加密.pdf", "太大.json", "炸弹.docx"):
        entry = entries[name]
        assert (Path(entry["path"]) / "报告.txt").exists()
        if name == "太大.json":
            assert entry["file"] is None and entry["original"]["size"] == (tmp_path / "batch" / name).stat().st_size
        elif name != "空文件.docx":
            assert (Path(entry["path"]) / entry["file"]).stat().st_size == (tmp_path / "batch" / name).stat().st_size
    # Files outside the intake folder are left untouched.
    assert (tmp_path / "batch" / "好的登记表.docx").exists()
    assert hudang("verify").code == 0


def test_a_filing_failure_reports_what_was_reached_and_loses_nothing(hudang: Hudang, tmp_path: Path) -> None:
    hudang("estates", "add", "金第花园")
    blocker = hudang.home / "archive" / "estates" / "金第花园" / "3-2-1201"
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("a file where a household folder should be")
    json_form(tmp_path / "in" / "a-bad.json", "住户登记表", registration(联系电话="123"))
    json_form(tmp_path / "in" / "b-good.json", "住户登记表", registration())
    result = hudang("ingest", tmp_path / "in", "--json", check=False)
    assert result.code == 1
    doc = result.json
    assert doc["error"]["code"] == "ingest_stopped"
    assert [Path(o["source"]).name for o in doc["outcomes"]] == ["a-bad.json"]
    assert [Path(w).name for w in doc["waiting"]] == ["b-good.json"]
    blocker.unlink()
    outcomes = {Path(o["source"]).name: o["status"] for o in hudang.ingest(tmp_path / "in")}
    assert outcomes == {"a-bad.json": "quarantined", "b-good.json": "filed"}
    assert hudang("verify").code == 0
    assert len(hudang.json("quarantine", "list")["entries"]) == 1


def _png_header_only(path: Path, width: int, height: int) -> None:
    """A PNG whose header declares ``width`` × ``height`` pixels over a few rows of data (a pixel bomb)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = zlib.compress(b"\0" * (width + 1) * 4)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", rows) + chunk(b"IEND", b""))


def test_hostile_structures_are_refused_each_with_its_own_reason(hudang: Hudang, roster_csv: Path,
                                                                 tmp_path: Path) -> None:
    """A JSON nested 100,000 deep, a DOCX whose DTD expands a billion times, a PNG declaring 60000×60000
    pixels, a CSV with NUL bytes, a JSON number of 5,000 digits and a PDF page whose 100 KB of drawing inflate
    to 100 MB (rendered for OCR it ran 9 minutes in 4 GB at 3 GB): each quarantined saying what is wrong with
    it (not "损坏" or "无法识别的格式"), the good form beside them filed."""
    hudang.ingest(roster_csv)
    folder = tmp_path / "in"
    json_form(folder / "好的.json", "住户登记表", registration("1-1-301", "好人"))
    (folder / "嵌套.json").write_text('{"表单": "住户登记表", "字段": ' + "[" * 100_000 + "]" * 100_000 + "}",
                                     encoding="utf-8")
    good = docx_form(tmp_path / "form.docx", "住户登记表", registration("1-1-302", "实体"))
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(folder / "实体.docx", "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/document.xml":
                laughs = "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10 if n else "哈" * 10}">' for n in range(10))
                data = data.replace(b"?>", f'?><!DOCTYPE w:document [{laughs}]>'.encode(), 1)
                data = data.replace("实体".encode(), b"&l9;", 1)
            dst.writestr(info, data)
    _png_header_only(folder / "像素.png", 60000, 60000)
    (folder / "空字符.csv").write_bytes("项目,楼栋,单元,房号,业主姓名\n金第花园,1栋,1单元,1\x00\x0001,某\n".encode())
    (folder / "大数.json").write_text('{"表单": "住户登记表", "字段": {"面积": ' + "9" * 5000 + "}}", encoding="utf-8")
    _pdf_content_bomb(folder / "内容炸弹.pdf", 100 * 1024 * 1024)
    got = {Path(o["source"]).name: o for o in hudang.ingest(folder)}
    assert "含有空字符（NUL 字节）" in got["空字符.csv"]["errors"][0]["message"]
    assert "数字超过 4300 位" in got["大数.json"]["errors"][0]["message"]
    assert (got["内容炸弹.pdf"]["status"], got["内容炸弹.pdf"]["errors"][0]["code"]) == ("quarantined", "zip_bomb")
    assert got["好的.json"]["status"] == "filed"
    reasons = {name: (got[name]["status"], got[name]["errors"][0]["code"]) for name in ("嵌套.json", "实体.docx", "像素.png")}
    assert reasons == {"嵌套.json": ("quarantined", "too_deep"), "实体.docx": ("quarantined", "xml_entities"),
                       "像素.png": ("quarantined", "page_too_large")}, got


def test_a_roster_naming_an_impossible_estate_is_quarantined_and_the_batch_goes_on(hudang: Hudang,
                                                                                   tmp_path: Path) -> None:
    """A roster whose 项目 is “a/b” stopped the whole batch (归档中止, the files after it not filed); “..” made
    an estate named “..”. Each is now that file's rows' problem, the good roster beside them imported."""
    folder = tmp_path / "rosters"
    folder.mkdir()
    write_lines(folder / "房屋清单-斜杠.csv", roster_lines("a/b"))
    write_lines(folder / "房屋清单-点点.csv", roster_lines(".."))
    write_lines(folder / "房屋清单-好.csv", roster_lines("金第花园"))
    got = {Path(o["source"]).name: o for o in hudang.ingest(folder)}
    assert got["房屋清单-好.csv"]["status"] == "imported"
    for name in ("房屋清单-斜杠.csv", "房屋清单-点点.csv"):
        assert got[name]["status"] == "quarantined", got[name]
        assert {e["code"] for e in got[name]["errors"]} == {"bad_estate"} and "项目名称" in got[name]["errors"][0]["message"]
    assert [e["name"] for e in hudang.json("estates", "list")["estates"]] == ["金第花园"]


def _pdf_content_bomb(path: Path, inflated: int) -> None:
    """A one-page PDF whose content stream is `inflated` bytes of spaces, deflated."""
    stream = zlib.compress(b" " * inflated, 9)
    raw_pdf(path, b"/MediaBox [0 0 595 842] /Contents 4 0 R",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(stream), stream))
