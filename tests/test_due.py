"""The daily follow-up list (`hudang due`) and the registers (`hudang register`) on the crafted archive."""

from __future__ import annotations

from typing import Any

import openpyxl
import pytest
import report_data as rd

from conftest import Hudang


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Hudang:
    return rd.built_home(tmp_path_factory.mktemp("due"))


def _numbers(rows: list[dict[str, Any]]) -> dict[str, tuple[str, float]]:
    return {r["number"]: (r["state"], r["days_late"]) for r in rows}


def test_due_at_the_end_of_october(built: Hudang) -> None:
    data = built.json("due", "--as-of", "2026-10-31")
    assert data["as_of"] == "2026-10-31"
    # TS-04 (重大, opened 10-20 10:00) was due 10-30 10:00; TS-03 (轻微, 10-31 23:59) is due 11-02: not yet listed.
    assert _numbers(data["complaints"]) == {"TS-04": ("已超期", 1.6)}
    assert data["complaints"][0]["deadline"] == "2026-10-30 10:00"
    # WX-05 done 10-11 09:00, no visit by the end of 10-31; WX-04's visit is due 11-01 09:00.
    assert _numbers(data["repairs"]) == {"WX-05": ("已超期", 18.6)}
    # 3-2-1203 owes August's 300.50 (overdue since 09-01) and was never reminded: due a call or SMS.
    assert data["dunning"] == [{"household": "金第花园/3-2-1203", "kind": "reminder", "step": "电话/短信催缴",
                                "amount": "300.50", "reason": "有逾期欠费，但没有催缴记录",
                                "deadline": "2026-09-01", "days_late": 60}]


def test_due_the_next_day_and_by_estate(built: Hudang) -> None:
    data = built.json("due", "--as-of", "2026-11-01")
    # TS-03's deadline (11-02 23:59) is within a day of the end of 11-01.
    assert _numbers(data["complaints"]) == {"TS-04": ("已超期", 2.6), "TS-03": ("明日到期", -1.0)}
    # WX-05 was visited on 11-01 10:00; WX-04's visit fell due that morning.
    assert _numbers(data["repairs"]) == {"WX-04": ("今日到期", 0.6)}
    # TS-04 was closed on 11-02 10:00: from then on it is no longer followed up.
    assert "TS-04" not in _numbers(built.json("due", "--as-of", "2026-11-02")["complaints"])
    other = built.json("due", "--as-of", "2026-11-01", "--estate", "银河湾")
    assert other["complaints"] == [] and other["repairs"] == [] and other["estate"] == "银河湾"
    text = built("due", "--as-of", "2026-11-01").stdout
    assert "TS-04" in text and "明日到期" in text and "WX-04" in text
    bad = built("due", "--as-of", "2026-02-30", "--json", check=False)
    assert bad.code == 2 and bad.json["error"]["code"] == "bad_date"


def test_registers_are_masked_xlsx_ledgers(built: Hudang) -> None:
    data = built.json("register", "投诉", "--from", "2026-10-01", "--to", "2026-10-31")
    assert data["register"] == "投诉登记台账" and data["rows"] == 7   # the voided TS-06 is left out
    wb = openpyxl.load_workbook(data["path"])
    ws = wb.active
    assert ws["A1"].value == "投诉登记台账（全部项目）"
    header = [c.value for c in ws[3]]
    rows = [dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=4, values_only=True)]
    assert [r["编号"] for r in rows][:2] == ["TS-01", "TS-02"] and {r["序号"] for r in rows} == set(range(1, 8))
    assert all(r["联系电话"] in (None, "139****5678") for r in rows)
    assert not any("13912345678" in str(v) for r in rows for v in r.values())
    state = {r["编号"]: r["办结情况"] for r in rows}
    assert state["TS-01"] == "按时办结" and state["TS-02"] == "超时办结"
    assert next(r for r in rows if r["编号"] == "TS-07")["待核对"] == "是"
    repairs = built.json("register", "维修工作单", "--estate", "金第", "--from", "2026/10/1", "--to", "2026-11-30")
    assert repairs["rows"] == 6 and repairs["estate"] == "金第花园"
    ws = openpyxl.load_workbook(repairs["path"]).active
    header = [c.value for c in ws[3]]
    fee = {r[header.index("编号")]: r[header.index("费用")] for r in ws.iter_rows(min_row=4, values_only=True)}
    assert fee["WX-01"] == 35.5 and fee["WX-02"] is None   # money as a number
    people = built.json("register", "registration", "--from", "2026-10-01", "--to", "2026-10-31")
    ws = openpyxl.load_workbook(people["path"]).active
    header = [c.value for c in ws[3]]
    ids = [r[header.index("证件号码")] for r in ws.iter_rows(min_row=4, values_only=True)]
    assert people["rows"] == 2 and ids == ["110101********1233"] * 2
    wrong = built("register", "不存在的表", "--from", "2026-10-01", "--to", "2026-10-31", "--json", check=False)
    assert wrong.code == 2 and wrong.json["error"]["code"] == "unknown_form"


def test_deadlines_are_read_from_the_form_definitions(built: Hudang) -> None:
    """A data home's own complaint.toml / repair.toml with other days moves the report's and the due list's counts."""
    import datetime as dt

    from hudang.archive.catalog import connect
    from hudang.forms.definitions import BUILTIN_DIR, load_forms
    from hudang.pipeline.reports import due, figures

    own = built.home.parent / "own-forms"
    own.mkdir(exist_ok=True)
    complaint = (BUILTIN_DIR / "complaint.toml").read_text(encoding="utf-8")
    repair = (BUILTIN_DIR / "repair.toml").read_text(encoding="utf-8")
    assert '"重大" = 10, "重要" = 3' in complaint and "other_days = 2" in repair
    (own / "complaint.toml").write_text(complaint.replace('"重大" = 10, "重要" = 3', '"重大" = 12, "重要" = 4'),
                                        encoding="utf-8")
    (own / "repair.toml").write_text(repair.replace("other_days = 2", "other_days = 3"), encoding="utf-8")
    conn = connect(built.home / "catalog.sqlite")
    try:
        month = figures.Month(2026, 10)
        before = figures.figures(conn, load_forms(), month, None)
        after = figures.figures(conn, load_forms([own]), month, None)
        # TS-02 (重要, one minute past 3 days) is in time with 4; WX-02 (水电, 2 days + 1 minute) with 3.
        assert (before["complaints"]["on_time"], after["complaints"]["on_time"]) == (4, 5)
        assert (before["repairs"]["revisit_on_time"], after["repairs"]["revisit_on_time"]) == (1, 2)
        follow = due.due(conn, load_forms([own]), dt.date(2026, 10, 31), None)
        # TS-04 (重大, opened 10-20 10:00) is now due 11-01 10:00; WX-05's visit a day later than before.
        assert _numbers(follow["complaints"]) == {"TS-04": ("明日到期", -0.4)}
        assert _numbers(follow["repairs"]) == {"WX-05": ("已超期", 17.6)}
        text = figures.details(conn, load_forms([own]), month, None).limits
        assert text == {"complaint": "重大12天、重要4天、轻微2天", "repair": "渗漏水3天、其他3天"}
    finally:
        conn.close()
