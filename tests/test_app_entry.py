"""Use cases the web pages stand on, called in-process: entry by form (新建), 结案 and 回访, quarantine set aside."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from hudang.archive import audit
from hudang.errors import FormInvalid, NotFound, UsageError
from hudang.pipeline.app import catalogue, maintenance, overview, records
from hudang.pipeline.app import ingest as ingest_app
from hudang.pipeline.app.ingest import Upload, ingest
from hudang.pipeline.app.session import Session

from builders import complaint, json_form

NEW = {"投诉人": "张三", "投诉时间": "2026-11-03 09:30", "联系电话": "13912345678", "接报人": "李客服",
       "严重程度": "重要", "投诉内容": "楼上卫生间渗漏水"}


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    maintenance.init(tmp_path / "home")
    opened = Session.open(tmp_path / "home", user="客服甲")
    catalogue.add_estate(opened, "金第花园", ["金第"])
    catalogue.add_estate(opened, "银河湾", [])
    yield opened
    opened.close()


def test_every_definition_field_becomes_a_web_field(session: Session) -> None:
    spec = catalogue.form_fields(session, "投诉").as_json()
    by_name = {f["name"]: f for f in spec["fields"]}
    assert spec["form"] == "complaint" and spec["numbered"]
    assert by_name["编号"]["system"] and by_name["项目"]["from_household"] and by_name["投诉人房号"]["from_household"]
    assert by_name["投诉时间"] == {**by_name["投诉时间"], "type": "datetime", "required": True}
    assert by_name["严重程度"]["type"] == "choice" and by_name["严重程度"]["choices"] == ["重大", "重要", "轻微"]
    assert by_name["严重程度"]["default"] == "轻微"
    assert by_name["投诉内容"]["type"] == "multiline" and by_name["投诉人"]["type"] == "text"
    assert by_name["联系电话"]["personal"] and by_name["项目"]["choices"] == ["金第花园", "银河湾"]
    assert [a["id"] for a in spec["actions"]] == ["close", "visit"]
    assert [f["name"] for f in spec["fields"]][:3] == ["编号", "项目", "日期"]
    with pytest.raises(UsageError, match="未知的表单"):
        catalogue.form_fields(session, "不存在的表")


def test_entry_is_checked_like_intake_and_filed_as_json_with_provenance(session: Session) -> None:
    with pytest.raises(FormInvalid) as refused:
        records.enter(session, "complaint", "金第花园/3-2-1201",
                      {**NEW, "投诉时间": "昨天下午", "严重程度": "很急", "投诉人": ""})
    assert refused.value.fields == {
        "严重程度": "“严重程度”的值“很急”不是可选值（可选：重大、重要、轻微）",
        "投诉时间": refused.value.fields["投诉时间"], "投诉人": "缺少必填项“投诉人”"}
    # the very message the intake writes into the quarantine report for the same values
    json_form(session.home.root / "in" / "bad.json", "投诉处理单",
              {**complaint("TS-9"), "投诉时间": "昨天下午", "严重程度": "很急", "投诉人": ""})
    [bad] = ingest(session, [session.home.root / "in" / "bad.json"], workers=1).outcomes
    assert {e["field"]: e["message"] for e in bad.errors} == refused.value.fields
    with pytest.raises(NotFound):   # nothing filed: the household has no file yet
        records.household(session, "金第花园/3-2-1201")

    done = records.enter(session, "投诉处理单", "金第/3-2-1201", NEW)
    assert done.number == "TS-202611-0001" and done.household == "金第花园/3-2-1201" and done.version == 1
    shown = records.record(session, done.record_id)
    assert shown.number == "TS-202611-0001" and shown.fields["联系电话"] == "139****5678"
    unit = session.home.archive / shown.path
    [version] = sorted(unit.glob("v*"))
    original = json.loads((version / "original.json").read_text(encoding="utf-8"))
    assert original["表单"] == "投诉处理单" and original["字段"]["联系电话"] == "13912345678"
    prov = json.loads((version / "provenance.json").read_text(encoding="utf-8"))
    assert prov["entered"]["via"] == "网页录入" and prov["entered"]["by"] == "客服甲" and prov["entered"]["at"]
    [entry] = [a for a in audit.entries(session.home.audit_log) if a["action"] == "enter"]
    assert entry["user"] == "客服甲" and entry["number"] == "TS-202611-0001"
    with pytest.raises(FormInvalid) as numbered:
        records.enter(session, "complaint", "金第花园/3-2-1201", {**NEW, "编号": "TS-202611-0001"})
    assert set(numbered.value.fields) == {"编号"}


def test_numbers_per_estate_and_month_never_reused_even_after_void_and_rebuild(session: Session) -> None:
    def new(address: str, when: str) -> str:
        return records.enter(session, "complaint", address, {**NEW, "投诉时间": when}).number or ""

    first = new("金第花园/3-2-1201", "2026-11-03 09:30")
    second = new("金第花园/1-1-301", "2026-11-20 10:00")
    assert (first, second) == ("TS-202611-0001", "TS-202611-0002")
    assert new("银河湾/1-1-101", "2026-11-05 08:00") == "TS-202611-0001"      # its own estate's sequence
    assert new("金第花园/3-2-1201", "2026-12-01 08:00") == "TS-202612-0001"   # a new month
    records.void(session, records.household(session, "金第花园/1-1-301").records[0]["record_id"], "录错")
    maintenance.rebuild(session)
    assert new("金第花园/3-2-1202", "2026-11-28 16:00") == "TS-202611-0003"
    repair = records.enter(session, "维修工作单", "金第花园/3-2-1201",
                           {"报修人": "王五", "联系电话": "13812345678", "报修时间": "2026-11-04 08:00",
                            "报修内容": "水管漏水"})
    assert repair.number == "WX-202611-0001"


def test_concurrent_entries_take_distinct_numbers(session: Session) -> None:
    numbers: list[str] = []
    errors: list[BaseException] = []

    def clerk(name: str) -> None:
        try:
            with Session.open(session.home.root, user=name) as own:
                for _ in range(3):
                    numbers.append(records.enter(own, "complaint", "金第花园/3-2-1201", NEW).number or "")
        except BaseException as exc:   # reported below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=clerk, args=(f"客服{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(numbers) == [f"TS-202611-{n:04d}" for n in range(1, 10)]


def test_a_form_added_as_toml_is_a_web_form_with_no_code_change(session: Session) -> None:
    (session.home.forms_dir).mkdir(exist_ok=True)
    (session.home.forms_dir / "parking.toml").write_text('''
id = "parking"
name = "车位申请表"
code = "CW"
room_field = "房号"
number_field = "编号"
date_field = "申请日期"
opened_field = "申请日期"
entry_number = "CW{month}-{seq:03d}"

[[fields]]
name = "编号"
[[fields]]
name = "项目"
type = "estate"
required = true
[[fields]]
name = "房号"
type = "room"
required = true
[[fields]]
name = "申请日期"
type = "date"
required = true
[[fields]]
name = "车位类型"
type = "enum"
choices = ["地上", "地下"]
required = true
[[fields]]
name = "说明"
multiline = true
''', encoding="utf-8")
    with Session.open(session.home.root, user="客服乙") as fresh:
        spec = {f["name"]: f["type"] for f in catalogue.form_fields(fresh, "车位申请表").as_json()["fields"]}
        assert spec == {"编号": "text", "项目": "estate", "房号": "room", "申请日期": "date", "车位类型": "choice",
                        "说明": "multiline"}
        with pytest.raises(FormInvalid) as refused:
            records.enter(fresh, "parking", "金第花园/3-2-1201", {"申请日期": "2026-11-02", "车位类型": "楼顶"})
        assert list(refused.value.fields) == ["车位类型"]
        done = records.enter(fresh, "parking", "金第花园/3-2-1201", {"申请日期": "2026-11-02", "车位类型": "地下"})
        assert done.number == "CW202611-001" and done.form == "parking"


def test_closing_and_return_visit_are_new_versions_with_changes_marked(session: Session) -> None:
    rid = records.enter(session, "complaint", "金第花园/3-2-1201", NEW).record_id
    with pytest.raises(UsageError, match="尚未填写“完成时间”，不能回访"):
        records.record_visit(session, rid, "2026-11-05 10:00", "满意")
    with pytest.raises(FormInvalid) as early:
        records.close_complaint(session, rid, "已修复", "2026-11-01 10:00")
    assert list(early.value.fields) == ["完成时间"] and "早于" in early.value.fields["完成时间"]
    with pytest.raises(FormInvalid) as empty:
        records.close_complaint(session, rid, "", "2026-11-04 10:00")
    assert empty.value.fields == {"处理结果": "缺少必填项“处理结果”"}

    closed = records.close_complaint(session, rid, "已修复渗漏点", "2026-11-04 10:00")
    assert closed.version == 2 and closed.changed == ["处理结果", "完成时间"]
    assert closed.fields["投诉内容"] == "楼上卫生间渗漏水" and closed.fields["完成时间"] == "2026-11-04 10:00:00"
    assert closed.fields["联系电话"] == "139****5678"
    with pytest.raises(UsageError, match="已结案"):
        records.close_complaint(session, rid, "again", "2026-11-05 10:00")
    visited = records.record_visit(session, rid, "2026-11-06 09:00", "满意")
    assert visited.version == 3 and visited.changed == ["回访时间", "回访结果"]
    assert visited.fields["处理结果"] == "已修复渗漏点"
    actions = [(a["action"], a.get("fields")) for a in audit.entries(session.home.audit_log)]
    assert ("close", ["处理结果", "完成时间"]) in actions and ("visit", ["回访时间", "回访结果"]) in actions
    view = records.record(session, rid)
    assert view.version == 3 and len(view.versions) == 3


def test_household_overview_lists_what_is_pending(session: Session) -> None:
    late = records.enter(session, "complaint", "金第花园/3-2-1201", NEW)                      # 重要: 3 days
    fresh = records.enter(session, "complaint", "金第花园/3-2-1201", {**NEW, "投诉时间": "2026-11-06 09:00"})
    closed = records.enter(session, "complaint", "金第花园/3-2-1201", {**NEW, "投诉时间": "2026-11-02 09:00"})
    records.close_complaint(session, closed.record_id, "已处理", "2026-11-02 12:00")
    repair = records.enter(session, "repair", "金第花园/3-2-1201",
                           {"报修人": "王五", "联系电话": "13812345678", "报修时间": "2026-11-02 08:00",
                            "报修内容": "水管漏水", "维修类别": "渗漏水"})
    records.act(session, repair.record_id, "complete", {"完成时间": "2026-11-02 17:00", "维修人员": "老赵"})
    records.enter(session, "complaint", "金第花园/1-1-301", NEW)                               # another household
    seen = overview.household_overview(session, "金第/3-2-1201", as_of=dt.date(2026, 11, 7))
    assert [(c["number"], c["overdue"]) for c in seen.open_complaints] == [(late.number, True), (fresh.number, False)]
    assert seen.open_complaints[0]["deadline"] == "2026-11-06 09:30"
    assert [(r["record_id"], r["deadline"], r["overdue"]) for r in seen.awaiting_visit] == [
        (repair.record_id, "2026-11-05 17:00", True)]
    assert seen.arrears is None and seen.letters == []
    assert len(seen.timeline) == 4
    only = overview.household_overview(session, "金第花园/3-2-1201", as_of=dt.date(2026, 11, 7), form="维修工作单")
    assert [r["record_id"] for r in only.timeline] == [repair.record_id]
    assert only.as_json()["household"] == "金第花园/3-2-1201"
    visited = records.record_visit(session, repair.record_id, "2026-11-07 10:00", "满意")
    assert visited.version == 3
    assert overview.household_overview(session, "金第花园/3-2-1201", as_of=dt.date(2026, 11, 7)).awaiting_visit == []


def test_uploads_are_taken_like_ingest_with_outcomes_per_file(session: Session, tmp_path: Path) -> None:
    good = json_form(tmp_path / "a.json", "投诉处理单", complaint("TS-1"))
    bad = json_form(tmp_path / "b.json", "投诉处理单", {**complaint("TS-2"), "投诉人": ""})
    data = good.read_bytes()
    sent = [Upload("..\\..\\C:\\桌面\\投诉 1.json", data), Upload("坏.json", bad.read_bytes()),
            Upload("again.json", data), Upload("huge.json", b"x" * (session.home.web.upload_max_bytes + 1))]
    result = ingest_app.upload(session, sent, workers=1).as_json()["outcomes"]
    assert [o["status"] for o in result] == ["filed", "quarantined", "duplicate", "ignored"]
    assert result[0]["source"] == "投诉 1.json" and result[0]["record_id"]
    assert result[1]["errors"][0]["message"] == "缺少必填项“投诉人”" and result[1]["quarantine_id"]
    assert result[2]["duplicate_of"].startswith(result[0]["record_id"])
    assert result[3]["errors"][0]["code"] == "too_large"
    shown = records.record(session, result[0]["record_id"])
    [version] = sorted((session.home.archive / shown.path).glob("v*"))
    assert (version / "original.json").read_bytes() == data           # the bytes as sent
    assert not any((session.home.run_dir / "uploads").iterdir())       # nothing left staged
