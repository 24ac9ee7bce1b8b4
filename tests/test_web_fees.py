"""The web's 催缴, 月报 and 状态 pages (issue 13): the CLI's figures, role checks, estate limits and CSRF on the server.

Views run in-process through Django's test client against a fresh copy of a data home per test; the figures
are compared with the `hudang` command's JSON on the same home.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import report_data as rd
from django.test import Client
from openpyxl import load_workbook
from pypdf import PdfReader

from hudang.pipeline.app import users
from hudang.pipeline.app.session import Session
from hudang.settings import load_home

from builders import json_form, registration, roster_lines
from builders import write_lines as _write
from conftest import Hudang, new_home

PASSWORD = "纸质档案-2026"
NOW = "2026-11-26T10:00:00+08:00"
LEDGER = ["项目,房号,费用项目,所属期间,应收金额,实收金额,收费日期",
          "金第花园,3-2-1201,物业服务费,2026-05,300.00,0,",
          "金第花园,3-2-1201,物业服务费,2026-06,300.00,100.00,2026-07-01",
          "金第花园,2-1-1202,物业服务费,2026-09,280.00,0,",
          "翠湖苑,1-1-101,物业服务费,2026-04,1004.05,0,"]
REMINDERS = ["项目,房号,日期,方式,备注", "金第花园,3-2-1201,2026-07-10,电话,业主称月底缴", "翠湖苑,1-1-101,2026-05-20,上门,"]


@pytest.fixture(scope="module")
def fees_built(tmp_path_factory: pytest.TempPathFactory) -> Hudang:
    """Two estates, a ledger with arrears and a reminder log (made once per module)."""
    tmp = tmp_path_factory.mktemp("webfees")
    h = new_home(tmp / "home")
    h.env["HUDANG_NOW"] = NOW
    rows = roster_lines(rooms=("1201", "1202"))
    outs = h.ingest(_write(tmp / "房屋清单.csv", rows),
                    _write(tmp / "翠湖苑房屋清单.csv", ["项目,楼栋,单元,房号,建筑面积,业主姓名", "翠湖苑,1栋,1单元,101,120,钱多多"]),
                    json_form(tmp / "reg.json", "住户登记表", registration(name="王建国")),
                    _write(tmp / "收费台账.csv", LEDGER), _write(tmp / "催缴记录.csv", REMINDERS))
    assert all(o["status"] in ("filed", "imported") for o in outs), outs
    return h


@pytest.fixture(scope="module")
def report_built(tmp_path_factory: pytest.TempPathFactory) -> Hudang:
    return rd.built_home(tmp_path_factory.mktemp("webreport"))


def _serve(built: Hudang, tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Hudang:
    home = tmp_path / "home"
    shutil.copytree(built.home, home)
    settings.HUDANG_HOME = home
    monkeypatch.setenv("HUDANG_NOW", NOW)
    return Hudang(home, {**built.env, "HUDANG_HOME": str(home), "HUDANG_NOW": NOW})


@pytest.fixture
def fees_web(fees_built: Hudang, tmp_path: Path, settings: Any, db: None,
             monkeypatch: pytest.MonkeyPatch) -> Hudang:
    return _serve(fees_built, tmp_path, settings, monkeypatch)


@pytest.fixture
def report_web(report_built: Hudang, tmp_path: Path, settings: Any, db: None,
               monkeypatch: pytest.MonkeyPatch) -> Hudang:
    return _serve(report_built, tmp_path, settings, monkeypatch)


def person(home: Path, name: str, *roles: str, estates: tuple[str, ...] = (), csrf: bool = False) -> Client:
    from django.contrib.auth.models import User

    with Session(load_home(home), "admin") as s:
        users.add(s, name, list(roles), list(estates), PASSWORD)
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(User.objects.get(username=name))
    return client


def audit(home: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (home / "audit.log").read_text(encoding="utf-8").splitlines() if line]


def text(response: Any) -> str:
    return response.content.decode()


def run_folders(home: Path) -> list[Path]:
    root = load_home(home).outputs_dir / "催缴函"
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


# ---------------------------------------------------------------- roles

@pytest.mark.parametrize(("role", "allowed"), [("客服", set()), ("档案员", set()), ("收费员", {"/dunning/"}),
                                               ("主管", {"/dunning/", "/reports/"}), ("管理员", {"/status/"})])
def test_each_page_is_for_its_roles_only(fees_web: Hudang, role: str, allowed: set[str]) -> None:
    client = person(fees_web.home, "u", role)
    for url in ("/dunning/", "/reports/", "/status/"):
        assert client.get(url).status_code == (200 if url in allowed else 403), (role, url)
    # the actions too, not only the pages
    posts = {"/dunning/generate/": "/dunning/", "/dunning/reminder/": "/dunning/", "/dunning/track/": "/dunning/",
             "/status/verify/": "/status/", "/reports/2026-10/全部项目/write/": "/reports/",
             "/reports/2026-10/全部项目/issue/": "/reports/"}
    for url, page in posts.items():
        if page not in allowed:
            assert client.post(url, {}).status_code == 403, (role, url)
    if role != "主管":
        assert client.get("/reports/2026-10/全部项目/chart/bars.png").status_code == 403


def test_only_a_supervisor_issues_and_a_fees_clerk_may_not(report_web: Hudang) -> None:
    clerk = person(report_web.home, "clerk", "收费员")
    assert clerk.post("/reports/2026-10/全部项目/issue/", {"confirm": "on"}).status_code == 403
    assert not (report_web.home / "reports" / "全部项目" / "2026-10" / "签发第1版").exists()


# ---------------------------------------------------------------- 催缴

def test_arrears_and_the_dry_run_are_the_commands_figures_with_reasons(fees_web: Hudang) -> None:
    client = person(fees_web.home, "fee", "收费员")
    page = client.get("/dunning/", {"as_of": "2026-11-26", "estate": ""})
    html = text(page)
    arrears = fees_web.json("fees", "arrears", "--as-of", "2026-11-26")
    dry = fees_web.json("letters", "dunning", "--as-of", "2026-11-26", "--dry-run")
    assert f"合计 <strong>{arrears['total']}</strong> 元" in html
    listed = page.context["dry"]
    assert [x.household for x in listed.letters] == [x["household"] for x in dry["letters"]] != []
    assert [x.household for x in listed.reminders] == [x["household"] for x in dry["reminders"]] != []
    dry_part = html[html.index('id="dry-run"'):]
    for x in dry["letters"]:
        assert x["household"] in dry_part and x["amount"] in dry_part
    # each household's reason, as the ladder words it (same as `fees show`)
    shown = fees_web.json("fees", "show", "金第花园/3-2-1201", "--as-of", "2026-11-26")
    assert shown["reason"] and shown["reason"] in dry_part
    assert not run_folders(fees_web.home)   # a dry run writes nothing


def test_generate_needs_the_box_ticked_then_writes_files_and_downloads_are_audited(fees_web: Hudang) -> None:
    client = person(fees_web.home, "boss", "主管")
    refused = client.post("/dunning/generate/", {"as_of": "2026-11-26", "estate": "金第花园"})
    assert refused.status_code == 400 and "请勾选确认" in text(refused) and not run_folders(fees_web.home)
    done = client.post("/dunning/generate/", {"as_of": "2026-11-26", "estate": "金第花园", "confirm": "on"})
    html = text(done)
    assert done.status_code == 200 and "已生成催缴函 <strong>1</strong> 封" in html and "〔2026〕催字第001号" in html
    (run,) = run_folders(fees_web.home)
    print_url = f"/dunning/runs/{run.name}/print/"
    assert quote(print_url) in html
    pdf = client.get(print_url)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert len(PdfReader(io.BytesIO(b"".join(pdf.streaming_content))).pages) >= 1
    xlsx = client.get(f"/dunning/runs/{run.name}/mailing/")
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    assert sheet.cell(2, 2).value == "王建国"    # the list holds full values …
    downloads = [a for a in audit(fees_web.home) if a["action"] == "letters_download"]
    assert [(a["user"], a["file"]) for a in downloads] == [("boss", "催缴函-合并打印.pdf"),   # … so it is audited
                                                           ("boss", "特快专递寄件清单.xlsx")]
    for bad in ("../../config.toml", "nothing", run.name + "x"):
        assert client.get(f"/dunning/runs/{bad}/print/").status_code == 404
    # the letter is then delivered, with its signed receipt uploaded
    receipt = io.BytesIO(b"%PDF-1.4\n%receipt\n")
    receipt.name = "回执.pdf"
    tracked = client.post("/dunning/track/", {"number": "2026-001", "state": "delivered", "estate": "金第花园",
                                              "date": "2026-11-28", "tracking": "EMS123", "receipt": receipt})
    assert tracked.status_code == 200 and "送达回执已归档" in text(tracked)
    assert fees_web.json("fees", "show", "金第花园/3-2-1201")["reminders"][-1]["letter_number"] == "〔2026〕催字第001号"


def test_a_reminder_added_on_the_page_is_on_file(fees_web: Hudang) -> None:
    client = person(fees_web.home, "fee", "收费员")
    added = client.post("/dunning/reminder/", {"address": "金第花园/2栋1单元1202", "method": "电话", "date": "2026-11-20",
                                                "note": "答应下周缴"})
    assert added.status_code == 200 and "已登记催缴：金第花园/2-1-1202" in text(added)
    told = fees_web.json("fees", "show", "金第花园/2-1-1202", "--as-of", "2026-11-26")["reminders"]
    assert [(r["date"], r["method"]) for r in told] == [("2026-11-20", "电话")]
    bad = client.post("/dunning/reminder/", {"address": "金第花园/99-9-999", "method": "电话", "date": "2026-11-20"})
    assert bad.status_code == 400 and "error" in text(bad)


def test_a_fees_clerk_of_one_estate_sees_and_changes_only_that_estate(fees_web: Hudang) -> None:
    home = fees_web.home
    boss = person(home, "boss", "主管")
    boss.post("/dunning/generate/", {"as_of": "2026-11-26", "estate": "", "confirm": "on"})  # a run over both
    (run,) = run_folders(home)
    client = person(home, "ch", "收费员", estates=("翠湖苑",))
    page = client.get("/dunning/", {"as_of": "2026-11-26", "estate": "翠湖苑"})
    html = text(page)
    assert ">翠湖苑/1-1-101<" in html and ">金第花园/" not in html and run.name not in html
    assert ">金第花园" not in text(client.get("/dunning/"))
    assert ">金第花园" not in text(client.get("/dunning/", {"as_of": "2026-11-26", "estate": ""}))   # not "every estate"
    refused = client.get("/dunning/", {"as_of": "2026-11-26", "estate": "金第花园"})
    assert ">金第花园/3-2-1201<" not in text(refused) and "error" in text(refused)
    assert client.get(f"/dunning/runs/{run.name}/print/").status_code == 404
    assert client.post("/dunning/reminder/", {"address": "金第花园/2-1-1202", "method": "电话",
                                               "date": "2026-11-20"}).status_code == 400
    assert fees_web.json("fees", "show", "金第花园/2-1-1202")["reminders"] == []
    # the letter of 金第花园 cannot be marked from 翠湖苑's desk
    marked = client.post("/dunning/track/", {"number": "2026-001", "state": "sent", "estate": "金第花园",
                                             "date": "2026-11-27"})
    assert marked.status_code == 400
    assert client.post("/dunning/track/", {"number": "2026-001", "state": "sent", "date": "2026-11-27"}).status_code == 400
    assert not [a for a in audit(home) if a["action"] == "letter_sent"]


def test_forged_posts_are_refused(fees_web: Hudang) -> None:
    client = person(fees_web.home, "boss", "主管", csrf=True)
    forged = client.post("/dunning/generate/", {"as_of": "2026-11-26", "estate": "", "confirm": "on"})
    assert forged.status_code == 403 and "CSRF" in text(forged) and not run_folders(fees_web.home)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text(client.get("/dunning/")))
    assert token is not None
    ok = client.post("/dunning/reminder/", {"address": "金第花园/2-1-1202", "method": "短信", "date": "2026-11-20",
                                             "csrfmiddlewaretoken": token.group(1)})
    assert ok.status_code == 200


# ---------------------------------------------------------------- 月报

def test_october_report_on_the_page_has_the_commands_figures(report_web: Hudang) -> None:
    client = person(report_web.home, "boss", "主管")
    page = client.get("/reports/", {"month": "2026-10", "estate": "全部项目"})
    cli = report_web.json("report", "monthly", "2026-10", "--figures-only")
    cli.pop("outputs")
    assert dict(page.context["report"].figures) == cli
    html = text(page)
    c = cli["complaints"]
    assert f"{c['handling_rate'] * 100:.2f}%" in html and f"{cli['repairs']['rework_rate'] * 100:.2f}%" in html
    assert "¥600.50" in html and "<td>投诉总数（件）</td><td class=\"num\">7</td>" in html
    chart = client.get("/reports/2026-10/全部项目/chart/bars.png")
    assert chart.status_code == 200 and b"".join(chart.streaming_content).startswith(b"\x89PNG")
    assert client.get("/reports/2026-10/全部项目/chart/../../x.png").status_code == 404
    assert client.get("/reports/2026-10/全部项目/file/docx/").status_code == 404   # nothing written yet
    bad = client.get("/reports/", {"month": "2026-13", "estate": "全部项目"})
    assert bad.status_code == 200 and "月份" in text(bad) and "report" not in (bad.context or {})


def test_draft_written_downloaded_issued_and_a_register(report_web: Hudang) -> None:
    from docx import Document

    client = person(report_web.home, "boss", "主管")
    written = client.post("/reports/2026-10/金第花园/write/")
    assert written.status_code == 200 and "已生成" in text(written)
    docx = client.get("/reports/2026-10/金第花园/file/docx/")
    assert docx.status_code == 200
    doc = Document(io.BytesIO(b"".join(docx.streaming_content)))
    assert any("草稿" in p.text for p in doc.paragraphs)
    assert client.get("/reports/2026-10/金第花园/file/xlsx/").status_code == 200
    unconfirmed = client.post("/reports/2026-10/金第花园/issue/", {})
    assert unconfirmed.status_code == 400 and "请勾选确认" in text(unconfirmed)
    issued = client.post("/reports/2026-10/金第花园/issue/", {"confirm": "on"})
    assert issued.status_code == 200 and "第1版" in text(issued)
    assert quote("/reports/2026-10/金第花园/edition/1/docx/") in text(issued)
    assert client.get("/reports/2026-10/金第花园/edition/1/docx/").status_code == 200
    assert [a["edition"] for a in audit(report_web.home) if a["action"] == "report_issue"] == [1]
    register = client.post("/reports/2026-10/金第花园/register/", {"form": "complaint", "date_from": "2026-10-01",
                                                                 "date_to": "2026-10-31"})
    assert register.status_code == 200
    rows = list(load_workbook(io.BytesIO(b"".join(register.streaming_content))).active.iter_rows(values_only=True))
    cli = report_web.json("register", "投诉处理单", "--estate", "金第花园", "--from", "2026-10-01", "--to", "2026-10-31")
    assert cli["rows"] >= 1 and not any("13912345678" in str(v) for row in rows for v in row)


def test_a_supervisor_of_one_estate_gets_only_that_estates_report(report_web: Hudang) -> None:
    client = person(report_web.home, "jd", "主管", estates=("金第花园",))
    page = client.get("/reports/")
    assert [v for v, _ in page.context["form"].fields["estate"].choices] == ["金第花园"]
    assert client.get("/reports/", {"month": "2026-10", "estate": "全部项目"}).context["form"].errors
    assert client.get("/reports/2026-10/全部项目/chart/bars.png").status_code == 403
    assert client.post("/reports/2026-10/全部项目/write/").status_code == 403
    assert client.get("/reports/2026-10/银河湾/chart/trend.png").status_code == 404
    assert client.get("/reports/", {"month": "2026-10", "estate": "银河湾"}).context["form"].errors
    assert client.post("/reports/2026-10/银河湾/register/", {"form": "complaint", "date_from": "2026-10-01",
                                                         "date_to": "2026-10-31"}).status_code == 404
    assert client.get("/reports/2026-10/金第花园/chart/trend.png").status_code == 200


# ---------------------------------------------------------------- 状态

def test_status_page_shows_the_service_users_and_runs_verify(fees_web: Hudang) -> None:
    client = person(fees_web.home, "root", "管理员")
    person(fees_web.home, "fee", "收费员", estates=("翠湖苑",))
    page = text(client.get("/status/"))
    status = fees_web.json("status")
    assert status["running"] is False and "未运行" in page and "从未校验" in page
    assert f"隔离区</dt><dd>{status['quarantine']} 个" in page and "从未备份" in page
    assert "<td>fee</td><td>收费员</td><td>翠湖苑</td>" in page
    verified = client.post("/status/verify/")
    html = text(verified)
    cli = fees_web.json("verify")
    assert verified.status_code == 200 and f"已检查 {cli['checked']} 个文件，全部一致" in html
    last = fees_web.json("status")["verify"]
    assert last["ok"] and last["checked"] == cli["checked"]     # the CLI's verify is the latest now
    assert "从未校验" not in text(client.get("/status/"))
