"""Backups: a provable destination, generations that share unchanged units, a consistent copy while
the intake service files a burst, and a restore whose searches, figures and letter numbers go on."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from builders import complaint, json_form, wait_until
from conftest import HUDANG, Hudang

pytestmark = pytest.mark.slow


def _filed(hudang: Hudang, home: Path | None = None) -> int:
    args = ("--home", str(home)) if home else ()
    return int(hudang.json(*args, "search", "楼道灯", "--form", "complaint", "--limit", "1")["total"])


def test_a_destination_must_be_proven(hudang: Hudang, tmp_path: Path) -> None:
    missing = hudang("backup", "create", tmp_path / "nas", "--json", check=False)
    assert missing.code == 2 and missing.json["error"]["code"] == "backup_dest"
    unmounted = tmp_path / "mnt-nas"   # an empty mount point whose NAS is not mounted
    unmounted.mkdir()
    refused = hudang("backup", "create", unmounted, check=False)
    assert refused.code == 2 and "没有挂载" in refused.stderr and not any(unmounted.iterdir())
    (unmounted / "something.txt").write_text("x")
    assert hudang("backup", "create", unmounted, "--init", check=False).code == 2  # not empty: not ours
    (unmounted / "something.txt").unlink()
    assert hudang("backup", "create", unmounted, "--init").code == 0
    other = tmp_path / "other"
    other.mkdir()
    (other / "home").mkdir()
    other_home = Hudang(other / "home", {**hudang.env, "HUDANG_HOME": str(other / "home")})
    other_home("init")
    mixed = other_home("backup", "create", unmounted, "--init", check=False)
    assert mixed.code == 2 and "另一个数据目录" in mixed.stderr


def test_a_full_backup_disk_is_said_so_leaves_nothing_half_written_and_the_next_run_finishes(
        hudang: Hudang, roster_csv: Path, small_disk: Path) -> None:
    """The backup place fills up during a backup: the message names it (it blamed the data home's disk), no
    half-written generation is left to fill it further, the last good backup is still the last good one, and
    the next backup, with room made, completes."""
    hudang.ingest(roster_csv)
    assert hudang("backup", "create", small_disk, "--init").code == 0
    filler = small_disk / "别的文件.bin"
    free = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
    with open(filler, "wb") as fh:
        fh.write(b"\0" * max(free - 12 * 1024, 0))   # a dozen KB left: the probe fits, a generation does not
    full = hudang("backup", "create", small_disk, check=False)
    assert full.code == 1 and f"备份位置 {small_disk} 的磁盘已写满" in full.stderr, full.stderr
    assert not [p.name for p in small_disk.iterdir() if p.name.startswith(".partial-")]
    assert not list((small_disk / "units").glob(".incoming-*"))
    assert len(hudang.json("backup", "verify", small_disk)["generations"]) == 1
    filler.unlink()
    assert hudang("backup", "create", small_disk).code == 0
    assert len(hudang.json("backup", "verify", small_disk, "--all")["generations"]) == 2


def _store_units(dest: Path) -> list[Path]:
    return [u for fan in (dest / "units").iterdir() if len(fan.name) == 2 for u in fan.iterdir()]


def test_a_later_generation_copies_only_new_units_and_shares_the_rest(hudang: Hudang, tmp_path: Path) -> None:
    """Units never change: a move renames a record's folder, a void is a new event unit. So the second
    generation copies exactly the units filed since, lists the moved units where they now are, and holds
    no archive file of its own; pruning keeps every unit a remaining generation lists."""
    hudang("estates", "add", "金第花园")
    for n in range(3):
        json_form(tmp_path / "in" / f"c{n}.json", "投诉处理单", complaint(f"TS-{n}"))
    ids = [o["record_id"] for o in hudang.ingest(tmp_path / "in")]
    hudang("forms", "blank", "投诉处理单", "--household", "金第花园/3-2-1201")   # a stored layout in layouts/
    dest = tmp_path / "nas"
    dest.mkdir()
    first = hudang.json("backup", "create", dest, "--init")
    assert first["records"] == 3 and first["units_new"] == first["units"] and first["units_shared"] == 0
    json_form(tmp_path / "in2" / "c9.json", "投诉处理单", complaint("TS-9"))
    hudang.ingest(tmp_path / "in2")
    hudang("record", "move", ids[0], "金第花园/1-1-301", "--reason", "录错")
    hudang("record", "void", ids[1], "--reason", "误录")
    time.sleep(1.1)  # generations are named by the second
    second = hudang.json("backup", "create", dest)
    assert second["records"] == 4
    # new: TS-9's version, the move event, the void event; the moved record's units are not copied again
    assert second["units_new"] == 3 and second["units_shared"] == first["units"]
    assert second["units"] == first["units"] + 3 == len(_store_units(dest))
    gen = Path(second["path"])
    assert not list(gen.rglob("MANIFEST.sha256"))   # no unit inside a generation: all in the shared store
    [layout] = (gen / "home" / "layouts").glob("*.json")   # unchanged state is shared with the first too
    assert layout.stat().st_ino == (Path(first["path"]) / "home" / "layouts" / layout.name).stat().st_ino
    assert second["files_linked"] >= 1
    listed = (gen / "units.list").read_text(encoding="utf-8")
    assert "/1-1-301/" in listed and listed.count("  ") == second["units"]
    assert hudang.json("backup", "verify", dest, "--all")["ok"] is True
    assert hudang.json("status")["backup"]["generation"] == second["generation"]

    # keep 1: the first generation goes, every unit stays (the second lists them all); a unit nobody lists
    # (left by a killed run) goes
    stray = dest / "units" / "ff" / ("f" * 64)
    stray.mkdir(parents=True)
    (stray / "MANIFEST.sha256").write_text("x\n")
    time.sleep(1.1)
    third = hudang.json("backup", "create", dest, "--keep", "1")
    assert third["pruned"] == [first["generation"], second["generation"]] and third["units_removed"] == 1
    assert third["units_new"] == 0 and len(_store_units(dest)) == third["units"]
    assert hudang.json("backup", "verify", dest, "--all")["ok"] is True
    restored = hudang.json("backup", "restore", dest, tmp_path / "restored")
    assert restored["verify_ok"] is True and restored["records"] == 4


def test_a_damaged_or_missing_unit_in_the_store_is_named(hudang: Hudang, tmp_path: Path) -> None:
    hudang("estates", "add", "金第花园")
    for n in range(2):
        json_form(tmp_path / "in" / f"c{n}.json", "投诉处理单", complaint(f"TS-{n}"))
    hudang.ingest(tmp_path / "in")
    dest = tmp_path / "nas"
    dest.mkdir()
    made = hudang.json("backup", "create", dest, "--init")
    units = {line.split("  ")[1]: line.split("  ")[0]
             for line in (Path(made["path"]) / "units.list").read_text(encoding="utf-8").splitlines()}
    changed_rel = next(rel for rel in units if rel.endswith("/v1"))
    original = dest / "units" / units[changed_rel][:2] / units[changed_rel] / "original.json"
    original.chmod(0o644)
    original.write_text(original.read_text(encoding="utf-8").replace("张三", "李四"), encoding="utf-8")
    gone_rel = next(rel for rel in units if rel.endswith("/v1") and rel != changed_rel)
    import shutil
    shutil.rmtree(dest / "units" / units[gone_rel][:2] / units[gone_rel])
    bad = hudang("backup", "verify", dest, "--json", check=False)
    assert bad.code == 1
    [gen] = bad.json["generations"]
    found = {(p["code"], p["path"]) for p in gen["problems"]}
    assert ("changed", f"archive/{changed_rel}/original.json") in found
    assert ("unit_missing", f"archive/{gone_rel}") in found
    human = hudang("backup", "verify", dest, check=False).stdout
    assert f"archive/{changed_rel}/original.json" in human and "被修改或损坏" in human
    # the next generation brings the missing unit back from the archive; the changed one stays named
    time.sleep(1.1)
    again = hudang.json("backup", "create", dest)
    assert again["units_new"] == 1
    assert [p["path"] for p in hudang("backup", "verify", dest, "--json", check=False).json["generations"][0]
            ["problems"]] == [f"archive/{changed_rel}/original.json"]


def _units_listed(gen: Path) -> dict[str, str]:
    return {line.split("  ")[1]: line.split("  ")[0]
            for line in (gen / "units.list").read_text(encoding="utf-8").splitlines()}


def test_a_unit_changed_in_the_archive_after_filing_is_named_and_not_stored_as_good(
        hudang: Hudang, tmp_path: Path) -> None:
    """A unit's file changed in the home after filing: `create` warns naming the unit and the file, writes a
    whole generation, keeps the changed bytes only in that generation's damaged/ folder (never in the store
    as a good unit), and the next backup after the repair stores the good unit. A changed manifest of a unit
    the backup already holds keeps the good copy in the generation."""
    import shutil
    hudang("estates", "add", "金第花园")
    json_form(tmp_path / "in" / "c0.json", "投诉处理单", complaint("TS-0"))
    hudang.ingest(tmp_path / "in")
    dest = tmp_path / "nas"
    dest.mkdir()
    first = hudang.json("backup", "create", dest, "--init")
    kept_rel = next(rel for rel in _units_listed(Path(first["path"])) if rel.endswith("/v1"))
    json_form(tmp_path / "in2" / "c1.json", "投诉处理单", complaint("TS-1", 投诉人="王五"))
    [new] = hudang.ingest(tmp_path / "in2")
    home = Path(hudang.env["HUDANG_HOME"])
    [unit] = [u.parent for u in (home / "archive").rglob("MANIFEST.sha256")
              if u.parent.parent.name in (new["record_id"], new.get("archive_no"))
              and u.parent.name == "v1"]
    original = unit / "original.json"
    good = original.read_bytes()
    original.chmod(0o644)
    original.write_bytes(good.replace("王五".encode(), "赵六".encode()))

    time.sleep(1.1)
    made = hudang("backup", "create", dest)
    assert made.code == 0
    rel = unit.relative_to(home / "archive").as_posix()
    assert f"档案单元 {rel} 的文件 original.json 与其清单不符" in made.stderr   # names the record and the unit
    second = hudang.json("backup", "verify", dest, check=False)   # the generation is whole, its damage named
    gen = dest / hudang.json("status")["backup"]["generation"]
    listed = _units_listed(gen)
    assert set(listed) >= {rel, kept_rel} and len(listed) == len(_units_listed(Path(first["path"]))) + 1
    digest = listed[rel]
    assert not (dest / "units" / digest[:2] / digest).exists()     # the changed bytes are not a good unit
    assert "赵六" in (gen / "damaged" / digest / "original.json").read_text(encoding="utf-8")
    assert json.loads((gen / "backup.json").read_text(encoding="utf-8"))["units_damaged"] == [rel]
    assert second["ok"] is False
    found = {(p["code"], p["path"]) for p in second["generations"][0]["problems"]}
    assert found == {("damaged_in_archive", f"archive/{rel}"), ("changed", f"archive/{rel}/original.json")}
    restored = hudang("backup", "restore", dest, tmp_path / "restored", "--json", check=False)
    assert restored.code == 1    # the home comes back as it was at the backup, its damage reported
    assert "赵六" in (tmp_path / "restored" / "archive" / rel / "original.json").read_text(encoding="utf-8")
    assert restored.json["records"] == 2 and restored.json["indexed"] >= 2

    # repaired in the archive: the next generation stores the good unit, and everything verifies
    original.write_bytes(good)
    time.sleep(1.1)
    third = hudang("backup", "create", dest, "--json")
    assert not [w for w in third.json["warnings"] if "档案单元" in w] and third.json["units_new"] == 1
    assert (dest / "units" / digest[:2] / digest / "original.json").read_bytes() == good
    assert hudang.json("backup", "verify", dest)["ok"] is True

    # a changed manifest of a unit the backup holds: the generation lists the good unit it already has
    manifest = home / "archive" / kept_rel / "MANIFEST.sha256"
    manifest.chmod(0o644)
    manifest.write_text(manifest.read_text(encoding="utf-8") + "0" * 64 + "  forged.txt\n", encoding="utf-8")
    time.sleep(1.1)
    fourth = hudang("backup", "create", dest, "--json")
    [warning] = [w for w in fourth.json["warnings"] if "档案单元" in w]
    assert warning.startswith(f"档案单元 {kept_rel} 的清单 MANIFEST.sha256 与校验日志登记的不符")
    assert _units_listed(Path(fourth.json["path"]))[kept_rel] == _units_listed(Path(first["path"]))[kept_rel]
    assert hudang.json("backup", "verify", dest)["ok"] is True
    shutil.rmtree(tmp_path / "restored")
    assert hudang.json("backup", "restore", dest, tmp_path / "restored")["verify_ok"] is True


def _format1_generation(home: Path, dest: Path, name: str) -> None:
    """A generation as the first backup format wrote it: the whole home (units included) under home/, a
    manifest of the files outside the units with paths from home/, backup.json with format 1."""
    import hashlib
    import shutil
    import sqlite3
    gen = dest / name
    out = gen / "home"
    shutil.copytree(home / "archive", out / "archive", ignore=shutil.ignore_patterns(".staging"))
    for f in ("config.toml", "secret.key", "audit.log"):
        shutil.copy2(home / f, out / f)
    src, dst = sqlite3.connect(home / "catalog.sqlite"), sqlite3.connect(out / "catalog.sqlite")
    src.backup(dst)
    src.close()
    dst.close()
    shutil.copytree(home / "forms", out / "forms")
    lines = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(out).as_posix()}"
             for p in sorted(out.rglob("*")) if p.is_file() and (out / "archive") not in p.parents]
    (gen / "BACKUP-MANIFEST.sha256").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (gen / "backup.json").write_text(json.dumps({"format": 1, "generation": name, "at": "2026-12-01T02:30:00+08:00",
                                                "records": 2}), encoding="utf-8")


def test_a_destination_of_the_first_format_still_verifies_restores_and_seeds_the_store(
        hudang: Hudang, tmp_path: Path) -> None:
    hudang("estates", "add", "金第花园")
    for n in range(2):
        json_form(tmp_path / "in" / f"c{n}.json", "投诉处理单", complaint(f"TS-{n}"))
    hudang.ingest(tmp_path / "in")
    dest = tmp_path / "nas"
    dest.mkdir()
    hudang("backup", "create", dest, "--init")
    import shutil
    for made in list(dest.iterdir()):   # start again from a destination the first format made
        if made.name != "HUDANG-BACKUP.json":
            shutil.rmtree(made) if made.is_dir() else made.unlink()
    _format1_generation(hudang.home, dest, "20261201-023000")
    checked = hudang.json("backup", "verify", dest)
    assert checked["ok"] is True and checked["generations"][0]["format"] == 1
    old = hudang.json("backup", "restore", dest, tmp_path / "from-old")
    assert old["verify_ok"] is True and old["records"] == 2

    json_form(tmp_path / "in2" / "c9.json", "投诉处理单", complaint("TS-9"))
    hudang.ingest(tmp_path / "in2")
    made = hudang.json("backup", "create", dest)
    # the store is filled from the old generation by hard links; only the new unit's files are copied
    assert made["units_new"] == made["units"] and made["files_linked"] > made["files_copied"]
    checked = hudang.json("backup", "verify", dest, "--all")
    assert checked["ok"] is True and [g["format"] for g in checked["generations"]] == [1, 2]
    new = hudang.json("backup", "restore", dest, tmp_path / "from-new")
    assert new["verify_ok"] is True and new["records"] == 3


NOW = "2026-11-26T10:00:00+08:00"


def test_backup_during_a_watch_burst_restores_the_same_archive(hudang: Hudang, roster_csv: Path,
                                                               tmp_path: Path) -> None:
    hudang.env["HUDANG_NOW"] = NOW
    hudang.ingest(roster_csv)
    ledger = tmp_path / "收费台账.csv"
    ledger.write_text("项目,房号,费用项目,所属期间,应收金额,实收金额,收费日期\n"
                      "金第花园,3-2-1201,物业服务费,2026-05,300.00,0,\n", encoding="utf-8")
    reminders = tmp_path / "催缴记录.csv"
    reminders.write_text("项目,房号,日期,方式,备注\n金第花园,3-2-1201,2026-07-10,电话,\n", encoding="utf-8")
    hudang.ingest(ledger, reminders)
    docx_only = {"PATH": str(tmp_path)}   # no LibreOffice on PATH: letters as DOCX, numbering unchanged
    [letter] = hudang.json("letters", "dunning", "--as-of", "2026-11-26", env=docx_only)["letters"]
    assert letter["number"] == "〔2026〕催字第001号"

    config = hudang.home / "config.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("stable_seconds = 2 ", "stable_seconds = 0.3 ")
                      .replace("rescan_seconds = 60 ", "rescan_seconds = 1 "), encoding="utf-8")
    log = open(tmp_path / "watch.log", "w")
    watch = subprocess.Popen([*HUDANG, "watch", "--workers", "1"], env=hudang.env, stdout=log,
                             stderr=subprocess.STDOUT)
    dest = tmp_path / "nas"
    dest.mkdir()
    try:
        wait_until(lambda: hudang.json("status")["running"], 60, "the service")
        burst = 60
        for n in range(burst):
            rooms = ("1-1-301", "1-2-302", "2-1-1201", "3-2-1201")
            json_form(hudang.home / "intake" / "投诉处理单" / f"c{n:03d}.json", "投诉处理单",
                      complaint(f"TS-B{n:03d}", room=rooms[n % 4], 投诉内容=f"楼道灯不亮，第{n}号"))
        wait_until(lambda: _filed(hudang) > 0, 120, "the first filings")
        during = hudang.json("backup", "create", dest, "--init")
        wait_until(lambda: _filed(hudang) == burst, 240, "the whole burst")
    finally:
        watch.send_signal(signal.SIGTERM)
        watch.wait(timeout=60)
        log.close()
    time.sleep(1.1)
    after = hudang.json("backup", "create", dest)
    checked = hudang.json("backup", "verify", dest, "--all")
    assert checked["ok"] is True, checked   # the mid-burst generation is consistent too
    assert 0 < during["records"] <= after["records"]

    mid = tmp_path / "restored-mid"
    restored_mid = hudang.json("backup", "restore", dest, mid, "--generation", during["generation"])
    assert restored_mid["verify_ok"] is True and restored_mid["records"] == during["records"]

    target = tmp_path / "restored"
    restored = hudang.json("backup", "restore", dest, target)
    assert restored["verify_ok"] is True and restored["records"] == after["records"]
    assert hudang.json("--home", str(target), "verify")["ok"] is True

    def same(*args: str) -> None:
        assert hudang.json("--home", str(target), *args) == hudang.json(*args), args
    same("search", "楼道灯", "--limit", "100")
    same("search", "渗漏水 OR 楼道灯", "--household", "金第花园/3-2-1201", "--limit", "100")
    same("household", "show", "金第花园/2-1-1201")
    same("fees", "arrears", "--as-of", "2026-11-26")
    report = [json.dumps({k: v for k, v in hudang.json(*home, "report", "monthly", "2026-11", "--figures-only")
                          .items() if k != "outputs"}, sort_keys=True, ensure_ascii=False)
              for home in ((), ("--home", str(target)))]
    assert report[0] == report[1]
    # Letter numbers go on from the restored archive: the voided 001 is not reused.
    hudang("--home", str(target), "record", "void", letter["record_id"], "--reason", "金额有误，重发")
    again = hudang.json("--home", str(target), "letters", "dunning", "--as-of", "2026-11-26", env=docx_only)
    assert [x["number"] for x in again["letters"]] == ["〔2026〕催字第002号"]


def test_timer_units_for_a_nightly_backup_and_a_weekly_verify_verify(hudang: Hudang, tmp_path: Path) -> None:
    assert hudang("service-unit", "--timers", tmp_path / "units", check=False).code == 2  # no destination known
    listed = hudang("service-unit", "--timers", tmp_path / "units", "--backup-dest", "/mnt/nas/hudang",
                    "--user", "root").stdout.split()
    names = sorted(Path(p).name for p in listed)
    assert names == ["hudang-backup.service", "hudang-backup.timer", "hudang-verify.service", "hudang-verify.timer"]
    units = tmp_path / "units"
    assert 'backup create "/mnt/nas/hudang"' in (units / "hudang-backup.service").read_text(encoding="utf-8")
    assert "OnCalendar=Sun" in (units / "hudang-verify.timer").read_text(encoding="utf-8")
    for name in names:
        proc = subprocess.run(["systemd-analyze", "verify", str(units / name)], capture_output=True, text=True,
                              timeout=60)
        assert proc.returncode == 0, (name, proc.stderr)


def test_a_restore_brings_back_web_users_layouts_and_import_profiles(hudang: Hudang, roster_csv: Path,
                                                                    tmp_path: Path) -> None:
    """State beside the archive: the web's users (web.sqlite3), the stored layouts of printed blanks (a scan
    of an old blank is read by its layout) and the office's own import profiles."""
    hudang.ingest(roster_csv)
    subprocess.run([*HUDANG, "users", "add", "王档案", "--role", "档案员", "--password-stdin"], env=hudang.env,
                   input="备份测试-口令-2026\n", text=True, check=True, capture_output=True)
    hudang("forms", "blank", "投诉处理单", "--household", "金第花园/1-1-301")
    layouts = sorted(p.name for p in (hudang.home / "layouts").glob("*.json"))
    assert layouts
    hudang("import-profile", "save", "本处房屋", "--kind", "roster", "--map", "门牌=房号")
    dest = tmp_path / "nas"
    dest.mkdir()
    hudang("backup", "create", dest, "--init")
    target = tmp_path / "restored"
    assert hudang.json("backup", "restore", dest, target)["verify_ok"] is True
    assert sorted(p.name for p in (target / "layouts").glob("*.json")) == layouts
    assert (target / "import-profiles" / "本处房屋.toml").is_file()
    users = hudang.proc("--home", str(target), "users", "list", "--json").json   # Django in its own process
    assert [u["name"] for u in users["users"]] == ["王档案"]


PASSWORD = "纸质档案-2026"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_backup_while_hudang_serve_runs_keeps_users_and_a_live_session(hudang: Hudang, roster_csv: Path,
                                                                      tmp_path: Path) -> None:
    """`hudang serve` (gunicorn) runs and a logged-in user keeps making requests (each one saves the session
    in web.sqlite3 and the login wrote the audit log) while a user is added and the backup is taken: the
    restored home has both users, the very session the browser holds, and verifies clean."""
    hudang.ingest(roster_csv)
    subprocess.run([*HUDANG, "users", "add", "前台", "--role", "客服", "--password-stdin"], env=hudang.env,
                   input=PASSWORD + "\n", text=True, check=True, capture_output=True)
    port = _free_port()
    log = open(tmp_path / "serve.log", "w")
    server = subprocess.Popen([*HUDANG, "serve", "--port", str(port), "--workers", "1"], env=hudang.env,
                              stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    requests = 0
    stop = threading.Event()
    failures: list[str] = []

    def browse() -> None:   # the logged-in user at work: every request writes the session row
        nonlocal requests
        while not stop.is_set():
            try:
                page = opener.open(f"{base}/", timeout=30).read().decode()
                if "搜索档案" not in page:
                    failures.append(page[:200])
            except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
                failures.append(repr(exc))
            requests += 1

    dest = tmp_path / "nas"
    dest.mkdir()
    browser = threading.Thread(target=browse)
    try:
        def login_page() -> str | None:
            try:
                return str(opener.open(f"{base}/login/?next=/", timeout=30).read().decode())
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None, (tmp_path / "serve.log").read_text()
                return None
        wait_until(login_page, 60, "hudang serve")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page() or "")
        assert token is not None
        form = urllib.parse.urlencode({"username": "前台", "password": PASSWORD, "next": "/",
                                       "csrfmiddlewaretoken": token.group(1)}).encode()
        answer = opener.open(urllib.request.Request(f"{base}/login/", data=form,
                                                    headers={"Referer": f"{base}/login/"}), timeout=30)
        assert answer.url == f"{base}/"
        browser.start()
        wait_until(lambda: requests >= 3, 60, "the browsing")
        subprocess.run([*HUDANG, "users", "add", "夜班", "--role", "档案员", "--password-stdin"], env=hudang.env,
                       input=PASSWORD + "\n", text=True, check=True, capture_output=True)
        made = hudang.json("backup", "create", dest, "--init")
        at_backup = requests
        wait_until(lambda: requests >= at_backup + 3, 60, "browsing after the backup")
    finally:
        stop.set()
        if browser.is_alive():
            browser.join(timeout=60)
        server.terminate()
        server.wait(timeout=30)
        log.close()
    assert not failures, failures[:3]
    [session_key] = [c.value for c in jar if c.name == "sessionid"]

    assert hudang.json("backup", "verify", dest)["ok"] is True
    target = tmp_path / "restored"
    restored = hudang.json("backup", "restore", dest, target)
    assert restored["verify_ok"] is True and restored["generation"] == made["generation"]
    assert restored["records"] == made["records"] and made["units"] > 0   # the roster import's units
    users = hudang.proc("--home", str(target), "users", "list", "--json").json   # Django in its own process
    assert sorted(u["name"] for u in users["users"]) == sorted(["前台", "夜班"])
    conn = sqlite3.connect(target / "web.sqlite3")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM django_session WHERE session_key = ?",
                            (session_key,)).fetchone()[0] == 1
    finally:
        conn.close()
    assert hudang.json("--home", str(target), "verify")["ok"] is True
