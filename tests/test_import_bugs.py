"""Bugs found while importing real office files (issue 16, item 8): each as a clerk would meet it."""

from __future__ import annotations

import re
from pathlib import Path

import docx
import openpyxl
import pytest
from pypdf.generic import NameObject
from test_read_pdf import T, _field_pdf

from builders import IDS, complaint, docx_form, json_form, soffice_convert
from conftest import Hudang

BATCH_HEADER = ["编号", "项目", "投诉人", "投诉时间", "投诉人房号", "接报人", "投诉内容"]


def complaint_workbook(path: Path, rows: list[list[str]]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(BATCH_HEADER)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


@pytest.mark.slow
def test_xls_batch_problem_rows_are_a_real_workbook_that_retries(hudang: Hudang, roster_csv: Path,
                                                                   tmp_path: Path) -> None:
    hudang("ingest", roster_csv)
    (tmp_path / "src").mkdir()
    source = complaint_workbook(tmp_path / "src" / "投诉汇总.xlsx", [
        ["TS-1", "金第花园", "张三", "2026-11-03 09:30", "3-2-1201", "李客服", "楼上漏水"],
        ["TS-2", "金第花园", "", "2026-11-03 10:00", "3-2-1202", "李客服", "电梯噪音"],
        ["TS-3", "金第花园", "王五", "不是时间", "3-1-301", "李客服", "门禁损坏"],
    ])
    xls = soffice_convert(source, "xls", tmp_path)
    [out] = hudang.ingest(xls)
    assert out["status"] == "partial" and [r["status"] for r in out["rows"]] == ["filed", "quarantined", "quarantined"]
    [entry] = hudang.json("quarantine", "list")["entries"]
    rows_file = Path(entry["path"]) / entry["file"]
    assert rows_file.name == "投诉汇总-问题行.xlsx"
    workbook = openpyxl.load_workbook(rows_file)   # a real workbook, which Excel (and openpyxl) opens
    sheet = workbook.active
    assert sheet is not None
    assert [c.value for c in sheet[1]] == BATCH_HEADER
    assert [sheet.cell(r, 1).value for r in (2, 3)] == ["TS-2", "TS-3"]
    sheet["C2"] = "赵六"                     # the clerk corrects the two rows and saves
    sheet["D3"] = "2026-11-04 08:15"
    workbook.save(rows_file)
    [result] = hudang.json("quarantine", "retry")["results"]
    assert result["status"] == "filed" and [r["status"] for r in result["rows"]] == ["filed", "filed"]
    assert hudang.json("quarantine", "list")["entries"] == []
    filed = [r["record_id"] for r in out["rows"] + result["rows"] if r["status"] == "filed"]
    assert len(set(filed)) == 3 and all(filed)


def test_choice_that_spells_a_label_is_an_error_listing_the_choices(hudang: Hudang, roster_csv: Path,
                                                                     tmp_path: Path) -> None:
    hudang("ingest", roster_csv)
    fields = complaint("TS-9", 投诉方式="电话")
    order = ["编号", "项目", "投诉人", "投诉时间", "投诉人房号", "投诉方式", "联系电话", "接报人", "投诉内容"]
    form = docx_form(tmp_path / "投诉单.docx", "投诉处理单", {k: fields[k] for k in order})
    [out] = hudang.ingest(form)
    assert out["status"] == "quarantined"
    [error] = out["errors"]
    assert error["field"] == "投诉方式" and error["code"] == "bad_enum"
    assert "电话" in error["message"] and "来电、来访、信函、网络" in error["message"]
    fields["投诉方式"] = "来电"           # corrected, it files with its choice and the phone number intact
    form = docx_form(tmp_path / "投诉单2.docx", "投诉处理单", {k: fields[k] for k in order})
    [out] = hudang.ingest(form)
    assert out["status"] == "filed"
    record = hudang.json("record", "show", out["record_id"], "--reveal")
    values = record["fields"]
    assert values["投诉方式"] == "来电" and values["联系电话"] == "13912345678"


@pytest.mark.slow
def test_messages_name_the_file_as_the_clerk_dropped_it(hudang: Hudang, tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["甲", "乙"])          # no header hudang knows
    sheet.append(["1", "2"])
    (tmp_path / "src").mkdir()
    workbook.save(tmp_path / "src" / "旧系统导出.xlsx")
    xls = soffice_convert(tmp_path / "src" / "旧系统导出.xlsx", "xls", tmp_path)
    [out] = hudang.ingest(xls)
    assert out["status"] == "quarantined"
    [error] = out["errors"]
    assert error["message"].startswith("旧系统导出.xls：") and "original" not in error["message"]
    [entry] = hudang.json("quarantine", "list")["entries"]
    text = (Path(entry["path"]) / "报告.txt").read_text(encoding="utf-8")
    assert "旧系统导出.xls：" in text and "original" not in text


def test_file_names_keep_timestamps_and_hide_ids_and_phones(hudang: Hudang, tmp_path: Path) -> None:
    stamp_name = "投诉201709141528061846.json"      # an export's timestamp: 18 digits, but no person's ID
    id_name = f"登记{IDS[1]}.json"
    phone_name = "张三13812345678.json"
    dated_name = "导出230512201905210930.json"     # a birth date inside, but the check digit is wrong
    for name in (stamp_name, id_name, phone_name, dated_name):
        json_form(tmp_path / name, "投诉处理单", complaint("TS-1"))   # no such estate yet: quarantined
    outcomes = {Path(o["source"]).name: o for o in hudang.ingest(*(tmp_path / n for n in (
        stamp_name, id_name, phone_name, dated_name)))}
    assert set(outcomes) == {stamp_name, dated_name, f"登记{IDS[1][:6]}********{IDS[1][-4:]}.json",
                             "张三138****5678.json"}
    entries = hudang.json("quarantine", "list")["entries"]
    [entry] = [e for e in entries if Path(e["source"]).name == stamp_name]
    text = (Path(entry["path"]) / "报告.txt").read_text(encoding="utf-8")
    assert f"{stamp_name}\n" in text
    shown = hudang("ingest", tmp_path / stamp_name).stdout     # the plain-text outcome line too
    assert stamp_name in shown and IDS[1] not in shown


def test_quarantine_report_text_is_all_chinese(hudang: Hudang, roster_csv: Path, tmp_path: Path) -> None:
    hudang("ingest", roster_csv)
    fields = complaint("TS-1")
    del fields["投诉人"]
    fields["投诉时间"] = "昨天"
    [out] = hudang.ingest(json_form(tmp_path / "投诉.json", "投诉处理单", fields))
    assert {e["code"] for e in out["errors"]} == {"missing", "bad_datetime"}     # codes stay in the JSON
    [entry] = hudang.json("quarantine", "list")["entries"]
    text = (Path(entry["path"]) / "报告.txt").read_text(encoding="utf-8")
    problems = text.split("问题：", 1)[1].split("处理办法", 1)[0]
    assert "缺少必填项“投诉人”" in problems
    assert re.search(r"[A-Za-z_]", problems) is None, problems


def test_household_not_on_roster_says_so(hudang: Hudang, roster_csv: Path) -> None:
    hudang("ingest", roster_csv)
    shown = hudang.json("household", "show", "金第花园/3栋2单元1201")   # any spelling of a roster room
    assert shown["household"] == "金第花园/3-2-1201"
    for address in ("金第花园/3栋2单元1801", "金第花园/3-2-1801"):
        result = hudang("household", "show", address, check=False)
        assert result.code == 1
        assert "不在金第花园的房屋清单中" in result.stderr and "无法识别" not in result.stderr
    result = hudang("household", "show", "金第花园/三楼东边", check=False)   # not a room at all
    assert result.code == 1 and "无法识别房号" in result.stderr


def test_columns_the_form_lacks_are_kept_shown_and_searchable(hudang: Hudang, roster_csv: Path,
                                                              tmp_path: Path) -> None:
    hudang("ingest", roster_csv)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append([*BATCH_HEADER, "派工单号", "处理时限", "整改措拖"])
    sheet.append(["TS-1", "金第花园", "张三", "2026-11-03 09:30", "3-2-1201", "李客服", "楼上漏水", "PG-1", "当日答复", "更换管件"])
    sheet.append(["TS-2", "金第花园", "李四", "2026-11-03 10:00", "3-2-1202", "李客服", "电梯噪音", "PG-2", "三日内答复", ""])
    workbook.save(tmp_path / "投诉汇总.xlsx")
    [out] = hudang.ingest(tmp_path / "投诉汇总.xlsx")
    assert out["status"] == "filed"
    [warning] = [w for w in out["warnings"] if w["code"] == "extra_fields"]   # one summary for the file
    assert "派工单号、处理时限、整改措拖" in warning["message"]
    assert "“整改措拖” 是否即 “整改措施”？" in warning["message"]
    assert all(not r.get("warnings") or all(w["code"] != "extra_fields" for w in r["warnings"]) for r in out["rows"])
    first = hudang.json("record", "show", out["rows"][0]["record_id"])
    assert first["fields"]["派工单号"] == "PG-1" and first["fields"]["处理时限"] == "当日答复"
    assert first["fields"]["整改措拖"] == "更换管件" and "整改措施" not in first["fields"]
    assert set(first["extra_fields"]) == {"派工单号", "处理时限", "整改措拖"}
    assert any(w["code"] == "extra_fields" for w in first["versions"][0]["warnings"])
    assert "处理时限：当日答复（附加栏目）" in hudang("record", "show", out["rows"][0]["record_id"]).stdout
    second = hudang.json("record", "show", out["rows"][1]["record_id"])
    assert "整改措拖" not in second["fields"]          # an empty cell is no value
    hudang("rebuild")                                   # derived from the archive alone, extras included
    assert hudang.json("record", "show", out["rows"][0]["record_id"])["fields"]["处理时限"] == "当日答复"
    hits = hudang.json("search", "三日内答复")["hits"]
    assert [h["record_id"] for h in hits] == [out["rows"][1]["record_id"]]


def test_docx_rows_the_form_lacks_are_kept(hudang: Hudang, roster_csv: Path, tmp_path: Path) -> None:
    hudang("ingest", roster_csv)
    form = docx_form(tmp_path / "维修单.docx", "维修工作单", {
        "编号": "WX-7", "项目": "金第花园", "房号": "3-2-1201", "报修人": "张三", "联系电话": "13812345678",
        "报修时间": "2026-11-03 09:30", "报修内容": "厨房水龙头漏水", "派工单号": "PG-0007", "材料费": "35元",
        "人工费": "20元", "合计": "55元", "处理时限": "当日修复"}, columns=4)
    [out] = hudang.ingest(form)
    assert out["status"] == "filed"
    [warning] = [w for w in out["warnings"] if w["code"] == "extra_fields"]
    assert "派工单号、材料费、人工费、合计、处理时限" in warning["message"]
    fields = hudang.json("record", "show", out["record_id"])["fields"]
    assert {k: fields[k] for k in ("派工单号", "材料费", "人工费", "合计", "处理时限")} == {
        "派工单号": "PG-0007", "材料费": "35元", "人工费": "20元", "合计": "55元", "处理时限": "当日修复"}
    assert fields["报修内容"] == "厨房水龙头漏水"


def test_docx_paragraph_lines_and_pdf_fields_the_form_lacks_are_kept(hudang: Hudang, roster_csv: Path,
                                                                    tmp_path: Path) -> None:
    hudang("ingest", roster_csv)
    doc = docx.Document()
    doc.add_paragraph("维修工作单")
    for line in ("编号：WX-8", "项目：金第花园    房号：3-2-1201", "报修人：张三 联系电话：13812345678",
                 "报修时间：2026-11-03 09:30", "报修内容：厨房水龙头漏水", "派工单号：PG-0008 材料费：35元",
                 "经现场查看发现：水管老化"):
        doc.add_paragraph(line)
    doc.save(str(tmp_path / "维修单.docx"))
    [out] = hudang.ingest(tmp_path / "维修单.docx")
    assert out["status"] == "filed", out
    [warning] = [w for w in out["warnings"] if w["code"] == "extra_fields"]
    assert "派工单号、材料费" in warning["message"]
    fields = hudang.json("record", "show", out["record_id"])["fields"]
    assert (fields["派工单号"], fields["材料费"], fields["报修人"]) == ("PG-0008", "35元", "张三")
    assert "经现场查看发现" not in fields

    pdf = _field_pdf(tmp_path / "维修单.pdf", [
        {"/FT": NameObject("/Tx"), "/T": T(name), "/V": T(value)}
        for name, value in (("编号", "WX-9"), ("项目", "金第花园"), ("房号", "3-2-1202"), ("报修人", "李四"),
                            ("联系电话", "13812345679"), ("报修时间", "2026-11-04 10:00"), ("报修内容", "门锁坏了"),
                            ("人工费", "20元"), ("Text9", "x"))], metadata={"/Title": "维修工作单"})
    [out] = hudang.ingest(pdf)
    assert out["status"] == "filed", out
    [warning] = [w for w in out["warnings"] if w["code"] == "extra_fields"]
    assert "人工费" in warning["message"]
    fields = hudang.json("record", "show", out["record_id"])["fields"]
    assert fields["人工费"] == "20元" and "Text9" not in fields


def test_an_alias_label_after_its_field_is_kept_with_a_warning(hudang: Hudang, roster_csv: Path,
                                                              tmp_path: Path) -> None:
    hudang("ingest", roster_csv)
    form = docx_form(tmp_path / "维修单.docx", "维修工作单", {
        "编号": "WX-10", "项目": "金第花园", "房号": "3-2-1201", "报修人": "张三", "联系电话": "13812345678",
        "报修时间": "2026-11-03 09:30", "报修内容": "厨房水龙头漏水", "报修人姓名": "张三丰"})
    [out] = hudang.ingest(form)
    assert out["status"] == "filed", out
    [warning] = [w for w in out["warnings"] if w["code"] == "alias_repeated"]
    assert "“报修人”与“报修人姓名”" in warning["message"]
    assert not [w for w in out["warnings"] if w["code"] == "extra_fields"]   # said once, as what it is
    fields = hudang.json("record", "show", out["record_id"])["fields"]
    assert (fields["报修人"], fields["报修人姓名"]) == ("张三", "张三丰")


def test_estate_option_applies_to_a_form_batch_without_a_project_column(hudang: Hudang, tmp_path: Path) -> None:
    """`ingest 投訴處理單.csv --estate 金第花园`: a form batch without a 项目 column files its rows in that
    estate (the help says 导入表格所属的项目); a row naming another estate is quarantined saying so; the
    quarantined rows keep the option, so the corrected rows file retries into the same estate."""
    hudang("estates", "add", "金第花园")
    hudang("estates", "add", "银河湾")
    header = "编号,投诉人,投诉时间,投诉人房号,联系电话,接报人,严重程度,投诉内容"
    batch = tmp_path / "投訴處理單.csv"
    batch.write_text("\n".join([header, "TS-E1,张三,2026-11-03 09:30,3-2-1201,13912345678,李客服,重要,楼道灯坏了",
                                "TS-E2,李四,2026-11-03 10:30,3-2-1202,13912345679,李客服,一般,电梯异响"]) + "\n",
                     encoding="utf-8")
    unknown = hudang("ingest", batch, "--estate", "不存在的项目", "--json", check=False).json["outcomes"][0]
    assert unknown["status"] == "quarantined" and "--estate 指定的项目“不存在的项目”不存在" in unknown["errors"][0]["message"]
    hudang("quarantine", "dismiss", unknown["quarantine_id"], "--reason", "项目写错")
    [out] = hudang.json("ingest", batch, "--estate", "金第花园")["outcomes"]
    assert out["status"] == "partial" and [r["status"] for r in out["rows"]] == ["filed", "quarantined"]
    assert out["rows"][0]["household"] == "金第花园/3-2-1201"
    assert "严重程度" in out["rows"][1]["errors"][0]["message"]
    [entry] = hudang.json("quarantine", "list")["entries"]
    rows_file = Path(entry["path"]) / entry["file"]
    rows_file.write_text(rows_file.read_text(encoding="utf-8").replace(",一般,", ",轻微,"), encoding="utf-8")
    [result] = hudang.json("quarantine", "retry")["results"]
    assert [r["household"] for r in result["rows"]] == ["金第花园/3-2-1202"]

    mixed = tmp_path / "混合.csv"
    mixed.write_text("编号,项目," + header.split(",", 1)[1] + "\n"
                     "TS-M1,银河湾,张三,2026-11-03 09:30,3-2-1201,13912345678,李客服,重要,楼道灯坏了\n"
                     "TS-M2,,张三,2026-11-03 09:30,3-2-1201,13912345678,李客服,重要,楼道灯坏了\n", encoding="utf-8")
    [out] = hudang.json("ingest", mixed, "--estate", "金第花园")["outcomes"]
    assert [r["status"] for r in out["rows"]] == ["quarantined", "filed"]
    assert "项目“银河湾”与 --estate 指定的“金第花园”不一致" in out["rows"][0]["errors"][0]["message"]
