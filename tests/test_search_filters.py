"""`hudang search` with filters and no words lists every record the filters allow, newest first (issue 13, page 1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from builders import complaint, json_form, registration
from conftest import Hudang


@pytest.fixture
def filed(hudang: Hudang, roster_csv: Path, tmp_path: Path) -> dict[str, str]:
    hudang.ingest(roster_csv)
    folder = tmp_path / "in"
    forms = {
        "c1": ("投诉处理单", complaint("TS-1", room="3-2-1201", 投诉时间="2026-11-03 09:00", 投诉内容="卫生间渗漏水")),
        "c2": ("投诉处理单", complaint("TS-2", room="1-1-302", 投诉时间="2026-10-05 10:00", 投诉内容="电梯故障")),
        "c3": ("投诉处理单", complaint("TS-3", room="1-1-302", 投诉时间="2026-11-03 15:00", 投诉内容="噪音扰民")),
        "r1": ("住户登记表", registration("1-2-1201", "李四", 入住日期="2026-09-01")),
        "w1": ("维修工作单", {"编号": "WX-9", "项目": "金第花园", "房号": "2-1-301", "报修人": "赵六", "联系电话": "13700001111",
                         "报修时间": "2026-11-02 08:00", "报修内容": "阳台地漏堵塞返水", "维修类别": "渗漏水"}),
    }
    for name, (form, fields) in forms.items():
        json_form(folder / f"{name}.json", form, fields)
    return {Path(o["source"]).stem: o["record_id"] for o in hudang.ingest(folder)}


def ids(result: dict) -> list[str]:
    return [h["record_id"] for h in result["hits"]]


def test_filters_alone_list_every_record_newest_first(hudang: Hudang, filed: dict[str, str]) -> None:
    everything = hudang.json("search", "--estate", "金第花园")
    # own dates: c1 and c3 2026-11-03 (the later record ID first), w1 11-02, c2 10-05, r1 09-01
    newest_first = [max(filed["c1"], filed["c3"]), min(filed["c1"], filed["c3"]), filed["w1"], filed["c2"], filed["r1"]]
    assert ids(everything) == newest_first and everything["total"] == 5
    assert [h["date"] for h in everything["hits"]] == ["2026-11-03", "2026-11-03", "2026-11-02", "2026-10-05",
                                                       "2026-09-01"]
    first_two = hudang.json("search", "--estate", "金第花园", "--limit", "2")
    assert ids(first_two) == newest_first[:2] and first_two["total"] == 5    # the exact total, not the page
    # the same shape as a search with words
    worded = hudang.json("search", "渗漏水", "--estate", "金第花园")["hits"][0]
    assert set(everything["hits"][0]) == set(worded) == {"record_id", "archive_no", "household", "form", "date",
                                                                   "snippet"}
    assert everything["hits"][0]["snippet"] and "【" not in everything["hits"][0]["snippet"]


def test_each_filter_alone(hudang: Hudang, filed: dict[str, str]) -> None:
    complaints = hudang.json("search", "--form", "投诉")
    assert complaints["total"] == 3 and set(ids(complaints)) == {filed["c1"], filed["c2"], filed["c3"]}
    assert ids(hudang.json("search", "--household", "金第花园/1栋1单元302")) == [filed["c3"], filed["c2"]]
    assert ids(hudang.json("search", "--from", "2026-10-01", "--to", "2026-11-02")) == [filed["w1"], filed["c2"]]
    assert ids(hudang.json("search", "--to", "2026-09-30")) == [filed["r1"]]
    assert hudang.json("search", "--estate", "金第花园", "--from", "2026-12-01") == {"total": 0, "hits": []}
    shown = hudang("search", "--form", "维修").stdout
    assert shown.startswith("共 1 条") and filed["w1"] in shown and "维修工作单" in shown


def test_a_corrected_or_voided_record_is_listed_as_it_stands(hudang: Hudang, filed: dict[str, str]) -> None:
    hudang("record", "edit", filed["c2"], "投诉内容=电梯故障，已修复")
    hudang("record", "void", filed["r1"], "--reason", "误录")
    listed = hudang.json("search", "--estate", "金第花园")
    assert listed["total"] == 4 and filed["r1"] not in ids(listed) and ids(listed).count(filed["c2"]) == 1
    versions = hudang.json("search", "--household", "金第花园/1-1-302", "--all-versions")
    assert versions["total"] == 2
    assert [(h["record_id"], h["version"]) for h in versions["hits"]] == [(filed["c3"], 1), (filed["c2"], 2)]


def test_no_words_and_no_filter_is_refused_in_chinese(hudang: Hudang, filed: dict[str, str]) -> None:
    bare = hudang("search", check=False)
    assert bare.code == 2 and "请给出检索词，或至少一个筛选条件" in bare.stderr
    as_json = hudang("search", "--json", check=False)
    assert as_json.code == 2 and as_json.json["error"]["code"] == "empty_query"
    assert hudang("search", "--limit", "5", check=False).code == 2   # a limit is no filter
