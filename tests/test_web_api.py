"""The API /api/v1/ (issue 13): token auth, JSON exactly as the CLI's --json, roles and estate limits.

Requests go through Django's test client (pytest-django; users in its test database) against the crafted
archive of report_data (two estates, complaints, repairs, a ledger); each route's answer is compared with
the `hudang … --json` of the same home.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import report_data as rd
from django.test import Client

from hudang.pipeline.app import users
from hudang.pipeline.app.session import Session
from hudang.settings import load_home

from builders import complaint, docx_form, json_form
from conftest import Hudang

PASSWORD = "纸质档案-2026"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Hudang:
    return rd.built_home(tmp_path_factory.mktemp("api"))


@pytest.fixture
def api(built: Hudang, settings: Any, db: None) -> Hudang:
    settings.HUDANG_HOME = built.home
    return built


def token_for(home: Path, name: str, *roles: str, estates: tuple[str, ...] = ()) -> dict[str, str]:
    """A user with these roles and limits, and the Authorization header of their new API token."""
    with Session(load_home(home), "admin") as s:
        users.add(s, name, list(roles), list(estates), PASSWORD)
        made = users.token(s, name)
    return {"HTTP_AUTHORIZATION": f"Token {made.token}"}


def get(url: str, auth: dict[str, str], **data: str) -> tuple[int, Any]:
    r = Client(enforce_csrf_checks=True).get(url, data, **auth)
    assert r["Content-Type"] == "application/json", (url, r.status_code, r.content[:200])
    return r.status_code, json.loads(r.content)


def record_of(built: Hudang, number: str) -> str:
    return str(built.json("search", f"编号:{number}")["hits"][0]["record_id"])


# ---------------------------------------------------------------- same JSON as the CLI

def test_search_household_record_equal_the_cli_json(api: Hudang) -> None:
    auth = token_for(api.home, "zhu", "主管")
    status, data = get("/api/v1/search", auth, q="漏水", form="complaint", estate="金第花园", limit="5")
    assert status == 200
    assert data == api.json("search", "漏水", "--form", "complaint", "--estate", "金第花园", "--limit", "5")
    assert data["total"] > 0
    status, data = get("/api/v1/search", auth, household="金第花园/3-2-1201", **{"from": "2026-10-01", "to": "2026-10-31"})
    assert status == 200 and data["hits"]
    assert data == api.json("search", "--household", "金第花园/3-2-1201", "--from", "2026-10-01", "--to", "2026-10-31")
    status, data = get("/api/v1/households/金第花园/3-2-1201", auth)
    assert status == 200 and data == api.json("household", "show", "金第花园/3-2-1201")
    rid = record_of(api, "TS-04")
    status, data = get(f"/api/v1/records/{rid}", auth)
    assert status == 200 and data == api.json("record", "show", rid)


def test_search_by_post_keeps_the_words_out_of_the_url(api: Hudang) -> None:
    auth = token_for(api.home, "kefu", "客服")
    client = Client(enforce_csrf_checks=True)   # no CSRF token: a token request needs none
    as_form = client.post("/api/v1/search", {"q": "编号:TS-04"}, **auth)
    as_json = client.post("/api/v1/search", json.dumps({"q": "编号:TS-04", "limit": 3}),
                          content_type="application/json", **auth)
    assert as_form.status_code == as_json.status_code == 200
    assert json.loads(as_form.content) == api.json("search", "编号:TS-04")
    assert json.loads(as_json.content) == api.json("search", "编号:TS-04", "--limit", "3")
    assert json.loads(as_form.content)["total"] == 1


def test_due_and_arrears_equal_the_cli_json(api: Hudang) -> None:
    auth = token_for(api.home, "cw", "主管")
    status, data = get("/api/v1/due", auth, as_of="2026-11-01")
    assert status == 200 and data == api.json("due", "--as-of", "2026-11-01")
    assert data["complaints"] and data["repairs"]
    status, data = get("/api/v1/fees/arrears", auth, as_of="2026-10-31")
    assert status == 200 and data == api.json("fees", "arrears", "--as-of", "2026-10-31")
    assert data["households"][0]["household"] == "金第花园/3-2-1203"
    status, data = get("/api/v1/due", auth, as_of="2026-11-01", estate="银河湾")
    assert status == 200 and data == api.json("due", "--as-of", "2026-11-01", "--estate", "银河湾")
    assert data["estate"] == "银河湾" and data["complaints"] == []


def test_ingest_by_multipart_gives_the_cli_outcomes(api: Hudang, tmp_path: Path, settings: Any) -> None:
    home = tmp_path / "home"
    shutil.copytree(api.home, home)
    settings.HUDANG_HOME = home
    twin = Hudang(tmp_path / "twin", {**api.env, "HUDANG_HOME": str(tmp_path / "twin")})
    shutil.copytree(api.home, twin.home)
    auth = token_for(home, "dang", "档案员")
    a = json_form(tmp_path / "in" / "a.json", "投诉处理单", complaint("TS-A1", 投诉内容="阳台推拉门卡住"))
    b = docx_form(tmp_path / "in" / "b.docx", "投诉处理单", complaint("TS-A2", 投诉内容="车库积水"))
    with a.open("rb") as fa, b.open("rb") as fb:
        r = Client(enforce_csrf_checks=True).post("/api/v1/ingest", {"files": [fa, fb]}, **auth)
    assert r.status_code == 200, r.content
    got = json.loads(r.content)["outcomes"]
    cli = twin.ingest(a, b)
    assert [o["status"] for o in got] == ["filed", "filed"]
    # The same outcomes, but for where the file was: the CLI names its path, the API the name sent.
    drop = ("source", "record_id", "archive_no", "received_at")
    assert [{k: v for k, v in o.items() if k not in drop} for o in got] == \
           [{k: v for k, v in o.items() if k not in drop} for o in cli]
    assert [o["source"] for o in got] == ["a.json", "b.docx"]
    status, data = get(f"/api/v1/records/{got[0]['record_id']}", auth)
    assert status == 200 and data["fields"]["编号"] == "TS-A1"
    again = Client().post("/api/v1/ingest", {"files": [a.open("rb")]}, **auth)
    assert json.loads(again.content)["outcomes"][0]["status"] == "duplicate"


def _scan_home(api: Hudang, tmp_path: Path, settings: Any) -> tuple[Path, dict[str, str], Path]:
    """A copy of the API's home served by the test's views, a 档案员's token, and a phone photo of a repair slip
    that names no household."""
    from scanning import typed_page

    home = tmp_path / "home"
    shutil.copytree(api.home, home)
    settings.HUDANG_HOME = home
    auth = token_for(home, "dang", "档案员")
    photo = tmp_path / "拍照.jpg"
    typed_page(["维修工作单", "报修人：孙丽", "报修内容：门锁坏了"]).convert("RGB").save(photo, quality=85,
                                                                            dpi=(200, 200))
    return home, auth, photo


def test_an_ingested_scan_is_queued_and_its_outcome_asked_for(api: Hudang, tmp_path: Path, settings: Any) -> None:
    """`POST ingest` answers a scan at once (ocr_pending, 排队识别) and `GET scans/<id>` tells what became of it."""
    from django.contrib.auth.models import User

    from hudang.pipeline.app import scans

    home, auth, photo = _scan_home(api, tmp_path, settings)
    scans.QUEUE_READER.join()
    with photo.open("rb") as f:
        r = Client().post("/api/v1/ingest", {"files": [f]}, **auth)
    [out] = json.loads(r.content)["outcomes"]
    assert r.status_code == 200 and out["status"] == "unsorted" and out["state"] == "ocr_pending", out
    assert "排队识别" in out["warnings"][0]["message"]
    scans.QUEUE_READER.join()
    status, data = get(f"/api/v1/scans/{out['scan_id']}", auth)
    # read, and no household claims it: it waits in 待分拣 under its own id, with what was read of it
    assert status == 200 and (data["state"], data["scan_id"]) == ("unsorted", out["scan_id"]), data
    [listed] = scans.unsorted(Session(load_home(home), "dang")).scans
    assert listed["scan_id"] == out["scan_id"] and any("门锁坏了" in line for line in listed["text"]), listed
    waiting = Client()
    waiting.force_login(User.objects.get(username="dang"))
    assert f'id="{out["scan_id"]}"' in waiting.get("/pending/").content.decode()    # on 待处理 too
    assert get("/api/v1/scans/S20260101-deadbeef", auth)[1]["state"] == "unknown"


def test_a_queued_scan_that_cannot_be_read_is_quarantined_and_the_queue_read_on(api: Hudang, tmp_path: Path,
                                                                                 settings: Any) -> None:
    """A PDF drawing a 20000 × 20000 image, queued by an upload beside a phone photo: the photo is read and
    waits in 待分拣, the PDF is quarantined with its reason (it stopped the whole queue: `unsorted ocr` exited 1
    on it and every scan behind it waited for ever)."""
    from test_limits import _pdf_with_image

    from hudang.pipeline.app import quarantine, scans

    home, auth, photo = _scan_home(api, tmp_path, settings)
    bomb = _pdf_with_image(tmp_path / "像素炸弹.pdf", 20000)
    scans.QUEUE_READER.join()
    with bomb.open("rb") as b, photo.open("rb") as p:
        r = Client().post("/api/v1/ingest", {"files": [b, p]}, **auth)
    outcomes = {Path(o["source"]).name: o for o in json.loads(r.content)["outcomes"]}
    assert {o["state"] for o in outcomes.values()} == {"ocr_pending"}, outcomes
    scans.QUEUE_READER.join()
    status, read = get(f"/api/v1/scans/{outcomes['像素炸弹.pdf']['scan_id']}", auth)
    [doc] = read["documents"]
    assert (doc["status"], read["state"]) == ("quarantined", "read") and "20000×20000 像素" in doc["message"], read
    with Session(load_home(home), "dang") as s:
        [entry] = [e for e in quarantine.entries(s).entries if e["id"] == doc["quarantine_id"]]
        assert entry["problems"][0]["code"] == "page_too_large" and entry["file"] == "像素炸弹.pdf", entry
        assert [w["scan_id"] for w in scans.unsorted(s).scans] == [outcomes["拍照.jpg"]["scan_id"]]


# ---------------------------------------------------------------- refusals

def test_no_or_bad_token_is_401_and_a_session_login_is_not_enough(api: Hudang) -> None:
    from django.contrib.auth.models import User

    for url in ("/api/v1/search?q=漏水", "/api/v1/due", "/api/v1/households/金第花园/3-2-1201"):
        status, data = get(url, {})
        assert status == 401 and data["error"]["code"] == "no_token" and "令牌" in data["error"]["message"]
        status, data = get(url, {"HTTP_AUTHORIZATION": "Token not-a-token"})
        assert status == 401 and data["error"]["code"] == "bad_token"
    token_for(api.home, "web", "主管")
    browser = Client()
    browser.force_login(User.objects.get(username="web"))
    assert browser.get("/api/v1/due").status_code == 401
    r = browser.post("/api/v1/ingest", {})
    assert r.status_code == 401   # not a CSRF page: the API never looks at the session


def test_disabled_user_token_stops_working(api: Hudang) -> None:
    auth = token_for(api.home, "gone", "主管")
    assert get("/api/v1/due", auth)[0] == 200
    with Session(load_home(api.home), "admin") as s:
        users.disable(s, "gone")
    assert get("/api/v1/due", auth)[0] == 401


def test_roles_are_the_pages_roles(api: Hudang, tmp_path: Path) -> None:
    kefu = token_for(api.home, "kf", "客服")
    fees_clerk = token_for(api.home, "sf", "收费员")
    admin = token_for(api.home, "gl", "管理员")
    assert get("/api/v1/fees/arrears", kefu)[0] == 403
    archivist = token_for(api.home, "da", "档案员")
    status, data = get("/api/v1/due", archivist)   # 今日待办 is for 客服, 收费员 (fee lines), 主管
    assert status == 403 and data["error"] == {"code": "forbidden", "message": "您的角色没有这项权限"}
    assert get("/api/v1/fees/arrears", fees_clerk)[0] == 200
    assert get("/api/v1/due", kefu)[0] == 200
    f = json_form(tmp_path / "x.json", "投诉处理单", complaint("TS-X"))
    for who in (kefu, fees_clerk):
        r = Client().post("/api/v1/ingest", {"files": [f.open("rb")]}, **who)
        assert r.status_code == 403 and json.loads(r.content)["error"]["code"] == "forbidden"
    # 管理员 uploads rosters and ledgers (and forms): the roles table's `upload`
    r = Client().post("/api/v1/ingest", {"files": [f.open("rb")]}, **admin)
    assert r.status_code == 200 and len(json.loads(r.content)["outcomes"]) == 1
    assert get("/api/v1/search", admin, q="漏水")[0] == 200   # every role reads


def test_not_found_bad_input_and_wrong_method(api: Hudang) -> None:
    auth = token_for(api.home, "a1", "主管")
    status, data = get("/api/v1/records/R-NOPE", auth)
    assert status == 404 and data["error"]["message"]
    assert get("/api/v1/households/金第花园/9-9-9999", auth)[0] in (400, 404)
    assert get("/api/v1/nothing-here", auth)[0] == 404
    status, data = get("/api/v1/due", auth, as_of="2026-02-30")
    assert status == 400 and data["error"]["code"] == "bad_date"
    # the CLI's words for the same date, with the argument's name (one rule: hudang.clock.parse_day)
    cli = api("due", "--as-of", "2026-02-30", "--json", check=False).json["error"]["message"]
    assert data["error"]["message"] == cli.replace("--as-of", "参数 as_of") and "2026年2月30日" in cli
    status, data = get("/api/v1/search", auth, q="漏水", limit="0")
    assert status == 400 and data["error"]["code"] == "bad_limit"
    status, data = get("/api/v1/search", auth, q="漏水", estate="不存在的小区")
    assert status == 400 and data["error"]["code"] == "unknown_estate"
    status, data = get("/api/v1/ingest", auth)
    assert status == 405
    r = Client().post("/api/v1/ingest", {}, **auth)
    assert r.status_code == 400 and json.loads(r.content)["error"]["code"] == "no_files"


# ---------------------------------------------------------------- estate limits

def test_a_user_limited_to_one_estate_sees_nothing_of_another(api: Hudang) -> None:
    yin = token_for(api.home, "yh", "主管", estates=("银河湾",))
    jin_record = record_of(api, "TS-04")
    status, data = get(f"/api/v1/records/{jin_record}", yin)
    assert status == 404 and jin_record not in json.dumps(data)
    assert get("/api/v1/households/金第花园/3-2-1201", yin)[0] == 404
    assert get("/api/v1/search", yin, q="漏水", estate="金第花园")[0] == 404
    assert get("/api/v1/search", yin, household="金第花园/3-2-1201")[0] == 404
    status, data = get("/api/v1/search", yin, q="投诉")
    assert status == 200 and data["total"] >= 1
    assert {h["household"].split("/")[0] for h in data["hits"]} == {"银河湾"}
    # Lists without an estate cover the user's own: the CLI's --estate answer.
    status, data = get("/api/v1/due", yin, as_of="2026-11-01")
    assert status == 200 and data == api.json("due", "--as-of", "2026-11-01", "--estate", "银河湾")
    status, data = get("/api/v1/fees/arrears", yin, as_of="2026-10-31")
    assert status == 200 and data == api.json("fees", "arrears", "--as-of", "2026-10-31", "--estate", "银河湾")
    assert data["households"] == []
    assert get("/api/v1/due", yin, estate="金第")[0] == 404   # an alias of the other estate, too


def test_users_and_tokens_go_to_the_home_given_by_the_home_option(tmp_path: Path) -> None:
    """`hudang --home X users …` (as the README's API example runs it) keeps users in X/web.sqlite3, not in
    the default home's."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("HUDANG_")} | {"HOME": str(tmp_path)}
    home = tmp_path / "office"

    def run(*args: str, stdin: str = "") -> str:
        done = subprocess.run([sys.executable, "-m", "hudang.pipeline", "--home", str(home), *args], input=stdin,
                              capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    run("init")
    run("users", "add", "zhu", "--role", "主管", "--password-stdin", stdin=PASSWORD + "\n")
    assert json.loads(run("users", "token", "zhu", "--json"))["token"]
    assert (home / "web.sqlite3").is_file() and not (tmp_path / "hudang" / "web.sqlite3").exists()
    assert [u["name"] for u in json.loads(run("users", "list", "--json"))["users"]] == ["zhu"]
