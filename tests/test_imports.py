"""SPEC §12: bringing in what an office already has — other systems' room lists, owner lists and fee ledgers.

Every file here is generated in the test in the layout such systems export (never a copy of theirs).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from builders import IDS, complaint, json_form, soffice_convert
from conftest import Hudang

ESTATE = "金第花园"


def xlsx(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    """A workbook with the sheets given, in order; cells as Python values (numbers stay numbers)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def csv(path: Path, rows: list[str], encoding: str = "utf-8-sig") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\n".join(rows) + "\n").encode(encoding))
    return path


def query(hudang: Hudang, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(hudang.home / "catalog.sqlite")
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def rooms(hudang: Hudang, estate: str = ESTATE) -> dict[str, str]:
    return dict(query(hudang, "SELECT key, display FROM rooms WHERE estate = ?", estate))


def roster(hudang: Hudang, tmp_path: Path) -> None:
    """The estate and a few rooms, from our own 房屋清单."""
    hudang.ingest(csv(tmp_path / "roster" / "房屋清单.csv", ["项目,楼栋,单元,房号"] + [
        f"{ESTATE},{b},{u},{r}" for b in (1, 2) for u in (1, 2) for r in ("101", "1001")]))


# ---- 1. column mapping as data ----

ALIAS_SETS = [
    ("roster", ["楼号", "单元号", "房间", "建筑面积(㎡)", "业主名称"], ["1", "1", "101", "98.5", "张三"]),
    ("roster", ["栋号", "单元", "室号", "面积（平方米）"], ["1", "2", "1001", "90"]),
    ("roster", ["*楼阁名称", "*单元编号", "*物业编号"], ["2", "1", "101"]),
    ("roster", ["楼栋（幢）", "单元(号)", "房号【室】"], ["2", "2", "101"]),
    ("owners", ["楼栋号", "房号", "业主名称", "手机号"], ["1", "1单元101", "张三", "13812345678"]),
    ("owners", ["栋号", "房屋", "客户", "身份证号"], ["1", "2单元1001", "李四", ""]),
    ("ledger", ["房屋", "收费项目", "所属月份", "应缴金额", "实缴金额", "缴费时间"],
     ["1-1-101", "物业服务费", "2026-09", "130.6元", "￥12.30", "2026-09-05"]),
    ("ledger", ["楼号", "单元", "室号", "费项", "账期", "应收", "实收"], ["1", "1", "101", "水费", "202609", "1,144.58", "0"]),
    ("reminders", ["房间号", "催缴日期", "催缴方式", "说明"], ["1-1-101", "2026-10-08", "电话", "已提醒"]),
]


@pytest.mark.parametrize(("kind", "header", "row"), ALIAS_SETS, ids=[f"{k}-{h[0]}" for k, h, _ in ALIAS_SETS])
def test_each_alias_set_is_read_as_its_kind(hudang: Hudang, tmp_path: Path, kind: str, header: list[str],
                                            row: list[str]) -> None:
    roster(hudang, tmp_path)
    [out] = hudang.json("ingest", csv(tmp_path / "in" / "表.csv", [",".join(header), ",".join(row)]),
                        "--estate", ESTATE)["outcomes"]
    assert (out["kind"], out["status"], out["rows"]) == (kind, "imported", 1), out
    summary = next(w["message"] for w in out["warnings"] if w["code"] == "columns")
    assert summary.startswith("按“")     # one summary for the file, naming the columns found


def test_ledger_amounts_in_other_spellings_are_read(hudang: Hudang, tmp_path: Path) -> None:
    roster(hudang, tmp_path)
    hudang.ingest(csv(tmp_path / "in" / "台账.csv", [
        "项目,房号,收费项目,所属期间,应缴金额,实缴金额", f"{ESTATE},1-1-101,物业服务费,2026-09,130.6元,￥12.30",
        f"{ESTATE},1-1-101,物业服务费,2026-10,\"1,144.58\",0"]))
    assert query(hudang, "SELECT period, due, paid FROM fee_rows ORDER BY period") == [
        ("2026-09", "130.60", "12.30"), ("2026-10", "1144.58", "0.00")]


def test_a_close_header_gets_a_suggestion_in_one_summary(hudang: Hudang, tmp_path: Path) -> None:
    roster(hudang, tmp_path)
    [out] = hudang.json("ingest", csv(tmp_path / "in" / "台账.csv", [
        "项目,房号,收费项目,所属期间,应计金额,实收金额", *[f"{ESTATE},1-1-101,物业服务费,2026-0{m},100,0"
                                                  for m in range(1, 6)]]))["outcomes"]
    assert out["status"] == "quarantined"
    [error] = out["errors"]    # one message for the file, not one per row
    assert "“应计金额” 是否即 “应收金额”？" in error["message"]
    assert "缺少的列：应收金额" in error["message"] and "已识别的列：" in error["message"]


# ---- 2. workbooks as they are ----

def fee_history(path: Path, room: str = "1-1-1001") -> Path:
    """A fee-history export: a title row, serial dates without a date format, a notes block beside the data,
    and other sheets before it."""
    header = ["房屋", "收费项目", "缴费周期", "开始时间", "结束时间", "缴费时间", "应缴金额", "实缴金额", "收银员", "备注"]
    return xlsx(path, {
        "说明": [["本工作簿由系统导出"], ["请勿修改表头"]],
        "车位信息": [["停车场编号", "车位编码", "面积"], [1, "C0001", 12.5]],
        "房屋缴费历史": [
            [f"{ESTATE} 房屋缴费历史"],
            header + [None, "说明："],
            [room, "物业服务费", 12, 42370, 42736, 42736, 1000, 1000, "张三", "手工导入", None, "房屋"],
            [room, "物业服务费", 12, 42736, 43101, 42740, 1000, 400, "张三", None, None,
             "请填写系统中的房屋编号 楼栋-单元-房屋 如果是商铺 楼栋-0-商铺"],
            [None] * 11 + ["开始时间为缴费周期的第一天"],
        ]})


def test_fee_history_workbook_spreads_each_period_over_its_months(hudang: Hudang, tmp_path: Path) -> None:
    hudang("estates", "add", ESTATE)
    hudang.ingest(xlsx(tmp_path / "r" / "rooms.xlsx", {"房屋": [["项目", "楼栋", "单元", "房号"],
                                                              [ESTATE, 1, 1, 1001]]}))
    [out] = hudang.ingest(fee_history(tmp_path / "in" / "缴费.xlsx"))
    assert (out["status"], out["kind"], out["rows"], out["ledger_months"]) == ("imported", "ledger", 24, 24)
    assert out["estate_from"] == "title"
    skipped = next(w["message"] for w in out["warnings"] if w["code"] == "sheets_skipped")
    assert "房屋缴费历史" in skipped and "说明" in skipped and "车位信息" in skipped
    rows = query(hudang, "SELECT period, due, paid, paid_on FROM fee_rows ORDER BY period")
    assert [r[0] for r in rows][:2] == ["2016-01", "2016-02"] and rows[-1][0] == "2017-12"
    first, second = rows[:12], rows[12:]
    assert sum(Decimal(r[1]) for r in first) == Decimal("1000")     # split to the cent, summed back
    assert [r[1] for r in first[:11]] == ["83.33"] * 11 and first[11][1] == "83.37"   # remainder on the last month
    assert sum(Decimal(r[2]) for r in second) == Decimal("400")    # paid fills the earliest months
    assert [r[2] for r in second[:5]] == ["83.33", "83.33", "83.33", "83.33", "66.68"] and second[5][2] == "0.00"
    assert first[0][3] == "2017-01-01" and second[0][3] == "2017-01-05"     # serial 42740
    metas = [json.loads(p.read_text(encoding="utf-8")) for p in (hudang.home / "archive").rglob("import.json")]
    [ledger] = [m for m in metas if m["kind"] == "ledger"]
    assert ledger["rows"][0]["source"] == {"row": 3, "start": "42370", "end": "42736", "due": "1000.00",
                                           "paid": "1000.00", "months": 12}   # the source row, as provenance
    shown = hudang.json("fees", "show", f"{ESTATE}/1-1-1001", "--as-of", "2018-03-01")
    assert Decimal(shown["arrears"]) == Decimal("600.00")     # the ladder reads the months as any ledger's


def test_a_range_starting_and_ending_mid_month_counts_the_months_it_touches(hudang: Hudang,
                                                                             tmp_path: Path) -> None:
    roster(hudang, tmp_path)
    hudang.ingest(csv(tmp_path / "in" / "台账.csv", [
        "项目,房号,收费项目,开始时间,结束时间,应收金额,实收金额",
        f"{ESTATE},1-1-101,物业服务费,2026-01-15,2026-03-10,100,100"]))
    assert query(hudang, "SELECT period, due FROM fee_rows ORDER BY period") == [
        ("2026-01", "33.33"), ("2026-02", "33.33"), ("2026-03", "33.34")]


def test_side_by_side_blocks_are_read_as_rows(hudang: Hudang, tmp_path: Path) -> None:
    header = ["楼栋", "单元", "房号", "建筑面积"]
    [out] = hudang.json("ingest", xlsx(tmp_path / "in" / "房屋.xlsx", {"Sheet1": [
        ["房屋清单（左右两栏）"], header + [None] + header,
        [1, 1, "101", 90, None, 2, 1, "101", 91], [1, 1, "102", 92, None, None, None, None, None]]}),
        "--estate", ESTATE)["outcomes"]
    assert (out["status"], out["rows"]) == ("imported", 3)
    assert set(rooms(hudang)) == {"1-1-101", "1-1-102", "2-1-101"}


def test_side_by_side_blocks_in_a_csv(hudang: Hudang, tmp_path: Path) -> None:
    roster(hudang, tmp_path)
    [out] = hudang.json("ingest", csv(tmp_path / "in" / "业主.csv", [
        "栋号,单元,房号,业主名称,手机号,,栋号,单元,房号,业主名称,手机号",
        "1,1,101,张三,13812345678,,2,1,101,李四,13812345679", "1,2,101,王五,,,,,,,"]), "--estate", ESTATE)["outcomes"]
    assert (out["kind"], out["status"], out["registrations_new"]) == ("owners", "imported", 3), out
    owners = {r[0]: json.loads(r[1])["业主姓名"] for r in query(
        hudang, "SELECT r.household, v.fields FROM records r JOIN versions v USING (record_id)")}
    assert owners == {"1-1-101": "张三", "2-1-101": "李四", "1-2-101": "王五"}


def test_a_room_list_and_an_owner_list_as_legacy_xls(hudang: Hudang, tmp_path: Path) -> None:
    src, out_dir = tmp_path / "src", tmp_path / "xls"
    out_dir.mkdir()
    rooms_xls = soffice_convert(xlsx(src / "房屋清单.xlsx", {"房屋": [
        [f"{ESTATE}房屋清单"], ["楼号", "单元号", "房间", "建筑面积(㎡)"], [1, 1, "101", 98.5], [1, 1, "102", 90]]}),
        "xls", out_dir)
    owners_xls = soffice_convert(xlsx(src / "业主名单.xlsx", {"业主信息": [
        ["栋号", "单元", "房号", "业主名称", "手机号"], [1, 1, "101", "张三", "13812345678"],
        [1, 1, "102", "李四", ""]]}), "xls", out_dir)
    [rooms_out] = hudang.json("ingest", rooms_xls, "--estate", ESTATE)["outcomes"]
    assert (rooms_out["kind"], rooms_out["status"], rooms_out["rooms"]) == ("roster", "imported", 2), rooms_out
    assert rooms(hudang) == {"1-1-101": "1栋1单元101室", "1-1-102": "1栋1单元102室"}
    [owners_out] = hudang.json("ingest", owners_xls, "--estate", ESTATE)["outcomes"]
    assert (owners_out["kind"], owners_out["status"], owners_out["registrations_new"]) == ("owners", "imported", 2)
    [record] = hudang.json("household", "show", f"{ESTATE}/1-1-102")["records"]
    assert record["form"] == "registration"


def test_gbk_csv_owner_list(hudang: Hudang, tmp_path: Path) -> None:
    roster(hudang, tmp_path)
    [out] = hudang.ingest(csv(tmp_path / "in" / ESTATE / "业主.csv",
                              ["栋号,单元,房号,业主名称,手机号", "1,1,101,张三,13812345678"], encoding="gbk"))
    assert (out["kind"], out["status"], out["estate_from"]) == ("owners", "imported", "folder")


# ---- 3. rooms however they are written ----

def test_villa_shop_and_parking_space_rooms_that_forms_can_match(hudang: Hudang, tmp_path: Path) -> None:
    [out] = hudang.json("ingest", csv(tmp_path / "in" / "房屋.csv", [
        "楼栋,单元,房号", "1幢,,", ",,车位A-001", "3,0,S01", "华泰苑1号楼,,1单元101室"]),
        "--estate", ESTATE)["outcomes"]
    assert out["status"] == "imported"
    assert rooms(hudang) == {"1-幢": "1幢", "车位-A001": "车位A-001", "3-S01": "3栋S01室",
                             "1-1-101": "1号楼1单元101室"}
    for number, room, key in (("TS-1", "1幢", "1-幢"), ("TS-2", "车位A-001", "车位-A001"),
                              ("TS-3", "1号楼1单元101室", "1-1-101"), ("TS-4", "3-0-S01", "3-S01")):
        [filed] = hudang.ingest(json_form(tmp_path / f"{number}.json", "投诉处理单", complaint(number, room=room)))
        assert (filed["status"], filed["household"]) == ("filed", f"{ESTATE}/{key}"), filed


def test_form_batch_with_separate_building_unit_room_columns(hudang: Hudang, tmp_path: Path) -> None:
    roster(hudang, tmp_path)
    [out] = hudang.ingest(xlsx(tmp_path / "in" / "报修登记.xlsx", {"报修": [
        ["项目", "楼栋", "单元", "房号", "报修人", "联系电话", "报修时间", "报修内容"],
        [ESTATE, "2栋", "1单元", "1001", "赵六", "13700001111", "2026-11-01 09:00", "厨房水管漏水"]]}))
    assert out["status"] == "filed" and out["rows"][0]["household"] == f"{ESTATE}/2-1-1001"


# ---- 4. owner lists ----

def test_owner_list_without_dates_registers_owners_marked_to_review(hudang: Hudang, tmp_path: Path) -> None:
    roster(hudang, tmp_path)
    owners = ["楼号,单元,房间,业主名称,手机号", "1,1,101,张三,13812345678", "2,2,1001,李四,"]
    [out] = hudang.ingest(csv(tmp_path / "in" / f"{ESTATE}业主信息.csv", owners))
    assert (out["kind"], out["status"], out["registrations_new"]) == ("owners", "imported", 2)
    shown = hudang.json("household", "show", f"{ESTATE}/2-2-1001")
    [record] = shown["records"]
    assert record["form"] == "registration"
    review = hudang.json("review", "list")["records"]
    fields = {r["household"]: set(r["fields"]) for r in review}
    assert fields[f"{ESTATE}/2-2-1001"] == {"入住日期", "证件号码", "联系电话"}
    assert fields[f"{ESTATE}/1-1-101"] == {"入住日期", "证件号码"}
    # The same rows again (a new export of the same list): nothing added.
    [again] = hudang.ingest(csv(tmp_path / "in2" / f"{ESTATE}业主信息.csv", owners + [""]))
    assert (again["registrations_new"], again["registrations_changed"], again["registrations_unchanged"]) == (0, 0, 2)
    # A changed row: a new version of that household's registration.
    [changed] = hudang.ingest(csv(tmp_path / "in3" / f"{ESTATE}业主信息.csv",
                                  [owners[0], "1,1,101,张三,13912345678", owners[2]]))
    assert changed["registrations_changed"] == 1
    [record] = hudang.json("household", "show", f"{ESTATE}/1-1-101")["records"]
    assert record["version"] == 2


# ---- 5. the estate from context ----

def test_estate_from_each_place(hudang: Hudang, tmp_path: Path) -> None:
    roster(hudang, tmp_path)
    hudang("estates", "add", ESTATE, "--alias", "金第")
    ledger = ["房号,收费项目,所属期间,应收金额,实收金额", "1-1-101,物业服务费,2026-0{m},100,0"]

    def sheet(path: Path, month: int, *extra: str) -> dict[str, Any]:
        [out] = hudang.json("ingest", csv(path, [ledger[0], ledger[1].format(m=month)]), *extra)["outcomes"]
        return out  # type: ignore[no-any-return]

    assert sheet(tmp_path / "a" / "台账.csv", 1, "--estate", "金第")["estate_from"] == "option"
    assert sheet(tmp_path / "b" / ESTATE / "台账.csv", 2)["estate_from"] == "folder"
    assert sheet(tmp_path / "c" / "金第 2026年台账.csv", 3)["estate_from"] == "file_name"
    titled = csv(tmp_path / "d" / "台账.csv", [f"{ESTATE}收费明细", *ledger[:1], ledger[1].format(m=4)])
    assert hudang.ingest(titled)[0]["estate_from"] == "title"
    column = csv(tmp_path / "e" / "台账.csv", ["项目," + ledger[0], f"{ESTATE}," + ledger[1].format(m=5)])
    assert hudang.ingest(column)[0]["estate_from"] == "column"
    assert len(query(hudang, "SELECT * FROM fee_rows WHERE estate = ?", ESTATE)) == 5


def test_a_row_disagreeing_with_the_estate_option_is_a_row_error(hudang: Hudang, tmp_path: Path) -> None:
    roster(hudang, tmp_path)
    hudang("estates", "add", "黄埔花园")
    [out] = hudang.json("ingest", csv(tmp_path / "in" / "台账.csv", [
        "项目,房号,收费项目,所属期间,应收金额", f"{ESTATE},1-1-101,物业服务费,2026-01,100",
        "黄埔花园,1-1-101,物业服务费,2026-01,100"]), "--estate", ESTATE)["outcomes"]
    assert out["status"] == "partial" and [(e["row"], e["code"]) for e in out["errors"]] == [(3, "estate_mismatch")]


def test_a_roster_for_a_new_estate_needs_a_column_or_the_option(hudang: Hudang, tmp_path: Path) -> None:
    path = csv(tmp_path / "in" / "房屋.csv", ["楼栋,单元,房号", "1,1,101"])
    [out] = hudang.ingest(path)
    assert out["status"] == "quarantined" and [e["code"] for e in out["errors"]] == ["no_estate"]
    assert query(hudang, "SELECT * FROM rooms") == []


# ---- 6. profiles and dry runs ----

def test_profiles_save_list_show_auto_choose_and_remove(hudang: Hudang, tmp_path: Path) -> None:
    roster(hudang, tmp_path)
    example = xlsx(tmp_path / "ex" / "导出.xlsx", {"封面": [["无表头"]], "房产": [
        ["某系统房产导出"], ["物业区域", "门牌", "产权人名", "联系手机"], ["1区", "1-1-101", "张三", "13812345678"]]})
    saved = hudang.json("import-profile", "save", "office-own", "--kind", "owners", "--map", "门牌=房号",
                        "--map", "产权人名=业主姓名", "--map", "联系手机=联系电话", "--map", "物业区域=-",
                        "--from", example)
    assert (saved["sheet"], saved["header_row"]) == ("房产", 2)
    assert (hudang.home / "import-profiles" / "office-own.toml").is_file()
    names = {p["name"]: p["builtin"] for p in hudang.json("import-profile", "list")["profiles"]}
    assert names == {"office-own": False, "hc-rooms": True, "hc-fee-history": True, "building-name-room-cell": True}
    assert hudang.json("import-profile", "show", "office-own")["map"]["门牌"] == "房号"
    [out] = hudang.json("ingest", example, "--estate", ESTATE)["outcomes"]   # chosen by its headers
    assert (out["kind"], out["status"], out["rows"]) == ("owners", "imported", 1)
    assert "导入方案“office-own”" in next(w["message"] for w in out["warnings"] if w["code"] == "columns")
    hudang("import-profile", "remove", "office-own")
    assert not (hudang.home / "import-profiles" / "office-own.toml").exists()
    assert hudang("import-profile", "remove", "hc-rooms", check=False).code != 0


def test_hc_room_import_with_its_profile(hudang: Hudang, tmp_path: Path) -> None:
    header = ["楼号", "单元", "房间", "楼层", "总层数", "是否有电梯", "房屋类型", "房屋户型", "建筑面积", "室内面积",
              "租金", "房屋状态", "业主名称", "性别", "手机号", "身份证号", "业主类型"]
    path = xlsx(tmp_path / "in" / "importRoom.xlsx", {"资产信息": [
        header, [1, 1, 1001, 1, 33, "有", 110, 10102, 94.56, 94.56, 0, 2001, "王建国", "男", 13812345678, "", 1001],
        [1, 0, "S01", 1, 33, "无", 120, 10102, 45, 45, 0, 2001, None, None, None, None, None]]})
    [out] = hudang.json("ingest", path, "--profile", "hc-rooms", "--estate", ESTATE)["outcomes"]
    assert (out["kind"], out["status"], out["rows"], out["registrations_new"]) == ("roster", "imported", 2, 1)
    assert rooms(hudang) == {"1-1-1001": "1栋1单元1001室", "1-S01": "1栋S01室"}
    [record] = hudang.json("household", "show", f"{ESTATE}/1-1-1001")["records"]
    assert record["form"] == "registration"


def test_a_room_list_owner_with_a_bad_phone_is_a_problem_row_to_fix_and_retry(hudang: Hudang, tmp_path: Path) -> None:
    header = ["楼号", "单元", "房间", "建筑面积", "业主名称", "手机号", "身份证号"]
    path = xlsx(tmp_path / "in" / "importRoom.xlsx", {"资产信息": [
        header, [1, 1, 1001, 94.56, "王建国", 13812345678, None], [1, 1, 1002, 94.56, "李四", 1381234567, None]]})
    [out] = hudang.json("ingest", path, "--profile", "hc-rooms", "--estate", ESTATE)["outcomes"]
    assert (out["status"], out["registrations_new"]) == ("partial", 1), out
    assert [(e["row"], e["field"]) for e in out["errors"]] == [(3, "联系电话")]
    assert set(rooms(hudang)) == {"1-1-1001", "1-1-1002"}           # the room itself is in
    entry = hudang.home / "quarantine" / out["quarantine_id"]
    [rows_file] = [p for p in entry.iterdir() if p.suffix == ".xlsx"]
    wb = openpyxl.load_workbook(rows_file)
    ws = wb.active
    [bad] = [r for r in ws.iter_rows() if r[4].value == "李四"]
    bad[5].value = 13812345679
    wb.save(rows_file)
    [again] = hudang.json("quarantine", "retry")["results"]
    assert again["status"] == "imported", again
    [record] = hudang.json("household", "show", f"{ESTATE}/1-1-1002")["records"]
    assert record["form"] == "registration"


def test_dry_run_shows_what_would_be_created_and_writes_nothing(hudang: Hudang, tmp_path: Path) -> None:
    path = fee_history(tmp_path / "in" / "缴费.xlsx")
    rooms_file = csv(tmp_path / "in2" / "房屋.csv", ["楼栋,单元,房号", "1,1,1001", "1,1,1002"])

    def archive_files() -> list[str]:
        return sorted(str(p.relative_to(hudang.home)) for p in (hudang.home / "archive").rglob("*"))

    before = archive_files()
    result = hudang.json("ingest", "--dry-run", rooms_file, path, "--estate", ESTATE)
    assert result["dry_run"] is True
    by_kind = {o["kind"]: o for o in result["outcomes"]}
    assert by_kind["roster"]["status"] == "preview" and by_kind["roster"]["rooms"] == 2
    # The room list's new estate and rooms are known to the fee history previewed after it in the same run.
    assert by_kind["ledger"]["ledger_months"] == 24 and by_kind["ledger"]["rows_bad"] == 0
    assert archive_files() == before
    assert query(hudang, "SELECT COUNT(*) FROM rooms") == [(0,)]
    assert query(hudang, "SELECT COUNT(*) FROM estates") == [(0,)]
    assert query(hudang, "SELECT COUNT(*) FROM imports") == [(0,)]
    assert not any((hudang.home / "quarantine").iterdir())
    text = hudang("ingest", "--dry-run", rooms_file, "--estate", ESTATE).stdout
    assert "房屋 2 间" in text and "未写入" in text


def test_backup_copies_import_profiles(hudang: Hudang, tmp_path: Path) -> None:
    hudang("import-profile", "save", "mine", "--kind", "roster", "--map", "楼阁=楼栋", "--map", "号=房号")
    dest = tmp_path / "backup"
    dest.mkdir()
    hudang("backup", "create", dest, "--init")
    assert any(p.name == "mine.toml" and p.parent.name == "import-profiles" for p in dest.rglob("*"))


# ---- the pieces, directly ----

def test_room_cells_and_periods() -> None:
    from hudang.errors import ValueProblem
    from hudang.forms.import_values import fill_earliest, import_date, months_covered, split_evenly
    from hudang.forms.rooms import import_room

    assert import_room("", "", "1-1-1001")[0].key == "1-1-1001"
    assert import_room("", "", "1-0-S01")[0].key == "1-S01"
    with pytest.raises(ValueProblem):
        import_room("", "", "见附件")       # never a household no form can name
    room, display = import_room("华泰苑1号楼", "", "1单元101室")
    assert (room.key, display) == ("1-1-101", "1号楼1单元101室")
    assert import_date("42736", "开始时间") == dt.date(2017, 1, 1)
    assert months_covered(dt.date(2016, 1, 1), dt.date(2017, 1, 1))[-1] == "2016-12"
    assert split_evenly(Decimal("100.00"), 3) == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    assert fill_earliest(Decimal("50"), [Decimal("30"), Decimal("30")]) == [Decimal("30"), Decimal("20")]


def test_a_profile_header_row_is_used_where_the_header_cannot_be_guessed(hudang: Hudang, tmp_path: Path) -> None:
    roster(hudang, tmp_path)
    hudang("import-profile", "save", "mine", "--kind", "owners", "--header-row", "3", "--map", "门牌=房号",
           "--map", "户主=业主姓名", "--map", "电话号=联系电话")
    path = xlsx(tmp_path / "in" / "业主.xlsx", {"Sheet1": [
        ["房号", "业主姓名", "说明：下表为本处业主"], ["（内部资料）"], ["门牌", "户主", "电话号"],
        ["1-1-101", "张三", "13812345678"]]})
    [out] = hudang.json("ingest", path, "--profile", "mine", "--estate", ESTATE)["outcomes"]
    assert (out["kind"], out["status"], out["rows"]) == ("owners", "imported", 1), out


def test_a_profile_chosen_automatically_keeps_its_header_row(hudang: Hudang, tmp_path: Path) -> None:
    roster(hudang, tmp_path)
    hudang("import-profile", "save", "mine", "--kind", "owners", "--header-row", "3", "--map", "门牌=房号",
           "--map", "户主=业主姓名", "--map", "电话号=联系电话")
    path = xlsx(tmp_path / "in" / "业主.xlsx", {"Sheet1": [
        ["房号", "业主姓名", "说明：下表为本处业主"], ["（内部资料）"], ["门牌", "户主", "电话号"],
        ["1-1-101", "张三", "13812345678"], ["1-1-1001", "李四", "13812345679"]]})
    [out] = hudang.json("ingest", path, "--estate", ESTATE)["outcomes"]   # no --profile
    assert (out["kind"], out["status"], out["rows"]) == ("owners", "imported", 2), out
    assert sorted(r[0] for r in query(hudang, "SELECT household FROM records WHERE form = 'registration'")) == [
        "1-1-1001", "1-1-101"]


def test_a_profile_states_how_rooms_and_dates_are_written(hudang: Hudang, tmp_path: Path) -> None:
    hudang("estates", "add", ESTATE)
    rows = ["幢别,户室,交房日期", "3,2-1201,1953-06-01", "12,301,1953-06-01"]
    hudang("import-profile", "save", "guess", "--kind", "roster", "--map", "幢别=楼栋", "--map", "户室=房号",
           "--map", "交房日期=-")
    [out] = hudang.json("ingest", csv(tmp_path / "a" / "房产.csv", rows), "--estate", ESTATE)["outcomes"]
    assert out["status"] == "partial" and [e["row"] for e in out["errors"]] == [2]   # 3 + 2-1201: no room
    hudang("import-profile", "save", "guess", "--kind", "roster", "--map", "幢别=楼栋", "--map", "户室=房号",
           "--map", "交房日期=-", "--room-format", "单元-房号")
    [out] = hudang.json("ingest", csv(tmp_path / "b" / "房产.csv", [*rows, "5,1-101,"]), "--estate",
                        ESTATE)["outcomes"]
    assert out["status"] == "imported", out
    assert set(rooms(hudang)) == {"3-2-1201", "12-301", "5-1-101"}
    saved = hudang.json("import-profile", "show", "guess")
    assert saved["room_format"] == "单元-房号"


def test_a_profile_s_room_format_refuses_what_guessing_would_take() -> None:
    from hudang.errors import ValueProblem
    from hudang.forms.import_values import import_date
    from hudang.forms.rooms import import_room

    assert import_room("", "", "12-301")[0].key == "12-301"           # guessed: 12栋301室
    with pytest.raises(ValueProblem, match="楼栋-单元-房号"):
        import_room("", "", "12-301", "楼栋-单元-房号")                 # the profile says a unit is always there
    assert import_room("", "", "1-0-S01", "楼栋-单元-房号")[0].key == "1-S01"
    assert import_date("18000", "交房日期", True) == dt.date(1949, 4, 12)   # before 1954 only when the profile says
    with pytest.raises(ValueProblem):
        import_date("18000", "交房日期")
    with pytest.raises(ValueProblem):
        import_date("42736", "交房日期", False)


def test_bad_rows_are_retried_with_the_estate_the_file_had(hudang: Hudang, tmp_path: Path) -> None:
    roster(hudang, tmp_path)
    [out] = hudang.json("ingest", csv(tmp_path / "in" / "台账.csv", [
        "房号,收费项目,所属期间,应收金额", "1-1-101,物业服务费,2026-01,100", "1-1-101,物业服务费,2026-13,100"]),
        "--estate", ESTATE)["outcomes"]
    assert out["status"] == "partial"
    entry = hudang.home / "quarantine" / out["quarantine_id"]
    [rows_file] = [p for p in entry.iterdir() if p.suffix == ".csv"]
    rows_file.write_text(rows_file.read_text(encoding="utf-8-sig").replace("2026-13", "2026-02"), encoding="utf-8")
    [again] = hudang.json("quarantine", "retry")["results"]
    assert (again["status"], again["estate_from"]) == ("imported", "option")
    assert [r[0] for r in query(hudang, "SELECT period FROM fee_rows ORDER BY period")] == ["2026-01", "2026-02"]


def test_a_registration_batch_in_another_system_s_words(hudang: Hudang, tmp_path: Path) -> None:
    roster(hudang, tmp_path)
    [out] = hudang.ingest(xlsx(tmp_path / "in" / "住户登记.xlsx", {"登记": [
        ["项目", "楼号", "单元", "房号", "业主名称", "身份证号", "手机号", "入住日期"],
        [ESTATE, 1, 2, "101", "王建国", "", "13812345678", "2023-03-15"]]}))
    assert out["form"] == "registration"
    assert [e["field"] for e in out["errors"]] == ["证件号码"]   # required at move-in, and named as the form names it


def test_serial_dates_in_a_form_batch_are_dates(hudang: Hudang, tmp_path: Path) -> None:
    roster(hudang, tmp_path)
    [out] = hudang.ingest(xlsx(tmp_path / "in" / "住户登记.xlsx", {"登记": [
        ["项目", "楼栋", "单元", "房号", "业主姓名", "证件号码", "联系电话", "入住日期"],
        [ESTATE, 1, 2, "101", "王建国", IDS[1], "13812345678", 45000]]}))
    assert (out["form"], out["status"]) == ("registration", "filed"), out
    [fields] = query(hudang, "SELECT v.fields FROM versions v JOIN records r USING (record_id) WHERE r.form = ?",
                     "registration")
    assert json.loads(fields[0])["入住日期"] == "2023-03-15"


@pytest.mark.slow
def test_the_intake_service_chooses_a_saved_profile_and_the_estate_folder(hudang: Hudang, tmp_path: Path) -> None:
    from test_watch import Watcher, _configure

    from builders import wait_until

    hudang("estates", "add", ESTATE)
    hudang("import-profile", "save", "fangchan", "--kind", "roster", "--map", "幢别=楼栋", "--map", "户室=房号")
    _configure(hudang, rescan=3600)
    intake = hudang.home / "intake" / "房屋清单" / ESTATE
    w = Watcher(hudang)
    try:
        csv(intake / "房产.csv", ["幢别,户室", "5,501", "5,502"])
        wait_until(lambda: len(rooms(hudang)) == 2, what="rooms from the dropped file")
    finally:
        assert w.stop() == 0
    assert rooms(hudang) == {"5-501": "5栋501室", "5-502": "5栋502室"}
