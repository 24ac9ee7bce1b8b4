"""欠费证明 / 无欠费证明: one page read back from the PDF, numbered per estate and year from the archive."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from hudang.archive import audit

from conftest import Hudang

LEDGER = ["项目,房号,费用项目,所属期间,应收金额,实收金额,收费日期",
          "金第花园,3-2-1201,物业服务费,2026-09,300.00,0,",
          "金第花园,3-2-1201,物业服务费,2026-10,300.00,100.00,2026-10-20",
          "金第花园,3-2-1201,停车费,2026-11,150.00,0,",
          "金第花园,3-2-1201,停车费,2026-12,150.00,0,",          # a period after the date: not on it
          "金第花园,3-2-1202,物业服务费,2026-10,300.00,300.00,2026-10-05"]


def text_of(pdf: str) -> tuple[int, str]:
    reader = PdfReader(pdf)
    return len(reader.pages), "".join(p.extract_text() for p in reader.pages).replace(" ", "")


@pytest.mark.slow
def test_certificates_with_and_without_arrears(hudang: Hudang, roster_csv: Path, tmp_path: Path) -> None:
    hudang.env["HUDANG_NOW"] = "2026-12-03T10:00:00+08:00"
    ledger = tmp_path / "收费台账.csv"
    ledger.write_text("\n".join(LEDGER) + "\n", encoding="utf-8-sig")
    hudang.ingest(roster_csv, ledger)

    owed = hudang.json("household", "certificate", "金第花园/3-2-1201", "--as-of", "2026-11-20")
    assert (owed["title"], owed["number"], owed["total"]) == ("欠费证明", "〔2026〕证字第001号", "650.00")
    assert [(r["period"], r["owed"], r["state"]) for r in owed["rows"]] == [
        ("2026-09", "300.00", "逾期"), ("2026-10", "200.00", "逾期"), ("2026-11", "150.00", "未到期")]
    pages, text = text_of(owed["pdf"])
    assert pages == 1
    for expected in ("欠费证明", "〔2026〕证字第001号", "3栋2单元1201室", "业主321201", "2026年11月20日", "650.00",
                     "2026-09", "300.00", "2026-10", "200.00", "2026-11", "未到期"):
        assert expected in text, expected
    assert "2026-12" not in text

    clear = hudang.json("household", "certificate", "金第花园/3-2-1202", "--as-of", "2026-11-20")
    assert (clear["title"], clear["number"], clear["rows"]) == ("无欠费证明", "〔2026〕证字第002号", [])
    pages, text = text_of(clear["pdf"])
    assert pages == 1 and "无欠费证明" in text and "无欠费" in text and "未缴" not in text

    # filed in the household as a 文件 of 类别 证明, its PDF the original; found by search; audited
    shown = hudang.json("record", "show", owed["record_id"])
    assert shown["form"] == "document" and shown["fields"]["类别"] == "证明"
    assert shown["fields"]["文号"] == "〔2026〕证字第001号" and shown["fields"]["页数"] == "1"
    assert any(f["path"].endswith("/original.pdf") for f in shown["files"])
    assert owed["record_id"] in [h["record_id"] for h in hudang.json("search", "欠费证明")["hits"]]
    actions = [e for e in audit.entries(hudang.home / "audit.log") if e["action"] == "certificate"]
    assert [a["number"] for a in actions] == ["〔2026〕证字第001号", "〔2026〕证字第002号"]

    # numbers come from the archive: a voided certificate's number is not reused, a rebuild changes nothing
    hudang("record", "void", clear["record_id"], "--reason", "出具错误")
    hudang("rebuild")
    again = hudang.json("household", "certificate", "金第花园/3-2-1202", "--as-of", "2026-12-01")
    assert again["number"] == "〔2026〕证字第003号"
