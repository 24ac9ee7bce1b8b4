"""Web pages of the records desk (issue 13 pages 2–4 and 7): 新建 from any form definition, 更正, 结案 and 回访,
the record page's actions (move, void, attach), the 户档 page's buttons, 今日待办 — roles, estate limits, CSRF.

The data home (a roster for 金第花园, a second estate 翠湖苑, complaints in each, a registration) is test_web's
`filed_home`; each test gets its own copy through `web`.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from io import BytesIO
from typing import Any

import test_web
from django.test import Client
from test_web import audit_lines, person, session_of

from hudang.pipeline.app import household as household_app
from hudang.pipeline.app import records

# test_web's fixtures: its module-scoped home with records in two estates, and a fresh copy per test.
filed_home = test_web.filed_home
web = test_web.web

HOUSE = "/households/金第花园/3-2-1201/"
GOOD = {"投诉人": "赵敏", "投诉时间": "2026-11-02T09:30", "联系电话": "13700001111", "接报人": "李客服",
        "严重程度": "重要", "投诉方式": "来电", "投诉内容": "楼道灯不亮已一周"}


def record_of(home: Any, record_id: str) -> records.RecordView:
    with session_of(home) as s:
        return records.record(s, record_id)


def household_records(home: Any) -> list[dict[str, Any]]:
    with session_of(home) as s:
        return records.household(s, "金第花园/3-2-1201").records


def text(response: Any) -> str:
    return response.content.decode()


# ---------------------------------------------------------------- 新建 / 结案 / 回访

def test_complaint_entered_with_an_error_first_then_numbered_closed_and_visited(web: dict[str, Any]) -> None:
    home = web["home"]
    clerk = person(home, "kf", "客服")
    chooser = text(clerk.get(HOUSE + "new/"))
    assert "投诉处理单" in chooser and "维修工作单" in chooser and "住户登记表" not in chooser
    blank = clerk.get(HOUSE + "new/complaint/")
    page = text(blank)
    assert blank.status_code == 200
    assert 'type="datetime-local" name="投诉时间"' in page and 'type="date" name="日期"' in page
    assert 'type="radio" name="严重程度" value="重大"' in page and 'class="req"' in page
    assert 'name="编号"' not in page and "由系统编号" in page           # 编号 from the system, not asked

    before = len(household_records(home))
    wrong = clerk.post(HOUSE + "new/complaint/", {**GOOD, "投诉人": "", "联系电话": "12345"})
    shown = text(wrong)
    assert wrong.status_code == 400 and len(household_records(home)) == before     # nothing filed
    assert re.search(r'name="投诉人"[^>]*>\s*<span class="error">[^<]*投诉人', shown), "message beside the field"
    assert re.search(r'name="联系电话"[^>]*>\s*<span class="error">[^<]+</span>', shown)
    assert '>\n楼道灯不亮已一周</textarea>' in shown                                # what was typed is kept

    filed = clerk.post(HOUSE + "new/complaint/", GOOD)
    assert filed.status_code == 302
    rid = filed["Location"].split("/")[2]
    view = record_of(home, rid)
    assert view.number == "TS-202611-0001" and view.fields["投诉时间"].startswith("2026-11-02 09:30")
    with session_of(home) as s:
        detail = records.version_detail(s, rid, 1)
    assert detail.provenance["entered"]["via"] == "网页录入" and detail.provenance["entered"]["by"] == "kf"
    shown = text(clerk.get(filed["Location"]))
    assert "TS-202611-0001" in shown and "结案" in shown and "回访" not in shown.split('id="actions"')[1].split("</div>")[0]

    missing = clerk.post(f"/records/{rid}/act/close/", {"处理结果": "已更换灯泡"})
    assert missing.status_code == 400 and "完成时间" in text(missing)
    assert record_of(home, rid).version == 1
    closed = clerk.post(f"/records/{rid}/act/close/", {"处理结果": "已更换灯泡", "完成时间": "2026-11-03T10:00"})
    assert closed.status_code == 302
    after = record_of(home, rid)
    assert after.version == 2 and after.fields["处理结果"] == "已更换灯泡" and after.fields["投诉人"]
    again = clerk.post(f"/records/{rid}/act/close/", {"处理结果": "再次", "完成时间": "2026-11-03T11:00"})
    assert again.status_code == 400 and "已结案" in text(again)
    visited = clerk.post(f"/records/{rid}/act/visit/", {"回访时间": "2026-11-04T15:00", "回访结果": "满意"})
    assert visited.status_code == 302
    final = record_of(home, rid)
    assert final.version == 3 and final.fields["回访结果"] == "满意"
    assert [a["action"] for a in audit_lines(home) if a.get("record_id") == rid] == ["enter", "close", "visit"]
    second = clerk.post(HOUSE + "new/complaint/", {**GOOD, "投诉时间": "2026-11-20T08:00"})
    assert record_of(home, second["Location"].split("/")[2]).number == "TS-202611-0002"


def test_repair_numbered_wx_and_waiting_for_its_visit_on_the_household_page(web: dict[str, Any]) -> None:
    home = web["home"]
    boss = person(home, "zg", "主管")
    filed = boss.post(HOUSE + "new/repair/", {"报修人": "王建国", "联系电话": "13700002222",
                                              "报修时间": "2026-11-05T08:00", "报修内容": "厨房水管漏水",
                                              "维修类别": "水电"})
    assert filed.status_code == 302, text(filed)
    rid = filed["Location"].split("/")[2]
    assert record_of(home, rid).number == "WX-202611-0001"
    assert boss.post(f"/records/{rid}/act/complete/", {"维修人员": "老张", "完成时间": "2026-11-05T16:00"}).status_code == 302
    page = text(boss.get(HOUSE))
    waiting = page.split("待回访的维修")[1].split("<h3>")[0]
    assert "WX-202611-0001" in waiting and "overdue" in waiting and "已超期" in waiting


def test_who_may_enter_which_form(web: dict[str, Any]) -> None:
    home = web["home"]
    fees = person(home, "sf", "收费员")
    assert fees.get(HOUSE + "new/").status_code == 403
    assert fees.get(HOUSE + "new/complaint/").status_code == 403
    assert fees.post(HOUSE + "new/complaint/", GOOD).status_code == 403
    archivist = person(home, "da", "档案员")
    assert archivist.get(HOUSE + "new/complaint/").status_code == 403
    assert archivist.get(HOUSE + "new/registration/").status_code == 200
    clerk = person(home, "kf", "客服")
    assert clerk.get(HOUSE + "new/registration/").status_code == 403
    rid = web["records"]["c1"]
    assert fees.post(f"/records/{rid}/act/close/", {"处理结果": "x", "完成时间": "2026-11-04T10:00"}).status_code == 403
    assert record_of(home, rid).version == 1


# ---------------------------------------------------------------- 更正 and the record page's actions

def test_correction_is_a_new_version_for_archivists_only(web: dict[str, Any]) -> None:
    home, rid = web["home"], web["records"]["c1"]
    clerk = person(home, "kf", "客服")
    assert clerk.get(f"/records/{rid}/edit/").status_code == 403
    assert "更正" not in text(clerk.get(f"/records/{rid}/")).split("<h2>栏目")[0]
    archivist = person(home, "da", "档案员")
    form = text(archivist.get(f"/records/{rid}/edit/"))
    assert 'value="2026-11-03T09:30"' in form and "13912345678" not in form and PHONE_MASKED(form)
    bad = archivist.post(f"/records/{rid}/edit/", {"投诉时间": "下周二"})
    assert bad.status_code == 400 and "投诉时间" in text(bad) and record_of(home, rid).version == 1
    fixed = archivist.post(f"/records/{rid}/edit/", {"投诉内容": "卫生间渗漏水，楼下天花板发霉"})
    assert fixed.status_code == 302
    view = record_of(home, rid)
    assert view.version == 2 and view.fields["投诉内容"] == "卫生间渗漏水，楼下天花板发霉"
    assert view.fields["投诉人"] == record_of(home, rid).fields["投诉人"]


def test_correction_can_clear_an_optional_field_but_not_a_required_one(web: dict[str, Any]) -> None:
    """A field sent empty is cleared (as `hudang record edit ID 字段=`); a required one gets 缺少必填项 beside it."""
    home, rid = web["home"], web["records"]["c1"]
    archivist = person(home, "da", "档案员")
    form = text(archivist.get(f"/records/{rid}/edit/"))
    assert 'type="radio" name="投诉方式" value=""' in form and "（不填）" in form   # an optional choice can be emptied
    assert 'type="radio" name="严重程度" value=""' not in form                   # … unless it has a default
    before = record_of(home, rid).fields
    assert before["联系电话"] and before["严重程度"] == "重要"
    cleared = archivist.post(f"/records/{rid}/edit/", {"联系电话": "", "严重程度": "", "投诉人": before["投诉人"]})
    assert cleared.status_code == 302, text(cleared)
    view = record_of(home, rid)
    assert view.version == 2 and not view.fields.get("联系电话")
    assert view.fields["严重程度"] == "轻微"     # emptied, it takes the form's default, as the intake does
    assert view.fields["投诉人"] == before["投诉人"] and view.fields["投诉内容"] == before["投诉内容"]
    with session_of(home) as s:
        assert set(records.version_detail(s, rid, 2).changed) == {"联系电话", "严重程度"}   # marked changed
    page = text(archivist.get(f"/records/{rid}/"))
    assert re.search(r"<td>(联系电话、严重程度|严重程度、联系电话)</td>", page)
    assert f'href="/records/{rid}/original/1/"' in page and "第 1 版；之后的版本是更正" in page   # v1's original

    refused = archivist.post(f"/records/{rid}/edit/", {"投诉人": "", "投诉内容": "改了内容"})
    shown = text(refused)
    assert refused.status_code == 400 and record_of(home, rid).version == 2                 # nothing filed
    assert re.search(r'name="投诉人"[^>]*>\s*<span class="error">缺少必填项“投诉人”</span>', shown), shown


def PHONE_MASKED(html: str) -> bool:
    return bool(re.search(r"139\*+", html) or re.search(r"139\d{0,2}\*+\d+", html))


def test_void_move_attach_by_role(web: dict[str, Any]) -> None:
    home, rid = web["home"], web["records"]["c3"]
    clerk = person(home, "kf", "客服")
    assert clerk.post(f"/records/{rid}/void/", {"reason": "重复录入"}).status_code == 403
    assert clerk.post(f"/records/{rid}/move/", {"address": "金第花园/1-1-301", "reason": "房号填错"}).status_code == 403
    assert not record_of(home, rid).voided
    archivist = person(home, "da", "档案员")
    page = text(archivist.get(f"/records/{rid}/"))
    assert f'action="/records/{rid}/void/"' in page and 'enctype="multipart/form-data"' in page
    assert archivist.post(f"/records/{rid}/void/", {"reason": ""}).status_code == 400
    moved = archivist.post(f"/records/{rid}/move/", {"address": "金第花园/1栋1单元301", "reason": "房号填错"})
    assert moved.status_code == 302 and record_of(home, rid).household == "金第花园/1-1-301"
    unknown = archivist.post(f"/records/{rid}/move/", {"address": "金第花园/99-9-9999", "reason": "试试"})
    assert unknown.status_code == 400 and record_of(home, rid).household == "金第花园/1-1-301"
    photo = BytesIO(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    photo.name = "现场照片.png"
    assert archivist.post(f"/records/{rid}/attach/", {"file": photo, "note": "现场"}).status_code == 302
    assert [a["name"] for a in record_of(home, rid).attachments] == ["现场照片.png"]
    assert archivist.post(f"/records/{rid}/void/", {"reason": "重复录入"}).status_code == 302
    assert record_of(home, rid).voided
    acts = [a["action"] for a in audit_lines(home) if a.get("record_id") == rid]
    assert acts == ["move", "attach", "void"]


def test_estate_limits_hold_for_every_action(web: dict[str, Any]) -> None:
    home, other = web["home"], web["records"]["c2"]       # c2 is 翠湖苑's
    limited = person(home, "jd", "主管", estates=("金第花园",))
    there = "/households/翠湖苑/A-203/"
    for url in (there + "new/", there + "new/complaint/", f"/records/{other}/edit/",
                f"/records/{other}/act/close/"):
        assert limited.get(url).status_code == 404, url
    posts = {there + "new/complaint/": GOOD, f"/records/{other}/edit/": {"投诉内容": "改"},
             f"/records/{other}/act/close/": {"处理结果": "x", "完成时间": "2026-11-04T10:00"},
             f"/records/{other}/void/": {"reason": "猜的编号"}, f"/records/{other}/move/": {"address": HOUSE, "reason": "猜的"},
             there + "summary/docx/": {}, there + "blank/": {"form": "complaint"}, there + "export/": {"purpose": "查阅"},
             there + "certificate/": {"as_of": "2026-11-30"}, there + "moveout/": {"person": "李翠湖", "date": "2026-11-30"},
             there + "lend/": {"to": "法务部", "purpose": "诉讼", "due": "2026-12-30"}}
    for url, data in posts.items():
        assert limited.post(url, data).status_code == 404, url
    assert record_of(home, other).version == 1 and not record_of(home, other).voided
    # and a record of its own estate cannot be moved into the other estate
    mine = web["records"]["c4"]
    refused = limited.post(f"/records/{mine}/move/", {"address": "翠湖苑/A-203", "reason": "移过去"})
    assert refused.status_code == 400 and "不在您负责的项目内" in text(refused)
    assert record_of(home, mine).household == "金第花园/3-2-1201"
    assert other not in text(limited.get("/due/?estate=翠湖苑"))     # not a choice: their own estates listed
    assert not [a for a in audit_lines(home) if a["user"] == "jd" and a["action"] not in ("web_login",)]


def test_posts_need_the_csrf_token(web: dict[str, Any]) -> None:
    from django.contrib.auth.models import User

    home, rid = web["home"], web["records"]["c3"]
    person(home, "zg", "主管")
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username="zg"))
    before = len(household_records(home))
    for url, data in ((HOUSE + "new/complaint/", GOOD), (f"/records/{rid}/void/", {"reason": "重复录入"}),
                      (f"/records/{rid}/edit/", {"投诉内容": "改"}), (HOUSE + "moveout/", {"person": "王建国", "date": "2026-11-30"})):
        assert client.post(url, data).status_code == 403, url
    assert len(household_records(home)) == before and not record_of(home, rid).voided
    page = text(client.get(HOUSE + "new/complaint/"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    assert client.post(HOUSE + "new/complaint/", {**GOOD, "csrfmiddlewaretoken": token.group(1)}).status_code == 302


# ---------------------------------------------------------------- 户档 page and its buttons

def test_household_page_overview_and_buttons_by_role(web: dict[str, Any]) -> None:
    home = web["home"]
    clerk = person(home, "kf", "客服")
    page = text(clerk.get(HOUSE))
    complaints = page.split("未结案投诉")[1].split("<h3>")[0]
    assert "TS-1" in complaints and 'class="overdue"' in complaints and "已超期" in complaints
    assert "王" in page.split("业主（按时间）")[1].split("</ul>")[0]
    assert "新建记录" in page and "登记迁出" in page and "出具欠费证明" not in page and "调档导出" not in page
    assert "登记借出" not in page
    fees = text(person(home, "sf", "收费员").get(HOUSE))
    assert "出具欠费证明" in fees and "新建记录" not in fees and "登记迁出" not in fees
    archivist = text(person(home, "da", "档案员").get(HOUSE))
    assert "调档导出" in archivist and "登记借出" in archivist and "出具欠费证明" not in archivist


def test_household_summary_and_blank_form_download(web: dict[str, Any]) -> None:
    from docx import Document

    client = person(web["home"], "kf", "客服")
    got = client.post(HOUSE + "summary/docx/")
    assert got.status_code == 200 and got["Content-Disposition"].startswith("attachment")
    doc = Document(BytesIO(b"".join(got.streaming_content)))
    body = "\n".join(p.text for p in doc.paragraphs) + "".join(c.text for t in doc.tables for r in t.rows for c in r.cells)
    assert "3-2-1201" in body or "3栋2单元1201" in body
    assert client.get(HOUSE + "summary/docx/").status_code == 405
    blank = client.post(HOUSE + "blank/", {"form": "complaint"})
    assert blank.status_code == 200 and blank["Content-Type"] in ("application/pdf", MEDIA_DOCX)
    assert client.post(HOUSE + "blank/", {"form": "没有这种表"}).status_code == 400


MEDIA_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def test_moveout_and_loans(web: dict[str, Any]) -> None:
    home = web["home"]
    clerk = person(home, "kf", "客服")
    nobody = clerk.post(HOUSE + "moveout/", {"person": "不存在的人", "date": "2026-11-30"})
    assert nobody.status_code == 400 and "现住人员" in text(nobody)
    assert clerk.post(HOUSE + "moveout/", {"person": "王建国", "date": "2026-11-30"}).status_code == 302
    assert "迁出" in text(clerk.get(HOUSE)).split("已迁出")[1].split("</ul>")[0]
    assert clerk.post(HOUSE + "lend/", {"to": "法务部", "purpose": "诉讼", "due": "2026-12-30"}).status_code == 403
    archivist = person(home, "da", "档案员")
    assert archivist.post(HOUSE + "lend/", {"to": "法务部", "purpose": "诉讼", "due": "2026-12-30"}).status_code == 302
    page = text(archivist.get(HOUSE))
    loan = re.search(r"/lend/([^/]+)/return/", page)
    assert loan and "法务部" in page.split('id="loans"')[1]
    assert archivist.post(f"/households/金第花园/1-1-301/lend/{loan.group(1)}/return/").status_code == 404
    assert archivist.post(HOUSE + f"lend/{loan.group(1)}/return/").status_code == 302
    assert "没有借出未还的档案" in text(archivist.get(HOUSE))
    assert [a["action"] for a in audit_lines(home) if a["action"] in ("moveout", "lend_out", "lend_return")] == \
        ["moveout", "lend_out", "lend_return"]


def test_export_masked_full_needs_a_reason_downloads_audited(web: dict[str, Any]) -> None:
    home = web["home"]
    assert person(home, "kf", "客服").post(HOUSE + "export/", {"purpose": "查阅"}).status_code == 403
    archivist = person(home, "da", "档案员")
    no_reason = archivist.post(HOUSE + "export/", {"purpose": "查阅", "full": "on"})
    assert no_reason.status_code == 400 and "原因" in text(no_reason)
    assert archivist.post(HOUSE + "export/", {"purpose": "查阅"}).status_code == 302
    page = text(archivist.get(HOUSE))
    link = re.search(r'href="(/households/[^"]+/export/([^/]+)/bag/)"', page)
    assert link
    bag = archivist.get(link.group(1))
    assert bag.status_code == 200
    with zipfile.ZipFile(BytesIO(b"".join(bag.streaming_content))) as z:
        names = z.namelist()
        data = "".join(z.read(n).decode("utf-8", "replace") for n in names if n.endswith(".json"))
    assert any(n.endswith("bagit.txt") for n in names) and "13912345678" not in data
    assert archivist.get(link.group(1).replace("/bag/", "/../../etc/passwd/")).status_code == 404
    downloads = [a for a in audit_lines(home) if a["action"] == "export_download"]
    assert downloads and downloads[0]["user"] == "da" and downloads[0]["export_id"] == link.group(2)


def test_certificate_for_fees_clerks(web: dict[str, Any]) -> None:
    home = web["home"]
    assert person(home, "kf", "客服").post(HOUSE + "certificate/", {"as_of": "2026-11-30"}).status_code == 403
    fees = person(home, "sf", "收费员")
    got = fees.post(HOUSE + "certificate/", {"as_of": "2026-11-30"})
    assert got.status_code == 200 and got["Content-Disposition"].startswith("attachment")
    assert [a["user"] for a in audit_lines(home) if a["action"] == "certificate"] == ["sf"]


# ---------------------------------------------------------------- 今日待办

def test_due_list_by_role_and_estate(web: dict[str, Any]) -> None:
    home, recs = web["home"], web["records"]
    clerk = text(person(home, "kf", "客服").get("/due/"))
    assert f'href="/records/{recs["c1"]}/"' in clerk and f'href="/records/{recs["c2"]}/"' in clerk
    assert "已超期" in clerk and "应进行下一步催缴" not in clerk
    fees = text(person(home, "sf", "收费员").get("/due/"))
    assert "应进行下一步催缴" in fees and recs["c1"] not in fees
    assert person(home, "da", "档案员").get("/due/").status_code == 403
    limited = text(person(home, "jd", "客服", estates=("金第花园",)).get("/due/"))
    assert recs["c1"] in limited and recs["c2"] not in limited
    dated = text(person(home, "kf2", "客服").get("/due/?as_of=2026-11-01"))
    assert recs["c1"] not in dated                   # on 11-01 the complaint of 11-03 did not exist yet


# ---------------------------------------------------------------- issue 15's web gaps: 调档 range, 归还日期, 借阅登记

def test_export_heading_tells_masked_or_full_and_takes_a_date_range(web: dict[str, Any]) -> None:
    home = web["home"]
    archivist = person(home, "da", "档案员")
    page = text(archivist.get(HOUSE))
    assert "调档导出（默认个人信息打码）" in page and 'name="date_from"' in page and 'name="date_to"' in page
    full = text(archivist.post(HOUSE + "export/", {"purpose": "查阅", "full": "on"}))
    assert "调档导出（完整个人信息）" in full and "个人信息打码）" not in full
    backwards = archivist.post(HOUSE + "export/", {"purpose": "查阅", "date_from": "2026-10-09", "date_to": "2026-10-01"})
    assert backwards.status_code == 400 and "截止日期早于起始日期" in text(backwards)
    assert archivist.post(HOUSE + "export/", {"purpose": "查阅", "date_from": "2026-10-05",
                                              "date_to": "2026-10-06"}).status_code == 302
    done = [a for a in audit_lines(home) if a["action"] == "export"]
    assert [(a["from"], a["to"], a["items"]) for a in done] == [("2026-10-05", "2026-10-06", 2)]


def test_lend_return_on_the_date_given_or_today(web: dict[str, Any], monkeypatch: Any) -> None:
    monkeypatch.setenv("HUDANG_NOW", "2026-12-01T10:00:00+08:00")
    home = web["home"]
    archivist = person(home, "da", "档案员")
    for to in ("法务部", "物业办"):
        assert archivist.post(HOUSE + "lend/", {"to": to, "purpose": "诉讼", "due": "2026-12-30"}).status_code == 302
    page = text(archivist.get(HOUSE))
    first, second = re.findall(r"/lend/([^/]+)/return/", page)
    assert 'name="date" value="2026-12-01"' in page
    early = archivist.post(HOUSE + f"lend/{first}/return/", {"date": "2026-11-20"})
    assert early.status_code == 400 and "早于借出日期" in text(early)
    assert archivist.post(HOUSE + f"lend/{first}/return/", {"date": "2026-12-05"}).status_code == 302
    assert archivist.post(HOUSE + f"lend/{second}/return/", {"date": ""}).status_code == 302
    with session_of(home) as s:
        back = {loan["loan_id"]: loan["returned"] for loan in household_app.lend_list(s).loans}
    assert back == {first: "2026-12-05", second: "2026-12-01"}


def test_loans_page_lists_every_loan_open_first_overdue_marked(web: dict[str, Any], monkeypatch: Any) -> None:
    monkeypatch.setenv("HUDANG_NOW", "2026-12-01T10:00:00+08:00")
    home = web["home"]
    archivist = person(home, "da", "档案员")
    for house, to in ((HOUSE, "法务部"), ("/households/金第花园/1-1-301/", "街道办"), ("/households/翠湖苑/A-203/", "翠湖律所")):
        assert archivist.post(house + "lend/", {"to": to, "purpose": "诉讼", "due": "2026-12-10"}).status_code == 302
    returned = re.search(r"/lend/([^/]+)/return/", text(archivist.get(HOUSE))).group(1)  # type: ignore[union-attr]
    assert archivist.post(HOUSE + f"lend/{returned}/return/", {"date": "2026-12-03"}).status_code == 302
    assert 'href="/loans/"' in text(archivist.get("/"))
    page = text(archivist.get("/loans/?as_of=2026-12-15"))
    rows = re.findall(r"<tr class=\"(overdue|)\"><td>(L\d+)</td>", page)
    with session_of(home) as s:
        cli = household_app.lend_list(s, day=dt.date(2026, 12, 15)).loans
    assert [r[1] for r in rows][-1] == returned and sorted(r[1] for r in rows) == sorted(c["loan_id"] for c in cli)
    assert [r[0] for r in rows] == ["overdue", "overdue", ""]
    assert "逾期 5 天未还" in page and "已于 2026-12-03 归还" in page and "翠湖律所" in page
    assert "共 3 次，未归还 2 次，其中逾期 2 次" in page
    limited = text(person(home, "jd", "档案员", estates=("金第花园",)).get("/loans/?as_of=2026-12-15"))
    assert "街道办" in limited and "翠湖律所" not in limited
    assert person(home, "kf", "客服").get("/loans/").status_code == 403
    assert 'href="/loans/"' in text(person(home, "zg", "主管").get("/due/?as_of=2026-12-15"))
