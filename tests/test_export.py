"""调档: a household's file handed out as a bound binder and a BagIt ZIP (issue 15, part 3), with real files:
a DOCX, a text PDF, a scan, an XLSX batch row and a web-style JSON record, read back with pypdf and bagit."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import bagit
import openpyxl
import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from hudang.pipeline.export.bag import validate_zip

from builders import IDS, complaint, docx_form, json_form, registration
from conftest import Hudang

pytestmark = pytest.mark.slow

HOUSE = "金第花园/3-2-1201"
FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _text_pdf(path: Path, pages: list[list[str]]) -> Path:
    c = canvas.Canvas(str(path))
    for lines in pages:
        c.setFont(FONT, 12)
        for i, text in enumerate(lines):
            c.drawString(50, 800 - 30 * i, text)
        c.showPage()
    c.save()
    return path


def _batch(path: Path) -> Path:
    """A 维修工作单 batch: one row for our household, one for the neighbour (never handed out with ours)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["编号", "项目", "房号", "报修人", "联系电话", "报修时间", "报修内容"])
    ws.append(["WX-9", "金第花园", "3-2-1201", "王建国", "13812345678", "2026-10-05 08:00", "厨房水龙头漏水"])
    ws.append(["WX-10", "金第花园", "3-2-1202", "邻居甲", "13700001111", "2026-10-06 08:00", "门锁坏了"])
    wb.save(path)
    return path


@pytest.fixture
def household(hudang: Hudang, roster_csv: Path, tmp_path: Path) -> Hudang:
    hudang.env["HUDANG_NOW"] = "2026-11-26T10:00:00+08:00"
    hudang.ingest(roster_csv)
    web = json_form(tmp_path / "in" / "登记.json", "住户登记表", registration())
    word = docx_form(tmp_path / "in" / "投诉1.docx", "投诉处理单", complaint("TS-1", 投诉时间="2026-11-03 09:30"))
    pdf = _text_pdf(tmp_path / "in" / "投诉2.pdf", [
        ["投诉处理单", "编号：TS-2", "项目：金第花园", "投诉人：李四", "投诉时间：2026-11-10 10:00",
         "投诉人房号：3栋2单元1201", "联系电话：13912345678", "接报人：李客服"],
        ["投诉内容：电梯噪音扰民"]])
    rows = _batch(tmp_path / "in" / "报修.xlsx")
    outcomes = hudang.ingest(web, word, pdf, rows)
    assert [o["status"] for o in outcomes] == ["filed"] * 4, outcomes
    photo = Image.new("RGB", (900, 1200), "white")
    ImageDraw.Draw(photo).rectangle((100, 100, 800, 1100), outline="black", width=8)
    scan = tmp_path / "scan.png"
    photo.save(scan)
    [out] = hudang.ingest(scan)
    assert out["status"] == "unsorted", out
    hudang.json("assign", out["scan_id"], HOUSE, "--form", "维修工作单")
    # Two 文件 (documents that are not forms): an owner's letter PDF and a photo, with 题名 and 责任者.
    letter = _text_pdf(tmp_path / "来函.pdf", [["业主来函", "我家卫生间顶部渗水，请物业尽快处理。", "业主 王建国",
                                               "2026年11月12日"]])
    [filed] = hudang.json("ingest", letter, "--household", HOUSE, "--document", "业主来函（渗水）",
                          "--category", "来函", "--author", "王业主")["outcomes"]
    assert filed["status"] == "filed", filed
    picture = Image.new("RGB", (640, 480), (200, 180, 150))
    ImageDraw.Draw(picture).ellipse((200, 120, 440, 360), fill=(90, 90, 90))
    picture.save(tmp_path / "外墙.jpg")
    [filed] = hudang.json("ingest", tmp_path / "外墙.jpg", "--household", HOUSE, "--document", "外墙渗水照片",
                          "--category", "照片", "--author", "李客服")["outcomes"]
    assert filed["status"] == "filed", filed
    return hudang


def _stamps(reader: PdfReader) -> list[str]:
    return [page.extract_text() for page in reader.pages]


def _toc_row(toc: str, order: list[str], no: str) -> str:
    """The text of the 卷内目录 from the row of 档号 ``no`` up to the next row's 档号."""
    rest = toc.split(no, 1)[1]
    later = order[order.index(no) + 1:]
    return rest.split(later[0], 1)[0] if later else rest


def test_binder_pages_add_up_and_the_contents_point_at_each_record(household: Hudang, tmp_path: Path) -> None:
    out = household.json("household", "export", HOUSE, "--full", "--reason", "业主本人查阅")
    binder, bag = Path(out["binder"]), Path(out["bag"])
    assert binder.parent.parent.parent == household.home / "outputs" / "调档"
    assert out["items"] == 7 and out["full"] and not out["unbound"]
    reader = PdfReader(binder)
    # Page count: the sum of the parts — each record's own pages, the front matter and the 备考表.
    shown = household.json("household", "show", HOUSE)
    records = {r["archive_no"]: r for r in shown["records"]}
    assert len(records) == 7
    texts = _stamps(reader)
    front = next(i for i, t in enumerate(texts) if "卷 内 目 录" in t or "卷内目录" in t)
    toc = texts[front]
    first_doc = front + 1                                             # 卷皮, 卷内目录 (one page here)
    assert len(reader.pages) == first_doc + out["pages"] + 1          # front matter + documents + 备考表
    assert "备 考 表" in texts[-1] or "备考表" in texts[-1]
    # Each 卷内目录 row's 页号 points at the page stamped with that row's 档号 and running number.
    for no in records:
        assert no in toc
    listing = json.loads(zipfile.ZipFile(bag).read(f"{Path(bag).stem}/data/export.json"))
    number = 1
    for item in listing["items"]:
        page = texts[first_doc + number - 1]
        assert item["archive_no"] in page and str(number) in page, (item, page[:200])
        count = sum(1 for t in texts[first_doc:-1] if item["archive_no"] in t)
        number += count
    assert number - 1 == out["pages"]
    # The 卷内目录 itself says so: each row's 页号 is the range of pages stamped with its 档号.
    order = [item["archive_no"] for item in listing["items"]]
    for no in order:
        stamped = [n for n, t in enumerate(texts[first_doc:-1], 1) if no in t]
        expected = str(stamped[0]) if len(stamped) == 1 else f"{stamped[0]}–{stamped[-1]}"
        assert expected in _toc_row(toc, order, no).split(), (no, expected, _toc_row(toc, order, no))
    # The 文件 went in with their 题名 and 责任者 in their 卷内目录 rows: the letter's PDF page, the photo on A4.
    for title, author in (("业主来函（渗水）", "王业主"), ("外墙渗水照片", "李客服")):
        [no] = [n for n, r in records.items() if r["form"] == "document" and title in r["summary"]]
        row = _toc_row(toc, order, no)
        assert title in row and author in row, row
        assert sum(1 for t in texts[first_doc:-1] if no in t) == 1
    assert any("卫生间顶部渗水" in t for t in texts[first_doc:-1])
    # The text PDF went in whole: both of its pages, the second with the complaint's words.
    [pdf_no] = [no for no, r in records.items() if r["number"] == "TS-2"]
    assert sum(1 for t in texts[first_doc:-1] if pdf_no in t) == 2
    assert "电梯噪音扰民" in texts[first_doc + [i["archive_no"] for i in listing["items"]].index(pdf_no) + 1]
    # The DOCX was converted, the XLSX row rendered as a filled form, the JSON registration too (full values).
    assert any("天花板发霉" in t for t in texts)
    assert any("厨房水龙头漏水" in t for t in texts)
    assert any(IDS[1] in t for t in texts)
    assert not any("邻居甲" in t for t in texts)


def test_bag_validates_and_fails_after_a_byte_changes(household: Hudang, tmp_path: Path) -> None:
    out = household.json("household", "export", HOUSE, "--full", "--reason", "移交新物业")
    bag = Path(out["bag"])
    validate_zip(bag)
    names = zipfile.ZipFile(bag).namelist()
    top = Path(bag).stem
    assert f"{top}/bag-info.txt" in names and f"{top}/manifest-sha256.txt" in names
    originals = [n for n in names if "/data/originals/" in n]
    assert any(n.endswith("original.docx") for n in originals) and any(n.endswith("original.pdf") for n in originals)
    assert not any(n.endswith(".xlsx") for n in originals)      # the batch holds the neighbour: never handed out
    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(bag).extractall(unpacked)
    bagit.Bag(str(unpacked / top)).validate()
    target = next((unpacked / top / "data" / "fields").iterdir())
    data = bytearray(target.read_bytes())
    data[5] ^= 0x01
    target.write_bytes(bytes(data))
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(unpacked / top)).validate()


def test_masked_by_default_full_only_with_a_reason_and_every_export_is_on_record(household: Hudang) -> None:
    refused = household("household", "export", HOUSE, "--full", check=False)
    assert refused.code == 2 and "--reason" in refused.stderr
    masked = household.json("household", "export", HOUSE)
    assert not masked["full"] and masked["withheld"] >= 1
    texts = "".join(_stamps(PdfReader(masked["binder"])))
    zf = zipfile.ZipFile(masked["bag"])
    fields = "".join(zf.read(n).decode() for n in zf.namelist() if "/data/fields/" in n)
    for secret in (IDS[1], "13812345678", "13912345678"):
        assert secret not in texts and secret not in fields
    assert "138****5678" in fields
    assert not [n for n in zf.namelist() if "/data/originals/" in n]
    full = household.json("household", "export", HOUSE, "--full", "--reason", "法院调查令")
    zf = zipfile.ZipFile(full["bag"])
    assert IDS[1] in "".join(zf.read(n).decode() for n in zf.namelist() if "/data/fields/" in n)
    shown = household.json("household", "show", HOUSE)
    assert [(e["purpose"], e["full"], e["reason"]) for e in shown["exports"]] == [
        ("查阅", False, ""), ("查阅", True, "法院调查令")]
    text = household("household", "show", HOUSE).stdout
    assert "调档记录（2 次）" in text and masked["export_id"] in text
    audit = [json.loads(line) for line in (household.home / "audit.log").read_text().splitlines()]
    assert [e["purpose"] for e in audit if e["action"] == "export"] == ["查阅", "查阅"]


LEDGER = ["项目,房号,费用项目,所属期间,应收金额,实收金额,收费日期",
          "金第花园,3-2-1201,物业服务费,2026-05,300.00,0,",
          "金第花园,3-2-1201,物业服务费,2026-06,300.00,100.00,2026-07-01"]
REMINDERS = ["项目,房号,日期,方式,备注", "金第花园,3-2-1201,2026-07-10,电话,业主称月底缴",
             "金第花园,3-2-1201,2026-08-20,短信,"]
VISIT = ["项目,房号,日期,方式,备注", "金第花园,3-2-1201,2026-11-05,上门,业主不在家"]


def test_litigation_set_is_the_arrears_evidence_in_date_order(hudang: Hudang, roster_csv: Path,
                                                               tmp_path: Path) -> None:
    hudang.env["HUDANG_NOW"] = "2026-10-20T10:00:00+08:00"
    ledger, told, visit = tmp_path / "收费台账.csv", tmp_path / "催缴记录.csv", tmp_path / "上门记录.csv"
    ledger.write_text("\n".join(LEDGER) + "\n", encoding="utf-8-sig")
    told.write_text("\n".join(REMINDERS) + "\n", encoding="utf-8-sig")
    visit.write_text("\n".join(VISIT) + "\n", encoding="utf-8-sig")
    hudang.ingest(roster_csv, json_form(tmp_path / "reg.json", "住户登记表", registration()), ledger, told)
    [letter] = hudang.json("letters", "dunning", "--as-of", "2026-10-20")["letters"]
    receipt = tmp_path / "回执.png"
    Image.new("RGB", (600, 400), "white").save(receipt)
    number = hudang.json("record", "show", letter["record_id"])["fields"]["函号"]
    hudang("letters", "sent", number, "--tracking", "EA123456789CN", "--estate", "金第花园")
    hudang("letters", "delivered", number, "--tracking", "EA123456789CN", "--receipt", receipt, "--estate", "金第花园")
    hudang.env["HUDANG_NOW"] = "2026-11-26T10:00:00+08:00"
    hudang.ingest(visit)                                          # a visit after the letter: it comes after it
    out = hudang.json("household", "export", HOUSE, "--purpose", "诉讼")
    listing = json.loads(zipfile.ZipFile(out["bag"]).read(f"{Path(out['bag']).stem}/data/export.json"))
    titles = [(i["title"], i["date"]) for i in listing["items"]]
    assert [t for t, _ in titles] == ["收费明细及缴费情况（收费台账）", "电话催缴记录", "短信催缴记录",
                                      titles[3][0], "送达回执：回执.png", "上门催缴记录"], titles
    assert titles[3][0].startswith("催缴函") and titles[3][1] == "2026-10-20"
    assert [d for _, d in titles[1:4]] + [titles[5][1]] == ["2026-07-10", "2026-08-20", "2026-10-20", "2026-11-05"]
    assert "EA123456789CN" in listing["items"][3]["note"]
    texts = [p.extract_text() for p in PdfReader(out["binder"]).pages]
    assert "欠费及催缴情况说明" in texts[1] and "500.00" in texts[1]        # one page, right after the 卷皮
    assert "卷 内 目 录" in texts[2] or "卷内目录" in texts[2]
    assert len(texts) == 3 + out["pages"] + 1
