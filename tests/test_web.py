"""The web interface (issue 13): logins, roles, estate limits, security headers, search/household/record pages.

Views run in-process through Django's test client (pytest-django; users in its test database) against a
fresh data home per test; one test starts the real `hudang serve` (gunicorn) and logs in over HTTP.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from hudang.pipeline.app import users
from hudang.pipeline.app.roles import ROLES
from hudang.pipeline.app.session import Session
from hudang.settings import load_home

from builders import complaint, json_form, registration, roster_lines
from conftest import clean_env, new_home

PASSWORD = "纸质档案-2026"
PHONE = "13955556666"


@pytest.fixture(scope="module")
def filed_home(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A home with a roster for 金第花园, a second estate 翠湖苑, and records in each (made once per module)."""
    tmp_path = tmp_path_factory.mktemp("web")
    hudang = new_home(tmp_path / "home")
    rows = roster_lines()
    (tmp_path / "房屋清单.csv").write_text("\n".join(rows) + "\n", encoding="utf-8-sig")
    hudang.ingest(tmp_path / "房屋清单.csv")
    hudang("estates", "add", "翠湖苑")
    folder = tmp_path / "in"
    json_form(folder / "c1.json", "投诉处理单", complaint("TS-1", 投诉内容="卫生间渗漏水，<script>alert(1)</script>楼下发霉",
                                                       投诉人="欧阳建国", 联系电话=PHONE))
    json_form(folder / "r1.json", "住户登记表", registration("3-2-1201", "王建国"))
    json_form(folder / "c2.json", "投诉处理单", complaint("TS-2", 项目="翠湖苑", 投诉人房号="A-203",
                                                       投诉内容="翠湖苑电梯渗漏水", 投诉人="李翠湖"))
    for n in range(3, 26):   # enough hits for two pages of 渗漏水
        json_form(folder / f"c{n}.json", "投诉处理单",
                  complaint(f"TS-{n}", 投诉内容=f"第{n}号 渗漏水", 投诉时间=f"2026-10-{n:02d} 09:00"))
    out = {Path(o["source"]).stem: o for o in hudang.ingest(folder)}
    assert all(o["status"] == "filed" for o in out.values()), out
    return {"home": hudang.home, "records": {k: v["record_id"] for k, v in out.items()}}


@pytest.fixture
def web(filed_home: dict[str, Any], tmp_path: Path, settings: Any, db: None) -> dict[str, Any]:
    """A fresh copy of that home for this test, served by the web; users in pytest-django's test database."""
    home = tmp_path / "home"
    shutil.copytree(filed_home["home"], home)
    settings.HUDANG_HOME = home
    return {"home": home, "records": filed_home["records"]}


def session_of(home: Path, user: str = "admin") -> Session:
    return Session(load_home(home), user)


def person(home: Path, name: str, *roles: str, estates: tuple[str, ...] = ()) -> Client:
    """A user with these roles (and estate limits), logged in on a client of their own."""
    from django.contrib.auth.models import User

    with session_of(home) as s:
        users.add(s, name, list(roles), list(estates), PASSWORD)
    client = Client()
    client.force_login(User.objects.get(username=name))
    return client


def audit_lines(home: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (home / "audit.log").read_text(encoding="utf-8").splitlines() if line]


def links(html: str) -> list[str]:
    return re.findall(r'(?:href|src|action)="([^"]*)"', html)


# ---------------------------------------------------------------- logins

def test_every_page_but_login_needs_a_login(web: dict[str, Any]) -> None:
    client, rid = Client(), web["records"]["c1"]
    for url in ("/", "/households/", "/households/金第花园/3-2-1201/", f"/records/{rid}/",
                f"/records/{rid}/original/1/", "/upload/", "/status/"):
        r = client.get(url)
        assert r.status_code == 302 and r["Location"].startswith("/login/"), url
    assert client.post(f"/records/{rid}/reveal/", {"reason": "x"}).status_code in (302, 403)
    page = client.get("/login/")
    assert page.status_code == 200 and "登录户档" in page.content.decode()


def test_password_is_stored_as_argon2_and_logins_are_audited(web: dict[str, Any]) -> None:
    from django.contrib.auth.models import User

    home = web["home"]
    with session_of(home) as s:
        users.add(s, "zhang", ["档案员"], [], PASSWORD)
    assert User.objects.get(username="zhang").password.startswith("argon2$")
    client = Client()
    assert client.post("/login/", {"username": "zhang", "password": "wrong-password"}).status_code == 200
    r = client.post("/login/", {"username": "zhang", "password": PASSWORD})
    assert r.status_code == 302 and r["Location"] == "/"
    assert client.get("/").status_code == 200
    client.post("/logout/")
    assert client.get("/").status_code == 302
    acts = [(a["user"], a["action"]) for a in audit_lines(home)]
    assert ("zhang", "web_login_failed") in acts and ("zhang", "web_login") in acts and ("zhang", "web_logout") in acts


def test_lockout_after_repeated_failures_until_unlocked(web: dict[str, Any]) -> None:
    home = web["home"]
    with session_of(home) as s:
        users.add(s, "li", ["客服"], [], PASSWORD)
    client = Client()
    for _ in range(5):
        client.post("/login/", {"username": "li", "password": "not-the-password"})
    locked = client.post("/login/", {"username": "li", "password": PASSWORD})
    assert locked.status_code == 429 and "锁定" in locked.content.decode()
    with session_of(home) as s:
        assert next(u for u in users.list_users(s).users if u.name == "li").locked
        users.unlock(s, "li")
    assert client.post("/login/", {"username": "li", "password": PASSWORD}).status_code == 302


def test_disabled_user_cannot_log_in_and_token_is_kept_only_as_hash(web: dict[str, Any]) -> None:
    from hudang.pipeline.web.models import Profile

    home = web["home"]
    with session_of(home) as s:
        users.add(s, "wang", ["收费员"], ["金第花园"], PASSWORD)
        made = users.token(s, "wang")
        assert users.by_token(made.token) is not None and users.by_token("guess") is None
        assert Profile.objects.get(user__username="wang").token_hash == users.token_digest(made.token) != made.token
        users.disable(s, "wang")
        assert users.by_token(made.token) is None
    assert Client().post("/login/", {"username": "wang", "password": PASSWORD}).status_code == 200


def test_users_refuse_unknown_roles_estates_and_weak_passwords(web: dict[str, Any]) -> None:
    from hudang.errors import UsageError

    with session_of(web["home"]) as s:
        with pytest.raises(UsageError, match="未知的角色"):
            users.add(s, "a", ["保安"], [], PASSWORD)
        with pytest.raises(UsageError, match="未知的项目"):
            users.add(s, "a", ["客服"], ["不存在花园"], PASSWORD)
        with pytest.raises(UsageError, match="密码不符合要求.*太短"):
            users.add(s, "a", ["客服"], [], "short")


# ---------------------------------------------------------------- security

def test_csrf_is_enforced_on_posts(web: dict[str, Any]) -> None:
    from django.contrib.auth.models import User

    person(web["home"], "chen", "主管")
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username="chen"))
    forged = client.post("/", {"q": "渗漏水"})
    assert forged.status_code == 403 and "CSRF" in forged.content.decode()
    page = client.get("/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token is not None
    assert client.post("/", {"q": "渗漏水", "csrfmiddlewaretoken": token.group(1)}).status_code == 200


def test_security_headers_csp_and_cookies(web: dict[str, Any]) -> None:
    r = Client().get("/login/")
    csp = r["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "style-src 'self'" in csp
    assert r["X-Frame-Options"] == "DENY" and r["X-Content-Type-Options"] == "nosniff"
    html = r.content.decode()
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", html, flags=re.S)
    assert all(not body.strip() for body in scripts) and len(scripts) == html.count("<script src=\"/static/")
    assert "style=" not in html and "<style" not in html                   # no inline script or style
    with session_of(web["home"]) as s:
        users.add(s, "zhou", ["客服"], [], PASSWORD)
    plain = Client().post("/login/", {"username": "zhou", "password": PASSWORD})
    cookie = plain.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and not cookie["secure"]
    over_tls = Client().post("/login/", {"username": "zhou", "password": PASSWORD}, secure=True)
    assert over_tls.cookies["sessionid"]["secure"]


def test_config_web_table_sets_hosts_proxy_and_idle_time(web: dict[str, Any], settings: Any) -> None:
    """config.toml [web], as `hudang serve` builds the settings from it: only the host names listed are answered
    (a Chinese page says what to do), the proxy's TLS header makes cookies Secure, and a session unused for
    session_idle_minutes is logged out while one in use is renewed."""
    from django.contrib.sessions.models import Session as Stored
    from django.utils import timezone

    from hudang.pipeline.web import conf

    config = web["home"] / "config.toml"
    text = config.read_text(encoding="utf-8")
    for old, new in (('allowed_hosts = ["127.0.0.1", "localhost"]', 'allowed_hosts = ["dangan.office"]'),
                     ('proxy_header = ""', 'proxy_header = "X-Forwarded-Proto"'),
                     ("session_idle_minutes = 30", "session_idle_minutes = 5")):
        assert old in text
        text = text.replace(old, new)
    config.write_text(text, encoding="utf-8")
    built = conf.build(web["home"])
    for key in ("ALLOWED_HOSTS", "SECURE_PROXY_SSL_HEADER", "SESSION_COOKIE_AGE"):
        setattr(settings, key, built[key])
    with session_of(web["home"]) as s:
        users.add(s, "sun", ["客服"], [], PASSWORD)
    login = {"username": "sun", "password": PASSWORD}

    stranger = Client().post("/login/", login)                               # Host: testserver, not listed
    assert stranger.status_code == 400 and "allowed_hosts" in stranger.content.decode()
    proxied = Client(HTTP_HOST="dangan.office").post("/login/", login, HTTP_X_FORWARDED_PROTO="https")
    assert proxied.status_code == 302 and proxied.cookies["sessionid"]["secure"]
    client = Client(HTTP_HOST="dangan.office")
    plain = client.post("/login/", login)
    cookie = plain.cookies["sessionid"]
    assert plain.status_code == 302 and not cookie["secure"] and not cookie["max-age"]   # gone with the browser

    stored = Stored.objects.filter(session_key=cookie.value)
    left = stored.get().expire_date - timezone.now()
    assert timezone.timedelta(minutes=4) < left <= timezone.timedelta(minutes=5)
    stored.update(expire_date=timezone.now() + timezone.timedelta(seconds=10))
    assert client.get("/").status_code == 200                               # in use: renewed for 5 minutes
    assert stored.get().expire_date > timezone.now() + timezone.timedelta(minutes=4)
    stored.update(expire_date=timezone.now() - timezone.timedelta(seconds=1))   # 5 minutes without a request
    idle = client.get("/")
    assert idle.status_code == 302 and idle["Location"].startswith("/login/")


def test_users_password_sets_a_new_password_and_is_audited(web: dict[str, Any]) -> None:
    from conftest import Hudang

    hudang = Hudang(web["home"], clean_env(web["home"]))
    with session_of(web["home"]) as s:
        users.add(s, "qian", ["客服"], [], PASSWORD)
    new = "换一个新密码-2027"
    assert "已更新密码：qian" in hudang("users", "password", "qian", "--password-stdin", stdin=new + "\n").stdout
    assert Client().post("/login/", {"username": "qian", "password": PASSWORD}).status_code == 200   # refused
    assert Client().post("/login/", {"username": "qian", "password": new}).status_code == 302
    weak = hudang("users", "password", "qian", "--password-stdin", stdin="12345678\n", check=False)
    assert weak.code != 0 and "密码" in weak.stderr and "Traceback" not in weak.stderr
    assert Client().post("/login/", {"username": "qian", "password": new}).status_code == 302      # unchanged
    assert hudang("users", "password", "nobody", "--password-stdin", stdin=new + "\n", check=False).code == 1
    changes = [a for a in audit_lines(web["home"]) if a["action"] == "user_password"]
    assert [a["name"] for a in changes] == ["qian"]


def test_errors_are_chinese_pages_with_status_codes(web: dict[str, Any]) -> None:
    client = person(web["home"], "zhao", "主管")
    missing = client.get("/records/R9999999/")
    assert missing.status_code == 404 and "找不到" in missing.content.decode()
    unknown = client.get("/households/金第花园/99-9-9999/")
    assert unknown.status_code == 404 and "Traceback" not in unknown.content.decode()
    bad = client.post("/", {"q": "漏水 AND ("})
    assert bad.status_code == 400 and "检索式有误" in bad.content.decode()


# ---------------------------------------------------------------- roles

PAGES = ("/", "/households/", "/households/金第花园/3-2-1201/", "record")


@pytest.mark.parametrize("role", list(ROLES))
def test_every_role_reads_pages_and_is_refused_what_it_may_not_do(web: dict[str, Any], role: str) -> None:
    client, rid = person(web["home"], "u1", role), web["records"]["r1"]
    for url in PAGES:
        url = f"/records/{rid}/" if url == "record" else url
        assert client.get(url).status_code == 200, (role, url)
    reveal = client.post(f"/records/{rid}/reveal/", {"reason": "核实身份"})
    assert reveal.status_code == (200 if role == "主管" else 403)
    original = client.get(f"/records/{rid}/original/1/")
    assert original.status_code == (200 if role in ("档案员", "主管") else 403)
    nav = {"上传": "/upload/", "今日待办": "/due/", "催缴": "/dunning/", "月报": "/reports/", "状态": "/status/"}
    allowed = {"档案员": {"上传"}, "客服": {"今日待办"}, "收费员": {"催缴", "今日待办"},
               "主管": {"上传", "今日待办", "催缴", "月报"}, "管理员": {"上传", "状态"}}[role]
    page = client.get("/").content.decode()
    for label, url in nav.items():
        assert client.get(url).status_code == (200 if label in allowed else 403), (role, url)
        assert (f'href="{url}"' in page) == (label in allowed), (role, label)


def test_a_second_role_adds_its_capabilities(web: dict[str, Any]) -> None:
    client, rid = person(web["home"], "u2", "客服", "档案员"), web["records"]["r1"]
    assert client.get(f"/records/{rid}/original/1/").status_code == 200
    assert client.get("/due/").status_code == 200
    assert client.post(f"/records/{rid}/reveal/", {"reason": "核实"}).status_code == 403


def test_estate_limits_hold_even_for_guessed_ids(web: dict[str, Any]) -> None:
    home, recs = web["home"], web["records"]
    client = person(home, "jd", "主管", estates=("金第花园",))
    other = recs["c2"]   # 翠湖苑
    assert client.get(f"/records/{recs['c1']}/").status_code == 200
    for url in (f"/records/{other}/", f"/records/{other}/original/1/", "/households/翠湖苑/A-203/"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/records/{other}/reveal/", {"reason": "猜的"}).status_code == 404
    assert not [a for a in audit_lines(home) if a["action"] == "reveal"]
    found = client.post("/", {"q": "卫生间 OR 电梯"}).content.decode()
    assert other not in found and recs["c1"] in found and "共 <strong>1</strong> 条" in found
    assert other not in client.post("/", {"q": "电梯", "estate": "翠湖苑"}).content.decode()
    picked = client.post("/households/", {"address": "翠湖苑/A-203"})
    assert picked.status_code == 400 and "不在您负责的项目内" in picked.content.decode()
    everyone = person(home, "all", "主管")
    assert other in everyone.post("/", {"q": "卫生间 OR 电梯"}).content.decode()


# ---------------------------------------------------------------- pages

def test_search_by_post_highlights_counts_and_pages(web: dict[str, Any]) -> None:
    client = person(web["home"], "s1", "客服")
    first = client.post("/", {"q": "渗漏水", "sort": "relevance"})
    html = first.content.decode()
    assert first.status_code == 200 and "共 <strong>25</strong> 条，第 1–20 条" in html
    assert "<mark>渗漏水</mark>" in html
    escaped = client.post("/", {"q": "卫生间"}).content.decode()
    assert "<script>alert" not in escaped and "&lt;script&gt;alert" in escaped   # a record's text is escaped
    second = client.post("/", {"q": "渗漏水", "page": "2"}).content.decode()
    assert "第 21–25 条" in second and "第 2 / 2 页" in second
    newest = client.post("/", {"q": "渗漏水", "sort": "date", "form": "complaint"}).content.decode()
    dates = re.findall(r'<span class="muted">(\d{4}-\d\d-\d\d)</span>', newest)
    assert dates == sorted(dates, reverse=True) and len(dates) == 20
    by_phone = client.post("/", {"q": PHONE}).content.decode()
    results = by_phone.split('class="results"')[1]
    assert web["records"]["c1"] in results and PHONE not in results      # found by the number, shown masked
    assert client.get("/?q=" + PHONE).content.decode().count("<mark>") == 0   # a GET never searches


def test_search_filters_without_words_list_every_match_newest_first(web: dict[str, Any]) -> None:
    """Page 1: filters alone (household, date range) list every matching record newest first, as `hudang search`
    does; an unknown household and a range ending before it starts are said beside the box, in Chinese."""
    client = person(web["home"], "s2", "客服", estates=("金第花园",))
    html = client.post("/", {"q": "", "household": "金第花园/3栋2单元1201", "date_from": "2026-10-20",
                             "date_to": "2026-10-25"}).content.decode()
    assert "共 <strong>6</strong> 条" in html                                   # c20 … c25, the exact total
    dates = re.findall(r'<span class="muted">(\d{4}-\d\d-\d\d)</span>', html)
    assert dates == [f"2026-10-{d}" for d in range(25, 19, -1)], dates        # newest first
    every = client.post("/", {"q": "", "form": "complaint"}).content.decode()
    assert "共 <strong>24</strong> 条" in every and "李翠湖" not in every       # c1, c3 … c25; not 翠湖苑's c2
    unknown = client.post("/", {"q": "", "household": "金第花园/99-9-9999"})
    assert unknown.status_code == 400 and "不在金第花园的房屋清单中" in unknown.content.decode()
    assert "共 <strong>" not in unknown.content.decode()
    backwards = client.post("/", {"date_from": "2026-10-25", "date_to": "2026-10-20"})
    assert backwards.status_code == 400 and "截止日期早于起始日期" in backwards.content.decode()
    assert "共 <strong>" not in backwards.content.decode()


def test_household_page_shows_masked_file_and_filters_by_form(web: dict[str, Any]) -> None:
    client = person(web["home"], "h1", "客服")
    picked = client.post("/households/", {"address": "金第花园/3栋2单元1201室"})
    assert picked.status_code == 302
    page = client.get(picked["Location"]).content.decode()
    assert "王建国" in page or "王*国" in page or "王**" in page
    assert "13812345678" not in page and "138" in page                    # the phone, masked
    assert web["records"]["r1"] in page and web["records"]["c1"] in page
    only = client.get(picked["Location"] + "?form=registration").content.decode()
    assert web["records"]["r1"] in only and "TS-1" not in only.split("档案记录")[1]


def test_record_page_masks_and_reveal_needs_a_reason_and_is_audited(web: dict[str, Any]) -> None:
    home, rid = web["home"], web["records"]["c1"]
    boss = person(home, "boss", "主管")
    page = boss.get(f"/records/{rid}/").content.decode()
    assert PHONE not in page and "139****6666" in page and "TS-1" in page
    refused = boss.post(f"/records/{rid}/reveal/", {"reason": ""})
    assert refused.status_code == 400 and PHONE not in refused.content.decode()
    assert not [a for a in audit_lines(home) if a["action"] == "reveal"]
    shown = boss.post(f"/records/{rid}/reveal/", {"reason": "核实投诉人身份"}).content.decode()
    assert PHONE in shown and "139****6666" not in shown
    reveals = [a for a in audit_lines(home) if a["action"] == "reveal"]
    assert len(reveals) == 1 and reveals[0]["user"] == "boss"
    assert (reveals[0]["record_id"], reveals[0]["reason"]) == (rid, "核实投诉人身份")   # who, which, why …
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d", reveals[0]["at"])                      # … and when


def test_a_record_from_a_batch_row_shows_its_own_row_never_the_whole_file(web: dict[str, Any]) -> None:
    """A record filed from one row of an imported table shows that row's fields; the import file (every other
    household's row in it) is neither shown nor downloadable, not even by the original's URL."""
    from conftest import Hudang

    batch = web["home"].parent / "报修单.csv"
    batch.write_text("\n".join(["编号,项目,房号,报修人,联系电话,报修时间,报修内容,维修类别",
                                "WX-1,金第花园,1-1-301,赵六,13700001111,2026-11-01 08:00,厨房水管漏水,渗漏水",
                                "WX-2,金第花园,3-2-1201,钱七,13700002222,2026-11-02 09:00,入户门锁坏了,门窗"]) + "\n",
                     encoding="utf-8-sig")
    [out] = Hudang(web["home"], clean_env(web["home"])).ingest(batch)
    second = next(r for r in out["rows"] if r["row"] == 3)
    assert second["status"] == "filed", out
    boss = person(web["home"], "boss", "主管")                              # may open originals
    page = boss.get(f"/records/{second['record_id']}/").content.decode()
    assert "入户门锁坏了" in page and "报修单.csv" in page and "第 3 行" in page
    assert "厨房水管漏水" not in page and "赵六" not in page                  # the other row is not on the page
    assert f"/records/{second['record_id']}/original/" not in page
    sent = boss.get(f"/records/{second['record_id']}/original/1/")
    assert sent.status_code == 404 and "没有单独的原件" in sent.content.decode()
    assert "厨房水管漏水" not in sent.content.decode()


def test_original_is_served_by_record_id_and_audited(web: dict[str, Any]) -> None:
    home, rid = web["home"], web["records"]["c1"]
    archivist = person(home, "arch", "档案员")
    r = archivist.get(f"/records/{rid}/original/1/")
    assert r.status_code == 200 and PHONE.encode() in b"".join(r.streaming_content)
    assert "attachment" in r["Content-Disposition"]
    acts = [a for a in audit_lines(home) if a["action"] == "download_original"]
    assert acts and acts[-1]["user"] == "arch" and acts[-1]["record_id"] == rid
    assert archivist.get(f"/records/{rid}/original/7/").status_code == 404
    assert archivist.get("/records/..%2F..%2Fsecret.key/original/1/").status_code == 404


def test_no_personal_data_in_the_urls_the_pages_build(web: dict[str, Any]) -> None:
    client, recs = person(web["home"], "p1", "主管"), web["records"]
    pages = [client.post("/", {"q": PHONE}).content.decode(), client.post("/", {"q": "渗漏水"}).content.decode(),
             client.get("/households/金第花园/3-2-1201/").content.decode(),
             client.post(f"/records/{recs['c1']}/reveal/", {"reason": "核实"}).content.decode(),
             client.post(f"/records/{recs['r1']}/reveal/", {"reason": "核实"}).content.decode()]
    urls = [u for html in pages for u in links(html)]
    assert urls
    for secret in (PHONE, "13812345678", "欧阳建国", "王建国", "110101199003071"):
        assert not [u for u in urls if secret in urllib.parse.unquote(u)], secret


# ---------------------------------------------------------------- the real server

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _hudang(home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hudang.pipeline", *args], input=stdin, capture_output=True,
                          text=True, env=clean_env(home), timeout=120)


@pytest.mark.slow
def test_hudang_serve_runs_gunicorn_and_a_user_logs_in(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert _hudang(home, "init").returncode == 0
    added = _hudang(home, "users", "add", "前台", "--role", "客服", "--password-stdin", stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    assert "前台" in _hudang(home, "users", "list").stdout
    unit = _hudang(home, "service-unit", "--web", "--user", "hudang").stdout
    assert "serve --host 127.0.0.1 --port 8080" in unit and f"HUDANG_HOME={home}" in unit
    port = _free_port()
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "hudang.pipeline", "serve", "--port", str(port), "--workers", "1"],
                              env=clean_env(home), stdout=log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        deadline = time.monotonic() + 60
        while True:
            try:
                page = opener.open(f"{base}/login/?next=/&probe={PHONE}").read().decode()
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None and time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
                time.sleep(0.2)
        assert "登录户档" in page
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token is not None
        form = urllib.parse.urlencode({"username": "前台", "password": PASSWORD, "next": "/",
                                       "csrfmiddlewaretoken": token.group(1)}).encode()
        answer = opener.open(urllib.request.Request(f"{base}/login/", data=form, headers={"Referer": f"{base}/login/"}))
        assert answer.status == 200 and answer.url == f"{base}/" and "搜索档案" in answer.read().decode()
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    logged = (tmp_path / "serve.log").read_text()
    assert "GET /login/" in logged and PHONE not in logged and "probe" not in logged
    assert (home / "web.sqlite3").is_file()
    assert any(a["action"] == "web_login" and a["user"] == "前台" for a in audit_lines(home))


def test_users_commands_in_process(web: dict[str, Any]) -> None:
    from conftest import Hudang

    hudang = Hudang(web["home"], clean_env(web["home"]))
    with session_of(web["home"]) as s:
        users.add(s, "xu", ["档案员", "客服"], ["金第花园"], PASSWORD)
    listed = hudang.json("users", "list")["users"]
    assert listed == [{"name": "xu", "roles": ["档案员", "客服"], "estates": ["金第花园"], "active": True,
                       "locked": False, "has_token": False, "last_login": None}]
    made = hudang.json("users", "token", "xu")["token"]
    assert users.by_token(made) is not None and hudang.json("users", "list")["users"][0]["has_token"]
    assert "已停用" in hudang("users", "disable", "xu").stdout
    assert hudang("users", "unlock", "nobody", check=False).code == 1
    refused = hudang("users", "add", "yy", "--role", "保安", "--password-stdin", check=False)
    assert refused.code == 2 and "未知的角色" in refused.stderr
    actions = [a["action"] for a in audit_lines(web["home"])]
    assert {"user_add", "user_token", "user_disable"} <= set(actions)


def test_the_stylesheet_closes_every_media_block() -> None:
    """An unclosed @media swallows every rule after it: the desktop page loses its layout (found by looking at
    the browser screenshots — the entry form's fields and radios fell apart at 1366 px while the phone was fine)."""
    css = (Path(__file__).resolve().parent.parent / "pipeline" / "web" / "static" / "web" / "site.css").read_text()
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    depth = 0
    for token in re.finditer(r"@media|[{}]", css):
        if token.group() == "@media":
            assert depth == 0, f"@media opened inside another block at offset {token.start()}"
        depth += {"{": 1, "}": -1}.get(token.group(), 0)
        assert depth >= 0
    assert depth == 0
