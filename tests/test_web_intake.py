"""The web's 上传 and 待处理 pages (issue 13): uploads filed with linked outcomes, the one upload limit, the
quarantine (download audited, retry with a corrected file, 搁置/恢复), assigning an unsorted scan, roles,
estate limits and CSRF."""

from __future__ import annotations

import io
import json
import re
import shutil
import urllib.parse
from pathlib import Path
from typing import Any

import docx
import pytest
import test_web
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from scanning import fill_page, typed_page
from test_web import audit_lines, person, session_of

from hudang.pipeline.app import catalogue, records, scans
from hudang.pipeline.app import ingest as ingest_app

from builders import complaint, docx_form, json_form

# The same fixtures as test_web.py (a home with 金第花园 and 翠湖苑, per-test copies served by the web).
globals().update(filed_home=test_web.filed_home, web=test_web.web)


def _docx(tmp_path: Path, name: str, number: str, **extra: str) -> SimpleUploadedFile:
    path = docx_form(tmp_path / name, "投诉处理单", complaint(number, **extra))
    return SimpleUploadedFile(name, path.read_bytes())


def _json(name: str, fields: dict[str, str]) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, json.dumps({"form": "投诉处理单", "fields": fields}, ensure_ascii=False).encode())


def test_upload_a_docx_and_a_folder_is_filed_with_links_to_the_records(web: dict[str, Any], tmp_path: Path) -> None:
    client = person(web["home"], "dang", "档案员")
    page = client.get("/upload/").content.decode()
    assert "webkitdirectory" in page and "/static/web/upload.js" in page and "<script>" not in page
    first = _docx(tmp_path, "投诉1.docx", "TS-W1", 投诉内容="网页上传的投诉")
    data = first.read()
    first.seek(0)
    one = client.post("/upload/", {"files": [first]})
    html = one.content.decode()
    assert one.status_code == 200 and "已归档" in html and "投诉1.docx" in html
    rid = re.search(r'href="/records/([^/"]+)/"', html)
    assert rid and client.get(f"/records/{rid.group(1)}/").status_code == 200
    folder = client.post("/upload/", {"files": [_docx(tmp_path, "a/投诉2.docx", "TS-W2"),
                                                _docx(tmp_path, "投诉3.docx", "TS-W3")], "js": "1"})
    rows = folder.content.decode()
    assert folder.status_code == 200 and rows.count("已归档") == 2 and "<html" not in rows
    again = client.post("/upload/", {"files": [SimpleUploadedFile("再传.docx", data)]})
    body = again.content.decode()
    assert "重复文件" in body and f"/records/{rid.group(1)}/" in again.content.decode()


def test_a_bad_upload_is_quarantined_and_linked_to_its_reasons(web: dict[str, Any]) -> None:
    client = person(web["home"], "dang", "档案员")
    r = client.post("/upload/", {"files": [_json("坏.json", complaint("TS-B1", 投诉时间="昨天"))]})
    html = r.content.decode()
    qid = re.search(r'href="/pending/#(Q[^"]+)"', html)
    assert "已隔离" in html and qid
    pending = client.get("/pending/").content.decode()
    assert f'id="{qid.group(1)}"' in pending and "投诉时间" in pending


def test_a_too_large_upload_is_refused_with_a_chinese_message(web: dict[str, Any], settings: Any) -> None:
    client = person(web["home"], "dang", "档案员")
    settings.HUDANG_UPLOAD_MAX_BYTES = 1024
    r = client.post("/upload/", {"files": [SimpleUploadedFile("大.json", b"x" * 4096)]})
    assert r.status_code == 413 and "超过上限" in r.content.decode() and "Traceback" not in r.content.decode()
    (web["home"] / "config.toml").write_text(
        (web["home"] / "config.toml").read_text(encoding="utf-8").replace("upload_max_mb = 50", "upload_max_mb = 1"),
        encoding="utf-8")
    settings.HUDANG_UPLOAD_MAX_BYTES = 3 * 1024 * 1024
    big = client.post("/upload/", {"files": [SimpleUploadedFile("大2.json", b"x" * (1024 * 1024 + 10))]})
    assert big.status_code == 200 and "已忽略" in big.content.decode() and "超过上传上限 1 MB" in big.content.decode()


def test_a_document_upload_for_a_household(web: dict[str, Any], tmp_path: Path) -> None:
    client = person(web["home"], "dang", "档案员")
    letter = docx_form(tmp_path / "来函.docx", "业主来函", {"来函人": "王建国", "事由": "请求更换单元门禁"})
    sent = {"kind": "document", "household": "金第花园/3-2-1201", "title": "业主来函", "category": "来函",
            "files": [SimpleUploadedFile("来函.docx", letter.read_bytes())]}
    r = client.post("/upload/", sent)
    html = r.content.decode()
    assert r.status_code == 200 and "已归档" in html and "金第花园/3-2-1201" in html
    rid = re.search(r'href="/records/([^/"]+)/"', html).group(1)  # type: ignore[union-attr]
    assert "业主来函" in client.get(f"/records/{rid}/").content.decode()
    bad = client.post("/upload/", {**sent, "household": "金第花园/99-9-9999"})
    assert bad.status_code == 400 and "Traceback" not in bad.content.decode()


def test_a_document_upload_keeps_its_author(web: dict[str, Any], tmp_path: Path) -> None:
    """责任者 (`ingest --author`) typed on the page is the 文件's 责任者, shown on its record page."""
    client = person(web["home"], "dang", "档案员")
    assert 'name="author"' in client.get("/upload/").content.decode()
    letter = docx_form(tmp_path / "通知.docx", "业主来函", {"来函人": "区住建局", "事由": "电梯年检通知"})
    html = client.post("/upload/", {"kind": "document", "household": "金第花园/3-2-1201", "title": "电梯年检通知",
                                    "author": "区住建局", "files": [SimpleUploadedFile("通知.docx", letter.read_bytes())]}
                       ).content.decode()
    rid = re.search(r'href="/records/([^/"]+)/"', html).group(1)  # type: ignore[union-attr]
    with session_of(web["home"]) as s:
        assert records.record(s, rid).fields["责任者"] == "区住建局"
    assert "区住建局" in client.get(f"/records/{rid}/").content.decode()


def test_quarantine_retry_with_a_corrected_file_then_dismiss_and_restore(web: dict[str, Any]) -> None:
    home = web["home"]
    client = person(home, "dang", "档案员")
    out = client.post("/upload/", {"files": [_json("坏.json", complaint("TS-Q1", 投诉时间="昨天"))]}).content.decode()
    qid = re.search(r'#(Q[^"]+)"', out).group(1)  # type: ignore[union-attr]
    download = client.get(f"/pending/quarantine/{qid}/file/")
    assert download.status_code == 200 and "昨天" in b"".join(download.streaming_content).decode()
    assert any(a.get("action") == "quarantine_download" and a.get("quarantine_id") == qid for a in audit_lines(home))
    still = client.post(f"/pending/quarantine/{qid}/retry/", follow=True).content.decode()
    assert "已隔离" in still and f'id="{qid}"' in still
    fixed = client.post(f"/pending/quarantine/{qid}/retry/",
                        {"file": _json("好.json", complaint("TS-Q1", 投诉时间="2026-10-08 09:00"))}, follow=True)
    html = fixed.content.decode()
    assert "已归档" in html and f'id="{qid}"' not in html
    # a second bad one: set aside with a reason, listed apart, restored
    out = client.post("/upload/", {"files": [_json("坏2.json", complaint("TS-Q2", 投诉时间="前天"))]}).content.decode()
    q2 = re.search(r'#(Q[^"]+)"', out).group(1)  # type: ignore[union-attr]
    assert client.post(f"/pending/quarantine/{q2}/dismiss/", {"reason": ""}, follow=True).status_code == 200
    page = client.post(f"/pending/quarantine/{q2}/dismiss/", {"reason": "纸质件已归档"}, follow=True).content.decode()
    aside = page[page.index('id="dismissed"'):]
    assert q2 in aside and "纸质件已归档" in aside
    assert q2 not in page[page.index('id="quarantine"'):page.index('id="unsorted"')]
    back = client.post(f"/pending/quarantine/{q2}/restore/", follow=True).content.decode()
    assert q2 in back[back.index('id="quarantine"'):back.index('id="unsorted"')]
    actions = [a.get("action") for a in audit_lines(home)]
    assert "quarantine_dismiss" in actions and "quarantine_restore" in actions


def test_assign_an_unsorted_scan_from_the_page(web: dict[str, Any], tmp_path: Path) -> None:
    client = person(web["home"], "dang", "档案员")
    page = typed_page(["维修工作单", "报修人：孙丽", "报修时间：2026-11-07 10:00", "报修内容：阳台推拉门变形关不严"])
    scan = tmp_path / "手机拍照.jpg"
    page.convert("RGB").save(scan, quality=85, dpi=(200, 200))
    out = client.post("/upload/", {"files": [SimpleUploadedFile("手机拍照.jpg", scan.read_bytes())]}).content.decode()
    assert "排队识别" in out                       # read beside the server, not in the request
    scans.QUEUE_READER.join()
    listing = client.get("/pending/").content.decode()
    sid = re.search(r'id="(S[^"]+)"', listing).group(1)  # type: ignore[union-attr]
    assert "阳台推拉门" in listing
    assert client.get(f"/pending/scans/{sid}/thumb/")["Content-Type"] == "image/png"
    done = client.post(f"/pending/scans/{sid}/assign/", {f"{sid}-address": "金第花园/2-2-1201",
                                                         f"{sid}-form": "维修工作单"})
    assert done.status_code == 302 and done["Location"].startswith("/records/")
    after = client.get("/pending/").content.decode()
    assert f'id="{sid}"' not in after


@pytest.mark.parametrize("role", ["客服", "收费员"])
def test_other_roles_are_refused(web: dict[str, Any], role: str) -> None:
    client = person(web["home"], "u", role)
    for url in ("/upload/", "/pending/"):
        assert client.get(url).status_code == 403
    assert client.post("/upload/", {"files": [_json("x.json", complaint("TS-X"))]}).status_code == 403
    assert client.post("/pending/quarantine/Q1/dismiss/", {"reason": "不要了"}).status_code == 403
    admin = person(web["home"], "admin2", "管理员")
    assert admin.get("/upload/").status_code == 200 and admin.get("/pending/").status_code == 403


def test_estate_limits_hide_items_naming_another_estate(web: dict[str, Any]) -> None:
    anyone = person(web["home"], "dang", "档案员")
    out = anyone.post("/upload/", {"files": [_json("翠湖苑 坏.json",
                                                  complaint("TS-E1", 项目="翠湖苑", 投诉人房号="A-203", 投诉时间="昨天")),
                                            _json("无名.json", complaint("TS-E2", 项目="", 投诉时间="昨天"))]})
    ids = re.findall(r'#(Q[^"]+)"', out.content.decode())
    assert len(ids) == 2
    jin = person(web["home"], "jin", "档案员", estates=("金第花园",))
    cui = person(web["home"], "cui", "档案员", estates=("翠湖苑",))
    assert ids[0] not in jin.get("/pending/").content.decode()
    assert ids[0] in cui.get("/pending/").content.decode()
    assert ids[1] not in cui.get("/pending/").content.decode()   # names no estate: only for the unlimited
    assert jin.get(f"/pending/quarantine/{ids[0]}/file/").status_code == 404
    assert jin.post(f"/pending/quarantine/{ids[0]}/dismiss/", {"reason": "不要了"}).status_code == 404


def test_posts_need_the_csrf_token(web: dict[str, Any]) -> None:
    from django.contrib.auth.models import User

    person(web["home"], "dang", "档案员")
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username="dang"))
    assert client.post("/upload/", {"files": [_json("x.json", complaint("TS-C"))]}).status_code == 403
    assert client.post("/pending/quarantine/Q1/restore/").status_code == 403


def test_rosters_are_imported_by_the_administrator_only(web: dict[str, Any]) -> None:
    roster = "项目,楼栋,单元,房号,建筑面积,业主姓名\n翠湖苑,A座,,301,88,业主甲\n".encode("utf-8-sig")
    archivist = person(web["home"], "dang", "档案员")
    refused = archivist.post("/upload/", {"files": [SimpleUploadedFile("房屋清单.csv", roster)]}).content.decode()
    assert "已忽略" in refused and "只能由管理员上传" in refused
    admin = person(web["home"], "guan", "管理员")
    taken = admin.post("/upload/", {"files": [SimpleUploadedFile("房屋清单.csv", roster)]}).content.decode()
    assert "已导入" in taken
    assert admin.get("/households/翠湖苑/A-301/").status_code == 200


def test_review_fills_the_fields_of_an_assigned_scan(web: dict[str, Any], tmp_path: Path) -> None:
    client = person(web["home"], "dang", "档案员")
    page = typed_page(["维修工作单", "报修人：孙丽", "报修时间：2026-11-07 10:00", "报修内容：阳台推拉门变形关不严"])
    scan = tmp_path / "拍照.jpg"
    page.convert("RGB").save(scan, quality=85, dpi=(200, 200))
    client.post("/upload/", {"files": [SimpleUploadedFile("拍照.jpg", scan.read_bytes())]})
    scans.QUEUE_READER.join()
    sid = re.search(r'id="(S[^"]+)"', client.get("/pending/").content.decode()).group(1)  # type: ignore[union-attr]
    done = client.post(f"/pending/scans/{sid}/assign/", {f"{sid}-address": "金第花园/2-2-1201",
                                                         f"{sid}-form": "维修工作单"})
    rid = done["Location"].split("/")[2]
    listing = client.get("/pending/").content.decode()
    assert f"/pending/review/{rid}/" in listing
    form = client.get(f"/pending/review/{rid}/").content.decode()
    assert 'name="field-联系电话"' in form and '<select name="field-维修类别">' in form and f"/records/{rid}/original/" in form
    bad = client.post(f"/pending/review/{rid}/", {"field-联系电话": "不是电话"})
    assert bad.status_code == 400 and '<li class="error">' in bad.content.decode()
    assert client.post(f"/pending/review/{rid}/", {}).status_code == 400
    other = person(web["home"], "cui", "档案员", estates=("翠湖苑",))
    assert other.get(f"/pending/review/{rid}/").status_code == 404
    assert f"/pending/review/{rid}/" not in other.get("/pending/").content.decode()
    assert person(web["home"], "kefu", "客服").get(f"/pending/review/{rid}/").status_code == 403
    saved = client.post(f"/pending/review/{rid}/", {"field-联系电话": "13912345678"}, follow=True).content.decode()
    assert "已保存为第 2 版" in saved


def test_an_unsorted_scan_naming_no_estate_is_for_the_unlimited_only(web: dict[str, Any], tmp_path: Path) -> None:
    client = person(web["home"], "dang", "档案员")
    page = typed_page(["维修工作单", "报修人：孙丽", "报修内容：门锁坏了"])
    scan = tmp_path / "拍照.jpg"
    page.convert("RGB").save(scan, quality=85, dpi=(200, 200))
    client.post("/upload/", {"files": [SimpleUploadedFile("拍照.jpg", scan.read_bytes())]})
    scans.QUEUE_READER.join()
    sid = re.search(r'id="(S[^"]+)"', client.get("/pending/").content.decode()).group(1)  # type: ignore[union-attr]
    jin = person(web["home"], "jin", "档案员", estates=("金第花园",))
    assert f'id="{sid}"' not in jin.get("/pending/").content.decode()
    assert jin.get(f"/pending/scans/{sid}/thumb/").status_code == 404
    assert jin.post(f"/pending/scans/{sid}/assign/", {f"{sid}-address": "金第花园/2-2-1201"}).status_code == 404
    named = tmp_path / "金第花园 拍照.jpg"
    typed_page(["金第花园 维修工作单", "报修人：钱多", "报修内容：水管"]).convert("RGB").save(named, dpi=(200, 200))
    client.post("/upload/", {"files": [SimpleUploadedFile(named.name, named.read_bytes())]})
    scans.QUEUE_READER.join()
    assert jin.get("/pending/").content.decode().count('class="item scan"') == 1


def test_the_review_page_shows_each_doubtful_fields_crop_beside_it(web: dict[str, Any], tmp_path: Path) -> None:
    """Our own blank form, printed for a household, filled with a scribble in 被投诉部门 and scanned: the field
    is 待核对 and the review page shows its box cut from the scan (a PNG, audited) — to archivists of the estate."""
    home = web["home"]
    with session_of(home) as s:
        pdf = Path(str(catalogue.blank(s, "投诉处理单", "金第花园/3-2-1201").printed.pdf))
    typed = {"投诉人*": "周燕", "投诉时间*": "2026-11-03 09:30", "接报人*": "李客服",
             "投诉内容*": "楼上卫生间渗漏水，天花板发霉"}
    scan = tmp_path / "扫描-投诉.png"
    fill_page(pdf, typed, scribble="被投诉部门", dpi=200).save(scan, dpi=(200, 200))
    archivist = person(home, "dang", "档案员")
    archivist.post("/upload/", {"files": [SimpleUploadedFile(scan.name, scan.read_bytes())]})
    scans.QUEUE_READER.join()
    with session_of(home) as s:
        [item] = scans.review(s).records
    rid = item["record_id"]
    assert "被投诉部门" in item["fields"]
    page = archivist.get(f"/pending/review/{rid}/").content.decode()
    crops = dict((urllib.parse.unquote(u).rsplit("/", 2)[1], u)
                 for u in re.findall(r'<img class="crop" src="([^"]+)"', page))
    assert set(crops) == set(item["fields"]) and "被投诉部门" in crops      # one picture per doubtful field
    url = crops["被投诉部门"]
    shown = archivist.get(url)
    assert shown.status_code == 200 and shown["Content-Type"] == "image/png"
    assert b"".join(shown.streaming_content).startswith(b"\x89PNG\r\n")
    looks = [a for a in audit_lines(home) if a["action"] == "view_crop"]
    assert [(a["user"], a["record_id"], a["field"]) for a in looks] == [("dang", rid, "被投诉部门")]
    assert person(home, "kefu", "客服").get(url).status_code == 403
    assert person(home, "cui", "档案员", estates=("翠湖苑",)).get(url).status_code == 404
    assert archivist.get(url.rsplit("/", 2)[0] + "/%E6%97%A0/").status_code == 404        # a field with no crop


def test_an_office_original_shows_in_the_page_with_a_first_page_picture_as_fallback(
        web: dict[str, Any], tmp_path: Path) -> None:
    """The record page embeds the original as a PDF <object>; a browser without a PDF viewer (a phone) shows the
    first page as a picture instead, rendered from the same PDF — for 档案员 and 主管, audited."""
    from PIL import Image

    home = web["home"]
    archivist = person(home, "dang", "档案员")
    filed = archivist.post("/upload/", {"files": [_docx(tmp_path, "投诉P.docx", "TS-P1", 投诉内容="预览测试")]})
    rid = re.search(r'href="/records/([^/"]+)/"', filed.content.decode()).group(1)  # type: ignore[union-attr]
    page = archivist.get(f"/records/{rid}/").content.decode()
    embedded = re.search(r'<object class="original" data="([^"]+)" type="application/pdf"[^>]*>(.*?)</object>',
                         page, re.S)
    assert embedded and embedded.group(1) == f"/records/{rid}/original/1/?view=1"
    preview = re.search(r'<img class="original preview" src="([^"]+)"', embedded.group(2))
    assert preview and "下载原件" in page
    shown = archivist.get(preview.group(1))
    assert shown.status_code == 200 and shown["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(b"".join(shown.streaming_content))) as picture:
        assert picture.width == 1000 and picture.height > picture.width           # an A4 page, upright
        assert picture.convert("L").getextrema()[0] < 100                          # with ink on it
    looks = [a for a in audit_lines(home) if a["action"] == "view_original" and a.get("preview")]
    assert [(a["user"], a["record_id"]) for a in looks] == [("dang", rid)]
    assert person(home, "kefu", "客服").get(preview.group(1)).status_code == 403
    json_rid = web["records"]["c1"]                                                # a JSON original: no picture
    assert archivist.get(f"/records/{json_rid}/original/1/preview.png").status_code == 404


def _letter(path: Path, title: str = "租赁合同") -> Path:
    """A DOCX that is no form: only the folder it is in says where it belongs."""
    doc = docx.Document()
    doc.add_paragraph(title)
    doc.add_paragraph("甲方：金第物业；乙方：王建国。租期自2026年1月1日起一年。")
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


def _dropped(paths: list[Path], top: Path) -> dict[str, Any]:
    """What the page's script sends for files chosen as a folder: each file, and its path inside the folder."""
    return {"files": [SimpleUploadedFile(p.name, p.read_bytes()) for p in paths],
            "paths": [p.relative_to(top).as_posix() for p in paths], "js": "1"}


def test_a_dropped_folder_keeps_its_sub_folders_as_hudang_ingest_does(web: dict[str, Any], tmp_path: Path) -> None:
    drop = tmp_path / "批次"
    files = [_letter(drop / "文件" / "金第花园" / "3-2-1201" / "合同" / "租赁合同.docx"),
             _letter(drop / "文件" / "没有房号.docx", "另一封来函"),
             json_form(drop / "一组" / "投诉.json", "投诉处理单", complaint("TS-F1", 投诉内容="楼道灯不亮")),
             json_form(drop / "二组" / "投诉.json", "投诉处理单", complaint("TS-F2", 投诉内容="电梯异响"))]
    twin = tmp_path / "twin"
    shutil.copytree(web["home"], twin)
    client = person(web["home"], "dang", "档案员")
    page = client.get("/upload/").content.decode()
    assert 'data-batch-files="50"' in page
    r = client.post("/upload/", _dropped(files, tmp_path))
    assert r.status_code == 200
    rows = [row for row in r.content.decode().split("<tr")[1:]]
    assert len(rows) == 4
    contract, lost, first, second = rows
    # 文件/项目/房号/类别/: a 文件 of that household, titled by its name, as `hudang ingest 批次` files it
    assert "已归档" in contract and "批次/文件/金第花园/3-2-1201/合同/租赁合同.docx" in contract
    assert "金第花园/3-2-1201" in contract
    rid = re.search(r'href="/records/([^/"]+)/"', contract).group(1)  # type: ignore[union-attr]
    shown = client.get(f"/records/{rid}/").content.decode()
    assert "租赁合同" in shown and "合同" in shown
    assert "已隔离" in lost and "文件/项目/房号/" in lost
    # two files of one name in two folders: both taken, each its own record
    assert "已归档" in first and "已归档" in second and "批次/一组/投诉.json" in first
    assert "批次/二组/投诉.json" in second
    with session_of(twin) as s:
        cli = ingest_app.ingest(s, [drop]).outcomes
    by_name = {Path(o.source).relative_to(tmp_path).as_posix(): (o.status, o.household, o.form) for o in cli}
    assert by_name["批次/文件/金第花园/3-2-1201/合同/租赁合同.docx"] == ("filed", "金第花园/3-2-1201", "document")
    assert by_name["批次/文件/没有房号.docx"][0] == "quarantined"


def test_a_forged_folder_path_is_refused_and_nothing_is_written_outside(web: dict[str, Any],
                                                                          tmp_path: Path) -> None:
    client = person(web["home"], "dang", "档案员")
    good = json_form(tmp_path / "好.json", "投诉处理单", complaint("TS-G1", 投诉内容="门禁失灵"))
    forged = ["../../../投诉.json", "/etc/投诉.json", "C:/Windows/投诉.json", "批次//投诉.json",
              "批次/../../投诉.json"]
    sent = {"files": [SimpleUploadedFile(good.name, good.read_bytes()) for _ in range(len(forged) + 1)],
            "paths": ["批次/好.json", *forged], "js": "1"}
    r = client.post("/upload/", sent)
    rows = r.content.decode().split("<tr")[1:]
    assert r.status_code == 200 and len(rows) == 6
    assert "已归档" in rows[0]
    for row, path in zip(rows[1:], forged, strict=True):
        assert "已忽略" in row and f"“{path}”不安全" in row and "未接收" in row and "/records/" not in row, row
    assert not list((web["home"].parent).glob("投诉.json")) and not list(web["home"].rglob("投诉.json"))
    # a request whose paths do not pair with its files is refused as a whole
    bad = client.post("/upload/", {"files": [SimpleUploadedFile("a.json", good.read_bytes())],
                                   "paths": ["批次/a.json", "批次/b.json"], "js": "1"})
    assert bad.status_code == 400 and "路径" in bad.content.decode()


PARKING = '''
id = "parking"
name = "车位申请表"
code = "CW"
room_field = "房号"
number_field = "编号"
date_field = "申请日期"

[[fields]]
name = "编号"
[[fields]]
name = "项目"
type = "estate"
required = true
[[fields]]
name = "房号"
type = "room"
required = true
[[fields]]
name = "申请日期"
type = "date"
required = true
'''


def test_a_form_added_between_two_uploads_is_read_by_the_second(web: dict[str, Any]) -> None:
    """The web keeps its readers (and what they were loaded from) between uploads: a form added as a TOML file
    in between is known to the next upload, with no restart."""
    client = person(web["home"], "dang", "档案员")
    fields = {"编号": "CW-1", "项目": "金第花园", "房号": "3-2-1201", "申请日期": "2026-11-02"}
    sent = json.dumps({"form": "车位申请表", "fields": fields}, ensure_ascii=False).encode()
    before = client.post("/upload/", {"files": [SimpleUploadedFile("车位.json", sent)], "js": "1"})
    assert "已隔离" in before.content.decode()
    (web["home"] / "forms").mkdir(exist_ok=True)
    (web["home"] / "forms" / "parking.toml").write_text(PARKING, encoding="utf-8")
    after = client.post("/upload/", {"files": [SimpleUploadedFile("车位2.json", sent)], "js": "1"})
    assert "已归档" in after.content.decode(), after.content.decode()


def _found(client: Any, word: str) -> str:
    page = client.post("/", {"q": word}).content.decode()
    total = re.search(r"共 <strong>(\d+)</strong> 条", page)
    assert total, page
    return total.group(1)


def test_a_folder_sent_as_batches_is_searchable_once_the_last_batch_answers(web: dict[str, Any],
                                                                               tmp_path: Path) -> None:
    """The page marks every batch but the last ``more=1``: those records wait in the index backlog (one index
    commit for the whole upload, as `hudang ingest` makes) and the last batch makes them searchable at once."""
    client = person(web["home"], "dang", "档案员")
    for n in (1, 2):
        r = client.post("/upload/", {"files": [_docx(tmp_path, f"批{n}.docx", f"TS-M{n}", 投诉内容=f"楼顶水箱溢流第{n}批")],
                                     "js": "1", "more": "1"})
        assert r.status_code == 200 and "已归档" in r.content.decode()
    assert _found(client, "水箱溢流") == "0"                          # filed, waiting for the upload's last batch
    with session_of(web["home"]) as s:
        from hudang.pipeline.app import maintenance
        assert maintenance.status(s).backlog.get("index") == 2
    last = client.post("/upload/", {"files": [_docx(tmp_path, "批3.docx", "TS-M3", 投诉内容="楼顶水箱溢流第3批")],
                                    "js": "1"})
    assert last.status_code == 200 and "已归档" in last.content.decode()
    assert _found(client, "水箱溢流") == "3"                          # every batch's record, right after the last
    with session_of(web["home"]) as s:
        assert not maintenance.status(s).backlog.get("index")


def test_an_upload_stopped_half_way_is_indexed_by_itself_soon_after(web: dict[str, Any], tmp_path: Path) -> None:
    """A page closed after a ``more=1`` batch: the web indexes what waits once no upload has come for a while
    (`IndexLater`, run here at once instead of after its delay)."""
    client = person(web["home"], "dang", "档案员")
    r = client.post("/upload/", {"files": [_docx(tmp_path, "半途.docx", "TS-H1", 投诉内容="地库排水沟堵塞")],
                                 "js": "1", "more": "1"})
    assert r.status_code == 200 and _found(client, "排水沟堵塞") == "0"
    waiting = ingest_app.IndexLater(delay=3600)
    with session_of(web["home"]) as s:
        waiting._due(s.home)                                           # not yet: the upload may still be going
    waiting.cancel()
    assert _found(client, "排水沟堵塞") == "0"
    with session_of(web["home"]) as s:
        ingest_app.IndexLater(delay=0)._due(s.home)
    assert _found(client, "排水沟堵塞") == "1"


def test_scans_are_queued_at_once_and_their_outcome_shows_when_read(web: dict[str, Any], tmp_path: Path) -> None:
    """A request carrying scans answers without reading them (OCR takes seconds a page; gunicorn would kill a long
    request half way): each scan's row says 排队识别, and once the queue reader beside the server has read it the
    page's script gets its outcome rows — filed and linked to the record, or waiting in 待分拣 — while a form
    sent in the same request is filed at once."""
    home = web["home"]
    with session_of(home) as s:
        pdf = Path(str(catalogue.blank(s, "投诉处理单", "金第花园/3-2-1201").printed.pdf))
    coded = tmp_path / "扫描-投诉.png"       # our blank form for 3-2-1201: its code routes it
    fill_page(pdf, {"投诉人*": "周燕", "投诉时间*": "2026-11-03 09:30", "接报人*": "李客服",
                    "投诉内容*": "楼上卫生间渗漏水，天花板发霉"}, dpi=200).save(coded, dpi=(200, 200))
    loose = tmp_path / "拍照.jpg"             # no code, no estate: 待分拣
    typed_page(["维修工作单", "报修人：孙丽", "报修内容：门锁坏了"]).convert("RGB").save(loose, quality=85,
                                                                            dpi=(200, 200))
    client = person(home, "dang", "档案员")
    scans.QUEUE_READER.join()
    answer = client.post("/upload/", {"files": [SimpleUploadedFile(coded.name, coded.read_bytes()),
                                                SimpleUploadedFile(loose.name, loose.read_bytes()),
                                                _docx(tmp_path, "同批.docx", "TS-Q1")], "js": "1"})
    rows = answer.content.decode()
    queued = re.findall(r'data-scan="(S[^"]+)"', rows)
    assert answer.status_code == 200 and rows.count("排队识别") >= 2 and len(queued) == 2, rows
    assert "已归档" in rows and "同批.docx" in rows                       # the form did not wait for the scans
    scans.QUEUE_READER.join()
    done = client.get("/upload/scans/", {"scan": queued}).content.decode()
    filed = re.search(rf'data-was="{queued[0]}".*?href="/records/([^/"]+)/"', done, re.S)
    assert filed and "已归档" in done and "金第花园/3-2-1201" in done, done
    assert client.get(f"/records/{filed.group(1)}/").status_code == 200
    assert f'data-was="{queued[1]}"' in done and "待分拣" in done and f"/pending/#{queued[1]}" in done
    assert "排队识别" not in done
    assert person(home, "kefu", "客服").get("/upload/scans/", {"scan": queued}).status_code == 403
