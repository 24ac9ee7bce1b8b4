"""What intake writes and reads cannot be turned against the archivist: links in a folder are not
followed, files are private, leftovers of killed runs go, a full disk is said in Chinese, logs stay one
line per message."""

from __future__ import annotations

import errno
import json
import os
import random
import re
import signal
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from builders import complaint, json_form, registration, wait_until
from conftest import Hudang, new_home


def test_newline_in_a_file_name_cannot_forge_a_log_line(hudang: Hudang, tmp_path: Path) -> None:
    forged = "2026-01-01 00:00:00,000 INFO 伪造的日志行"
    name = f"投诉\n{forged}\r.json"
    path = json_form(tmp_path / "in" / name, "投诉处理单", complaint("TS-LOG-1"))
    [out] = hudang.ingest(path.parent)
    assert out["status"] == "quarantined"   # no roster yet: quarantined and logged, which is what matters here
    lines = (hudang.home / "logs" / "hudang.log").read_text(encoding="utf-8").splitlines()
    stamp = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ ")
    assert lines and all(stamp.match(line) for line in lines), lines
    assert not any(line.startswith(forged) for line in lines)
    assert any("投诉\\n2026-01-01" in line for line in lines)


def test_links_inside_a_folder_are_not_followed(hudang: Hudang, tmp_path: Path) -> None:
    secret = tmp_path / "secret" / "shadow"
    secret.parent.mkdir()
    secret.write_text("root:$6$secret-hash:19000:0:99999:7:::\n", encoding="utf-8")
    outside = tmp_path / "outside"
    json_form(outside / "投诉处理单" / "外面的投诉.json", "投诉处理单", complaint("TS-OUT-1"))
    folder = tmp_path / "in"
    json_form(folder / "投诉.json", "投诉处理单", complaint("TS-IN-1"))
    (folder / "shadow.json").symlink_to(secret)
    (folder / "链接的文件夹").symlink_to(outside, target_is_directory=True)
    outcomes = {Path(o["source"]).name: o for o in hudang.ingest(folder)}
    assert set(outcomes) == {"投诉.json", "shadow.json", "链接的文件夹"}
    for name in ("shadow.json", "链接的文件夹"):
        assert outcomes[name]["status"] == "ignored"
        assert "符号链接" in outcomes[name]["warnings"][0]["message"]
    # Nothing of the target anywhere in the home: not in quarantine, not in a snapshot.
    for path in hudang.home.rglob("*"):
        if path.is_file() and not path.is_symlink():
            assert b"secret-hash" not in path.read_bytes(), path


def test_a_path_the_user_names_is_used_as_given_even_a_link(hudang: Hudang, tmp_path: Path) -> None:
    real = tmp_path / "nas" / "share"
    json_form(real / "投诉.json", "投诉处理单", complaint("TS-NAS-1"))
    link = tmp_path / "mnt-share"
    link.symlink_to(real, target_is_directory=True)
    [out] = hudang.ingest(link)
    assert Path(out["source"]).name == "投诉.json" and out["status"] != "ignored"


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The archivist's login umask is often 022; what we write must be private regardless."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _open_to_others(home: Path, allowed: int = 0) -> list[str]:
    loose = []
    for path in [home, *home.rglob("*")]:
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            continue
        if mode & 0o077 & ~allowed:
            loose.append(f"{oct(mode & 0o777)} {path.relative_to(home)}")
    return loose


def test_everything_in_the_home_is_private(loose_umask: None, tmp_path: Path, roster_csv: Path) -> None:
    hudang = new_home(tmp_path / "home")
    hudang.env["HUDANG_NOW"] = "2026-11-26T10:00:00+08:00"
    ledger = tmp_path / "收费台账.csv"
    ledger.write_text("项目,房号,费用项目,所属期间,应收金额,实收金额,收费日期\n"
                      "金第花园,3-2-1201,物业服务费,2026-05,300.00,0,\n", encoding="utf-8-sig")
    reminders = tmp_path / "催缴记录.csv"
    reminders.write_text("项目,房号,日期,方式,备注\n金第花园,3-2-1201,2026-07-10,电话,\n", encoding="utf-8-sig")
    reg = json_form(tmp_path / "reg.json", "住户登记表", registration())
    bad = json_form(tmp_path / "bad.json", "投诉处理单", complaint("TS-P-1", room="9-9-999"))
    outs = hudang.ingest(roster_csv, reg, ledger, reminders, bad)
    assert {o["status"] for o in outs} == {"filed", "imported", "quarantined"}, outs
    assert hudang.json("letters", "dunning", "--as-of", "2026-11-26")["letters"]
    hudang("search", "王建国")
    assert _open_to_others(hudang.home) == []


def test_group_access_opens_the_home_to_its_group_only(loose_umask: None, tmp_path: Path,
                                                      roster_csv: Path) -> None:
    hudang = new_home(tmp_path / "home")
    config = hudang.home / "config.toml"
    text = config.read_text(encoding="utf-8")
    assert "group_access = false" in text
    config.write_text(text.replace("group_access = false", "group_access = true"), encoding="utf-8")
    hudang.ingest(roster_csv, json_form(tmp_path / "reg.json", "住户登记表", registration()))
    assert stat.S_IMODE(hudang.home.stat().st_mode) == 0o770
    assert _open_to_others(hudang.home, allowed=0o070) == []
    units = [p for p in (hudang.home / "archive").rglob("*") if p.is_file()]
    assert units and any(p.stat().st_mode & 0o060 == 0o060 for p in units)


def test_leftovers_of_a_killed_run_go_at_the_next_start(hudang: Hudang, tmp_path: Path) -> None:
    from hudang.pipeline.intake.leftovers import owner_tag

    hudang("estates", "add", "金第花园")
    folder = tmp_path / "batch"
    for n in range(4):
        json_form(folder / f"{n}.json", "投诉处理单", complaint(f"TS-K{n}", room=f"1-1-30{n + 1}"))
    crashed = hudang.proc("ingest", folder, check=False, env={"HUDANG_CRASH_AT": "before_catalog"})
    assert crashed.code == -signal.SIGKILL, crashed.stderr
    snapshots = hudang.home / "run" / "snapshots"
    left = [p for p in snapshots.rglob("*") if p.is_file()]
    assert left, "the kill should have left private copies behind"
    assert all(stat.S_IMODE(p.stat().st_mode) & 0o077 == 0 for p in left)
    # A live run's copies (here: this test process's own) are not touched by another start.
    live = snapshots / owner_tag() / "abc"
    live.mkdir(parents=True)
    hudang.ingest(json_form(tmp_path / "other.json", "投诉处理单", complaint("TS-OTHER")))
    assert [p.name for p in snapshots.iterdir()] == [owner_tag()]
    assert live.is_dir()
    outcomes = hudang.ingest(folder)
    assert {o["status"] for o in outcomes} <= {"filed", "duplicate"}


def test_disk_full_says_so_leaves_no_empty_entry_and_the_next_run_finishes(
        small_disk: Path, tmp_path: Path, roster_csv: Path) -> None:
    hudang = new_home(small_disk / "home")
    assert {o["status"] for o in hudang.ingest(roster_csv)} == {"imported"}
    rng = random.Random(7)
    batch = tmp_path / "batch"
    bad = []
    for n in range(16):
        text = "".join(rng.choice("漏水发霉墙皮脱落请尽快处理楼上卫生间") for _ in range(100_000))
        room = "9-9-909" if n % 3 == 2 else f"1-1-30{n % 2 + 1}"   # every third one is for quarantine
        path = json_form(batch / f"{n:02d}.json", "投诉处理单", complaint(f"TS-D{n}", room=room, 投诉内容=text))
        if room == "9-9-909":
            bad.append(str(path))
    full = hudang("ingest", batch, "--json", check=False)
    assert full.code == 1, full.stdout
    error = json.loads(full.stdout)["error"]
    assert error["code"] == "disk_full" and "磁盘空间不足" in error["message"], error
    assert "No space" not in full.stderr and "内部错误" not in full.stderr, full.stderr
    # No entry without its report and file; nothing half-made visible.
    for entry in hudang.json("quarantine", "list")["entries"]:
        assert entry.get("file") and entry.get("status") == "pending", entry
    status = hudang.json("status")
    assert status["disk"]["low"] is True and status["disk"]["free_mb"] < 3
    assert "磁盘空间不足" in hudang("status").stdout
    assert hudang("verify").code == 0

    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
    again = hudang.ingest(batch)
    assert {o["status"] for o in again} <= {"filed", "duplicate", "quarantined"}, again
    filed = [r for room in ("1-1-301", "1-1-302")
             for r in hudang.json("household", "show", f"金第花园/{room}")["records"]]
    assert len(filed) == 16 - len(bad) and {r["form"] for r in filed} == {"complaint"}   # each exactly once
    entries = hudang.json("quarantine", "list")["entries"]
    assert sorted(e["source"] for e in entries) == bad
    assert all(e.get("file") for e in entries)
    assert hudang("verify").code == 0


def test_a_quarantine_entry_is_whole_or_absent_when_the_disk_fills(small_disk: Path, tmp_path: Path) -> None:
    from hudang.pipeline.intake import quarantine as q

    root = small_disk / "quarantine"
    big = tmp_path / "大文件.json"
    big.write_bytes(os.urandom(4 * 1024 * 1024))      # larger than the whole disk
    problems = [{"field": None, "code": "unknown_form", "message": "无法判断表单类型"}]
    with pytest.raises(OSError) as caught:
        q.quarantine(root, big, str(big), problems, sha256="ab" * 32)
    assert caught.value.errno == errno.ENOSPC
    assert os.listdir(root) == [] and q.entries(root) == []
    small = tmp_path / "小文件.json"
    small.write_text("{}", encoding="utf-8")
    qid = q.quarantine(root, small, str(small), problems, sha256="cd" * 32)
    [entry] = q.entries(root)
    assert entry["id"] == qid and entry["file"] == "小文件.json" and (root / qid / "小文件.json").is_file()


def test_a_link_in_the_intake_is_not_counted_as_waiting(hudang: Hudang, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("x", encoding="utf-8")
    intake = hudang.home / "intake"
    (intake / "key.json").symlink_to(secret)
    json_form(intake / "投诉.json", "投诉处理单", complaint("TS-W1"))
    status = hudang.json("status")
    assert (status["waiting_in_intake"], status["links_in_intake"]) == (1, 1)
    assert "1 个符号链接" in hudang("status").stdout


def test_the_service_sweeps_a_dead_run_s_copies_when_it_starts(hudang: Hudang) -> None:
    from test_watch import Watcher

    from builders import wait_until

    snapshots = hudang.home / "run" / "snapshots"
    dead = snapshots / "p999999999-1" / "abc"   # no such process
    dead.mkdir(parents=True)
    (dead / "登记表.json").write_text("{}", encoding="utf-8")
    service = Watcher(hudang)
    try:
        wait_until(lambda: not (snapshots / "p999999999-1").exists(), 30, "sweep at start")
    finally:
        service.stop()


@pytest.mark.slow
def test_a_full_disk_pauses_the_service_which_resumes_by_itself(small_disk: Path, tmp_path: Path,
                                                               roster_csv: Path) -> None:
    """The home on a 3 MB disk, the intake on another (a share): the burst fills the disk; the service stays up,
    says it paused (status and log, in Chinese), leaves no empty quarantine entry, and once there is room again
    files every form exactly once without a restart."""
    from test_watch import Watcher, _configure

    hudang = new_home(small_disk / "home")
    assert {o["status"] for o in hudang.ingest(roster_csv)} == {"imported"}
    _configure(hudang)
    intake = tmp_path / "intake"
    intake.mkdir()
    config = hudang.home / "config.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('folder = "intake"', f'folder = "{intake}"'),
                      encoding="utf-8")
    service = Watcher(hudang)
    try:
        rng = random.Random(5)
        for n in range(16):
            text = "".join(rng.choice("漏水发霉墙皮脱落请尽快处理楼上卫生间") for _ in range(100_000))
            json_form(intake / f"{n:02d}.json", "投诉处理单",
                      complaint(f"TS-F{n}", room=f"1-1-30{n % 2 + 1}", 投诉内容=text))
        wait_until(lambda: hudang.json("status")["paused"], what="the service to pause")
        paused = hudang.json("status")
        assert paused["running"] and service.proc.poll() is None
        assert "磁盘空间不足" in paused["paused"]["reason"] and "自动继续" in paused["paused"]["reason"]
        text = hudang("status").stdout
        assert "已暂停" in text and "磁盘空间不足" in text, text
        for entry in hudang.json("quarantine", "list")["entries"]:
            assert entry.get("file") and entry.get("status") == "pending", entry
        filed_before = sum(paused["today"]["counts"].values())
        assert filed_before < 16

        subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
        wait_until(lambda: sum(hudang.json("status")["today"]["counts"].values()) >= 16, 120, "all 16 filed")
        status = hudang.json("status")
        assert status["paused"] is None and status["today"]["counts"] == {"filed": 16}
        assert service.proc.poll() is None
    finally:
        assert service.stop() == 0
    filed = [r for room in ("1-1-301", "1-1-302") for r in hudang.json("household", "show", f"金第花园/{room}")["records"]]
    assert len(filed) == 16
    assert hudang.json("quarantine", "list")["entries"] == []
    assert sorted(p.name for p in (intake / ".done").rglob("*.json")) == [f"{n:02d}.json" for n in range(16)]
    assert not list((intake / ".processing").rglob("*.json"))
    log = (hudang.home / "logs" / "hudang.log").read_text(encoding="utf-8")
    assert "磁盘空间已恢复，接收继续" in log
    assert hudang("verify").code == 0


ODD_NAMES = {"回车\r换行.json": "回车\\r换行.json", "\x1b[31m红色\x1b[0m.json": "\\x1b[31m红色\\x1b[0m.json",
             "反向\u202egnp.json": "反向\\u202egnp.json", "制表\t符.json": "制表\\t符.json"}


def test_control_and_bidi_characters_in_names_are_shown_escaped_everywhere(hudang: Hudang, tmp_path: Path) -> None:
    """A carriage return, a terminal escape or a right-to-left override in a file name is shown as its
    escape on the terminal, in the log, in the quarantine report and list — never acted on — and the
    filed record keeps the name's exact bytes."""
    hudang("estates", "add", "金第花园")
    folder = tmp_path / "in"
    folder.mkdir()
    for n, name in enumerate(ODD_NAMES):
        (folder / name).write_text('{"表单": ' * (n + 1), encoding="utf-8")   # broken: quarantined
    json_form(folder / "好\x1b[2J的.json", "投诉处理单", complaint("TS-ODD-1"))
    shown = hudang("ingest", folder, check=False)
    listed = hudang("quarantine", "list").stdout
    log = (hudang.home / "logs" / "hudang.log").read_text(encoding="utf-8")
    reports = "".join(p.read_text(encoding="utf-8") for p in (hudang.home / "quarantine").glob("*/报告.txt"))
    for text in (shown.stdout + shown.stderr, listed, log, reports):
        assert not any(c in text for c in "\x1b\r\t\u202e"), text
    for escaped in ODD_NAMES.values():
        assert escaped in shown.stdout and escaped in listed and escaped in log and escaped in reports
    [filed] = [o for o in hudang.ingest(folder) if o["status"] in ("filed", "duplicate")]
    assert filed["source"].endswith("好\\x1b[2J的.json")
    [prov] = [json.loads(p.read_text(encoding="utf-8")) for p in (hudang.home / "archive").rglob("provenance.json")]
    assert bytes.fromhex(prov["source_name_bytes"]).decode() == "好\x1b[2J的.json"


def test_a_folder_that_cannot_be_listed_is_reported_not_skipped(hudang: Hudang, tmp_path: Path) -> None:
    """A folder below a path longer than the system allows (4096 bytes) cannot be opened: it gets its
    outcome naming why, the files beside it are filed."""
    hudang("estates", "add", "金第花园")
    folder = tmp_path / "in"
    json_form(folder / "好.json", "投诉处理单", complaint("TS-DEEP-1"))
    fd = os.open(folder, os.O_RDONLY)
    for _ in range(18):   # 18 × 241 bytes: past PATH_MAX, made one level at a time
        os.mkdir("层" * 80, dir_fd=fd)
        inner = os.open("层" * 80, os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = inner
    leaf = os.open("深处.json", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
    os.write(leaf, b"{}")
    os.close(leaf)
    os.close(fd)
    outcomes = hudang.ingest(folder)
    assert [o["status"] for o in outcomes if o["source"].endswith("好.json")] == ["filed"]
    [deep] = [o for o in outcomes if "层" in o["source"]]
    assert deep["status"] == "ignored" and "路径或文件名过长" in deep["warnings"][0]["message"]
    subprocess.run(["rm", "-rf", str(folder / ("层" * 80))], check=True)


def test_a_file_gone_between_listing_and_reading_is_ignored_not_quarantined(tmp_path: Path) -> None:
    """A file listed, then moved or deleted before it is read (another clerk took it): ignored with the
    reason, never an empty quarantine entry that cannot be retried."""
    from hudang.errors import Rejection
    from hudang.forms.readers.model import ReadLimits
    from hudang.pipeline.intake import stages
    from hudang.pipeline.intake.outcomes import IGNORED

    folder = tmp_path / "in"
    first = json_form(folder / "a.json", "投诉处理单", complaint("TS-GONE-1"))
    second = json_form(folder / "b.json", "投诉处理单", complaint("TS-GONE-2"))
    items = list(stages.discover([folder]))
    first.unlink()                                        # gone before it is looked at
    with pytest.raises(Rejection) as caught:
        stages.admit(items[0], ReadLimits())
    assert caught.value.status == IGNORED and caught.value.problems[0].code == "vanished"
    admitted = stages.admit(items[1], ReadLimits())
    second.unlink()                                       # gone after it was looked at, before the copy
    with pytest.raises(Rejection) as caught:
        stages.snapshot(admitted, tmp_path / "snapshots")
    assert caught.value.status == IGNORED and "已被移走或删除" in caught.value.problems[0].message
