"""End to end through the command: rosters, forms, versions, moves, duplicates, quarantine.

The first test runs every command as the installed `hudang` in a subprocess; the rest run it in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from builders import IDS, complaint, docx_form, json_form, registration
from conftest import Hudang


def by_source(outcomes: list[dict], name: str) -> dict:
    return next(o for o in outcomes if o["source"].endswith(name))


@pytest.mark.slow
def test_roster_then_forms_file_into_households(hudang_proc: Hudang, roster_csv: Path, tmp_path: Path) -> None:
    hudang = hudang_proc
    [roster] = hudang.ingest(roster_csv)
    assert roster == {**roster, "status": "imported", "kind": "roster", "rows": 25}
    docx_form(tmp_path / "in" / "住户登记表" / "王建国.docx", "住户登记表", registration("三栋二单元1201"))
    json_form(tmp_path / "in" / "c1.json", "投诉处理单", complaint("TS-1"))
    outcomes = hudang.ingest(tmp_path / "in")
    reg = by_source(outcomes, "王建国.docx")
    assert reg["status"] == "filed" and reg["household"] == "金第花园/3-2-1201" and reg["form"] == "registration"
    assert reg["version"] == 1 and reg["archive_no"].startswith("E01-2026-ZH-")
    comp = by_source(outcomes, "c1.json")
    assert comp["status"] == "filed" and comp["form"] == "complaint" and comp["household"] == "金第花园/3-2-1201"

    hudang("estates", "add", "金第花园", "--alias", "金第")
    shown = hudang.json("household", "show", "金第/3栋2单元1201室")
    assert hudang.json("household", "show", "金第花園/３-２-１２０１")["household"] == "金第花园/3-2-1201"
    assert shown["household"] == "金第花园/3-2-1201" and shown["display"] == "3栋2单元1201室"
    assert shown["registration"]["fields"]["业主姓名"] == "王建国"
    assert shown["registration"]["fields"]["证件号码"] == IDS[1][:6] + "*" * 8 + IDS[1][-4:]
    assert [r["form"] for r in shown["records"]] == ["registration", "complaint"]
    text = hudang("household", "show", "金第花园/3-2-1201").stdout
    assert "13812345678" not in text and "138****5678" in text and IDS[1] not in text


def test_room_not_on_roster_is_quarantined_then_retried(hudang: Hudang, roster_csv: Path, tmp_path: Path) -> None:
    hudang.ingest(roster_csv)
    bad = json_form(tmp_path / "bad.json", "住户登记表", registration("7栋9单元9999"))
    [out] = hudang.ingest(bad)
    assert out["status"] == "quarantined"
    assert out["errors"] == [{"field": "房号", "code": "room_not_on_roster", "message": out["errors"][0]["message"]}]
    assert "不在金第花园的房屋清单中" in out["errors"][0]["message"]
    [entry] = hudang.json("quarantine", "list")["entries"]
    folder = Path(entry["path"])
    assert (folder / "report.json").exists() and "房屋清单" in (folder / "报告.txt").read_text(encoding="utf-8")
    # The archivist fixes the file in quarantine and retries it.
    fixed = json.loads((folder / entry["file"]).read_text(encoding="utf-8"))
    fixed["字段"]["房号"] = "1栋1单元301"
    (folder / entry["file"]).write_text(json.dumps(fixed, ensure_ascii=False), encoding="utf-8")
    [result] = hudang.json("quarantine", "retry")["results"]
    assert result["status"] == "filed" and result["household"] == "金第花园/1-1-301"
    assert hudang.json("quarantine", "list")["entries"] == []


def test_every_problem_reported_at_once_with_masked_messages(hudang: Hudang, tmp_path: Path) -> None:
    hudang("estates", "add", "金第花园")
    bad = json_form(tmp_path / "bad.json", "住户登记表", {
        "项目": "金第花园", "房号": "3-2-1201", "证件号码": "110101199003071234", "联系电话": "1381234567",
        "入住日期": "2026-02-30", "办理方式": "委托"}, english=True)
    [out] = hudang.ingest(bad)
    codes = {(e["field"], e["code"]) for e in out["errors"]}
    assert codes == {("业主姓名", "missing"), ("证件号码", "bad_id_check"), ("联系电话", "bad_phone"),
                     ("入住日期", "bad_date"), ("受托人姓名", "missing_conditional"),
                     ("受托人证件号码", "missing_conditional")}
    dumped = json.dumps(out, ensure_ascii=False)
    assert "110101199003071234" not in dumped and "1381234567" not in dumped


def test_versions_keep_archive_number_and_move_household(hudang: Hudang, roster_csv: Path, tmp_path: Path) -> None:
    hudang.ingest(roster_csv)
    [v1] = hudang.ingest(json_form(tmp_path / "a.json", "投诉处理单", complaint("TS-9")))
    [v2] = hudang.ingest(json_form(tmp_path / "b.json", "投诉处理单", complaint(
        "TS-9", room="2栋1单元302", 完成时间="2026-11-04 10:00", 处理结果="已维修")))
    assert (v2["record_id"], v2["archive_no"], v2["version"]) == (v1["record_id"], v1["archive_no"], 2)
    assert v2["household"] == "金第花园/2-1-302" and v2["moved_from"] == "金第花园/3-2-1201"
    rec = hudang.json("record", "show", v1["record_id"])
    assert [v["version"] for v in rec["versions"]] == [1, 2] and rec["fields"]["处理结果"] == "已维修"
    old = hudang.json("household", "show", "金第花园/3-2-1201")
    assert old["records"] == [] and old["moves"][0]["direction"] == "out"
    assert hudang.json("household", "show", "金第花园/2-1-302")["records"][0]["version"] == 2
    assert hudang("verify").code == 0


def test_duplicate_bytes_are_recorded_not_filed(hudang: Hudang, tmp_path: Path) -> None:
    hudang("estates", "add", "金第花园")
    path = json_form(tmp_path / "a.json", "住户登记表", registration())
    [first] = hudang.ingest(path)
    copy = tmp_path / "copy" / "same.json"
    copy.parent.mkdir()
    copy.write_bytes(path.read_bytes())
    [second] = hudang.ingest(copy)
    assert first["status"] == "filed" and second["status"] == "duplicate"
    assert second["duplicate_of"].startswith(first["record_id"])
    assert len(hudang.json("household", "show", "金第花园/3-2-1201")["records"]) == 1


def test_reveal_is_audited_and_corrections_are_kept(hudang: Hudang, tmp_path: Path) -> None:
    hudang("estates", "add", "金第花园")
    [out] = hudang.ingest(json_form(tmp_path / "a.json", "住户登记表", registration()))
    rid = out["record_id"]
    masked = hudang.json("record", "show", rid)
    assert masked["fields"]["联系电话"] == "138****5678"
    names = {Path(f["path"]).name for f in masked["files"]}
    assert {"original.json", "fields.json", "text.txt", "provenance.json"} <= names
    original = next(f for f in masked["files"] if f["path"].endswith("original.json"))
    assert (hudang.home / "archive" / original["path"]).read_bytes() == (tmp_path / "a.json").read_bytes()
    revealed = hudang.json("record", "show", rid, "--reveal")
    assert revealed["fields"]["联系电话"] == "13812345678"
    audit = (hudang.home / "audit.log").read_text(encoding="utf-8")
    assert '"action": "reveal"' in audit and rid in audit
    proof = tmp_path / "委托书.pdf"
    proof.write_bytes(b"%PDF-1.4 proof")
    hudang("record", "attach", rid, proof, "--note", "委托书")
    hudang("record", "move", rid, "金第花园/5-1-101", "--reason", "录错房号")
    hudang("record", "void", rid, "--reason", "重复登记")
    assert hudang.json("household", "show", "金第花园/5-1-101")["records"] == []
    assert hudang.json("household", "show", "金第花园/5-1-101", "--all")["records"][0]["voided"] is True
    rec = hudang.json("record", "show", rid)
    assert [e["kind"] for e in rec["events"]] == ["move", "void"] and rec["attachments"][0]["note"] == "委托书"
    assert hudang("verify").code == 0
    log = (hudang.home / "audit.log").read_text(encoding="utf-8")
    assert all(f'"action": "{a}"' in log for a in ("attach", "move", "void"))


def test_batch_rows_each_filed_and_bad_rows_quarantined_alone(hudang: Hudang, roster_csv: Path,
                                                             tmp_path: Path) -> None:
    hudang.ingest(roster_csv)
    lines = ["业主报修登记表", "编号,项目,房号,报修人,联系电话,报修时间,报修内容,维修类别",
             "WX-1,金第花园,1-1-301,赵六,13700001111,2026-11-01 08:00,厨房水管漏水,渗漏水",
             "WX-2,金第花园,9-9-999,钱七,13700002222,2026-11-02 09:00,门锁坏了,门窗",
             "WX-3,金第花园,2-2-1202,孙八,137000033,2026/11/3 下午2:30,灯不亮,水电"]
    batch = tmp_path / "报修单.csv"
    batch.write_text("\n".join(lines) + "\n", encoding="gb18030")
    [out] = hudang.ingest(batch)
    assert out["status"] == "partial" and out["form"] == "repair"
    assert [(r["row"], r["status"]) for r in out["rows"]] == [(3, "filed"), (4, "quarantined"), (5, "quarantined")]
    [entry] = hudang.json("quarantine", "list")["entries"]
    bad_file = Path(entry["path"]) / entry["file"]
    content = bad_file.read_text(encoding="utf-8-sig")
    assert "WX-2" in content and "WX-3" in content and "WX-1" not in content
    # Fix both rows and retry: the good row of the original batch is not filed twice.
    bad_file.write_text(content.replace("9-9-999", "3-1-302").replace("137000033", "13700003333"),
                        encoding="utf-8-sig")
    [result] = hudang.json("quarantine", "retry")["results"]
    assert result["status"] == "filed"
    rows = hudang.json("household", "show", "金第花园/1-1-301")["records"]
    assert len(rows) == 1
    [again] = hudang.ingest(batch)
    assert again["status"] == "duplicate"
