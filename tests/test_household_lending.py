"""借阅登记: paper originals lent and returned as events in the household's file; overdue loans in `due`,
in `household show` and in the XLSX 借阅登记簿; rebuilt from the archive and kept by a backup."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from conftest import Hudang

HOUSE = "金第花园/3-2-1201"


@pytest.fixture
def home(hudang: Hudang, roster_csv: Path) -> Hudang:
    hudang.env["HUDANG_NOW"] = "2026-11-02T10:00:00+08:00"
    hudang.ingest(roster_csv)
    return hudang


def test_a_loan_overdue_shows_in_due_and_comes_back(home: Hudang, tmp_path: Path) -> None:
    lent = home.json("lend", "out", HOUSE, "--to", "赵律师", "--purpose", "诉讼", "--due", "2026-11-10")
    assert (lent["loan_id"], lent["out"], lent["overdue"]) == ("L0000001", "2026-11-02", False)
    other = home.json("lend", "out", "金第花园/3-2-1202", "--to", "钱主任", "--purpose", "查阅", "--due", "2026-12-31")
    assert home.json("due", "--as-of", "2026-11-10")["loans"] == []          # due that day: not late yet
    due = home.json("due", "--as-of", "2026-11-12")
    assert [(x["loan_id"], x["household"], x["to"], x["days_late"]) for x in due["loans"]] == [
        ("L0000001", HOUSE, "赵律师", 2)]
    assert "L0000001" in home("due", "--as-of", "2026-11-12").stdout

    later = {"HUDANG_NOW": "2026-11-20T09:00:00+08:00"}
    shown = home.json("household", "show", HOUSE, env=later)
    assert [(x["loan_id"], x["overdue"]) for x in shown["loans"]] == [("L0000001", True)]
    assert [e["kind"] for e in shown["events"]] == ["loan"]
    assert [x["loan_id"] for x in home.json("lend", "list", "--overdue", env=later)["loans"]] == ["L0000001"]

    home("rebuild")   # the loans live in the archive, not in the catalog
    back = home.json("lend", "return", "l0000001", "--date", "2026-11-21", env=later)
    assert back["returned"] == "2026-11-21"
    assert home.json("due", "--as-of", "2026-11-25")["loans"] == []
    assert home.json("household", "show", HOUSE, env=later)["loans"] == []
    again = home("lend", "return", "L0000001", "--json", check=False)
    assert again.code == 2 and again.json["error"]["code"] == "already_returned"
    assert home("lend", "return", "L0000009", check=False).code == 1

    book = home.json("register", "借阅", "--from", "2026-11-01", "--to", "2026-11-30", env=later)
    assert book["register"] == "借阅登记簿" and book["rows"] == 2
    ws = load_workbook(book["path"]).active
    rows = {r[1]: r for r in ws.iter_rows(min_row=4, values_only=True)}
    assert rows["L0000001"][4:10] == ("赵律师", "诉讼", "2026-11-02", "2026-11-10", "2026-11-21", "已归还（逾期归还）")
    assert rows[other["loan_id"]][9] == "借出中"
    home("verify")

    # a backup keeps the loans (and every household event): a restored home lists the same
    (tmp_path / "nas").mkdir()
    home.json("backup", "create", tmp_path / "nas", "--init")
    restored = home.json("backup", "restore", tmp_path / "nas", tmp_path / "restored")
    assert restored["verify_ok"] is True
    assert home.json("--home", str(tmp_path / "restored"), "lend", "list", env=later) == \
        home.json("lend", "list", env=later)
