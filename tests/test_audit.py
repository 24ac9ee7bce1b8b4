"""The audit log is a hash chain: a changed, removed or cut-off entry is reported by `verify`."""

from __future__ import annotations

import json
from pathlib import Path

from hudang.archive import audit

from builders import complaint, json_form
from conftest import Hudang


def _write(log: Path, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        audit.append(log, "档案员甲", "void", record_id=f"R{i:07d}", reason=f"第{i}次")


def test_an_intact_chain_checks_clean_and_every_line_links_to_the_one_before(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    _write(log, 5)
    lines = log.read_bytes().splitlines()
    assert [json.loads(x)["n"] for x in lines] == [1, 2, 3, 4, 5]
    assert json.loads(lines[3])["prev"] == audit.line_hash(lines[2])
    assert audit.check(log, audit.head(log)) == []


def test_a_changed_entry_is_found(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    _write(log, 5)
    log.write_text(log.read_text(encoding="utf-8").replace("第2次", "第9次"), encoding="utf-8")
    problems = audit.check(log, None)
    assert [(p.code, p.line) for p in problems] == [("audit_changed", 4)]


def test_a_removed_entry_is_found(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    _write(log, 5)
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    log.write_text("".join(lines[:2] + lines[3:]), encoding="utf-8")
    codes = {p.code for p in audit.check(log, None)}
    assert codes == {"audit_changed", "audit_removed"}


def test_a_cut_off_tail_is_found_by_the_recorded_head(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    _write(log, 5)
    recorded = audit.head(log)
    assert recorded is not None and recorded.n == 5
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    log.write_text("".join(lines[:3]), encoding="utf-8")
    assert audit.check(log, None) == []  # the chain alone cannot see a clean cut …
    assert [p.code for p in audit.check(log, recorded)] == ["audit_truncated"]  # … the recorded head can


def test_older_unchained_lines_are_sealed_by_the_first_chained_entry(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    old = [json.dumps({"at": "2026-11-01T09:00:00+08:00", "user": "u", "action": "reveal", "record_id": f"R{i}"},
                      ensure_ascii=False) + "\n" for i in range(3)]
    log.write_text("".join(old), encoding="utf-8")
    _write(log, 2)
    first = json.loads(log.read_text(encoding="utf-8").splitlines()[3])
    assert first["n"] == 4
    assert audit.check(log, audit.head(log)) == []
    log.write_text(log.read_text(encoding="utf-8").replace('"R1"', '"R7"'), encoding="utf-8")
    assert [p.code for p in audit.check(log, None)] == ["audit_changed"]


def test_verify_reports_a_removed_audit_entry_and_a_cut_tail(hudang: Hudang, tmp_path: Path) -> None:
    hudang("estates", "add", "金第花园")
    ids = []
    for n in range(3):
        json_form(tmp_path / f"c{n}.json", "投诉处理单", complaint(f"TS-{n}"))
        ids.append(hudang.ingest(tmp_path / f"c{n}.json")[0]["record_id"])
        hudang("record", "show", ids[-1], "--reveal")  # an audited reveal between group commits
    assert hudang.json("verify")["ok"] is True
    log = hudang.home / "audit.log"
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    assert len(lines) >= 3
    log.write_text("".join(lines[:-1]), encoding="utf-8")  # the last reveal: written after the last filing
    assert hudang.json("verify")["ok"] is True  # no group commit recorded it yet: not provable
    json_form(tmp_path / "c9.json", "投诉处理单", complaint("TS-9"))
    hudang.ingest(tmp_path / "c9.json")  # this group commit records the head
    log.write_text("".join(lines[:1]), encoding="utf-8")
    result = hudang("verify", "--json", check=False)
    assert result.code == 1
    assert "audit_truncated" in {p["code"] for p in result.json["problems"]}
    log.write_text("".join(lines[1:2]), encoding="utf-8")  # the first entry removed, the head kept
    result = hudang("verify", "--json", check=False)
    assert result.code == 1
    assert {p["code"] for p in result.json["problems"]} == {"audit_changed", "audit_removed"}
    log.write_text("".join(lines[:2]), encoding="utf-8")
    assert hudang.json("verify")["ok"] is True


def test_a_bad_byte_in_the_fixity_log_is_reported_not_an_internal_error(hudang: Hudang, tmp_path: Path) -> None:
    hudang("estates", "add", "金第花园")
    json_form(tmp_path / "c.json", "投诉处理单", complaint("TS-1"))
    hudang.ingest(tmp_path / "c.json")
    fixity = hudang.home / "archive" / "fixity.log"
    data = fixity.read_bytes()
    fixity.write_bytes(data[:10] + b"\xff" + data[11:])
    result = hudang("verify", "--json", check=False)
    assert result.code == 1
    codes = {p["code"] for p in result.json["problems"]}
    assert "fixity_damaged" in codes
    assert "内部错误" not in result.stderr


def test_a_reveal_from_the_cli_is_audited_with_its_reason(hudang: Hudang, tmp_path: Path) -> None:
    hudang("estates", "add", "金第花园")
    json_form(tmp_path / "c.json", "投诉处理单", complaint("TS-1"))
    rid = hudang.ingest(tmp_path / "c.json")[0]["record_id"]
    hudang("record", "show", rid, "--reveal", "--reason", "业主来电核实，电话13955556666")
    entry = [json.loads(x) for x in (hudang.home / "audit.log").read_text(encoding="utf-8").splitlines()][-1]
    assert (entry["action"], entry["record_id"]) == ("reveal", rid)
    assert entry["reason"].startswith("业主来电核实") and "13955556666" not in entry["reason"]  # masked as free text
