"""Dunning letters end to end: the real `hudang` command, real ledgers, DOCX read back, PDFs from LibreOffice."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from pypdf import PdfReader

from hudang.forms.documents import Template
from hudang.pipeline.dunning.fees import standing
from hudang.pipeline.dunning.letters import TEMPLATE, Letter, context_for
from hudang.settings import load_home

from builders import json_form, registration
from builders import write_lines as write
from conftest import Hudang

NOW = "2026-11-26T10:00:00+08:00"
LEDGER = ["项目,房号,费用项目,所属期间,应收金额,实收金额,收费日期",
          "金第花园,3-2-1201,物业服务费,2026-05,300.00,0,",
          "金第花园,3-2-1201,物业服务费,2026-06,300.00,100.00,2026-07-01",
          "金第花园,3-2-1201,停车费,2026-06,150.00,0,",
          "金第花园,1-1-301,物业服务费,2026-05,300.00,0,",          # reminded, then paid after D
          "金第花园,1-1-301,物业服务费,2026-06,300.00,300.00,2026-12-01",
          "金第花园,2-1-1202,物业服务费,2026-09,280.00,0,",          # never reminded
          "金第花园,3-1-302,物业服务费,2026-05,300.00,300.00,2026-06-05",  # paid
          "翠湖苑,1-1-101,物业服务费,2026-04,1004.05,0,"]
REMINDERS = ["项目,房号,日期,方式,备注",
             "金第花园,3-2-1201,2026-07-10,电话,业主称月底缴",
             "金第花园,1-1-301,2026-07-15,短信,",
             "翠湖苑,1-1-101,2026-05-20,上门,"]


@pytest.fixture
def fees_home(hudang: Hudang, roster_csv: Path, tmp_path: Path) -> Hudang:
    hudang.env["HUDANG_NOW"] = NOW
    roster2 = write(tmp_path / "翠湖苑房屋清单.csv", ["项目,楼栋,单元,房号,建筑面积,业主姓名",
                                                   "翠湖苑,1栋,1单元,101,120,钱多多"])
    reg = json_form(tmp_path / "reg.json", "住户登记表", registration(name="王建国"))
    outs = hudang.ingest(roster_csv, roster2, reg, write(tmp_path / "收费台账.csv", LEDGER),
                         write(tmp_path / "催缴记录.csv", REMINDERS))
    assert sorted(o["status"] for o in outs) == ["filed", "imported", "imported", "imported", "imported"], outs
    return hudang


def docx_text(path: Path) -> str:
    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(parts)


def test_dry_run_lists_and_reserves_nothing(fees_home: Hudang) -> None:
    data = fees_home.json("letters", "dunning", "--as-of", "2026-11-26", "--dry-run")
    assert data["as_of"] == "2026-11-26"
    by_house = {x["household"]: x for x in data["letters"]}
    assert set(by_house) == {"金第花园/3-2-1201", "金第花园/1-1-301", "翠湖苑/1-1-101"}
    letter = by_house["金第花园/3-2-1201"]
    assert letter == {"household": "金第花园/3-2-1201", "amount": "650.00", "amount_upper": "陆佰伍拾元整",
                      "periods": ["2026-05", "2026-06"], "number": None, "deadline": "2026-12-11",
                      "docx": None, "pdf": None, "record_id": None}
    assert by_house["翠湖苑/1-1-101"]["amount_upper"] == "壹仟零肆元零伍分"   # 上门 counts like a call
    # 1-1-301 paid June on 12-01, after D: at D both months are owed, and its SMS of 07-15 is 3+ months old.
    assert by_house["金第花园/1-1-301"]["amount"] == "600.00"
    assert data["reminders"] == [{"household": "金第花园/2-1-1202", "amount": "280.00"}]
    assert data["escalations"] == []
    assert not (fees_home.home / "outputs").exists() or not any((fees_home.home / "outputs").rglob("*.docx"))
    again = fees_home.json("letters", "dunning", "--as-of", "2026-11-26", "--dry-run")
    assert again["letters"] == data["letters"]


def test_payment_after_as_of_does_not_count(fees_home: Hudang) -> None:
    shown = fees_home.json("fees", "show", "金第花园/1-1-301", "--as-of", "2026-11-26")
    assert shown["arrears"] == "600.00" and shown["step"] == "letter"
    later = fees_home.json("fees", "show", "金第花园/1-1-301", "--as-of", "2026-12-01",
                           env={"HUDANG_NOW": "2026-12-02T09:00:00+08:00"})
    assert later["arrears"] == "300.00"
    assert [r["overdue"] for r in later["rows"]] == [True, False]
    arrears = fees_home.json("fees", "arrears", "--as-of", "2026-11-26")
    assert {h["household"]: h["arrears"] for h in arrears["households"]} == {
        "金第花园/1-1-301": "600.00", "金第花园/2-1-1202": "280.00", "金第花园/3-2-1201": "650.00",
        "翠湖苑/1-1-101": "1004.05"}
    assert arrears["total"] == "2534.05"


@pytest.mark.slow
def test_letters_are_written_filed_and_read_back(fees_home: Hudang) -> None:
    data = fees_home.json("letters", "dunning", "--as-of", "2026-11-26")
    letters = {x["household"]: x for x in data["letters"]}
    assert set(letters) == {"金第花园/3-2-1201", "金第花园/1-1-301", "翠湖苑/1-1-101"}
    # Numbers run per estate and year, in room order.
    assert letters["金第花园/1-1-301"]["number"] == "〔2026〕催字第001号"
    assert letters["金第花园/3-2-1201"]["number"] == "〔2026〕催字第002号"
    assert letters["翠湖苑/1-1-101"]["number"] == "〔2026〕催字第001号"
    x = letters["金第花园/3-2-1201"]
    assert (x["amount"], x["amount_upper"], x["periods"], x["deadline"]) == (
        "650.00", "陆佰伍拾元整", ["2026-05", "2026-06"], "2026-12-11")

    # The DOCX says what the JSON says.
    text = docx_text(Path(x["docx"]))
    for expected in ("〔2026〕催字第002号", "王建国", "金第花园", "3栋2单元1201室", "650.00", "陆佰伍拾元整",
                     "2026年12月11日", "2026-05", "2026-06", "停车费", "200.00", "150.00", "民法典", "第九百四十四条",
                     "物业管理条例", "送 达 回 执", "示例物业服务有限公司", "2026年11月26日", "2026年7月10日"):
        assert expected in text, expected
    for threat in ("停水", "停电", "停气", "断水", "断电", "停止供", "限制使用"):
        assert threat not in text
    doc = Document(str(x["docx"]))
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)

    # The PDF too: A4, CJK fonts embedded, the same figures.
    pdf = Path(x["pdf"])
    reader = PdfReader(str(pdf))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    pdf_text = "".join(page.extract_text() for page in reader.pages).replace(" ", "")
    for expected in ("〔2026〕催字第002号", "王建国", "650.00", "陆佰伍拾元整", "2026年12月11日"):
        assert expected in pdf_text, expected
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk and all(" yes " in line for line in cjk)

    # The print file holds every letter, in estate and room order.
    merged = PdfReader(data["outputs"]["print_pdf"])
    assert len(merged.pages) == sum(len(PdfReader(letters[h]["pdf"]).pages) for h in letters)

    # The mailing list has full values; its creation is in the audit log.
    sheet = load_workbook(data["outputs"]["mailing_list"]).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("序号", "收件人", "地址", "邮编", "联系电话")
    assert [(r[6], r[5]) for r in rows[1:]] == [("翠湖苑", "〔2026〕催字第001号"), ("金第花园", "〔2026〕催字第001号"),
                                              ("金第花园", "〔2026〕催字第002号")]
    wang = next(r for r in rows[1:] if r[1] == "王建国")
    assert wang[4] == "13812345678" and "3栋2单元1201室" in wang[2] and wang[8] == 650.0
    audit = [json.loads(line) for line in (fees_home.home / "audit.log").read_text().splitlines()]
    assert any(a["action"] == "mailing_list" for a in audit)

    # Each letter is a record in its household's file, with its state.
    shown = fees_home.json("household", "show", "金第花园/3-2-1201")
    [rec] = [r for r in shown["records"] if r["form"] == "letter"]
    assert rec["record_id"] == x["record_id"] and rec["letter"]["state"] == "generated"
    record = fees_home.json("record", "show", x["record_id"])
    assert record["fields"]["函号"] == "〔2026〕催字第002号"
    assert any(f["path"].endswith(".pdf") for f in record["files"])
    assert fees_home("verify").code == 0

    # A second run with the same as-of sends nothing again; imported reminder logs are untouched.
    imports = sorted((fees_home.home / "archive" / "imports").rglob("*"))
    before = {p: p.read_bytes() for p in imports if p.is_file()}
    again = fees_home.json("letters", "dunning", "--as-of", "2026-11-26")
    assert again["letters"] == [] and again["outputs"]["folder"] is None
    assert {p: p.read_bytes() for p in imports if p.is_file()} == before

    # Delivery: sent, then delivered with the signed receipt; 30 days on, escalation says it is proven.
    fees_home("letters", "sent", "2026-002", "--tracking", "EA123456789CN", "--estate", "金第花园")
    receipt = fees_home.home.parent / "回执.pdf"
    shutil.copyfile(pdf, receipt)
    state = fees_home.json("letters", "delivered", "〔2026〕催字第002号", "--estate", "金第花园",
                           "--tracking", "EA123456789CN", "--date", "2026-11-28", "--receipt", receipt)
    assert state["state"] == "delivered" and state["delivery_proven"] is True
    ambiguous = fees_home("letters", "sent", "2026-001", "--tracking", "X", check=False)
    assert ambiguous.code == 2 and "--estate" in ambiguous.stderr
    later = fees_home.json("letters", "dunning", "--as-of", "2026-12-27", "--dry-run",
                           env={"HUDANG_NOW": "2026-12-27T09:00:00+08:00"})
    escalations = {e["household"]: e for e in later["escalations"]}
    assert escalations["金第花园/3-2-1201"] == {
        "household": "金第花园/3-2-1201", "amount": "650.00", "letter_number": "〔2026〕催字第002号",
        "letter_date": "2026-11-26", "delivery": "delivered", "delivery_proven": True}
    assert escalations["翠湖苑/1-1-101"]["delivery_proven"] is False


def test_without_libreoffice_letters_are_docx_with_a_clear_message(fees_home: Hudang, tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    result = fees_home("letters", "dunning", "--as-of", "2026-11-26", "--estate", "翠湖苑", "--json",
                       env={"PATH": str(empty)})
    data = result.json
    [letter] = data["letters"]
    assert letter["pdf"] is None and Path(letter["docx"]).is_file()
    assert letter["record_id"] and letter["number"] == "〔2026〕催字第001号"
    assert any("LibreOffice" in w and "DOCX" in w for w in data["warnings"])
    human = fees_home("letters", "dunning", "--as-of", "2026-11-26", env={"PATH": str(empty)})
    assert "已生成催缴函 2 封" in human.stdout and "请安装 LibreOffice" in human.stderr


def test_numbers_are_never_reused(fees_home: Hudang, tmp_path: Path) -> None:
    env = {"PATH": str(tmp_path)}   # DOCX only: numbering does not need PDFs
    first = fees_home.json("letters", "dunning", "--as-of", "2026-11-26", "--estate", "翠湖苑", env=env)
    [letter] = first["letters"]
    fees_home("record", "void", letter["record_id"], "--reason", "金额有误，重发")
    second = fees_home.json("letters", "dunning", "--as-of", "2026-11-26", "--estate", "翠湖苑", env=env)
    assert [x["number"] for x in second["letters"]] == ["〔2026〕催字第002号"]   # voided 001 is not reused
    next_year = fees_home.json("letters", "dunning", "--as-of", "2027-01-05", "--estate", "翠湖苑",
                               env={**env, "HUDANG_NOW": "2027-01-05T09:00:00+08:00"})
    # The 2026 letter is 40 days old and unpaid: escalation, not a new letter.
    assert next_year["letters"] == [] and next_year["escalations"][0]["letter_number"] == "〔2026〕催字第002号"


def test_a_run_with_no_letters(hudang: Hudang) -> None:
    data = hudang.json("letters", "dunning", "--as-of", "2026-11-26")
    assert data == {"as_of": "2026-11-26", "letters": [], "reminders": [], "escalations": [],
                    "outputs": {"folder": None, "print_pdf": None, "mailing_list": None}, "warnings": []}
    bad = hudang("letters", "dunning", "--as-of", "2026-13-01", check=False)
    assert bad.code == 2 and "--as-of" in bad.stderr


def test_reminders_add_moves_the_ladder(fees_home: Hudang) -> None:
    before = fees_home.json("fees", "show", "金第花园/2-1-1202", "--as-of", "2026-11-26")
    assert before["step"] == "reminder"
    added = fees_home.json("reminders", "add", "金第花园/2-1-1202", "--method", "电话", "--date", "2026-11-20",
                           "--note", "业主出差")
    assert added["household"] == "金第花园/2-1-1202"
    after = fees_home.json("fees", "show", "金第花园/2-1-1202", "--as-of", "2026-11-26")
    assert after["step"] == "waiting" and after["reminders"][0]["method"] == "电话"
    # A catalog that lost the reminder (the catalog is derived) gets it back from the archive alone.
    with closing(sqlite3.connect(load_home(fees_home.home).catalog_path)) as conn, conn:
        assert conn.execute("DELETE FROM reminders WHERE household = '2-1-1202'").rowcount == 1
    lost = fees_home.json("fees", "show", "金第花园/2-1-1202", "--as-of", "2026-11-26")
    assert lost["step"] == "reminder" and lost["reminders"] == []
    rebuilt = fees_home.json("rebuild")
    assert rebuilt == {"estates": 2, "records": 1, "imports": 5, "indexed": 1}
    restored = fees_home.json("fees", "show", "金第花园/2-1-1202", "--as-of", "2026-11-26")
    assert restored["step"] == "waiting" and restored["reminders"] == after["reminders"]
    wrong = fees_home("reminders", "add", "金第花园/2-1-1202", "--method", "函件", check=False)
    assert wrong.code == 2


def test_a_later_ledger_row_replaces_the_earlier(fees_home: Hudang, tmp_path: Path) -> None:
    paid = write(tmp_path / "收费台账-补.csv", [LEDGER[0], "翠湖苑,1-1-101,物业服务费,2026-04,1004.05,1004.05,2026-11-20"])
    [out] = fees_home.ingest(paid)
    assert out["status"] == "imported"
    data = fees_home.json("letters", "dunning", "--as-of", "2026-11-26", "--estate", "翠湖苑", "--dry-run")
    assert data["letters"] == [] and data["reminders"] == []


def test_bad_ledger_rows_are_quarantined_with_row_and_reason(fees_home: Hudang, tmp_path: Path) -> None:
    bad = write(tmp_path / "台账-有误.csv", [LEDGER[0], "金第花园,3-2-1201,物业服务费,2026-07,300,0,",
                                          "金第花园,3-2-1201,物业服务费,2026-08,-300,0,",
                                          "金第花园,3-2-1201,物业服务费,2026/8月,300,0,",
                                          "金第花园,3-2-1201,物业服务费,2026-09,三百,0,",
                                          "金第花园,99-9-999,物业服务费,2026-09,300,0,",
                                          "金第花园,3-2-1201,物业服务费,2026-09,300,300,2026-02-30",
                                          "金第花园,3-2-1201,物业服务费,2026-10,300,400,2026-11-01"])
    [out] = fees_home.ingest(bad)
    assert out["status"] == "partial" and out["rows"] == 3      # 07, 2026/8月 (read as 2026-08) and 10
    errors = {(e["row"], e["field"]) for e in out["errors"]} if "errors" in out else set()
    listed = fees_home.json("quarantine", "list")
    text = json.dumps(listed, ensure_ascii=False)
    for row_no in (3, 5, 6, 7):
        assert f"第{row_no}行" in text or any(r == row_no for r, _ in errors), row_no
    shown = fees_home.json("fees", "show", "金第花园/3-2-1201", "--as-of", "2026-11-26")
    periods = {r["period"]: r for r in shown["rows"]}
    assert periods["2026-07"]["owed"] == "300.00"
    assert periods["2026-10"]["owed"] == "0.00"       # overpaid: never arrears, never offsets 07


def test_template_contract_and_office_override(fees_home: Hudang, tmp_path: Path) -> None:
    home = load_home(fees_home.home)
    template = Template.load(TEMPLATE, home.templates_dir)
    import datetime as dt
    s = standing("翠湖苑", "1-1-101", [], [], dt.date(2026, 11, 26))
    context = context_for(Letter(s, "〔2026〕催字第001号", "钱多多", "", "1栋1单元101室", dt.date(2026, 12, 11)),
                          home, dt.date(2026, 11, 26))
    assert template.variables() == set(context), "template and data disagree"
    # An office's own wording, saved in Word under <home>/templates/, wins over the built-in template.
    custom = Document(str(template.path))
    custom.add_paragraph("本中心特别提示：{{ owner }}，欢迎来电咨询。")
    home.templates_dir.mkdir(exist_ok=True)
    custom.save(str(home.templates_dir / TEMPLATE))
    data = fees_home.json("letters", "dunning", "--as-of", "2026-11-26", "--estate", "翠湖苑",
                          env={"PATH": str(tmp_path)})
    assert "本中心特别提示：钱多多，欢迎来电咨询。" in docx_text(Path(data["letters"][0]["docx"]))



@pytest.mark.slow
def test_household_summary_page(fees_home: Hudang, tmp_path: Path) -> None:
    complaint = json_form(tmp_path / "c.json", "投诉处理单", {
        "编号": "TS-9", "项目": "金第花园", "投诉人": "王建国", "投诉时间": "2026-11-03 09:30",
        "投诉人房号": "3-2-1201", "联系电话": "13912345678", "接报人": "李客服", "严重程度": "重要",
        "投诉内容": "楼上卫生间渗漏水"})
    fees_home.ingest(complaint)
    data = fees_home.json("household", "summary", "金第花园/3-2-1201", "--as-of", "2026-11-26")
    assert (data["owner"], data["arrears"], data["step_code"]) == ("王建国", "650.00", "letter")
    assert data["phone"] == "138****5678" and "13812345678" not in json.dumps(data, ensure_ascii=False)
    assert [r["state"] for r in data["records"] if r["form"] == "投诉处理单"] == ["处理中"]
    assert len(data["open_items"]) == 1 and "TS-9" in data["open_items"][0]
    text = docx_text(Path(data["outputs"]["docx"]))
    for expected in ("户 档 摘 要", "王建国", "138****5678", "650.00", "发催缴函", "楼上卫生间渗漏水", "处理中"):
        assert expected in text, expected
    assert "13812345678" not in text
    reader = PdfReader(data["outputs"]["pdf"])
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)


def test_the_sample_ledger_lands_each_story_in_its_list(hudang: Hudang, tmp_path: Path) -> None:
    """The sample generator tells which §8 list each arrears story should reach on 2026-12-01."""
    import importlib.util
    import sys

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("make_samples_for_letters", root / "samples" / "make_samples.py")
    assert spec and spec.loader
    ms = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = ms
    spec.loader.exec_module(ms)
    dest = tmp_path / "samples"
    expected = ms.make_samples(dest, forms=10)["expected"]["dunning_as_of_2026-12-01"]
    hudang.ingest(*sorted(dest.glob("房屋清单-*")))
    outs = hudang.ingest(dest / "收费台账.xlsx", dest / "催缴记录.csv")
    assert {o["kind"] for o in outs} == {"ledger", "reminders"}
    data = hudang.json("letters", "dunning", "--as-of", "2026-12-01", "--dry-run",
                       env={"HUDANG_NOW": "2026-12-01T09:00:00+08:00"})
    for key in ("letters", "reminders", "escalations"):
        assert sorted(x["household"] for x in data[key]) == sorted(expected[key]), key


def test_the_seal_image_from_the_settings_is_printed(fees_home: Hudang, tmp_path: Path) -> None:
    from PIL import Image, ImageDraw

    seal = fees_home.home / "公章.png"
    image = Image.new("RGBA", (300, 300), (255, 255, 255, 0))
    ImageDraw.Draw(image).ellipse((10, 10, 290, 290), outline=(200, 0, 0, 255), width=12)
    image.save(seal)
    config = fees_home.home / "config.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('seal_image = ""', 'seal_image = "公章.png"')
                      .replace("deadline_days = 15", "deadline_days = 20"), encoding="utf-8")
    data = fees_home.json("letters", "dunning", "--as-of", "2026-11-26", "--estate", "翠湖苑",
                          env={"PATH": str(tmp_path)})
    [letter] = data["letters"]
    assert letter["deadline"] == "2026-12-16"
    assert len(Document(letter["docx"]).inline_shapes) == 1


def test_a_goods_release_for_a_household_in_arrears_carries_a_warning(fees_home: Hudang, tmp_path: Path) -> None:
    def release(room: str, name: str) -> Path:
        return json_form(tmp_path / f"放行-{room}.json", "物品放行条", {
            "编号": f"FX-{room}", "项目": "金第花园", "房号": room, "申请人": "王建国", "证件类型": "身份证",
            "证件号码": "110101199003074514", "联系电话": "13812345678", "与业主关系": "业主",
            "放行物品": "旧沙发一套", "放行日期": "2026-11-20", "经办人": "门岗甲"})
    owing, clear = fees_home.ingest(release("3-2-1201", "a"), release("3-1-302", "b"))
    warned = [w for w in owing["warnings"] if w["code"] == "in_arrears"]
    assert owing["status"] == "filed" and len(warned) == 1
    assert "650.00" in warned[0]["message"] and "2026-05" in warned[0]["message"]
    assert clear["status"] == "filed" and not [w for w in clear["warnings"] if w["code"] == "in_arrears"]


def test_same_room_and_number_in_two_estates_get_their_own_letters(fees_home: Hudang, tmp_path: Path) -> None:
    roster = write(tmp_path / "翠湖苑补充.csv", ["项目,楼栋,单元,房号,建筑面积,业主姓名", "翠湖苑,1栋,1单元,301,88,孙悦"])
    ledger = write(tmp_path / "翠湖苑台账.csv", [LEDGER[0], "翠湖苑,1-1-301,物业服务费,2026-05,280.00,0,",
                                               "翠湖苑,1-1-101,物业服务费,2026-04,1004.05,1004.05,2026-11-01"])
    told = write(tmp_path / "翠湖苑催缴.csv", [REMINDERS[0], "翠湖苑,1-1-301,2026-07-15,电话,"])
    fees_home.ingest(roster)
    fees_home.ingest(ledger, told)
    data = fees_home.json("letters", "dunning", "--as-of", "2026-11-26", env={"PATH": str(tmp_path)})
    mine = {x["household"]: x for x in data["letters"] if x["household"].endswith("/1-1-301")}
    assert set(mine) == {"金第花园/1-1-301", "翠湖苑/1-1-301"}
    # Both are 〔2026〕催字第001号 for a room keyed 1-1-301: their files must not collide.
    assert mine["金第花园/1-1-301"]["number"] == mine["翠湖苑/1-1-301"]["number"] == "〔2026〕催字第001号"
    assert mine["金第花园/1-1-301"]["docx"] != mine["翠湖苑/1-1-301"]["docx"]
    for household, letter in mine.items():
        record = fees_home.json("record", "show", letter["record_id"])
        assert record["household"] == household
        assert letter["amount"] in docx_text(Path(letter["docx"]))
    assert len({x["record_id"] for x in data["letters"]}) == len(data["letters"])
