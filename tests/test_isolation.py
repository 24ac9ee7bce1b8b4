"""One file's failure is that file's outcome: odd bytes in values and names, a reader worker that dies,
a reader that runs past its time limit."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
from test_watch import Watcher, _configure

from builders import complaint, json_form, registration, wait_until
from conftest import Hudang


def _record(hudang: Hudang, household: str) -> dict:  # type: ignore[type-arg]
    records = hudang.json("household", "show", household)["records"]
    assert len(records) == 1, records
    return hudang.json("record", "show", records[0]["record_id"])  # type: ignore[no-any-return]


def test_lone_surrogate_in_a_json_value_is_stored_escaped(hudang: Hudang, roster_csv: Path, tmp_path: Path) -> None:
    hudang.ingest(roster_csv)
    folder = tmp_path / "batch"
    folder.mkdir()
    fields = complaint("TS-S1", room="1-1-301")
    text = json.dumps({"表单": "投诉处理单", "字段": fields}, ensure_ascii=False)
    text = text.replace("楼上卫生间渗漏水", "楼上\\udc00渗漏")  # the JSON escape of a lone surrogate
    (folder / "a-坏字符.json").write_text(text, encoding="utf-8")
    json_form(folder / "b-好的.json", "住户登记表", registration("1-1-302", "好人"))
    result = hudang("ingest", folder, "--json")
    got = {Path(o["source"]).name: o for o in result.json["outcomes"]}
    assert got["a-坏字符.json"]["status"] == "filed", got
    assert got["b-好的.json"]["status"] == "filed"
    warning = next(w for w in got["a-坏字符.json"]["warnings"] if w["code"] == "bad_characters")
    assert warning["field"] == "投诉内容" and "\\udc00" in warning["message"]
    assert hudang.json("search", "渗漏")["total"] == 1
    record = _record(hudang, "金第花园/1-1-301")
    assert "楼上\\\\udc00渗漏" in json.dumps(record, ensure_ascii=False)   # the text \\udc00 (JSON-escaped here)
    assert hudang("verify").code == 0


def test_a_file_name_in_gbk_bytes_is_filed_and_shown_escaped(hudang: Hudang, roster_csv: Path,
                                                             tmp_path: Path) -> None:
    hudang.ingest(roster_csv)
    folder = tmp_path / "zip"
    folder.mkdir()
    gbk = os.fsdecode(os.fsencode(str(folder)) + b"/\xb2\xe2\xca\xd4.json")   # 测试.json as Chinese Windows zips it
    Path(gbk).write_text(json.dumps({"表单": "投诉处理单", "字段": complaint("TS-G1", room="1-1-301")},
                                    ensure_ascii=False), encoding="utf-8")
    bad = os.fsdecode(os.fsencode(str(folder)) + b"/\xb2\xe2.json")               # and one that is junk
    Path(bad).write_bytes(b"not json")
    json_form(folder / "好的.json", "住户登记表", registration("1-1-302", "好人"))
    outcomes = hudang.ingest(folder)
    got = {Path(o["source"]).name: o for o in outcomes}
    assert set(got) == {"\\xb2\\xe2\\xca\\xd4.json", "\\xb2\\xe2.json", "好的.json"}
    assert got["\\xb2\\xe2\\xca\\xd4.json"]["status"] == "filed"
    assert got["好的.json"]["status"] == "filed"
    assert got["\\xb2\\xe2.json"]["status"] == "quarantined"
    entry = next(e for e in hudang.json("quarantine", "list")["entries"])
    assert entry["source"].endswith("\\xb2\\xe2.json")
    assert (Path(entry["path"]) / entry["file"]).read_bytes() == b"not json"
    _record(hudang, "金第花园/1-1-301")
    prov = json.loads(next((hudang.home / "archive" / "estates").rglob("1-1-301/*/v1/provenance.json")).read_text())
    assert prov["source_name"] == "\\xb2\\xe2\\xca\\xd4.json"
    assert bytes.fromhex(prov["source_name_bytes"]) == b"\xb2\xe2\xca\xd4.json"   # the name's own bytes
    assert hudang("verify").code == 0


def _batch(folder: Path, n: int = 24) -> None:
    """Enough good forms that `ingest` reads them in worker processes."""
    for k in range(n):
        json_form(folder / f"好{k:02d}.json", "投诉处理单", complaint(f"TS-B{k:02d}", room="1-1-301"))


def test_a_file_that_kills_its_reader_is_quarantined_and_the_batch_filed(hudang: Hudang, roster_csv: Path,
                                                                        tmp_path: Path) -> None:
    hudang.ingest(roster_csv)
    folder = tmp_path / "batch"
    _batch(folder)
    json_form(folder / "毒.json", "投诉处理单", complaint("TS-P1", room="1-1-302"))
    result = hudang.proc("ingest", folder, "--workers", "2", "--json", env={"HUDANG_READER_HOOK": "crash:毒"})
    got = {Path(o["source"]).name: o for o in result.json["outcomes"]}
    assert len(got) == 25
    assert [n for n, o in got.items() if o["status"] != "filed"] == ["毒.json"]
    error = got["毒.json"]["errors"][0]
    assert error["code"] == "read_failed" and "SIGKILL" in error["message"] and "读取内容" in error["message"]
    entry = next(e for e in hudang.json("quarantine", "list")["entries"])
    assert (Path(entry["path"]) / entry["file"]).read_bytes() == (folder / "毒.json").read_bytes()
    assert not any((hudang.home / "run" / "snapshots").iterdir())
    assert hudang("verify").code == 0


def test_a_reader_past_its_time_limit_is_killed_and_the_file_quarantined(hudang: Hudang, roster_csv: Path,
                                                                        tmp_path: Path) -> None:
    hudang.ingest(roster_csv)
    config = hudang.home / "config.toml"
    # 5 s: a JSON form reads in milliseconds, with room for a machine loaded by other work
    config.write_text(config.read_text(encoding="utf-8").replace("seconds_per_file = 600", "seconds_per_file = 5"),
                      encoding="utf-8")
    folder = tmp_path / "batch"
    _batch(folder)
    json_form(folder / "慢.json", "投诉处理单", complaint("TS-H1", room="1-1-302"))
    # hangs with the alarm blocked: only the kill of its process ends it
    result = hudang.proc("ingest", folder, "--workers", "2", "--json", env={"HUDANG_READER_HOOK": "hang:慢"})
    got = {Path(o["source"]).name: o for o in result.json["outcomes"]}
    assert len(got) == 25
    assert [n for n, o in got.items() if o["status"] != "filed"] == ["慢.json"]
    error = got["慢.json"]["errors"][0]
    assert error["code"] == "read_timeout" and "超过 5 秒" in error["message"]


@pytest.mark.slow
def test_a_poisoned_file_in_a_watch_burst_is_quarantined_once(hudang: Hudang, roster_csv: Path) -> None:
    hudang.ingest(roster_csv)
    _configure(hudang)
    hudang.env["HUDANG_READER_HOOK"] = "crash:毒"
    intake = hudang.home / "intake"
    service = Watcher(hudang, "--workers", "2")
    try:
        for k in range(6):
            json_form(intake / f"好{k}.json", "投诉处理单", complaint(f"TS-W{k}", room="1-1-301"))
        json_form(intake / "毒.json", "投诉处理单", complaint("TS-WP", room="1-1-302"))
        wait_until(lambda: sum(hudang.json("status")["today"]["counts"].values()) >= 7, what="seven outcomes")
        assert hudang.json("status")["today"]["counts"] == {"filed": 6, "quarantined": 1}
        assert service.stop() == 0
        service = Watcher(hudang, "--workers", "2")   # a restart finds nothing left to read again
        time.sleep(3)
        assert service.proc.poll() is None
    finally:
        service.stop(signal.SIGKILL)
    entries = hudang.json("quarantine", "list")["entries"]
    assert [Path(e["source"]).name for e in entries] == ["毒.json"]
    assert entries[0]["problems"][0]["code"] == "read_failed"
    assert not (intake / "毒.json").exists() and not list((intake / ".processing").glob("*/*毒*"))
    assert sorted(p.name for p in (intake / ".done").rglob("*.json")) == [*(f"好{k}.json" for k in range(6)), "毒.json"]


@pytest.mark.parametrize("workers", [["--workers", "1"], []], ids=["workers-1", "default"])
@pytest.mark.parametrize("hook", ["crash", "hang"])
def test_a_small_run_reads_in_a_child_a_poisoned_file_cannot_stop(hudang: Hudang, roster_csv: Path, tmp_path: Path,
                                                                  hook: str, workers: list[str]) -> None:
    """Fewer files than make a worker pool worth its start: they are read in one forked child all the same,
    so a file that kills or hangs its reader is that file's outcome, and the good files around it are filed."""
    hudang.ingest(roster_csv)
    config = hudang.home / "config.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("seconds_per_file = 600", "seconds_per_file = 1"),
                      encoding="utf-8")
    folder = tmp_path / "small"
    folder.mkdir()
    json_form(folder / "a-好.json", "投诉处理单", complaint("TS-K1", room="1-1-301"))
    json_form(folder / "b-毒.json", "投诉处理单", complaint("TS-KP", room="1-1-302"))
    json_form(folder / "c-好.json", "投诉处理单", complaint("TS-K2", room="1-1-301"))
    json_form(folder / "d-好.json", "住户登记表", registration("1-1-302", "好人"))
    result = hudang.proc("ingest", folder, *workers, "--json", env={"HUDANG_READER_HOOK": f"{hook}:毒"})
    got = {Path(o["source"]).name: o for o in result.json["outcomes"]}
    assert {n: o["status"] for n, o in got.items()} == {"a-好.json": "filed", "b-毒.json": "quarantined",
                                                         "c-好.json": "filed", "d-好.json": "filed"}
    error = got["b-毒.json"]["errors"][0]
    if hook == "crash":
        assert error["code"] == "read_failed" and "SIGKILL" in error["message"] and "读取内容" in error["message"]
    else:
        assert error["code"] == "read_timeout" and "超过 1 秒" in error["message"]
    entry = next(e for e in hudang.json("quarantine", "list")["entries"])
    assert (Path(entry["path"]) / entry["file"]).read_bytes() == (folder / "b-毒.json").read_bytes()
    assert len(hudang.json("household", "show", "金第花园/1-1-301")["records"]) == 2
    assert not any((hudang.home / "run" / "snapshots").iterdir())
    assert hudang("verify").code == 0
