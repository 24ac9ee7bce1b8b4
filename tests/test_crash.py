"""Crash safety, proven: SIGKILL `hudang ingest` at every named point, restart, and check that
`verify` passes and every form is filed exactly once.

The killed run is a real `hudang` process (`hudang.proc`); the restart and the checks run in-process."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from builders import complaint, json_form, registration
from conftest import Hudang

POINTS = ["after_journal", "before_unit_rename", "before_unit_rename:2", "after_unit_rename",
          "after_unit_rename:3", "after_version", "before_catalog", "after_catalog", "before_move_rename"]


def _intake(tmp_path: Path) -> Path:
    folder = tmp_path / "intake"
    json_form(folder / "reg1.json", "住户登记表", registration("1-1-301", "甲"))
    json_form(folder / "reg2.json", "住户登记表", registration("1-1-302", "乙"))
    json_form(folder / "c1.json", "投诉处理单", complaint("TS-1"))
    # A later version of TS-0 that names another room: a version and a move in one filing.
    json_form(folder / "z-c0-v2.json", "投诉处理单", complaint("TS-0", room="2-2-1202", 完成时间="2026-11-05 10:00"))
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("point", POINTS)
def test_sigkill_at_each_point_then_restart(hudang: Hudang, tmp_path: Path, point: str) -> None:
    hudang("estates", "add", "金第花园")
    first = json_form(tmp_path / "pre" / "c0.json", "投诉处理单", complaint("TS-0"))
    hudang.ingest(first)
    folder = _intake(tmp_path)
    crashed = hudang.proc("ingest", folder, check=False, env={"HUDANG_CRASH_AT": point})
    assert crashed.code == -signal.SIGKILL, crashed.stderr
    again = hudang.ingest(folder)
    assert {o["status"] for o in again} <= {"filed", "duplicate"}
    assert hudang("verify").code == 0
    # Exactly once: three new records plus TS-0 (now version 2, moved), and nothing else.
    rows = {}
    for address in ("金第花园/1-1-301", "金第花园/1-1-302", "金第花园/3-2-1201", "金第花园/2-2-1202"):
        rows[address] = hudang.json("household", "show", address)["records"]
    assert [r["form"] for r in rows["金第花园/1-1-301"]] == ["registration"]
    assert [r["form"] for r in rows["金第花园/1-1-302"]] == ["registration"]
    assert [r["number"] for r in rows["金第花园/3-2-1201"]] == ["TS-1"]
    assert [(r["number"], r["version"]) for r in rows["金第花园/2-2-1202"]] == [("TS-0", 2)]
    # The catalog rebuilt from the archive alone agrees.
    counts = hudang.json("rebuild")
    assert counts["records"] == 4
    assert [r["number"] for r in hudang.json("household", "show", "金第花园/2-2-1202")["records"]] == ["TS-0"]


CHAIN_POINTS = [None, "after_version:2", "before_move_rename:1", "after_version:3", "before_move_rename:2",
                "before_catalog"]


@pytest.mark.slow
@pytest.mark.parametrize("point", CHAIN_POINTS)
def test_three_versions_moving_twice_in_one_run(hudang: Hudang, tmp_path: Path, point: str | None) -> None:
    hudang("estates", "add", "金第花园")
    folder = tmp_path / "chain"
    json_form(folder / "1.json", "投诉处理单", complaint("TS-C", room="1-1-101"))
    json_form(folder / "2.json", "投诉处理单", complaint("TS-C", room="1-1-102", 处理结果="转交"))
    json_form(folder / "3.json", "投诉处理单", complaint("TS-C", room="1-1-103", 处理结果="已处理"))
    if point:
        crashed = hudang.proc("ingest", folder, check=False, env={"HUDANG_CRASH_AT": point})
        assert crashed.code == -signal.SIGKILL, crashed.stderr
    outcomes = hudang.ingest(folder)
    assert {o["status"] for o in outcomes} <= {"filed", "duplicate"}
    assert hudang("verify").code == 0
    [rec] = hudang.json("household", "show", "金第花园/1-1-103")["records"]
    shown = hudang.json("record", "show", rec["record_id"])
    assert shown["version"] == 3 and shown["fields"]["处理结果"] == "已处理"
    assert [(e["from"], e["to"]) for e in shown["events"]] == [("1-1-101", "1-1-102"), ("1-1-102", "1-1-103")]
    middle = hudang.json("household", "show", "金第花园/1-1-102")
    assert middle["records"] == [] and sorted(m["direction"] for m in middle["moves"]) == ["in", "out"]


BATCH_POINTS = ["before_unit_rename:1", "before_catalog:1", "after_journal", "before_unit_rename:3",
                "after_unit_rename:4", "before_catalog:2"]


@pytest.mark.slow
@pytest.mark.parametrize("point", BATCH_POINTS)
def test_batch_crash_resumes_rows_without_filing_any_twice(hudang: Hudang, tmp_path: Path, point: str) -> None:
    hudang("estates", "add", "金第花园")
    batch = tmp_path / "报修单.csv"
    batch.write_text("\n".join([
        "编号,项目,房号,报修人,联系电话,报修时间,报修内容",
        "WX-1,金第花园,1-1-301,赵六,13700001111,2026-11-01 08:00,厨房水管漏水",
        "WX-2,金第花园,1-1-302,钱七,13700002222,2026-11-02 09:00,门锁坏了",
        "WX-3,金第花园,1-1-303,孙八,1370000,2026-11-03 10:00,灯不亮",
        "WX-4,金第花园,1-1-304,李九,13700004444,2026-11-04 11:00,窗户关不上",
    ]) + "\n", encoding="utf-8")
    crashed = hudang.proc("ingest", batch, check=False, env={"HUDANG_CRASH_AT": point})
    assert crashed.code == -signal.SIGKILL, crashed.stderr
    [out] = hudang.ingest(batch)
    assert out["status"] in ("partial", "duplicate")
    assert hudang("verify").code == 0
    for room in ("1-1-301", "1-1-302", "1-1-304"):
        assert len(hudang.json("household", "show", f"金第花园/{room}")["records"]) == 1, room
    [entry] = hudang.json("quarantine", "list")["entries"]
    assert "WX-3" in (Path(entry["path"]) / entry["file"]).read_text(encoding="utf-8-sig")
    assert hudang.json("rebuild")["imports"] == 1
    [again] = hudang.ingest(batch)
    assert again["status"] == "duplicate"


@pytest.mark.slow
@pytest.mark.parametrize("point", ["after_unit_rename", "before_unit_rename"])
def test_estate_creation_crash(hudang: Hudang, point: str) -> None:
    crashed = hudang.proc("estates", "add", "甲苑", check=False, env={"HUDANG_CRASH_AT": point})
    assert crashed.code == -signal.SIGKILL
    hudang("estates", "add", "甲苑")
    assert [e["name"] for e in hudang.json("estates", "list")["estates"]] == ["甲苑"]
    assert hudang("verify").code == 0
