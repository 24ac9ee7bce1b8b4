"""文件: documents that are not forms — an owner's letter and a photo filed by command, by folder and by
`assign` without a form; found by search (the photo by its OCR text)."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
from PIL import Image, ImageDraw
from scanning import _font

from conftest import Hudang

HOUSE = "金第花园/3-2-1201"


@pytest.fixture
def home(hudang: Hudang, roster_csv: Path) -> Hudang:
    hudang.ingest(roster_csv)
    return hudang


def letter(path: Path, title: str = "关于卫生间渗水的来函") -> Path:
    doc = docx.Document()
    doc.add_paragraph(title)
    doc.add_paragraph("物业服务中心：我家主卫天花板渗水已三个月，请尽快安排维修。业主王建国")
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


def photo(path: Path, lines: list[str]) -> Path:
    """A photo of a note with printed Chinese on it (what a phone camera brings in)."""
    image = Image.new("RGB", (1240, 700), "white")
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((80, 100 + 150 * i), line, font=_font(56), fill="black")
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, dpi=(150, 150))
    return path


def test_a_letter_and_a_photo_are_filed_as_documents_and_found(home: Hudang, tmp_path: Path) -> None:
    [out] = home.json("ingest", letter(tmp_path / "来函.docx"), "--household", HOUSE,
                      "--document", "业主来函（渗水）", "--category", "来函")["outcomes"]
    assert (out["status"], out["form"], out["household"]) == ("filed", "document", HOUSE)
    assert "-WJ-" in out["archive_no"]
    [pic] = home.json("ingest", photo(tmp_path / "IMG_0001.jpg", ["阳台外墙裂缝", "三栋二单元"]),
                      "--household", HOUSE, "--document", "外墙照片", "--category", "照片")["outcomes"]
    assert pic["status"] == "filed"
    shown = home.json("record", "show", pic["record_id"])
    assert shown["fields"]["题名"] == "外墙照片" and shown["fields"]["类别"] == "照片" and shown["fields"]["页数"] == "1"
    assert any(f["path"].endswith("/original.jpg") for f in shown["files"])
    # found by words only the OCR of the photo and the letter's own text hold
    assert [h["record_id"] for h in home.json("search", "阳台")["hits"]] == [pic["record_id"]]
    assert [h["record_id"] for h in home.json("search", "天花板")["hits"]] == [out["record_id"]]
    view = home.json("household", "show", HOUSE)
    assert [r["summary"] for r in view["records"] if r["form"] == "document"] == ["〔来函〕业主来函（渗水）",
                                                                                  "〔照片〕外墙照片"]


def test_a_category_outside_the_list_or_an_unknown_room_is_refused(home: Hudang, tmp_path: Path) -> None:
    bad = home("ingest", letter(tmp_path / "a.docx"), "--household", HOUSE, "--document", "来函",
               "--category", "传单", "--json", check=False)
    assert bad.code == 2 and "类别" in bad.json["error"]["message"]
    nowhere = home("ingest", letter(tmp_path / "a.docx"), "--household", "金第花园/9-9-999", "--document", "来函",
                   "--json", check=False)
    assert nowhere.code == 2
    assert home.json("search", "天花板")["hits"] == []


def test_the_document_folder_names_household_and_category(home: Hudang, tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    letter(drop / "文件" / "金第花园" / "3-2-1202" / "合同" / "租赁合同.docx")
    letter(drop / "文件" / "没有房号.docx", "另一封来函")
    outcomes = {Path(o["source"]).name: o for o in home.ingest(drop)}
    filed = outcomes["租赁合同.docx"]
    assert filed["status"] == "filed" and filed["household"] == "金第花园/3-2-1202"
    fields = home.json("record", "show", filed["record_id"])["fields"]
    assert (fields["题名"], fields["类别"]) == ("租赁合同", "合同")
    lost = outcomes["没有房号.docx"]
    assert lost["status"] == "quarantined" and lost["errors"][0]["code"] == "document_folder"


def test_a_scan_of_no_form_is_assigned_as_a_document_titled_from_its_first_line(home: Hudang,
                                                                               tmp_path: Path) -> None:
    [waiting] = home.ingest(photo(tmp_path / "scan.png", ["律师函", "关于拖欠物业费事宜"]))
    assert waiting["status"] == "unsorted"
    done = home.json("assign", waiting["scan_id"], HOUSE)
    assert done["form"] == "document" and done["review"] == ["题名"]
    fields = home.json("record", "show", done["record_id"])["fields"]
    assert fields["题名"] == "律师函" and fields["类别"] == "其他"
    assert [h["record_id"] for h in home.json("search", "物业费")["hits"]] == [done["record_id"]]
    assert home.json("unsorted", "list")["scans"] == []


def test_a_quarantined_document_is_retried_as_the_same_document(home: Hudang, roster_csv: Path,
                                                                 tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    letter(drop / "文件" / "金第花园" / "3-2-1299" / "合同" / "租赁合同.docx")     # a room the roster lacks yet
    [out] = home.ingest(drop)
    assert out["status"] == "quarantined", out
    rows = roster_csv.read_text(encoding="utf-8-sig").splitlines() + ["金第花园,3栋,2单元,1299,98.5,新业主"]
    (tmp_path / "again").mkdir()
    (tmp_path / "again" / "房屋清单.csv").write_text("\n".join(rows) + "\n", encoding="utf-8-sig")
    home.ingest(tmp_path / "again" / "房屋清单.csv")
    [retried] = home.json("quarantine", "retry", out["quarantine_id"])["results"]
    assert (retried["status"], retried["form"], retried["household"]) == ("filed", "document", "金第花园/3-2-1299")
    fields = home.json("record", "show", retried["record_id"])["fields"]
    assert (fields["题名"], fields["类别"]) == ("租赁合同", "合同")


@pytest.mark.slow
def test_an_office_documents_page_count_is_filled_when_first_exported(home: Hudang, tmp_path: Path) -> None:
    doc = docx.Document()
    doc.add_paragraph("房屋租赁合同")
    for i in range(3):
        doc.add_paragraph(f"第{i + 1}条 " + "租赁双方约定事项。" * 20)
        doc.add_page_break()
    doc.add_paragraph("（签字页）")
    path = tmp_path / "合同.docx"
    doc.save(str(path))                    # four pages; python-docx leaves docProps' <Pages>1</Pages> as it was
    [out] = home.json("ingest", path, "--household", HOUSE, "--document", "房屋租赁合同", "--category", "合同")["outcomes"]
    assert "页数" not in home.json("record", "show", out["record_id"])["fields"]
    first = home.json("household", "export", HOUSE)
    assert first["paged"] == [out["archive_no"]]
    shown = home.json("record", "show", out["record_id"])
    assert shown["fields"]["页数"] == "4" and shown["version"] == 2
    assert home.json("household", "export", HOUSE)["paged"] == []      # filled once
