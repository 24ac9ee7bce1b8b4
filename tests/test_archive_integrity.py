"""verify, rebuild, two writers, and a form type added as data only."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import openpyxl

from builders import IDS, complaint, json_form, registration
from conftest import HUDANG, Hudang


def _fill(hudang: Hudang, tmp_path: Path, roster_csv: Path) -> list[dict]:
    hudang.ingest(roster_csv)
    for i, room in enumerate(("1-1-301", "1-2-302", "2-1-1201")):
        json_form(tmp_path / "f" / f"reg{i}.json", "住户登记表", registration(room, f"住户{i}"))
        json_form(tmp_path / "f" / f"c{i}.json", "投诉处理单", complaint(f"TS-{i}", room=room))
    return hudang.ingest(tmp_path / "f")


def test_verify_names_changed_missing_and_unexpected_files(hudang: Hudang, tmp_path: Path, roster_csv: Path) -> None:
    _fill(hudang, tmp_path, roster_csv)
    assert hudang.json("verify")["ok"] is True
    archive = hudang.home / "archive"
    originals = sorted(archive.glob("estates/*/*/*/v1/original.json"))
    originals[0].write_text(originals[0].read_text(encoding="utf-8").replace("金第花园", "金第花圆"), encoding="utf-8")
    (originals[1].parent / "text.txt").unlink()
    (originals[2].parent / "extra.txt").write_text("?")
    (archive / "estates" / "金第花园" / "stray.txt").write_text("?")
    result = hudang("verify", "--json", check=False)
    assert result.code == 1
    problems = {(p["code"], p["path"]) for p in result.json["problems"]}
    rel = lambda p: p.relative_to(archive).as_posix()  # noqa: E731
    assert ("changed", rel(originals[0])) in problems
    assert ("missing", rel(originals[1].parent / "text.txt")) in problems
    assert ("unexpected", rel(originals[2].parent / "extra.txt")) in problems
    assert ("unexpected", "estates/金第花园/stray.txt") in problems
    moved = sorted(archive.glob("estates/*/2-1-1201/*"))[0]
    (archive / "estates" / "金第花园" / "3-1-301").mkdir()
    moved.rename(archive / "estates" / "金第花园" / "3-1-301" / moved.name)
    problems = {(p["code"], p["path"]) for p in hudang.json("verify", check=False)["problems"]}
    assert ("misplaced", f"estates/金第花园/3-1-301/{moved.name}") in problems
    human = hudang("verify", check=False)
    assert human.code == 1 and rel(originals[0]) in human.stdout


QUERIES = [
    "SELECT record_id, archive_no, form, estate, household, number, current_version, form_date, voided, path"
    " FROM records ORDER BY record_id",
    "SELECT record_id, version, sha256, household, fields FROM versions ORDER BY record_id, version",
    "SELECT estate, key, display, owner FROM rooms ORDER BY estate, key",
    "SELECT name, code FROM estates ORDER BY name",
    "SELECT spelled, name FROM estate_names ORDER BY spelled",
    "SELECT sha256, ref FROM originals ORDER BY sha256",
    "SELECT record_id, unit, kind FROM events ORDER BY record_id, unit",
    "SELECT record_id, unit, name, sha256 FROM attachments ORDER BY record_id, unit",
]


def _answers(db: Path) -> list[list[tuple]]:
    conn = sqlite3.connect(db)
    try:
        return [[tuple(r) for r in conn.execute(q)] for q in QUERIES]
    finally:
        conn.close()


def test_rebuilt_catalog_answers_every_query_as_before(hudang: Hudang, tmp_path: Path, roster_csv: Path) -> None:
    outcomes = _fill(hudang, tmp_path, roster_csv)
    hudang("estates", "add", "金第花园", "--alias", "金第")
    rid = next(o["record_id"] for o in outcomes if o["form"] == "complaint")
    hudang("record", "move", rid, "金第花园/3-1-301", "--reason", "录错")
    hudang("record", "void", outcomes[0]["record_id"], "--reason", "误录")
    proof = tmp_path / "id.png"
    proof.write_bytes(b"\x89PNG fake")
    hudang("record", "attach", rid, proof)
    before = _answers(hudang.home / "catalog.sqlite")
    show_before = hudang.json("household", "show", "金第花园/3-1-301")
    (hudang.home / "catalog.sqlite").unlink()
    for suffix in ("-wal", "-shm"):
        Path(str(hudang.home / "catalog.sqlite") + suffix).unlink(missing_ok=True)
    counts = hudang.json("rebuild")
    assert counts["records"] == 6
    assert _answers(hudang.home / "catalog.sqlite") == before
    assert hudang.json("household", "show", "金第花园/3-1-301") == show_before


def test_two_writers_at_once_file_each_form_once(hudang: Hudang, tmp_path: Path, roster_csv: Path) -> None:
    hudang.ingest(roster_csv)
    folder = tmp_path / "many"
    for i in range(40):
        json_form(folder / f"reg{i:02d}.json", "住户登记表", registration("1-1-301", f"住户{i}", 备注=str(i)))
    procs = [subprocess.Popen([*HUDANG, "ingest", str(folder), "--json"], env=hudang.env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [json.loads(p.communicate(timeout=300)[0])["outcomes"] for p in procs]
    assert all(p.returncode == 0 for p in procs)
    statuses = [sorted(o["status"] for o in r) for r in results]
    filed = sum(s.count("filed") for s in statuses)
    assert filed == 40 and sum(s.count("duplicate") for s in statuses) == 40
    records = hudang.json("household", "show", "金第花园/1-1-301")["records"]
    assert len(records) == 40 and len({r["archive_no"] for r in records}) == 40
    assert hudang("verify").code == 0


def test_a_new_form_type_needs_no_code(hudang: Hudang, tmp_path: Path) -> None:
    (hudang.home / "forms" / "visit.toml").write_text("""
id = "visit"
name = "回访记录表"
aliases = ["回访记录"]
code = "HF"
room_field = "房号"
date_field = "回访日期"

[[fields]]
name = "项目"
type = "estate"
required = true

[[fields]]
name = "房号"
type = "room"
required = true

[[fields]]
name = "回访日期"
type = "date"
required = true

[[fields]]
name = "回访人"
type = "text"
required = true

[[fields]]
name = "满意度"
type = "enum"
choices = ["满意", "基本满意", "不满意"]
""", encoding="utf-8")
    hudang("estates", "add", "金第花园")
    assert "visit" in [f["id"] for f in hudang.json("forms", "list")["forms"]]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["回访记录表"])
    ws.append(["项目", "房号", "回访日期", "回访人", "满意度"])
    ws.append(["金第花园", "3栋2单元1201", "2026/11/20", "小李", "满意"])
    ws.append(["金第花园", "3栋2单元1202", "2026/11/21", "小李", "很好"])
    wb.save(tmp_path / "回访.xlsx")
    [out] = hudang.ingest(tmp_path / "回访.xlsx")
    assert out["form"] == "visit" and out["status"] == "partial"
    assert [r["status"] for r in out["rows"]] == ["filed", "quarantined"]
    assert out["rows"][1]["errors"][0]["code"] == "bad_enum"
    rec = hudang.json("record", "show", out["rows"][0]["record_id"])
    assert rec["archive_no"].split("-")[2] == "HF" and rec["fields"]["回访人"] == "小李"


def test_xlsx_roster_and_an_id_number_excel_turned_into_a_float(hudang: Hudang, tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["翠湖苑房屋清单"])
    ws.append(["项目", "楼栋", "单元", "房号", "业主姓名"])
    ws.append(["翠湖苑", "A座", None, 1201, "甲"])
    ws.append(["翠湖苑", "B座", None, 1202.0, "乙"])
    wb.save(tmp_path / "清单.xlsx")
    [roster] = hudang.ingest(tmp_path / "清单.xlsx")
    assert roster["status"] == "imported" and roster["rows"] == 2
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["项目", "房号", "业主姓名", "证件号码", "联系电话", "入住日期"])
    ws.append(["翠湖苑", "a座1201", "甲", float(IDS[0][:17]) * 10, 13812345678, "2026-01-02"])
    ws.append(["翠湖苑", "B座1202", "乙", IDS[2], "13812345679", "2026-01-03"])
    wb.save(tmp_path / "登记.xlsx")
    [out] = hudang.ingest(tmp_path / "登记.xlsx")
    assert out["form"] == "registration" and out["status"] == "partial"
    assert out["rows"][0]["errors"][0]["code"] == "id_float"
    assert out["rows"][1]["household"] == "翠湖苑/B-1202"
    assert hudang.json("household", "show", "翠湖苑/B座1202室")["display"] == "B座1202室"


def test_a_deleted_catalog_is_rebuilt_before_anything_is_filed(hudang: Hudang, tmp_path: Path,
                                                               roster_csv: Path) -> None:
    first = _fill(hudang, tmp_path, roster_csv)
    for suffix in ("", "-wal", "-shm"):
        Path(str(hudang.home / "catalog.sqlite") + suffix).unlink(missing_ok=True)
    [again] = hudang.ingest(tmp_path / "f" / "reg0.json")
    assert again["status"] == "duplicate"
    [new] = hudang.ingest(json_form(tmp_path / "g" / "new.json", "住户登记表", registration("3-2-302", "新住户")))
    assert new["record_id"] not in {o["record_id"] for o in first}
    assert new["archive_no"] not in {o["archive_no"] for o in first}
    assert hudang("verify").code == 0 and hudang.json("rebuild")["records"] == 7
