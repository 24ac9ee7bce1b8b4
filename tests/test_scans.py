"""Paper scans end to end with the real tools: print → type and scribble → scan crooked → ingest → filed."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader
from scanning import TC, fill_page, render, save_tiff, typed_page

from hudang.forms import qr
from hudang.forms.layout import layout_id

from conftest import TYPED, Hudang

pytestmark = pytest.mark.slow


def blank(h: Hudang, form: str, household: str | None = None) -> Path:
    args = ["forms", "blank", form] + (["--household", household] if household else [])
    data = h.json(*args)
    assert data["pdf"], data
    return Path(data["pdf"])


def test_blank_forms_print_on_a4_with_a_code_that_names_the_household(scan_home: Hudang) -> None:
    data = scan_home.json("forms", "blank", "投诉处理单", "--household", "金第花园/3-2-1201", "--copies", "2")
    pdf = Path(data["pdf"])
    reader = PdfReader(str(pdf))
    assert len(reader.pages) == 2
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert [line for line in fonts.splitlines() if "CJK" in line and " yes " in line]
    text = reader.pages[0].extract_text().replace(" ", "")
    for words in ("投诉处理单", "示例物业服务有限公司", "编号", "投诉人", "投诉内容", "经办人（签字）", "金第花园/3-2-1201"):
        assert words in text, words
    codes = qr.read(render(pdf, page=1))
    layout = layout_id("complaint", 1, household=True)
    assert codes == [qr.Code(form="complaint", version=1, household="金第花园/3-2-1201", layout=layout)]
    stored = json.loads((scan_home.home / "layouts" / f"{layout}.json").read_text(encoding="utf-8"))
    assert set(stored["fields"]["投诉方式"]["choices"]) == {"来电", "来访", "信函", "网络"}
    assert len(stored["qr"]) == 4 and "投诉内容" in stored["fields"]
    sep = scan_home.json("forms", "separator")
    assert qr.read(render(Path(sep["pdf"]))) == [qr.Code(separator=True)]
    wrong = scan_home("forms", "blank", "不存在的表", check=False)
    assert wrong.code == 2 and "未知的表单" in wrong.stderr


def test_a_printed_form_scanned_crooked_files_itself(scan_home: Hudang, tmp_path: Path) -> None:
    pdf = blank(scan_home, "投诉处理单", "金第花园/3-2-1201")
    page = fill_page(pdf, {**TYPED, "日期": "2026-11-03"}, scribble="被投诉部门", rotate=1.2, noise=0.08, dpi=200)
    scan = tmp_path / "扫描-投诉.png"
    page.save(scan, dpi=(200, 200))
    [out] = scan_home.ingest(scan)
    assert (out["status"], out["form"], out["household"]) == ("filed", "complaint", "金第花园/3-2-1201"), out
    assert "被投诉部门" in out["review"]
    record = scan_home.json("record", "show", out["record_id"], "--reveal")
    fields = record["fields"]
    assert fields["投诉人"] == "周燕" and fields["接报人"] == "李客服"
    assert fields["投诉时间"].startswith("2026-11-03 09:30")
    assert "渗漏水" in fields["投诉内容"]
    assert "被投诉部门" not in fields
    names = {Path(f["path"]).name: f["sha256"] for f in record["files"]}
    assert names["original.png"] == hashlib.sha256(scan.read_bytes()).hexdigest()   # kept untouched
    assert "ocr.pdf" in names and "ocr-raw.txt" in names
    # Found by a typed word and by a printed one.
    for word in ("天花板", "整改措施"):
        hits = scan_home.json("search", word)["hits"]
        assert [h["record_id"] for h in hits] == [out["record_id"]], word
    # 待核对 until someone fills it in, as a new version.
    listed = scan_home.json("review", "list")["records"]
    assert [(r["record_id"], "被投诉部门" in r["fields"]) for r in listed] == [(out["record_id"], True)]
    edited = scan_home.json("record", "edit", out["record_id"], "被投诉部门=工程部", "严重程度=重要")
    assert edited["version"] == 2 and "被投诉部门" not in edited["review"]
    assert scan_home.json("record", "show", out["record_id"])["fields"]["被投诉部门"] == "工程部"
    bad = scan_home("record", "edit", out["record_id"], "投诉时间=昨天", check=False)
    assert bad.code == 2 and "投诉时间" in bad.stderr
    # 字段= with nothing after it clears an optional field (the web's 更正 follows the same rule) …
    cleared = scan_home.json("record", "edit", out["record_id"], "被投诉部门=")
    assert cleared["version"] == 3 and cleared["changed"] == ["被投诉部门"]
    assert "被投诉部门" not in scan_home.json("record", "show", out["record_id"])["fields"]
    # … but a required one cannot be emptied: the intake's message
    required = scan_home("record", "edit", out["record_id"], "投诉人=", check=False)
    assert required.code == 2 and "缺少必填项“投诉人”" in required.stderr
    audit = [json.loads(line)["action"] for line in (scan_home.home / "audit.log").read_text().splitlines()]
    assert "edit" in audit
    assert scan_home("verify").code == 0


def test_traditional_script_form_with_a_form_only_code_files_by_the_room_on_the_page(
        scan_home: Hudang, tmp_path: Path) -> None:
    page = typed_page(["投訴處理單", "項目：金第花園", "投訴人：歐陽建國", "投訴時間：2026-11-05 14:20",
                       "投訴人房號：3棟1單元302", "接報人：李客服", "投訴內容：電梯噪音擾民，夜間尤甚"], face=TC)
    code = qr.image(qr.payload("complaint", 1)).resize((300, 300))
    page.paste(code, (page.width - 420, 120))
    scan = tmp_path / "繁體.png"
    page.save(scan, dpi=(200, 200))
    [out] = scan_home.ingest(scan)
    assert (out["status"], out["household"]) == ("filed", "金第花园/3-1-302"), out
    fields = scan_home.json("record", "show", out["record_id"])["fields"]
    assert fields["投诉人"] == "欧阳建国" and "电梯噪音" in fields["投诉内容"]
    assert [h["record_id"] for h in scan_home.json("search", "電梯噪音")["hits"]] == [out["record_id"]]


def test_a_tiff_batch_splits_at_separator_sheets(scan_home: Hudang, tmp_path: Path) -> None:
    complaint = fill_page(blank(scan_home, "投诉处理单", "金第花园/3-2-1201"), TYPED, dpi=200)
    repair_pdf = blank(scan_home, "维修工作单", "金第花园/1-1-301")
    repair = fill_page(repair_pdf, {"报修人*": "赵大海", "报修时间*": "2026-11-06 08:15",
                                    "报修内容*": "厨房水管漏水"}, dpi=200, rotate=-0.8)
    separator = render(Path(scan_home.json("forms", "separator")["pdf"]), dpi=200)
    scan = save_tiff([complaint, separator, repair], tmp_path / "批量扫描.tif")
    [out] = scan_home.ingest(scan)
    assert out["status"] == "filed" and out["separators"] == 1
    assert [(r["row"], r["status"], r["household"]) for r in out["rows"]] == [
        (1, "filed", "金第花园/3-2-1201"), (2, "filed", "金第花园/1-1-301")]
    repair_record = scan_home.json("record", "show", out["rows"][1]["record_id"], "--reveal")
    assert repair_record["form"] == "repair" and repair_record["fields"]["报修人"] == "赵大海"
    again = scan_home.ingest(scan)
    assert again[0]["status"] == "duplicate"


def test_a_jpeg_without_a_code_waits_unsorted_then_is_assigned(scan_home: Hudang, tmp_path: Path) -> None:
    page = typed_page(["维修工作单", "报修人：孙丽", "报修时间：2026-11-07 10:00", "报修内容：阳台推拉门变形关不严"])
    scan = tmp_path / "手机拍照.jpg"
    page.convert("RGB").save(scan, quality=85, dpi=(200, 200))
    [out] = scan_home.ingest(scan)
    assert out["status"] == "unsorted" and out["scan_id"]
    status = scan_home.json("status")
    assert status["unsorted"] == 1
    [waiting] = scan_home.json("unsorted", "list")["scans"]
    assert waiting["scan_id"] == out["scan_id"] and Path(waiting["thumbnail"]).is_file()
    assert any("阳台推拉门" in line for line in waiting["text"])
    done = scan_home.json("assign", out["scan_id"], "金第花园/2-2-1202", "--form", "维修工作单")
    assert done["household"] == "金第花园/2-2-1202" and done["record_id"]
    record = scan_home.json("record", "show", done["record_id"])
    assert record["fields"]["报修人"] == "孙丽"
    assert scan_home.json("unsorted", "list")["scans"] == []
    assert scan_home.json("status")["unsorted"] == 0
    missing = scan_home("assign", "S20990101-deadbeef", "金第花园/2-2-1202", check=False)
    assert missing.code == 1 and "待分拣扫描件中没有" in missing.stderr


def test_a_photo_sent_on_as_webp_or_gif_is_read_like_a_jpeg(scan_home: Hudang, tmp_path: Path) -> None:
    """A phone's picture forwarded through WeChat often arrives as WebP (and a few scanners write GIF): each
    is read and waits in 待分拣 with its text (both were quarantined as an unknown format)."""
    page = typed_page(["维修工作单", "报修人：孙丽", "报修内容：阳台推拉门变形关不严"]).convert("RGB")
    folder = tmp_path / "photos"
    folder.mkdir()
    page.save(folder / "微信图片.webp", quality=80)
    page.save(folder / "扫描.gif")
    outcomes = scan_home.ingest(folder)
    assert sorted(o["status"] for o in outcomes) == ["unsorted", "unsorted"], outcomes
    for waiting in scan_home.json("unsorted", "list")["scans"]:
        assert any("阳台推拉门" in line for line in waiting["text"]), waiting


def test_without_tesseract_the_scan_waits_in_the_ocr_queue(scan_home: Hudang, tmp_path: Path) -> None:
    page = fill_page(blank(scan_home, "投诉处理单", "金第花园/3-2-1201"), TYPED, dpi=200)
    scan = tmp_path / "扫描.png"
    page.save(scan, dpi=(200, 200))
    no_tools = tmp_path / "bin"
    no_tools.mkdir()
    [out] = scan_home.json("ingest", scan, env={"PATH": str(no_tools)})["outcomes"]
    assert out["status"] == "unsorted" and out["state"] == "ocr_pending"
    assert "tesseract-ocr-chi-sim" in out["warnings"][0]["message"]
    assert scan_home.json("status")["ocr_queue"] == 1
    results = scan_home.json("unsorted", "ocr")["results"]
    assert [(r["status"], r["household"]) for r in results] == [("filed", "金第花园/3-2-1201")]
    assert scan_home.json("status")["ocr_queue"] == 0 and scan_home.json("unsorted", "list")["scans"] == []
    assert [h["record_id"] for h in scan_home.json("search", "渗漏水")["hits"]] == [results[0]["record_id"]]


def test_a_scan_read_from_the_ocr_queue_that_names_no_household_stays_in_the_queue(scan_home: Hudang,
                                                                                    tmp_path: Path) -> None:
    """Read after waiting for the OCR tool, a phone photo with no code and no room waits in 待分拣 under its
    own id with its text (it was dropped from the queue altogether: parked as itself, then removed)."""
    page = typed_page(["维修工作单", "报修人：孙丽", "报修时间：2026-11-07 10:00", "报修内容：阳台推拉门变形关不严"])
    scan = tmp_path / "手机拍照.jpg"
    page.convert("RGB").save(scan, quality=85, dpi=(200, 200))
    no_tools = tmp_path / "bin"
    no_tools.mkdir()
    [out] = scan_home.json("ingest", scan, env={"PATH": str(no_tools)})["outcomes"]
    assert out["state"] == "ocr_pending"
    [read] = scan_home.json("unsorted", "ocr")["results"]
    assert (read["status"], read["now"]) == ("unsorted", out["scan_id"])
    [waiting] = scan_home.json("unsorted", "list")["scans"]
    assert (waiting["scan_id"], waiting["state"]) == (out["scan_id"], "waiting")
    assert any("阳台推拉门" in line for line in waiting["text"]) and Path(waiting["thumbnail"]).is_file()
    assert scan_home.json("status")["ocr_queue"] == 0
    assert scan_home.json("unsorted", "ocr")["results"] == []     # read once, not again and again


def test_a_scan_that_kills_its_reader_in_the_ocr_queue_is_quarantined_and_the_rest_read(scan_home: Hudang,
                                                                                         tmp_path: Path) -> None:
    """Two scans wait for the OCR tool; reading one kills its reader process (as an out-of-memory kill would):
    it is quarantined as 读取失败 and the other is read and filed (the whole queue failed, and failed again at
    every later try)."""
    no_tools = tmp_path / "bin"
    no_tools.mkdir()
    good = tmp_path / "好.png"
    fill_page(blank(scan_home, "投诉处理单", "金第花园/3-2-1201"), TYPED, dpi=200).save(good, dpi=(200, 200))
    poison = tmp_path / "毒.jpg"
    typed_page(["维修工作单", "报修人：孙丽"]).convert("RGB").save(poison, quality=85, dpi=(200, 200))
    for scan in (good, poison):
        [out] = scan_home.json("ingest", scan, env={"PATH": str(no_tools)})["outcomes"]
        assert out["state"] == "ocr_pending"
    results = scan_home.json("unsorted", "ocr", env={"HUDANG_READER_HOOK": "crash:毒"})["results"]
    by_source = {r.get("source") or r.get("household"): r for r in results}
    assert sorted(r["status"] for r in results) == ["filed", "quarantined"], results
    dead = by_source["毒.jpg"]
    assert dead["status"] == "quarantined" and "识别进程异常退出" in dead["message"], dead
    assert scan_home.json("unsorted", "list")["scans"] == [] and scan_home.json("status")["ocr_queue"] == 0
    [entry] = scan_home.json("quarantine", "list")["entries"]
    assert (Path(entry["path"]) / entry["file"]).read_bytes() == poison.read_bytes()


def test_the_next_ingest_reads_the_ocr_queue_once_the_tools_are_back(scan_home: Hudang, roster_csv: Path,
                                                                      tmp_path: Path) -> None:
    page = fill_page(blank(scan_home, "投诉处理单", "金第花园/1-2-302"), TYPED, dpi=200)
    scan = tmp_path / "扫描2.png"
    page.save(scan, dpi=(200, 200))
    no_tools = tmp_path / "bin"
    no_tools.mkdir()
    [out] = scan_home.json("ingest", scan, env={"PATH": str(no_tools)})["outcomes"]
    assert out["state"] == "ocr_pending"
    again = scan_home.json("ingest", roster_csv)
    assert again["outcomes"][0]["status"] == "duplicate"
    assert [(r["status"], r["household"]) for r in again["ocr_queue"]] == [("filed", "金第花园/1-2-302")]


def test_an_image_only_pdf_scanned_upside_down(scan_home: Hudang, tmp_path: Path) -> None:
    page = fill_page(blank(scan_home, "维修工作单", "金第花园/2-1-301"),
                     {"报修人*": "钱多多", "报修时间*": "2026-11-08 16:45", "报修内容*": "卫生间地漏堵塞返水"},
                     dpi=200).rotate(180)
    scan = tmp_path / "扫描仪.pdf"
    page.convert("RGB").save(scan, "PDF", resolution=200)
    [out] = scan_home.ingest(scan)
    assert (out["status"], out["form"], out["household"]) == ("filed", "repair", "金第花园/2-1-301"), out
    fields = scan_home.json("record", "show", out["record_id"])["fields"]
    assert fields["报修人"] == "钱多多" and "地漏" in fields["报修内容"]


def test_the_service_reads_the_ocr_queue_once_tesseract_is_back(scan_home: Hudang, tmp_path: Path) -> None:
    import signal
    import time

    from test_watch import Watcher, _configure

    from builders import wait_until

    page = fill_page(blank(scan_home, "投诉处理单", "金第花园/2-2-301"), TYPED, dpi=200)
    _configure(scan_home, stable=0.4, rescan=1.0)
    no_tools = tmp_path / "bin"
    no_tools.mkdir()
    path = scan_home.env["PATH"]
    scan_home.env["PATH"] = str(no_tools)                 # the service starts without Tesseract
    first = Watcher(scan_home)
    page.save(scan_home.home / "intake" / "扫描件" / "扫描-服务.png", dpi=(200, 200))
    wait_until(lambda: scan_home.json("status")["ocr_queue"] == 1, 60, "scan queued for OCR")
    code = first.stop()
    assert code == 0, first.log.read_text(encoding='utf-8')[-3000:]
    scan_home.env["PATH"] = path                          # installed now; the next start reads the queue
    second = Watcher(scan_home)
    try:
        wait_until(lambda: scan_home.json("status")["ocr_queue"] == 0, 180, "OCR queue read")
        time.sleep(0.5)
        records = scan_home.json("household", "show", "金第花园/2-2-301")["records"]
        assert [r["form"] for r in records] == ["complaint"]
    finally:
        second.stop(signal.SIGTERM)


def test_an_upside_down_page_without_a_code_is_read_the_right_way_up(scan_home: Hudang, tmp_path: Path) -> None:
    page = typed_page(["维修工作单", "报修人：孙丽", "报修时间：2026-11-07 10:00", "报修内容：阳台推拉门变形关不严"])
    scan = tmp_path / "倒放.jpg"
    page.rotate(180).convert("RGB").save(scan, quality=90, dpi=(200, 200))
    [out] = scan_home.ingest(scan)
    assert out["status"] == "unsorted"
    [waiting] = scan_home.json("unsorted", "list")["scans"]
    assert waiting["form"] == "repair" and any("阳台推拉门" in line for line in waiting["text"])
