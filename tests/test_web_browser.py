"""The web in a real browser (issue 13): Debian's chromium driven by Selenium against ONE real `hudang serve`.

The server (gunicorn, a free loopback port, a fresh data home) and the browser are session-scoped and shared by
every test here; all are marked slow and run in one xdist group (one worker). Every page visited is saved under
build/screenshots/ at 1366×768 (``*-desktop.png``) and 390 px wide (``*-phone.png``, the whole page).

Each flow of the issue is a test asserting what the user sees: log in, search, household, record and reveal;
upload a DOCX and a folder; enter a complaint (an error first) and close it; a dunning dry run and the letters;
the October report; assigning an unsorted scan. They share the one server; each works on its own households so
the order they run in does not matter.
"""

from __future__ import annotations

import json
import os
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
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from scanning import fill_page, typed_page

from builders import complaint, docx_form, json_form, registration, roster_lines
from conftest import clean_env, new_home

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]

PASSWORD = "纸质档案-2026"
PHONE = "13955556666"
SHOTS = Path(__file__).resolve().parent.parent / "build" / "screenshots"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
LEDGER = ["项目,房号,费用项目,所属期间,应收金额,实收金额,收费日期",
          "金第花园,3-2-1201,物业服务费,2026-05,300.00,0,",
          "金第花园,3-2-1201,物业服务费,2026-06,300.00,100.00,2026-07-01",
          "金第花园,2-1-1201,物业服务费,2026-09,280.00,0,"]
REMINDERS = ["项目,房号,日期,方式,备注", "金第花园,3-2-1201,2026-07-10,电话,业主称月底缴"]


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
    fees = [tmp / "收费台账.csv", tmp / "催缴记录.csv"]
    fees[0].write_text("\n".join(LEDGER) + "\n", encoding="utf-8-sig")
    fees[1].write_text("\n".join(REMINDERS) + "\n", encoding="utf-8-sig")
    scan = tmp / "手机拍照.jpg"      # no code on it, no estate named: it waits in 待分拣
    typed_page(["维修工作单", "报修人：孙丽", "报修时间：2026-11-07 10:00", "报修内容：阳台推拉门变形关不严"]
               ).convert("RGB").save(scan, quality=85, dpi=(200, 200))
    outs = hudang.ingest(*fees, scan)
    assert [o["status"] for o in outs] == ["imported", "imported", "unsorted"], outs
    _hudang(hudang.home, "users", "add", "主管甲", "--role", "主管", "--password-stdin", stdin=PASSWORD + "\n")
    _hudang(hudang.home, "users", "add", "客服乙", "--role", "客服", "--password-stdin", stdin=PASSWORD + "\n")
    _hudang(hudang.home, "users", "add", "管理员丁", "--role", "管理员", "--password-stdin", stdin=PASSWORD + "\n")
    port, log = _free_port(), tmp / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, "-m", "hudang.pipeline", "serve", "--port", str(port),
                                   "--workers", "2"], env=clean_env(hudang.home), stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{base}/login/", timeout=30).read()
                break
            except OSError:   # refused while starting, or slow to answer its first page on a loaded machine
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
    # Chromium on Linux takes its UI language (file and date pickers, validation bubbles) from LANGUAGE, not
    # --lang: in Chinese, as on the office's PCs (the zh-CN pak is Debian's chromium-l10n, make setup installs it).
    service = Service(executable_path=CHROMEDRIVER, env={**os.environ, "LANGUAGE": "zh_CN:zh"})
    driver = webdriver.Chrome(service=service, options=options)
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


@contextmanager
def phone(driver: Any) -> Iterator[None]:
    """The page as a phone 390 px wide shows it, until the block ends."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 1,
                                                                   "mobile": True})
    try:
        yield
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def in_sight(element: Any, width: int = 390) -> bool:
    """Within the page's width: seen without scrolling sideways."""
    return bool(element.rect["x"] >= 0 and element.rect["x"] + element.rect["width"] <= width)


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


def test_the_browser_tests_share_one_server(request: pytest.FixtureRequest) -> None:
    """Under `--dist loadgroup` (`make test`) every test here runs on one worker, with one server and one
    browser; pytest-xdist marks that in the node ID, which it cannot do with every pytest (pytest-xdist#1386:
    with pytest 9.2 each worker started its own server and browser, silently)."""
    if getattr(request.config.option, "loadgroup", False):
        assert request.node.nodeid.endswith("@browser"), (
            f"{request.node.nodeid}: pytest-xdist did not group the browser tests (pytest-xdist#1386); "
            "pin a pytest it can group with")


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
    with phone(driver):   # every entry of the menu in sight on a phone (on two rows), none hidden off the side
        entries = driver.find_elements("css selector", "nav a")
        assert len(entries) >= 8 and all(in_sight(a) for a in entries), [(a.text, a.rect) for a in entries]

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


# ---------------------------------------------------------------- the office's other flows

def test_upload_a_docx_and_a_folder_then_find_them_filed(browser: Any, served: Served, tmp_path: Path) -> None:
    driver = browser
    one = docx_form(tmp_path / "投诉-水管.docx", "投诉处理单",
                    complaint("TS-31", "1-1-1201", 投诉内容="厨房水管爆裂漏水淹地板", 投诉时间="2026-11-05 08:00"))
    folder = tmp_path / "十一月"
    json_form(folder / "a.json", "投诉处理单", complaint("TS-32", "1-1-301", 投诉内容="楼道堆放杂物"))
    json_form(folder / "b.json", "住户登记表", registration("1-2-301", "林小红"))
    log_in(driver, served, "主管甲")
    driver.get(f"{served.base}/upload/")
    shoot(driver, "upload")
    files, folder_input = driver.find_elements("css selector", "#upload-form input[type=file]")
    files.send_keys(str(one))
    folder_input.send_keys(str(folder))                   # a whole folder (webkitdirectory)
    driver.find_element("css selector", "#upload-form button[type=submit]").click()
    rows = _wait_for(driver, lambda: _rows_done(driver, 3))
    page = text(driver)
    shoot(driver, "upload-done")
    assert [r.find_element("css selector", ".status").text for r in rows] == ["已归档"] * 3, page
    for name in ("投诉-水管.docx", "a.json", "b.json"):
        assert name in page
    link = driver.find_element("xpath", "//tbody[@id='outcomes']/tr[td[contains(., '投诉-水管.docx')]]//a")
    number = link.text
    assert re.fullmatch(r"E\d\d-2026-TS-\d{5}", number), number         # the filed record's 档号, linked
    link.click()
    assert number in driver.find_element("tag name", "h1").text and "厨房水管爆裂" in text(driver)
    assert driver.find_element("css selector", "object.original").is_displayed()        # a PC: the PDF itself
    assert "{#" not in text(driver) and "comment" not in text(driver)
    with phone(driver):   # a phone: no PDF box (dark until painted), the first page as a picture, linked to the PDF
        assert not driver.find_element("css selector", "object.original").is_displayed()
        picture = driver.find_element("css selector", ".original-phone img")
        driver.execute_script("arguments[0].scrollIntoView()", picture)
        assert picture.is_displayed()
        assert _wait_for(driver, lambda: driver.execute_script(
            "return arguments[0].complete && arguments[0].naturalWidth", picture), 60)
        pdf = driver.find_element("xpath", "//div[@class='original-phone']//a[contains(., '打开 PDF 原件')]")
        assert pdf.is_displayed() and pdf.get_attribute("href").endswith("/original/1/?view=1")
        assert in_sight(picture) and in_sight(pdf)
    shoot(driver, "record-uploaded-docx")
    search_for(driver, served, "水管爆裂")
    assert number in driver.find_element("css selector", ".results").text


def test_an_uploaded_scan_is_queued_then_its_outcome_appears(browser: Any, served: Served, tmp_path: Path) -> None:
    """A scan is not read in its request (the server's time-out would cut a request of many pages): its row says
    排队识别 at once, and the page replaces it by the outcome when the server has read it — here our blank form
    for 2-1-301 with its code, filed and linked."""
    driver = browser
    log_in(driver, served, "主管甲")
    blank = json.loads(_hudang(served.home, "forms", "blank", "投诉处理单", "--household", "金第花园/2-1-301",
                               "--json").stdout)
    scan = tmp_path / "扫描-2-1-301.png"
    fill_page(Path(blank["pdf"]), {"投诉人*": "钱学森", "投诉时间*": "2026-11-09 10:00", "接报人*": "李客服",
                                    "投诉内容*": "地下车库照明损坏"}, dpi=200).save(scan, dpi=(200, 200))
    driver.get(f"{served.base}/upload/")
    driver.find_elements("css selector", "#upload-form input[type=file]")[0].send_keys(str(scan))
    driver.find_element("css selector", "#upload-form button[type=submit]").click()
    [row] = _wait_for(driver, lambda: _rows_done(driver, 1))
    assert row.find_element("css selector", ".status").text == "排队识别", text(driver)
    shoot(driver, "upload-scan-queued")
    done = _wait_for(driver, lambda: [r for r in driver.find_elements("css selector", "#outcomes tr")
                                      if r.find_element("css selector", ".status").text != "排队识别"] or None)
    assert done[0].find_element("css selector", ".status").text == "已归档", text(driver)
    assert "扫描-2-1-301.png" in done[0].text and "金第花园/2-1-301" in done[0].text
    shoot(driver, "upload-scan-read")
    done[0].find_element("css selector", "a").click()
    assert "地下车库照明" in text(driver) or "1-1-1202" in text(driver)


def test_enter_a_complaint_with_an_error_first_then_close_it(browser: Any, served: Served) -> None:
    driver = browser
    log_in(driver, served, "主管甲")
    driver.get(f"{served.base}/households/金第花园/2-2-1201/")
    driver.find_element("partial link text", "新建记录").click()
    driver.find_element("partial link text", "投诉处理单").click()
    assert "新建投诉处理单" in driver.find_element("tag name", "h1").text
    shoot(driver, "complaint-new")
    _fill(driver, "投诉时间", "2026-11-02T09:30")
    _fill(driver, "联系电话", "12345")                     # wrong, and 投诉人 left out
    _fill(driver, "接报人", "李客服")
    _fill(driver, "投诉内容", "二楼走廊灯不亮已一周")
    _choose(driver, "严重程度", "重要")
    submit(driver, "main form.entry button[type=submit]")
    beside = {e.find_element("xpath", "ancestor::div[contains(@class,'entry-field')]//*[@name]").get_attribute("name"):
              e.text for e in driver.find_elements("css selector", ".entry-field .error")}
    assert beside.get("投诉人") == "缺少必填项“投诉人”" and "联系电话" in beside, beside    # beside each field
    assert "尚未保存" in text(driver)
    shoot(driver, "complaint-invalid")
    _fill(driver, "投诉人", "赵敏")
    _fill(driver, "联系电话", "13700001111")
    submit(driver, "main form.entry button[type=submit]")
    assert "/records/" in driver.current_url, text(driver)
    number = re.search(r"编号 (TS-202611-\d{4})", text(driver))
    assert number and "已保存并归档" in text(driver), text(driver)
    shoot(driver, "complaint-filed")
    record_url = driver.current_url

    driver.find_element("xpath", "//div[@id='actions']//a[contains(., '结案')]").click()
    shoot(driver, "complaint-close")
    _fill(driver, "处理结果", "已更换走廊灯管")
    _fill(driver, "完成时间", "2026-11-03T10:00")
    submit(driver, "main form.entry button[type=submit]")
    assert driver.current_url == record_url.partition("?")[0]
    page = text(driver)
    assert "已更换走廊灯管" in page and "第 2 版" in page
    actions = driver.find_element("id", "actions").text
    assert "结案" not in actions and "回访" in actions                  # closed: the next step is the 回访
    shoot(driver, "complaint-closed")
    driver.get(f"{served.base}/households/金第花园/2-2-1201/")
    assert number.group(1) in text(driver)
    shoot(driver, "household-after-close")


def test_a_dunning_dry_run_then_the_letters(browser: Any, served: Served) -> None:
    driver = browser
    log_in(driver, served, "主管甲")
    driver.get(f"{served.base}/dunning/")
    _fill(driver, "as_of", "2026-11-26")
    submit(driver, "form.inline-filter button[type=submit]")
    dry = driver.find_element("id", "dry-run").text
    assert "金第花园/3-2-1201" in dry and "500.00" in dry, dry          # 300 + 200 owed, with the reason
    shoot(driver, "dunning-dry-run")
    with phone(driver):   # the dry run's lines as cards: the reason in sight under its heading, not off the side
        line = driver.find_element("xpath", "//section[@id='dry-run']//tr[td[contains(., '金第花园/3-2-1201')]]")
        table = line.find_element("xpath", "ancestor::table")
        _wait_for(driver, lambda: "cards" in str(table.get_attribute("class")), 10)
        reason = line.find_elements("css selector", "td")[-1]
        assert reason.get_attribute("data-label") == "原因" and reason.text and in_sight(reason), reason.rect
    generate = driver.find_element("xpath", "//form[contains(@action, '/dunning/generate/')]")
    driver.execute_script("arguments[0].value = arguments[1]", generate.find_element("name", "as_of"), "2026-11-26")
    driver.find_element("css selector", "form[action$='/dunning/generate/'] button[type=submit]").click()
    confirm = driver.find_element("css selector", "form[action$='/dunning/generate/'] [name=confirm]")
    assert confirm.get_property("validationMessage") and "run-result" not in driver.page_source  # asked first
    confirm.click()
    submit(driver, "form[action$='/dunning/generate/'] button[type=submit]")
    result = driver.find_element("id", "run-result").text
    letters = re.search(r"已生成催缴函 (\d+) 封", result)
    assert letters and int(letters.group(1)) >= 1 and "金第花园/3-2-1201" in result, result
    shoot(driver, "dunning-letters")
    link = driver.find_element("partial link text", "合并打印 PDF")
    pdf = _get(driver, str(link.get_attribute("href")))
    assert pdf.startswith(b"%PDF-")
    assert any(a["action"] == "letters_download" and a["user"] == "主管甲" for a in audit(served))


def test_the_october_report(browser: Any, served: Served) -> None:
    driver = browser
    log_in(driver, served, "主管甲")
    driver.get(f"{served.base}/reports/")
    _fill(driver, "month", "2026-10")
    submit(driver, "form.inline-filter button[type=submit]")
    figures = json.loads(_hudang(served.home, "report", "monthly", "2026-10", "--figures-only", "--json").stdout)
    cell = driver.find_element("xpath", "//section[@id='figures']//tr[td[.='投诉总数（件）']]/td[2]")
    assert "2026-10" in driver.find_element("css selector", "#figures h2").text
    assert cell.text == str(figures["complaints"]["total"]) and cell.text != "0"      # the CLI's figure
    charts = driver.find_elements("css selector", "img.chart")
    assert charts and all(driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth", c)
                          for c in charts)                               # every chart drawn, none broken
    shoot(driver, "report")


def test_assign_an_unsorted_scan(browser: Any, served: Served) -> None:
    driver = browser
    log_in(driver, served, "主管甲")
    driver.get(f"{served.base}/pending/")
    scan = driver.find_element("css selector", "#unsorted .item.scan")
    scan_id = str(scan.get_attribute("id"))
    assert "阳台推拉门" in scan.text
    assert driver.execute_script("return arguments[0].naturalWidth", scan.find_element("css selector", "img.thumb"))
    shoot(driver, "pending")
    scan.find_element("name", f"{scan_id}-address").send_keys("金第花园/1栋2单元1201")
    _fill(driver, f"{scan_id}-form", "维修工作单")
    submit(driver, f"[id='{scan_id}'] button[type=submit]")
    assert "/records/" in driver.current_url, text(driver)
    assert f"{scan_id} 已归入 金第花园/1-2-1201" in text(driver)
    number = driver.find_element("css selector", "h1 .mono").text
    photo = driver.find_element("css selector", "img.original")                     # the scan itself, shown
    assert driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth", photo)
    shoot(driver, "scan-assigned")
    driver.get(f"{served.base}/pending/")
    assert not driver.find_elements("id", scan_id)                        # gone from 待分拣 …
    driver.get(f"{served.base}/households/金第花园/1-2-1201/")
    assert number in text(driver)                                          # … and in the household


def test_the_other_pages_open_and_are_screenshot(browser: Any, served: Served) -> None:
    """今日待办, 新建 (the forms to choose), 更正 and 状态: each opens with its heading (and is looked at)."""
    driver = browser
    log_in(driver, served, "主管甲")
    for url, heading, name in ((f"{served.base}/due/", "今日待办", "due"),
                               (f"{served.base}/households/金第花园/3-2-1201/new/", "新建记录", "record-choose"),
                               (f"{served.base}/records/{served.records['c2']}/edit/", "更正 投诉处理单", "record-edit")):
        driver.get(url)
        assert heading in driver.find_element("tag name", "h1").text, (url, text(driver))
        shoot(driver, name)
    log_in(driver, served, "管理员丁")
    driver.get(f"{served.base}/status/")
    assert "服务状态" in driver.find_element("tag name", "h1").text
    shoot(driver, "status")


# ---------------------------------------------------------------- helpers for the flows

def _wait_for(driver: Any, cond: Any, timeout: float = 120) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(lambda _: cond())


def _rows_done(driver: Any, n: int) -> list[Any] | None:
    """The upload's outcome rows, once every chosen file has its row."""
    rows = driver.find_elements("css selector", "#outcomes tr")
    return rows if len(rows) >= n else None


def _get(driver: Any, url: str) -> bytes:
    """A link fetched with the browser's session cookie (a download is not a page the driver shows)."""
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in driver.get_cookies())
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Cookie": cookies}), timeout=120) as r:
        return bytes(r.read())


def _choose(driver: Any, name: str, value: str) -> None:
    driver.find_element("css selector", f"input[type=radio][name='{name}'][value='{value}']").click()


def _fill(driver: Any, name: str, value: str) -> None:
    """Type into a field; date and time inputs and selects are set the way their pickers would."""
    from selenium.webdriver.support.ui import Select

    field = driver.find_element("name", name)
    if field.tag_name == "select":
        chosen = [o.text for o in Select(field).options if value in o.text]
        Select(field).select_by_visible_text(chosen[0] if chosen else value)
    elif field.get_attribute("type") in ("date", "datetime-local", "month"):
        driver.execute_script("arguments[0].value = arguments[1]", field, value)
    else:
        field.clear()
        field.send_keys(value)
