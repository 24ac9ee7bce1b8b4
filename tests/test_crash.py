"""Crash safety, proven: SIGKILL `hudang ingest` at every named point, restart, and check that
`verify` passes and every form is filed exactly once."""

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
    crashed = hudang("ingest", folder, check=False, env={"HUDANG_CRASH_AT": point})
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
