"""Owners and occupants over time: a 过户 by a later registration, a tenant who never replaces the owner,
a 迁出; letters before and after the 过户 addressed to the owner of the day; 过户前欠费 kept off the ladder."""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document

from builders import json_form, registration
from builders import write_lines as write
from conftest import Hudang

HOUSE = "金第花园/3-2-1201"
LEDGER = ["项目,房号,费用项目,所属期间,应收金额,实收金额,收费日期",
          "金第花园,3-2-1201,物业服务费,2025-11,300.00,0,",
          "金第花园,3-2-1201,物业服务费,2025-12,300.00,0,",
          "金第花园,3-2-1201,物业服务费,2026-06,280.00,0,"]


def no_office(h: Hudang, tmp_path: Path) -> dict[str, str]:
    """Letters as DOCX only (no LibreOffice on PATH): what they say is what is tested here."""
    empty = tmp_path / "empty-path"
    empty.mkdir(exist_ok=True)
    return {"PATH": str(empty)}


@pytest.fixture
def home(hudang: Hudang, roster_csv: Path, tmp_path: Path) -> Hudang:
    first = json_form(tmp_path / "reg1.json", "住户登记表", registration(name="王建国", 入住日期="2025-06-01"))
    outs = hudang.ingest(roster_csv, first, write(tmp_path / "收费台账.csv", LEDGER),
                         write(tmp_path / "催缴记录.csv", ["项目,房号,日期,方式,备注", "金第花园,3-2-1201,2025-12-20,电话,"]))
    assert sorted(o["status"] for o in outs) == ["filed", "imported", "imported", "imported"], outs
    return hudang


def letter_to(h: Hudang, as_of: str, tmp_path: Path) -> tuple[str, str, str]:
    """(收件人, amount, periods) of the one letter the run writes for the household."""
    run = h.json("letters", "dunning", "--as-of", as_of, env=no_office(h, tmp_path))
    [letter] = [x for x in run["letters"] if x["household"] == HOUSE]
    fields = h.json("record", "show", letter["record_id"])["fields"]
    text = "\n".join(p.text for p in Document(letter["docx"]).paragraphs)
    assert fields["收件人"] in text
    return fields["收件人"], letter["amount"], "、".join(letter["periods"])


def test_a_transfer_by_a_later_registration(home: Hudang, tmp_path: Path) -> None:
    assert letter_to(home, "2026-04-01", tmp_path) == ("王建国", "600.00", "2025-11、2025-12")

    [out] = home.ingest(json_form(tmp_path / "reg2.json", "住户登记表",
                                  {**registration(name="李明、赵丽"), "入住日期": "2026-05-20", "过户日期": "2026-05-10"}))
    assert out["status"] == "filed"
    tenant = {**registration(name="王建国"), "住户类型": "租户", "住户姓名": "张租客", "家庭成员": "张小租",
              "租期起": "2026-06-01", "租期止": "2027-05-31", "入住日期": "2026-06-01"}
    [out] = home.ingest(json_form(tmp_path / "tenant.json", "住户登记表", tenant))
    assert out["status"] == "filed"
    home("reminders", "add", HOUSE, "--method", "电话", "--date", "2026-07-15")

    view = home.json("household", "show", HOUSE)
    assert [(o["name"], o["from"], o["to"], o["transfer"]) for o in view["owners"]] == [
        ("王建国", None, "2026-05-10", False), ("李明、赵丽", "2026-05-10", None, True)]
    assert view["owners"][1]["owners"] == ["李明", "赵丽"]     # joint owners listed together
    current = {r["record_id"]: r.get("current") for r in view["records"] if r["form"] == "registration"}
    assert sorted(current.values()) == [False, False, True]    # the earlier and the tenant's are not current
    assert view["registration"]["fields"]["业主姓名"] == "李明、赵丽"
    names = {p["name"]: p["role"] for p in view["occupants"]}
    assert names == {"李明": "业主", "赵丽": "业主", "张租客": "租户", "张小租": "家庭成员"}

    # after the 过户: the new owners get the letter, for their own period only
    assert letter_to(home, "2026-10-20", tmp_path) == ("李明、赵丽", "280.00", "2026-06")
    shown = home.json("fees", "show", HOUSE, "--as-of", "2026-10-20")
    assert shown["owner"] == "李明、赵丽" and shown["arrears"] == "280.00"
    assert shown["prior_owner_arrears"] == [{"owner": "王建国", "until": "2026-05-10", "amount": "600.00",
                                             "periods": ["2025-11", "2025-12"]}]
    assert {r["period"]: r["owner"] for r in shown["rows"]} == {"2025-11": "王建国", "2025-12": "王建国",
                                                                "2026-06": "李明、赵丽"}
    due = home.json("due", "--as-of", "2026-10-19")   # the day before that letter: due to the new owner
    assert due["prior_owner_arrears"] == [{"household": HOUSE, "owner": "王建国", "transfer_date": "2026-05-10",
                                           "amount": "600.00", "periods": ["2025-11", "2025-12"]}]
    assert [(d["household"], d["kind"], d["amount"]) for d in due["dunning"]] == [(HOUSE, "letter", "280.00")]
    summary = home.json("household", "summary", HOUSE, "--as-of", "2026-10-20", env=no_office(home, tmp_path))
    assert summary["owner"] == "李明、赵丽"


def test_a_tenant_never_replaces_the_owner_and_a_moveout_ends_an_occupancy(home: Hudang, tmp_path: Path) -> None:
    tenant = {**registration(name="别人"), "住户类型": "租户", "住户姓名": "张租客",
              "租期起": "2026-01-01", "租期止": "2027-12-31", "入住日期": "2026-01-01"}
    [out] = home.ingest(json_form(tmp_path / "tenant.json", "住户登记表", tenant))
    assert out["status"] == "filed"
    view = home.json("household", "show", HOUSE)
    assert [o["name"] for o in view["owners"]] == ["王建国"]
    moved = home.json("household", "moveout", HOUSE, "--person", "张租客", "--date", "2026-03-01")
    assert [p["name"] for p in moved["occupants"]] == ["王建国"]
    view = home.json("household", "show", HOUSE)
    assert [p["name"] for p in view["occupants"]] == ["王建国"]
    assert view["former_occupants"][0]["name"] == "张租客"
    assert [e["kind"] for e in view["events"]] == ["moveout"]
    again = home("household", "moveout", HOUSE, "--person", "张租客", "--date", "2026-04-01", "--json", check=False)
    assert again.code == 2 and "张租客" in again.json["error"]["message"]
    # a tenant's registration without 租期 is refused: the form's version 2 asks for it
    [bad] = home.ingest(json_form(tmp_path / "t2.json", "住户登记表",
                                  {**registration(name="王建国"), "住户类型": "租户", "住户姓名": "钱租客"}))
    assert bad["status"] == "quarantined" and {e["field"] for e in bad["errors"]} >= {"租期起", "租期止"}
    # the events live in the archive: a rebuild brings them back, verify is clean
    home("rebuild")
    assert [p["name"] for p in home.json("household", "show", HOUSE)["occupants"]] == ["王建国"]
    home("verify")


def test_the_roster_owner_sold_when_the_first_registration_is_a_transfer() -> None:
    from hudang.pipeline.household import owners

    bought = owners.Registration.of("R1", "E01-2026-ZH-00001", {"业主姓名": "李明，赵丽", "入住日期": "2026-10-15",
                                                                  "过户日期": "2026-10-10"})
    moved_in = owners.Registration.of("R2", "E01-2026-ZH-00002", {"业主姓名": "李明", "入住日期": "2026-10-15"})
    assert bought is not None and moved_in is not None
    sold = owners.build([bought], "王建国")
    assert [(p.name, p.source, p.by_transfer) for p in sold.periods] == [("王建国", "roster", False),
                                                                         ("李明、赵丽", "registration", True)]
    assert sold.owner_at(owners.dt.date(2026, 9, 30)).name == "王建国"          # type: ignore[union-attr]
    # without a 过户日期 the registration is simply the owner on file: the roster's name was not a seller
    assert [p.name for p in owners.build([moved_in], "王建国").periods] == ["李明"]


def test_an_owner_list_naming_a_different_owner_is_a_transfer_from_the_import_date(home: Hudang,
                                                                                    tmp_path: Path) -> None:
    home.env["HUDANG_NOW"] = "2026-08-01T09:00:00+08:00"
    owners = ["项目,楼号,单元,房间,业主名称,手机号", "金第花园,3,2,1201,陈新,13700002222"]
    (tmp_path / "in").mkdir()
    (tmp_path / "in2").mkdir()
    [out] = home.ingest(write(tmp_path / "in" / "业主信息.csv", owners))
    assert (out["kind"], out["status"], out.get("registrations_new")) == ("owners", "imported", 1), out
    view = home.json("household", "show", HOUSE)
    assert [(o["name"], o["from"], o["to"], o["transfer"], o["transfer_by_import"]) for o in view["owners"]] == [
        ("王建国", None, "2026-08-01", False, False), ("陈新", "2026-08-01", None, True, True)]
    current = {r["record_id"]: r.get("current") for r in view["records"] if r["form"] == "registration"}
    assert sorted(current.values()) == [False, True]          # the earlier registration stays, not current
    assert "陈新：2026-08-01 至今（现业主）（过户（名单导入认定，日期为导入日）" in home("household", "show", HOUSE).stdout
    # Its periods before the import date are the previous owner's, not dunned to the new one.
    shown = home.json("fees", "show", HOUSE, "--as-of", "2026-08-01")
    assert shown["owner"] == "陈新"
    assert [p["owner"] for p in shown["prior_owner_arrears"]] == ["王建国"]
    # The same list again: the same owner, nothing new.
    [again] = home.ingest(write(tmp_path / "in2" / "业主信息.csv", [*owners, ""]))
    assert (again["registrations_new"], again["registrations_unchanged"]) == (0, 1), again
    assert len(home.json("household", "show", HOUSE)["owners"]) == 2


def test_a_room_list_naming_a_different_owner_is_a_transfer_too(home: Hudang, roster_csv: Path,
                                                                 tmp_path: Path) -> None:
    home.env["HUDANG_NOW"] = "2026-09-01T09:00:00+08:00"
    rows = roster_csv.read_text(encoding="utf-8-sig").replace("业主321201", "孙买家")
    (tmp_path / "again").mkdir()
    [out] = home.ingest(write(tmp_path / "again" / "房屋清单.csv", rows.splitlines()))
    assert out["status"] == "imported", out
    view = home.json("household", "show", HOUSE)
    assert [(o["name"], o["from"], o["transfer_by_import"]) for o in view["owners"]] == [
        ("王建国", None, False), ("孙买家", "2026-09-01", True)]
    # Other rooms of the list (no registration, same owner) register nobody.
    assert not [r for r in home.json("household", "show", "金第花园/3-2-1202")["records"]]


def test_a_roster_only_owner_replaced_by_a_re_import_is_a_transfer_from_the_import_date(
        hudang: Hudang, roster_csv: Path, tmp_path: Path) -> None:
    # Nobody registered: the owners come only from the room list.
    [out] = hudang.ingest(roster_csv)
    assert out["status"] == "imported", out
    assert [(o["name"], o["source"]) for o in hudang.json("household", "show", HOUSE)["owners"]] == [
        ("业主321201", "roster")]
    hudang.env["HUDANG_NOW"] = "2026-09-01T09:00:00+08:00"
    rows = roster_csv.read_text(encoding="utf-8-sig").replace("业主321201", "孙买家")
    (tmp_path / "again").mkdir()
    [out] = hudang.ingest(write(tmp_path / "again" / "房屋清单.csv", rows.splitlines()))
    assert (out["status"], out.get("registrations_new")) == ("imported", 1), out
    expected = [("业主321201", None, "2026-09-01", False, "roster", False),
                ("孙买家", "2026-09-01", None, True, "registration", True)]

    def owners_of(address: str) -> list[tuple[object, ...]]:
        return [(o["name"], o["from"], o["to"], o["transfer"], o["source"], o["transfer_by_import"])
                for o in hudang.json("household", "show", address)["owners"]]

    assert owners_of(HOUSE) == expected
    assert "孙买家：2026-09-01 至今（现业主）（过户（名单导入认定，日期为导入日）" in hudang("household", "show", HOUSE).stdout
    [reg] = [r for r in hudang.json("household", "show", HOUSE)["records"] if r["form"] == "registration"]
    assert hudang.json("record", "show", reg["record_id"])["fields"]["原业主"] == "业主321201"
    # The rooms the list names with the same owner register nobody; the catalog rebuilt reads the same history.
    assert not hudang.json("household", "show", "金第花园/3-2-1202")["records"]
    hudang("rebuild")
    assert owners_of(HOUSE) == expected

    # An owner list naming someone else for another roster-only room: a 过户 from its import date as well.
    hudang.env["HUDANG_NOW"] = "2026-10-01T09:00:00+08:00"
    (tmp_path / "owners").mkdir()
    [out] = hudang.ingest(write(tmp_path / "owners" / "业主信息.csv",
                                ["项目,楼号,单元,房间,业主名称,手机号", "金第花园,3,2,1202,周新,13700003333",
                                 "金第花园,3,2,301,业主32301,13700004444"]))
    assert (out["kind"], out["status"], out.get("registrations_new")) == ("owners", "imported", 2), out
    assert owners_of("金第花园/3-2-1202") == [("业主321202", None, "2026-10-01", False, "roster", False),
                                             ("周新", "2026-10-01", None, True, "registration", True)]
    # ... while one naming the roster's own owner registers that owner: no 过户.
    assert [o[:4] for o in owners_of("金第花园/3-2-301")] == [("业主32301", None, None, False)]
