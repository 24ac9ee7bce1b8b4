"""The web in a real browser (issue 13): Debian's chromium driven by Selenium against ONE real `hudang serve`.

The server (gunicorn, a free loopback port, a fresh data home) and the browser are session-scoped and shared by
every test here; all are marked slow and run in one xdist group (one worker). Every page visited is saved under
build/screenshots/ at 1366×768 (``*-desktop.png``) and 390 px wide (``*-phone.png``, the whole page).

The flows of pages still being built (upload, complaint entry and closing, dunning, the report, assigning a scan)
are written below as helper functions with no test calling them yet: the lead adds the one-line tests when
those pages are merged (see the "flows for pages being built" section).
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from builders import complaint, docx_form, json_form, registration, roster_lines
from conftest import clean_env, new_home

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]

PASSWORD = "纸质档案-2026"
PHONE = "13955556666"
SHOTS = Path(__file__).resolve().parent.parent / "build" / "screenshots"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


@dataclass
class Served:
    base: str
    home: Path
    log: Path
    records: dict[str, str]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _hudang(home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "hudang.pipeline", *args], input=stdin, capture_output=True,
                          text=True, env=clean_env(home), timeout=300)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A data home with a roster, a DOCX and JSON forms filed, two users, and `hudang serve` running on it."""
    tmp = tmp_path_factory.mktemp("browser")
    hudang = new_home(tmp / "home")
    rows = roster_lines()
    (tmp / "房屋清单.csv").write_text("\n".join(rows) + "\n", encoding="utf-8-sig")
    hudang.ingest(tmp / "房屋清单.csv")
    folder = tmp / "in"
    docx_form(folder / "c1.docx", "投诉处理单", complaint("TS-1", 投诉内容="卫生间渗漏水，楼下天花板发霉",
                                                       投诉人="欧阳建国", 联系电话=PHONE))
    json_form(folder / "r1.json", "住户登记表", registration("3-2-1201", "王建国"))
    json_form(folder / "c2.json", "投诉处理单", complaint("TS-2", 投诉内容="电梯异响", 投诉时间="2026-10-12 09:00"))
    records = {Path(o["source"]).stem: o["record_id"] for o in hudang.ingest(folder)}
    _hudang(hudang.home, "users", "add", "主管甲", "--role", "主管", "--password-stdin", stdin=PASSWORD + "\n")
    _hudang(hudang.home, "users", "add", "客服乙", "--role", "客服", "--password-stdin", stdin=PASSWORD + "\n")
    port, log = _free_port(), tmp / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, "-m", "hudang.pipeline", "serve", "--port", str(port),
                                   "--workers", "2"], env=clean_env(hudang.home), stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{base}/login/", timeout=5).read()
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):   # a slow first answer under load, too
                assert server.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        yield Served(base, hudang.home, log, records)
    finally:
        server.terminate()
        server.wait(timeout=60)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="hudang-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", f"--user-data-dir={profile}", "--lang=zh-CN", "--window-size=1366,768"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.implicitly_wait(10)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


# ---------------------------------------------------------------- helpers

def shoot(driver: Any, name: str) -> None:
    """The page as it is now, at a 1366×768 viewport and at 390 px wide as a phone (the whole page), saved
    under build/screenshots/ (the viewport set exactly through the DevTools protocol)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    metrics = "Emulation.setDeviceMetricsOverride"
    driver.execute_cdp_cmd(metrics, {"width": 1366, "height": 768, "deviceScaleFactor": 1, "mobile": False})
    driver.save_screenshot(str(SHOTS / f"{name}-desktop.png"))
    driver.execute_cdp_cmd(metrics, {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    driver.execute_cdp_cmd(metrics, {"width": 390, "height": min(max(height, 844), 4000), "deviceScaleFactor": 1,
                                     "mobile": True})
    driver.save_screenshot(str(SHOTS / f"{name}-phone.png"))
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def submit(driver: Any, css: str) -> None:
    """Click a submit button and wait until the next page has replaced this one."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    page = driver.find_element("tag name", "html")
    driver.find_element("css selector", css).click()

    def replaced(_: Any) -> bool:
        try:
            return bool(expected_conditions.staleness_of(page)(driver))
        except WebDriverException:   # chromium may say "Node … does not belong to the document": gone too
            return True

    WebDriverWait(driver, 60).until(replaced)


def text(driver: Any) -> str:
    return str(driver.find_element("tag name", "body").text)


def log_in(driver: Any, served: Served, user: str, password: str = PASSWORD) -> None:
    driver.delete_all_cookies()
    driver.get(f"{served.base}/")
    assert "/login/" in driver.current_url
    driver.find_element("name", "username").send_keys(user)
    driver.find_element("name", "password").send_keys(password)
    shoot(driver, "login")
    submit(driver, "form button[type=submit]")
    assert driver.current_url == f"{served.base}/", text(driver)


def search_for(driver: Any, served: Served, words: str) -> None:
    driver.get(f"{served.base}/")
    box = driver.find_element("name", "q")
    box.clear()
    box.send_keys(words)
    submit(driver, "form.search-form button[type=submit]")


def audit(served: Served) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (served.home / "audit.log").read_text(encoding="utf-8").splitlines() if line]


# ---------------------------------------------------------------- flows on pages that exist

def test_log_in_search_open_household_and_record_then_reveal(browser: Any, served: Served) -> None:
    driver = browser
    driver.delete_all_cookies()
    driver.get(f"{served.base}/")
    wrong = driver.find_element("name", "username")
    wrong.send_keys("主管甲")
    driver.find_element("name", "password").send_keys("不是这个密码")
    submit(driver, "form button[type=submit]")
    assert "用户名或密码不正确" in text(driver)
    shoot(driver, "login-failed")

    log_in(driver, served, "主管甲")
    shoot(driver, "search-empty")
    search_for(driver, served, "渗漏水")
    marks = driver.find_elements("css selector", "mark")
    assert marks and "渗漏水" in marks[0].text
    assert "共 1 条" in text(driver) or "1 条" in text(driver)
    shoot(driver, "search-results")

    driver.find_element("link text", "金第花园/3-2-1201").click()
    assert "/households/" in driver.current_url
    page = text(driver)
    assert "3-2-1201" in page and "王建国" in page and "E01-2026-TS-00001" in page
    assert "投诉处理单" in page
    shoot(driver, "household")

    driver.get(f"{served.base}/records/{served.records['c1']}/")
    page = text(driver)
    assert "欧阳建国" in page or "欧阳" in page
    assert PHONE not in page and "139" in page            # masked
    shoot(driver, "record")

    driver.find_element("css selector", "form.reveal button[type=submit]").click()   # no reason given
    reason = driver.find_element("css selector", "form.reveal [name=reason]")
    assert reason.get_property("validationMessage")                # the browser asks for it; nothing is sent
    assert PHONE not in text(driver) and "/reveal/" not in driver.current_url
    shoot(driver, "record-reveal-no-reason")
    driver.find_element("css selector", "form.reveal [name=reason]").send_keys("业主本人来电核实联系方式")
    submit(driver, "form.reveal button[type=submit]")
    assert PHONE in text(driver)
    shoot(driver, "record-revealed")
    reveals = [a for a in audit(served) if a["action"] == "reveal" and a.get("user") == "主管甲"]
    assert reveals and reveals[-1]["record_id"] == served.records["c1"]
    assert PHONE not in served.log.read_text(encoding="utf-8")


def test_a_customer_service_clerk_is_refused_the_reveal(browser: Any, served: Served) -> None:
    driver = browser
    log_in(driver, served, "客服乙")
    driver.get(f"{served.base}/records/{served.records['c1']}/")
    assert PHONE not in text(driver)
    assert not driver.find_elements("css selector", "form.reveal")
    shoot(driver, "record-as-kefu")
    navs = [a.text for a in driver.find_elements("css selector", "nav a")]
    assert "搜索" in navs and "催缴" not in navs and "状态" not in navs


def test_household_picker_takes_any_room_spelling(browser: Any, served: Served) -> None:
    driver = browser
    log_in(driver, served, "主管甲")
    driver.get(f"{served.base}/households/")
    driver.find_element("name", "address").send_keys("金地/3栋2单元1201室")
    submit(driver, "main form button[type=submit]")
    assert "未知的项目“金地”" in text(driver)
    shoot(driver, "household-pick-unknown")
    box = driver.find_element("name", "address")
    box.clear()
    box.send_keys("金第花园/3栋2单元1201室")
    shoot(driver, "household-pick")
    submit(driver, "main form button[type=submit]")
    assert re.search(r"/households/.+/3-2-1201/$", urllib.request.unquote(driver.current_url)), text(driver)
    assert "金第花园" in text(driver)


# ---------------------------------------------------------------- flows for pages being built
# Not tests yet: each page is on its way in another branch. When it is merged, add e.g.
#     def test_upload(browser, served): log_in(browser, served, "主管甲"); upload_files(browser, served, [...])
# The selectors follow the pages' own conventions (Django form field names); adjust them to the merged page.

def upload_files(driver: Any, served: Served, files: list[Path]) -> str:
    """上传: choose several files, send them, and return the page text (one outcome line per file)."""
    driver.get(f"{served.base}/upload/")
    chooser = driver.find_element("css selector", "input[type=file]")
    chooser.send_keys("\n".join(str(f) for f in files))
    submit(driver, "main form button[type=submit]")
    page = text(driver)
    shoot(driver, "upload-done")
    for f in files:
        assert f.name in page
    return page


def enter_complaint(driver: Any, served: Served, fields: dict[str, str], *, first_wrong: dict[str, str]) -> str:
    """新建: the 投诉处理单 web form, first with a field wrong (its message beside it), then right; returns the
    new record's URL."""
    driver.get(f"{served.base}/new/complaint/")
    shoot(driver, "complaint-new")
    for name, value in {**fields, **first_wrong}.items():
        _fill(driver, name, value)
    submit(driver, "main form button[type=submit]")
    assert driver.find_elements("css selector", ".error")
    shoot(driver, "complaint-invalid")
    for name in first_wrong:
        _fill(driver, name, fields[name])
    submit(driver, "main form button[type=submit]")
    assert "/records/" in driver.current_url, text(driver)
    shoot(driver, "complaint-filed")
    return str(driver.current_url)


def close_complaint(driver: Any, record_url: str, result: str, done_at: str) -> None:
    """结案: the short form on the record page (处理结果, 完成时间); the new version holds every field."""
    driver.get(record_url)
    driver.find_element("partial link text", "结案").click()
    _fill(driver, "处理结果", result)
    _fill(driver, "完成时间", done_at)
    submit(driver, "main form button[type=submit]")
    assert result in text(driver)
    shoot(driver, "complaint-closed")


def dunning_dry_run_and_letters(driver: Any, served: Served, as_of: str) -> None:
    """催缴: the dry-run list with a reason per household, then generate the letters (confirmed)."""
    driver.get(f"{served.base}/dunning/")
    _fill(driver, "as_of", as_of)
    submit(driver, "main form button[type=submit]")
    shoot(driver, "dunning-dry-run")
    driver.find_element("xpath", "//button[contains(., '生成催缴函')]").click()
    shoot(driver, "dunning-letters")


def open_report(driver: Any, served: Served, month: str) -> None:
    """月报: pick the month; the figures table and the charts are on the page."""
    driver.get(f"{served.base}/reports/")
    _fill(driver, "month", month)
    submit(driver, "main form button[type=submit]")
    assert driver.find_elements("css selector", "table") and driver.find_elements("css selector", "img")
    shoot(driver, "report")


def assign_scan(driver: Any, served: Served, address: str, form_name: str) -> None:
    """待处理 → 分拣: the first unsorted scan assigned to a household and form with the picker."""
    driver.get(f"{served.base}/pending/")
    driver.find_element("partial link text", "分拣").click()
    _fill(driver, "address", address)
    _fill(driver, "form", form_name)
    submit(driver, "main form button[type=submit]")
    shoot(driver, "scan-assigned")


def _fill(driver: Any, name: str, value: str) -> None:
    from selenium.webdriver.support.ui import Select

    field = driver.find_element("name", name)
    if field.tag_name == "select":
        Select(field).select_by_visible_text(value)
    else:
        field.clear()
        field.send_keys(value)
