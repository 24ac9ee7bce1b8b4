"""read_table and write_rows on real CSV and XLSX files made in the test."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
import pytest

from hudang.errors import UnreadableFile
from hudang.forms.readers.model import ReadLimits, SimpleVocabulary
from hudang.forms.readers.tabular import MAX_ROWS, read_table, write_rows

try:
    from hudang.forms.values import normalize_label as _normalize
except ImportError:  # pragma: no cover - before values.py existed
    def _normalize(s: str) -> str:
        return re.sub(r"\s+", "", s).rstrip(":：")

LABELS = frozenset("""项目 楼栋 单元 房号 建筑面积 业主姓名 费用项目 所属期间 应收金额 实收金额 收费日期 日期 方式 备注
    证件号码 联系电话 入住日期 报修时间""".split())
VOCAB = SimpleVocabulary(LABELS, _normalize)
LIMITS = ReadLimits()

ROSTER_CSV = (
    "金第花园房屋清单\n"
    "制表日期：2026-11-01,,,\n"
    "项目,楼栋,单元,房号,业主姓名\n"
    "金第花园,3,2,1201,张三\n"
    "\n"
    '金第花园,3,2,1202," 李四 "\n'
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings_and_title_rows(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes(ROSTER_CSV.encode(encoding))
    result = read_table(path, VOCAB, LIMITS, "csv")
    assert result.kind == "table" and result.detected_type == "csv" and result.sheet is None
    assert result.header == ["项目", "楼栋", "单元", "房号", "业主姓名"]
    assert result.header_cells == ["项目", "楼栋", "单元", "房号", "业主姓名"]
    assert result.header_row == 3
    assert result.title_rows == [["金第花园房屋清单"], ["制表日期：2026-11-01"]]
    assert result.title == "金第花园房屋清单"
    assert [r.row for r in result.records] == [4, 6]  # the blank line keeps its row number
    assert result.records[1].fields == {"项目": "金第花园", "楼栋": "3", "单元": "2", "房号": "1202", "业主姓名": "李四"}
    assert result.records[0].cells == ["金第花园", "3", "2", "1201", "张三"]
    assert result.text.splitlines()[2] == "项目\t楼栋\t单元\t房号\t业主姓名"


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_csv_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    rows = [["项目", "房号", "日期", "方式", "备注"],
            ["金第花园", "3-2-1201", "2026-08-01", "电话", "已告知, 将缴纳"],
            ["金第花园", "3-2-1202", "2026-08-02", "短信", ""]]
    path = tmp_path / "reminders.csv"
    path.write_text("\n".join(delimiter.join(r) for r in rows) + "\n", encoding="utf-8")
    result = read_table(path, VOCAB, LIMITS, "csv")
    assert result.header == rows[0]
    assert [r.fields for r in result.records] == [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_csv_quoted_comma_and_prenumbered_rows(tmp_path: Path) -> None:
    path = tmp_path / "ledger.csv"
    path.write_text(
        "序号,项目,房号,费用项目,所属期间,应收金额,实收金额,收费日期\n"
        '1,金第花园,3-2-1201,"物业费,含公摊",2026-08,1200,0,\n'
        "2,,,,,,,\n"
        "3,,,,,,,\n", encoding="utf-8")
    result = read_table(path, VOCAB, LIMITS, "csv")
    assert len(result.records) == 1  # rows holding only a pre-printed 序号 are not records
    assert result.records[0].fields["费用项目"] == "物业费,含公摊"
    assert "序号" not in result.records[0].fields and result.header[0] == "序号"


def test_no_header_names_the_file_and_what_was_expected(tmp_path: Path) -> None:
    path = tmp_path / "清单.csv"
    path.write_text("\n".join(["说明"] * 10 + ["项目,楼栋,单元,房号"]) + "\n", encoding="utf-8")
    with pytest.raises(UnreadableFile) as caught:
        read_table(path, VOCAB, LIMITS, "csv")
    assert caught.value.code == "no_header"
    assert "清单.csv" in caught.value.message and "表头应在前10行内" in caught.value.message
    assert "项目, 房号" in caught.value.message


def test_header_needs_labels_for_half_its_cells(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("项目,房号,甲,乙,丙\n金第花园,1201,1,2,3\n", encoding="utf-8")
    with pytest.raises(UnreadableFile):
        read_table(path, VOCAB, LIMITS, "csv")


def test_too_many_rows(tmp_path: Path) -> None:
    assert MAX_ROWS == 100_000
    path = tmp_path / "big.csv"
    path.write_text("项目,房号\n" + "金第花园,1201\n" * 4, encoding="utf-8")
    assert len(read_table(path, VOCAB, LIMITS, "csv", max_rows=4).records) == 4
    with pytest.raises(UnreadableFile) as caught:
        read_table(path, VOCAB, LIMITS, "csv", max_rows=3)
    assert caught.value.code == "too_many_rows"
    path.write_text("项目,房号\n" + "金第花园,1201\n" * (MAX_ROWS + 1), encoding="utf-8")
    with pytest.raises(UnreadableFile) as caught:
        read_table(path, VOCAB, LIMITS, "csv")
    assert caught.value.code == "too_many_rows" and "big.csv" in caught.value.message


def _ledger_workbook(path: Path) -> Path:
    """Sheet 1 has no header; sheet 2 has a title row, a blank row, the header on row 3, Excel-typed cells."""
    workbook = openpyxl.Workbook()
    notes = workbook.active
    notes.title = "说明"
    notes.append(["本表由财务部导出"])
    notes.append(["请勿修改表头"])
    sheet = workbook.create_sheet("台账")
    sheet.append(["金第花园2026年8月收费台账"])
    sheet.merge_cells("A1:H1")
    sheet.append([])
    sheet.append(["项目", "房号", "费用项目", "所属期间", "应收金额", "实收金额", "收费日期", "联系电话", "证件号码"])
    sheet.append(["金第花园", 1201.0, "物业费", "2026-08", 1234.5, 0.1 + 0.2, None, 13800138000,
                  110101199001011234.0])
    sheet.append([])  # a blank row in the middle: row numbers must stay those Excel shows
    sheet.append(["金第花园", "1202", "物业费", "2026-08", 1200, True, dt.date(2026, 8, 3),
                  13900139000.0, "110101199001011234"])
    sheet.append(["金第花园", " 1203 ", "停车费", "2026-08", 300, 300, dt.datetime(2026, 8, 4, 9, 30),
                  None, None])
    sheet.append(["金第花园", "1204", "停车费", "2026-08", 300, 300, dt.datetime(2026, 8, 4, 9, 30, 5)])
    sheet.append(["金第花园", "1205", "停车费", "2026-08", 300, 300, 46240])
    sheet.cell(row=9, column=7).number_format = "yyyy-mm-dd"  # a date serial in a date-formatted cell
    workbook.save(path)
    return path


def test_xlsx_first_sheet_with_a_header_and_excel_values(tmp_path: Path) -> None:
    result = read_table(_ledger_workbook(tmp_path / "ledger.xlsx"), VOCAB, LIMITS, "xlsx")
    assert result.kind == "table" and result.detected_type == "xlsx" and result.sheet == "台账"
    assert result.header_row == 3 and result.title == "金第花园2026年8月收费台账"
    assert result.title_rows == [["金第花园2026年8月收费台账"]]
    assert [r.row for r in result.records] == [4, 6, 7, 8, 9]
    first, second, third, fourth, fifth = (r.fields for r in result.records)
    assert first["房号"] == "1201" and first["应收金额"] == "1234.5" and first["实收金额"] == "0.3"
    assert first["联系电话"] == "13800138000" and first["收费日期"] == ""
    assert first["证件号码"] == "1.10101E+17"  # Excel has lost the digits; validation reports it
    assert second["实收金额"] == "是" and second["收费日期"] == "2026-08-03"
    assert second["联系电话"] == "13900139000" and second["证件号码"] == "110101199001011234"
    assert third["房号"] == "1203" and third["收费日期"] == "2026-08-04 09:30"
    assert fourth["收费日期"] == "2026-08-04 09:30:05"
    assert fifth["收费日期"] == "2026-08-06"
    assert result.records[0].cells is not None and result.records[0].cells[1] == "1201"


def test_xlsx_read_whatever_its_name(tmp_path: Path) -> None:
    path = _ledger_workbook(tmp_path / "ledger.xlsx").rename(tmp_path / "ledger.dat")
    assert len(read_table(path, VOCAB, LIMITS, "xlsx").records) == 5


def test_xlsx_without_header_lists_sheets(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.append(["随便写点什么"])
    workbook.save(tmp_path / "x.xlsx")
    with pytest.raises(UnreadableFile) as caught:
        read_table(tmp_path / "x.xlsx", VOCAB, LIMITS, "xlsx")
    assert caught.value.code == "no_header" and "Sheet" in caught.value.message


def test_corrupt_xlsx(tmp_path: Path) -> None:
    data = _ledger_workbook(tmp_path / "ok.xlsx").read_bytes()
    (tmp_path / "cut.xlsx").write_bytes(data[: len(data) // 2])
    with pytest.raises(UnreadableFile) as caught:
        read_table(tmp_path / "cut.xlsx", VOCAB, LIMITS, "xlsx")
    assert caught.value.code == "corrupt"


def test_write_rows_xlsx_round_trip(tmp_path: Path) -> None:
    source = read_table(_ledger_workbook(tmp_path / "ledger.xlsx"), VOCAB, LIMITS, "xlsx")
    bad = [source.records[0], source.records[1]]
    (tmp_path / "bad").mkdir()
    written = write_rows(tmp_path / "bad" / "ledger-待修正.xlsx", source, bad)
    assert written == tmp_path / "bad" / "ledger-待修正.xlsx" and written.exists()
    assert not list((tmp_path / "bad").glob("*.part"))
    again = read_table(written, VOCAB, LIMITS, "xlsx")
    assert again.sheet == "台账" and again.header == source.header and again.title == source.title
    assert [r.fields for r in again.records] == [r.fields for r in bad]
    assert again.records[1].fields["证件号码"] == "110101199001011234"
    cell = openpyxl.load_workbook(written).active.cell(row=3, column=2)
    assert cell.value == "1201" and cell.data_type == "s"


def test_write_rows_csv_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER_CSV.replace("张三", "110101199001011234"), encoding="gb18030")
    source = read_table(path, VOCAB, LIMITS, "csv")
    written = write_rows(tmp_path / "retry.txt", source, [source.records[0]])
    assert written == tmp_path / "retry.csv"
    assert written.read_bytes().startswith(b"\xef\xbb\xbf")
    again = read_table(written, VOCAB, LIMITS, "csv")
    assert again.title_rows == source.title_rows and again.header == source.header
    assert [r.fields for r in again.records] == [source.records[0].fields]
    assert again.records[0].fields["业主姓名"] == "110101199001011234"
