"""The intake service with real watchdog events and real `hudang watch` subprocesses.

Tests wait for an event (an outcome counted in `hudang status`), never for a fixed time: a file that must
not be taken is shown not taken by a file dropped after it being filed first."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hudang.pipeline.service import claims

from builders import complaint, docx_form, json_form, registration, wait_until
from conftest import HUDANG, Hudang

pytestmark = pytest.mark.slow

STABLE = 0.4


def _configure(hudang: Hudang, *, stable: float = STABLE, rescan: float = 1.0, polling: bool = False) -> None:
    config = hudang.home / "config.toml"
    text = config.read_text(encoding="utf-8")
    text = text.replace("stable_seconds = 2 ", f"stable_seconds = {stable} ")
    text = text.replace("rescan_seconds = 60 ", f"rescan_seconds = {rescan} ")
    text = text.replace("polling = false", f"polling = {'true' if polling else 'false'}")
    config.write_text(text, encoding="utf-8")


class Watcher:
    def __init__(self, hudang: Hudang, *args: str) -> None:
        self.hudang = hudang
        self.log = hudang.home / f"watch-{time.monotonic_ns()}.log"
        self.proc = subprocess.Popen([*HUDANG, "watch", *args], env=hudang.env,
                                     stdout=open(self.log, "w"), stderr=subprocess.STDOUT)
        wait_until(lambda: hudang.json("status")["running"] or self.proc.poll() is not None, 30, "service start")
        assert self.proc.poll() is None, self.log.read_text(encoding="utf-8")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)


@pytest.fixture(params=["inotify", "polling"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def service(hudang: Hudang, roster_csv: Path, mode: str) -> Iterator[Watcher]:
    hudang.ingest(roster_csv)
    _configure(hudang, polling=mode == "polling")
    w = Watcher(hudang)
    yield w
    if w.proc.poll() is None:
        w.stop(signal.SIGKILL)


def _intake(hudang: Hudang) -> Path:
    return hudang.home / "intake"


def _filed_count(hudang: Hudang) -> int:
    return sum(hudang.json("status")["today"]["counts"].values())


def _left_in_intake(hudang: Hudang) -> list[Path]:
    found = []
    for dirpath, dirnames, filenames in os.walk(_intake(hudang)):  # tolerant of folders vanishing under it
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        found.extend(Path(dirpath) / f for f in filenames)
    return found


def _sources(hudang: Hudang) -> list[str]:
    """Names of the files in the service's latest outcomes (`last` may lag `counts` by one state write)."""
    return sorted(Path(o["source"]).name for o in hudang.json("status")["last"])


def _claims_left(hudang: Hudang) -> bool:
    folder = _intake(hudang) / ".processing"
    return folder.is_dir() and any(True for _ in os.scandir(folder))


def test_dropped_files_are_filed_released_and_counted(hudang: Hudang, service: Watcher) -> None:
    intake = _intake(hudang)
    (intake / "~$b.docx").write_bytes(b"owner file")   # first: were temp files taken, it would go with the rest
    json_form(intake / "住户登记表" / "a.json", "", registration("1-1-301", "甲"))
    docx_form(intake / "b.docx", "投诉处理单", complaint("TS-W1", room="1-1-302"))
    wait_until(lambda: len(_sources(hudang)) >= 2, what="two outcomes")
    state = hudang.json("status")
    assert state["running"] and state["today"]["counts"] == {"filed": 2}
    assert _sources(hudang) == ["a.json", "b.docx"]
    done = list((intake / ".done").rglob("*.*"))
    assert sorted(p.name for p in done) == ["a.json", "b.docx"]
    assert [p.name for p in _left_in_intake(hudang)] == ["~$b.docx"]  # temp files are left alone
    assert hudang.json("household", "show", "金第花园/1-1-301")["records"][0]["form"] == "registration"
    assert service.stop() == 0
    log = (hudang.home / "logs" / "hudang.log").read_text(encoding="utf-8")
    assert "已归档" in log and "13812345678" not in log


def test_second_watch_is_refused_naming_the_pid(hudang: Hudang, service: Watcher) -> None:
    second = subprocess.run([*HUDANG, "watch"], env=hudang.env, capture_output=True, text=True, timeout=30)
    assert second.returncode == 1 and str(service.proc.pid) in second.stderr and "已在运行" in second.stderr


def _log(hudang: Hudang) -> str:
    path = hudang.home / "logs" / "hudang.log"
    return path.read_text(encoding="utf-8") if path.exists() else ""


GIVEN_BACK = ("稍后重试", "放回收件夹")   # the service's log words for a file it claimed too early and gave back


def _given_back(hudang: Hudang, name: str) -> list[str]:
    return [line for line in _log(hudang).splitlines() if name in line and any(w in line for w in GIVEN_BACK)]


def test_slow_writer_and_a_pausing_writer_are_not_taken_half_written(hudang: Hudang, service: Watcher,
                                                                    tmp_path: Path) -> None:
    """Two guards, each tested alone: a writer that closes the file between chunks is held off by the
    stability window only; a writer that keeps the file open through a long pause, by the open-file check only."""
    folder = _intake(hudang) / "住户登记表"
    data = docx_form(tmp_path / "slow.docx", "住户登记表", registration("2-1-301", "慢")).read_bytes()
    chunk = len(data) // 12 + 1
    began = time.monotonic()
    for i in range(0, len(data), chunk):  # 12 chunks, the file closed after each, each gap a quarter window
        with open(folder / "slow.docx", "ab") as fh:
            fh.write(data[i:i + chunk])
        time.sleep(STABLE * 0.25)
    assert time.monotonic() - began >= 2 * STABLE
    wait_until(lambda: "slow.docx" in _sources(hudang), what="slow.docx filed")
    assert _given_back(hudang, "slow.docx") == [], "a file still growing was claimed"
    data2 = docx_form(tmp_path / "paused.docx", "住户登记表", registration("2-1-302", "停")).read_bytes()
    with open(folder / "paused.docx", "wb") as fh:  # a writer that pauses, the file open, then finishes
        fh.write(data2[: len(data2) // 2])
        fh.flush()
        json_form(folder / "probe.json", "", registration("2-1-1201", "探针"))  # dropped after the pause began
        wait_until(lambda: "probe.json" in _sources(hudang), what="a later file filed during the pause")
        assert (folder / "paused.docx").exists() and _given_back(hudang, "paused.docx") == [], \
            "a file held open by its writer was claimed"
        fh.write(data2[len(data2) // 2:])
    wait_until(lambda: "paused.docx" in _sources(hudang), what="paused.docx filed")
    state = hudang.json("status")
    # A close racing the service's look is read whole and given back once (`duplicate`), never filed half.
    assert state["today"]["counts"]["filed"] == 3 and set(state["today"]["counts"]) <= {"filed", "duplicate"}
    assert state["quarantine"] == 0
    for name, expected in (("2-1-301", data), ("2-1-302", data2)):
        [rec] = hudang.json("household", "show", f"金第花园/{name}")["records"]
        files = hudang.json("record", "show", rec["record_id"])["files"]
        original = next(f for f in files if "/original" in f["path"])
        assert original["sha256"] == hashlib.sha256(expected).hexdigest()


def test_burst_of_500_taken_exactly_once(hudang: Hudang, service: Watcher) -> None:
    folder = _intake(hudang) / "投诉处理单"
    for i in range(500):
        json_form(folder / f"c{i:03d}.json", "", complaint(f"TS-B{i:03d}", room="3-2-1201"))
    wait_until(lambda: _filed_count(hudang) >= 500, timeout=180, what="500 outcomes")
    assert hudang.json("status")["today"]["counts"] == {"filed": 500}
    records = hudang.json("household", "show", "金第花园/3-2-1201")["records"]
    assert len(records) == 500 and len({r["number"] for r in records}) == 500
    assert _left_in_intake(hudang) == []
    assert hudang("verify").code == 0


def test_part_file_renamed_is_taken_once_under_its_final_name(hudang: Hudang, service: Watcher,
                                                              tmp_path: Path) -> None:
    folder = _intake(hudang) / "投诉处理单"
    part = json_form(folder / "x.json.part", "", complaint("TS-P1"))
    json_form(folder / "first.json", "", complaint("TS-P0"))   # dropped after the .part: its window ends later
    wait_until(lambda: "first.json" in _sources(hudang), what="first.json")
    assert part.exists() and _sources(hudang) == ["first.json"]   # the .part held still as long: not taken
    part.rename(part.with_name("x.json"))
    wait_until(lambda: "x.json" in _sources(hudang), what="x.json")
    json_form(folder / "last.json", "", complaint("TS-P2"))    # a second take of x.json would come before it
    wait_until(lambda: "last.json" in _sources(hudang), what="last.json")
    assert hudang.json("status")["today"]["counts"] == {"filed": 3}
    assert _sources(hudang) == ["first.json", "last.json", "x.json"]


def test_file_dropped_while_down_is_taken_at_start(hudang: Hudang, roster_csv: Path, mode: str) -> None:
    hudang.ingest(roster_csv)
    _configure(hudang, polling=mode == "polling", rescan=3600)
    json_form(_intake(hudang) / "住户登记表" / "early.json", "", registration("3-1-301"))
    w = Watcher(hudang)
    try:
        wait_until(lambda: _filed_count(hudang) >= 1, what="startup scan")
    finally:
        assert w.stop() == 0


def _drop_mixed(intake: Path, n: int) -> list[bytes]:
    """n files: good forms, some bad, one duplicate pair; returns every dropped file's bytes."""
    dropped = []
    for i in range(n):
        if i % 25 == 7:
            path = json_form(intake / "住户登记表" / f"bad{i:03d}.json", "", registration(name=f"坏{i}", 联系电话="12"))
        else:
            path = json_form(intake / "投诉处理单" / f"k{i:03d}.json", "", complaint(f"TS-K{i:03d}"))
        dropped.append(path.read_bytes())
    dup = intake / "投诉处理单" / "copy-of-k000.json"
    dup.write_bytes(dropped[0])
    dropped.append(dropped[0])
    return dropped


def _accounted(hudang: Hudang) -> tuple[list[str], set[str]]:
    """SHA-256 of every archived original (with repeats) and of every quarantined or unsorted file."""
    archived = [json.loads(p.read_text(encoding="utf-8"))["sha256"]
                for p in (hudang.home / "archive").glob("estates/*/*/*/v*/provenance.json")]
    others = {json.loads(p.read_text(encoding="utf-8"))["sha256"]
              for p in (hudang.home / "quarantine").rglob("report.json")}
    others |= {hashlib.sha256(p.read_bytes()).hexdigest() for p in (hudang.home / "unsorted").glob("*") if p.is_file()}
    return archived, others


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killed_mid_burst_then_restarted_every_file_once(hudang: Hudang, service: Watcher, sig: int) -> None:
    dropped = _drop_mixed(_intake(hudang), 300)
    wait_until(lambda: _filed_count(hudang) >= 40, timeout=120, what="some progress")
    code = service.stop(sig)
    assert code == (0 if sig == signal.SIGTERM else -signal.SIGKILL)
    assert hudang("verify").code == 0  # no half record, whatever the moment
    again = Watcher(hudang)
    try:
        wait_until(lambda: not _left_in_intake(hudang) and not _claims_left(hudang), timeout=180, what="intake drained")
        wait_until(lambda: hudang.json("status")["processing"] == 0, what="claims released")
    finally:
        assert again.stop() == 0
    archived, others = _accounted(hudang)
    assert len(archived) == len(set(archived)), "a file was filed twice"
    wanted = {hashlib.sha256(b).hexdigest() for b in dropped}
    assert wanted == set(archived) | others
    assert len(set(archived)) == 288 and len(others) == 12
    assert hudang("verify").code == 0


def test_systemd_unit_verifies(hudang: Hudang, tmp_path: Path) -> None:
    unit = tmp_path / "hudang-watch.service"
    unit.write_text(hudang("service-unit", "--user", "root").stdout, encoding="utf-8")
    assert "Restart=on-failure" in unit.read_text(encoding="utf-8")
    proc = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert os.access(unit.read_text(encoding="utf-8").split("ExecStart=")[1].split()[0], os.X_OK)


def test_a_failing_index_never_stops_intake(hudang: Hudang, roster_csv: Path) -> None:
    hudang.ingest(roster_csv)
    hudang.ingest(json_form(hudang.home.parent / "seed.json", "住户登记表", registration("1-1-301", "种子")))
    toc = next((hudang.home / "index").glob("_MAIN_*.toc"))
    good = toc.read_bytes()
    toc.write_bytes(b"corrupt")
    _configure(hudang, rescan=1.0)
    w = Watcher(hudang)
    try:
        json_form(_intake(hudang) / "住户登记表" / "late.json", "", registration("1-1-302", "迟到"))
        wait_until(lambda: _filed_count(hudang) >= 1, what="filed despite the index")
        assert hudang.json("status")["backlog"] == {"index": 1}
        toc.write_bytes(good)
        wait_until(lambda: hudang.json("status")["backlog"] == {}, timeout=30, what="backlog retried")
        assert [h["household"] for h in hudang.json("search", "迟到")["hits"]] == ["金第花园/1-1-302"]
    finally:
        assert w.stop() == 0


def test_odd_drops_symlinks_open_writers_bad_names(hudang: Hudang, service: Watcher, tmp_path: Path) -> None:
    intake = _intake(hudang)
    secret = hudang.home / "secret.key"
    (intake / "key.json").symlink_to(secret)                    # never followed out of the intake
    holder = open(intake / "held.json", "w", encoding="utf-8")  # a writer that keeps the file open
    holder.write(json.dumps({"表单": "住户登记表", "字段": registration("3-1-302", "慢慢")}, ensure_ascii=False))
    holder.flush()
    raw = os.fsencode(str(intake / "住户登记表")) + b"/bad\xff\xfename.json"
    with open(raw, "wb") as fh:                                  # a name that is not UTF-8
        fh.write(json.dumps({"表单": "住户登记表", "字段": registration("3-1-1201", "怪名")},
                            ensure_ascii=False).encode("utf-8"))
    wait_until(lambda: _filed_count(hudang) >= 1, what="the odd name filed")
    # held.json has held still since before the odd name came: only the open-file check keeps it back.
    json_form(intake / "住户登记表" / "probe.json", "", registration("3-1-1202", "探针"))
    wait_until(lambda: _filed_count(hudang) >= 2, what="a later file filed")
    assert (intake / "held.json").exists() and _filed_count(hudang) == 2   # still open: not taken
    holder.close()
    wait_until(lambda: _filed_count(hudang) >= 3, what="taken once closed")
    assert (intake / "key.json").is_symlink()
    assert not any(p.read_bytes() == secret.read_bytes() for p in (hudang.home / "quarantine").rglob("*")
                   if p.is_file())
    busy = hudang("ingest", intake, check=False)
    assert busy.code == 2 and "接收服务正在运行" in busy.stderr
    assert service.proc.poll() is None


def test_linked_folders_pipes_and_devices_in_the_intake_stay_put_and_are_named(
        hudang: Hudang, service: Watcher, tmp_path: Path) -> None:
    """A link to a folder outside the intake (or back up to the intake itself: a loop), a FIFO and a device
    file dropped into the intake: none is followed or opened, nothing outside is moved away, each is named
    once in the log, `status` counts them apart from the files waiting, and the good file beside them is
    filed."""
    intake = _intake(hudang)
    outside = tmp_path / "外面"
    json_form(outside / "别人的.json", "住户登记表", registration("3-1-401", "外人"))
    (intake / "链接").symlink_to(outside, target_is_directory=True)
    (intake / "环").mkdir()
    (intake / "环" / "上一层").symlink_to("..", target_is_directory=True)
    os.mkfifo(intake / "管道.json")
    os.mknod(intake / "设备.json", 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    fd = os.open(intake, os.O_RDONLY)
    for _ in range(18):   # a folder chain past PATH_MAX (4096 bytes), made one level at a time
        os.mkdir("深" * 80, dir_fd=fd)
        inner = os.open("深" * 80, os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = inner
    os.close(fd)
    json_form(intake / "住户登记表" / "好的.json", "", registration("3-1-402", "好人"))
    wait_until(lambda: _filed_count(hudang) >= 1, what="the good file taken")
    time.sleep(2 * STABLE + 1.5)   # a rescan (every second here) would have taken anything reachable
    assert _filed_count(hudang) == 1 and _sources(hudang) == ["好的.json"]
    assert (outside / "别人的.json").is_file() and (intake / "管道.json").exists()
    assert service.proc.poll() is None
    status = hudang.json("status")
    assert (status["waiting_in_intake"], status["links_in_intake"]) == (0, 4)
    assert service.stop() == 0
    log = (hudang.home / "logs" / "hudang.log").read_text(encoding="utf-8")
    assert "管道.json 是命名管道（FIFO），不是普通文件，不接收" in log and "设备.json 是设备或特殊文件" in log
    assert log.count("链接 是指向别处的符号链接（文件夹）") == 1 and "上一层 是指向别处的符号链接" in log
    assert log.count("文件夹无法打开（路径或文件名过长") == 1
    subprocess.run(["rm", "-rf", str(intake / ("深" * 80))], check=True)


def test_a_read_only_intake_is_said_once_and_files_are_taken_when_it_is_writable_again(
        hudang: Hudang, service: Watcher) -> None:
    """The intake share mounted read-only: the service keeps running, says why once (in Chinese), and takes
    the files as soon as the share is writable again (root only: a read-only bind mount)."""
    intake = _intake(hudang)
    json_form(intake / "住户登记表" / "只读.json", "", registration("1-1-301", "只读"))
    subprocess.run(["mount", "--bind", str(intake), str(intake)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(intake)], check=True)
        log_file = hudang.home / "logs" / "hudang.log"
        wait_until(lambda: "无法领取收件夹中的文件" in log_file.read_text(encoding="utf-8"), what="said")
        time.sleep(2 * STABLE + 2.5)   # several more rounds, each failing to claim
        log = log_file.read_text(encoding="utf-8")
        assert log.count("无法领取收件夹中的文件") == 1 and "只读" in log and "Errno" not in log
        assert service.proc.poll() is None and _filed_count(hudang) == 0
        subprocess.run(["mount", "-o", "remount,bind,rw", str(intake)], check=True)
        wait_until(lambda: _filed_count(hudang) >= 1, what="taken once writable")
    finally:
        subprocess.run(["umount", str(intake)], check=False)
    assert "收件夹恢复可用" in (hudang.home / "logs" / "hudang.log").read_text(encoding="utf-8")


# ---- claim rounds, without the service: what a restart finds after a kill at each step ----

def _drop(intake: Path, rel: str, data: bytes) -> Path:
    path = intake / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_a_round_killed_part_way_leaves_each_file_in_one_place(tmp_path: Path) -> None:
    intake = tmp_path / "intake"
    files = [_drop(intake, f"投诉处理单/f{i}.json", f"{i}".encode()) for i in range(4)]
    gone = _drop(intake, "g.json", b"g")
    wanted = [(p, p.stat().st_size, p.stat().st_mtime) for p in [*files, gone]]
    gone.unlink()                                   # taken by someone else before the round
    got = claims.claim_round(intake, wanted)
    assert [c.origin for c in got] == files and len({c.id for c in got}) == 4
    assert all(c.file.parent == got[0].folder and not c.origin.exists() for c in got)
    journal = json.loads((got[0].folder / claims.JOURNAL).read_text(encoding="utf-8"))
    assert [e["origin"] for e in journal["files"]] == [f"投诉处理单/f{i}.json" for i in range(4)] + ["g.json"]

    # killed after f0 reached .done and f1 was given back, before f2/f3 were filed
    claims.release(intake, got[0], "move")
    claims.give_back(got[1])
    left = claims.pending(intake)
    assert [(c.id, c.origin, c.file.read_bytes()) for c in left] == [(c.id, c.origin, c.file.read_bytes())
                                                                   for c in got[2:]]
    assert [p.name for p in (intake / claims.DONE).rglob("*.json")] == ["f0.json"]
    assert files[1].read_bytes() == b"1"

    # the restart releases them; the round's folder goes with its last file
    releaser = claims.Releaser(intake, "move")
    releaser.opened(left)
    for c in left:
        releaser.release(c)
    releaser.close()
    assert not any((intake / claims.PROCESSING).iterdir())
    assert sorted(p.name for p in (intake / claims.DONE).rglob("*.json")) == ["f0.json", "f2.json", "f3.json"]
    assert claims.pending(intake) == []


def test_a_round_killed_before_any_rename_needs_nothing(tmp_path: Path) -> None:
    intake = tmp_path / "intake"
    path = _drop(intake, "a.json", b"a")
    folder = intake / claims.PROCESSING / "20260101-000000-deadbeef"
    folder.mkdir(parents=True)
    (folder / claims.JOURNAL).write_text(json.dumps({"files": [{"n": 0, "file": "00000-a.json", "name": "a.json",
                                                               "origin": "a.json"}]}), encoding="utf-8")
    assert claims.pending(intake) == [] and not folder.exists() and path.read_bytes() == b"a"


def test_claims_left_by_an_older_service_are_still_finished(tmp_path: Path) -> None:
    intake = tmp_path / "intake"
    folder = intake / claims.PROCESSING / "0123456789abcdef"
    _drop(intake, f"{claims.PROCESSING}/0123456789abcdef/x.json", b"x")
    (folder / claims.OLD_JOURNAL).write_text(json.dumps({"id": folder.name, "origin": "维修工作单/x.json"}),
                                             encoding="utf-8")
    [c] = claims.pending(intake)
    assert (c.id, c.origin, c.file.name) == (folder.name, intake / "维修工作单" / "x.json", "x.json")
