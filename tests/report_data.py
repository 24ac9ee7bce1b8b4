"""A crafted archive for the monthly-report tests: October 2026 with every boundary case of SPEC §9.

`EXPECTED_OCT` / `EXPECTED_SEP` are worked out by hand from the cases below (see the comments).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from builders import IDS
from conftest import Hudang, new_home


def _complaint(number: str, opened: str, severity: str, *, estate: str = "金第花园", room: str = "3-2-1201",
               **extra: str) -> dict[str, Any]:
    return {"表单": "投诉处理单", "字段": {"编号": number, "项目": estate, "投诉人": "张三", "投诉时间": opened,
                                      "投诉人房号": room, "联系电话": "13912345678", "接报人": "李客服",
                                      "严重程度": severity, "投诉内容": "楼上渗漏水", **extra}}


def _repair(number: str, opened: str, category: str, *, estate: str = "金第花园", room: str = "3-2-1202",
            **extra: str) -> dict[str, Any]:
    return {"表单": "维修工作单", "字段": {"编号": number, "项目": estate, "房号": room, "报修人": "王五",
                                      "联系电话": "13712345678", "报修时间": opened, "报修内容": "报修",
                                      "维修类别": category, **extra}}


def _registration(room: str, day: str) -> dict[str, Any]:
    return {"表单": "住户登记表", "字段": {"项目": "金第花园", "房号": room, "业主姓名": "赵六",
                                      "证件号码": IDS[1], "联系电话": "13812345678", "入住日期": day}}


FIRST: dict[str, dict[str, Any]] = {
    # September: S1 opened at 23:59 on the last day, closed in October (not closed as of September's end);
    # S2 closed in time. No repairs in September: its repair rates are null.
    "s1": _complaint("TS-S1", "2026-09-30 23:59", "轻微", 完成时间="2026-10-01 10:00", 投诉类别="有效投诉",
                     被投诉部门="工程部"),
    "s2": _complaint("TS-S2", "2026-09-10 09:00", "重要", 完成时间="2026-09-12 09:00", 投诉类别="咨询型",
                     被投诉部门="客服部"),
    # October complaints.
    "c1": _complaint("TS-01", "2026-10-05 09:00", "重要", 完成时间="2026-10-08 09:00", 投诉类别="有效投诉",
                     被投诉部门="工程部", 回访时间="2026-10-09 10:00", 回访结果="满意"),   # exactly at the deadline
    "c2": _complaint("TS-02", "2026-10-05 09:00", "重要", 完成时间="2026-10-08 09:01", 投诉类别="有效投诉",
                     被投诉部门="工程部", 回访时间="2026-10-10 10:00", 回访结果="不满意"),  # one minute late
    "c3": _complaint("TS-03", "2026-10-31 23:59", "轻微"),          # last minute of M; no category, no department
    "c4": _complaint("TS-04", "2026-10-20 10:00", "重大", 完成时间="2026-11-02 10:00", 投诉类别="求助型",
                     被投诉部门="客服部"),                            # closed next month: open and overdue in October
    "c5": _complaint("TS-05", "2026-10-10 08:00", "轻微", 投诉类别="咨询型", 被投诉部门="保安部"),  # closed by v2
    "c6": _complaint("TS-06", "2026-10-15 08:00", "重大", 投诉类别="发泄型", 被投诉部门="保安部"),  # voided
    "y1": _complaint("TS-Y1", "2026-10-07 10:00", "轻微", estate="银河湾", room="1-101", 完成时间="2026-10-08 10:00",
                     投诉类别="有效投诉", 被投诉部门="工程部"),
    # October repairs.
    "r1": _repair("WX-01", "2026-10-02 08:00", "渗漏水", 完成时间="2026-10-03 10:00", 回访时间="2026-10-06 10:00",
                  回访结果="满意", 返修="否", 费用="¥35.50"),          # leak: visit exactly 3 days after
    "r2": _repair("WX-02", "2026-10-02 08:00", "水电", 完成时间="2026-10-03 10:00", 回访时间="2026-10-05 10:01",
                  回访结果="满意", 返修="是"),                        # 2 days + 1 minute: late; rework
    "r3": _repair("WX-03", "2026-10-31 23:59", "门窗"),             # opened at the last minute, not done
    "r4": _repair("WX-04", "2026-10-25 09:00", "其他", 完成时间="2026-10-30 09:00"),   # visit not yet due
    "r5": _repair("WX-05", "2026-10-10 09:00", "公共设施", 完成时间="2026-10-11 09:00", 回访时间="2026-11-01 10:00",
                  回访结果="满意"),                                   # visited after M: not revisited in October
    "r6": _repair("WX-06", "2026-11-03 09:00", "水电"),              # November
    "g1": _registration("3-2-1201", "2026-10-01"),
    "g2": _registration("3-2-1202", "2026-10-31"),
    "g3": _registration("3-2-1203", "2026-11-01"),
}
# The closing version of TS-05, filed after the month, with the times written in it deciding.
SECOND = {"c5": _complaint("TS-05", "2026-10-10 08:00", "轻微", 投诉类别="咨询型", 被投诉部门="保安部",
                           完成时间="2026-10-11 08:00", 回访时间="2026-10-12 09:00", 回访结果="基本满意")}

LEDGER = """项目,房号,费用项目,所属期间,应收金额,实收金额,收费日期
金第花园,3-2-1201,物业费,2026-10,100.00,100.00,2026-10-15
金第花园,3-2-1202,物业费,2026-10,200.00,200.00,2026-11-03
金第花园,3-2-1203,物业费,2026-10,300.50,150.00,2026-10-31
金第花园,3-2-1203,物业费,2026-08,300.50,0,
"""

# A 待核对 record (a scan whose 投诉类别 could not be read), filed through the archive's own API.
REVIEW_VALUES = {"编号": "TS-07", "项目": "金第花园", "投诉人": "孙七", "投诉时间": "2026-10-18 10:00:00",
                 "投诉人房号": "3栋2单元1201室", "接报人": "李客服", "严重程度": "轻微", "被投诉部门": "保洁部",
                 "投诉内容": "楼道卫生差", "完成时间": "2026-10-19 10:00:00"}

EXPECTED_OCT = {
    "month": "2026-10",
    "complaints": {
        "total": 7,   # c1 c2 c3 c4 c5 y1 + the 待核对 TS-07; c6 voided
        "by_severity": {"重大": 1, "重要": 2, "轻微": 4},
        "by_category": {"有效投诉": 3, "求助型": 1, "咨询型": 1, "未分类": 2},
        "by_department": {"工程部": 3, "客服部": 1, "保安部": 1, "保洁部": 1, "未分类": 1},
        "closed": 5, "handling_rate": 0.7143,      # c1 c2 c5 y1 TS-07
        "on_time": 4, "timely_rate": 0.8,          # c2 one minute late
    },
    "repairs": {
        "total": 5, "by_category": {"安全设施": 0, "渗漏水": 1, "水电": 1, "门窗": 1, "公共设施": 1, "其他": 1},
        "completed": 4, "completion_rate": 0.8,
        "revisited": 2, "revisit_rate": 0.5,
        "revisit_on_time": 1, "revisit_timely_rate": 0.5,
        "rework": 1, "rework_rate": 0.25,
    },
    "satisfaction": {"with_result": 5, "satisfied": 4, "satisfaction_rate": 0.8},  # r5's visit is in November
    "registrations": {"total": 2},
    "fees": {"billed": "600.50", "collected": "250.00", "collection_rate": 0.4163},
}
EXPECTED_OCT["repairs"]["by_category"] = {k: v for k, v in EXPECTED_OCT["repairs"]["by_category"].items() if v}
EXPECTED_SEP = {
    "month": "2026-09",
    "complaints": {"total": 2, "by_severity": {"重要": 1, "轻微": 1}, "by_category": {"有效投诉": 1, "咨询型": 1},
                   "by_department": {"工程部": 1, "客服部": 1}, "closed": 1, "handling_rate": 0.5,
                   "on_time": 1, "timely_rate": 1.0},
    "repairs": {"total": 0, "by_category": {}, "completed": 0, "completion_rate": None, "revisited": 0,
                "revisit_rate": None, "revisit_on_time": 0, "revisit_timely_rate": None, "rework": 0,
                "rework_rate": None},
    "satisfaction": {"with_result": 0, "satisfied": 0, "satisfaction_rate": None},
    "registrations": {"total": 0},
    "fees": None,
}


def write_forms(folder: Path, forms: dict[str, dict[str, Any]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, form in forms.items():
        (folder / f"{name}.json").write_text(json.dumps(form, ensure_ascii=False), encoding="utf-8")
    return folder


def file_review_record(home: Path) -> str:
    """File a 待核对 complaint through the archive API, as the scan intake would."""
    from hudang.archive.estates import Place
    from hudang.archive.store import Archive, Filing
    from hudang.settings import load_home

    archive = Archive(load_home(home))
    try:
        with archive.writer():
            filed = archive.file([Filing(
                form_id="complaint", form_code="TS", place=Place("金第花园", "3-2-1201", "3栋2单元1201室"),
                values=dict(REVIEW_VALUES), raw={}, text="楼道卫生差", number="TS-07", form_date="2026-10-18",
                provenance={"source_name": "scan-0007.pdf", "sha256": "0" * 64, "received_at": "2026-11-02T09:00:00+08:00"},
                review=["投诉类别"])])
    finally:
        archive.close()
    return filed[0].record_id


def build(hudang: Hudang, tmp: Path) -> dict[str, str]:
    """Fill the data home; returns record ids by case name."""
    hudang("estates", "add", "金第花园", "--alias", "金第")
    hudang("estates", "add", "银河湾")
    ids: dict[str, str] = {}
    for out in hudang.ingest(write_forms(tmp / "first", FIRST)):
        assert out["status"] == "filed", out
        ids[Path(out["source"]).stem] = out["record_id"]
    for out in hudang.ingest(write_forms(tmp / "second", SECOND)):
        assert out["status"] == "filed" and out["version"] == 2, out
    hudang("record", "void", ids["c6"], "--reason", "重复登记")
    ledger = tmp / "收费台账.csv"
    ledger.write_text(LEDGER, encoding="utf-8")
    assert hudang.ingest(ledger)[0]["status"] == "imported"
    ids["review"] = file_review_record(hudang.home)
    return ids


def built_home(tmp: Path) -> Hudang:
    """A fresh data home holding the crafted archive (for module-scoped fixtures)."""
    h = new_home(tmp / "home")
    build(h, tmp)
    return h
