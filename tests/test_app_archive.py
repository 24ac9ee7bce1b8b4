"""The application layer for the archive side, called in-process: typed results, audit, errors, no printing."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from hudang.archive import audit
from hudang.errors import NotFound, UsageError
from hudang.forms import definitions
from hudang.pipeline.app import catalogue, maintenance, quarantine, records, reports, search
from hudang.pipeline.app.export import export
from hudang.pipeline.app.ingest import ingest
from hudang.pipeline.app.session import Session

from builders import complaint, json_form, registration


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    maintenance.init(tmp_path / "home")
    opened = Session.open(tmp_path / "home", user="档案员甲")
    catalogue.add_estate(opened, "金第花园", ["金第"])
    yield opened
    opened.close()


def _actions(session: Session) -> list[dict[str, object]]:
    return audit.entries(session.home.audit_log)


def test_corrections_are_audited_by_the_layer_and_views_follow(session: Session, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    json_form(tmp_path / "in" / "reg.json", "住户登记表", registration())
    json_form(tmp_path / "in" / "c.json", "投诉处理单", complaint("TS-1"))
    taken = ingest(session, [tmp_path / "in"], workers=1)
    assert sorted(o.status for o in taken.outcomes) == ["filed", "filed"]
    assert "ocr_queue" not in taken.as_json()
    filed = {o.form: o for o in taken.outcomes}
    view = records.household(session, "金第/3-2-1201")
    assert view.household == "金第花园/3-2-1201" and [r["form"] for r in view.records] == ["registration", "complaint"]
    assert view.registration is not None and view.registration["fields"]["联系电话"] == "138****5678"

    shown = records.record(session, filed["complaint"].record_id or "", reveal=True)
    assert shown.revealed and shown.fields["联系电话"] == "13912345678"
    moved = records.move(session, filed["complaint"].record_id or "", "金第花园/3-2-1202", "住户说错 13812345678")
    assert moved.as_json() == {"record_id": filed["complaint"].record_id, "from": "金第花园/3-2-1201",
                               "to": "金第花园/3-2-1202", "reason": "住户说错 138****5678"}
    voided = records.void(session, filed["registration"].record_id or "", "错录")
    assert voided.kind == "void" and voided.by == "档案员甲"
    with pytest.raises(UsageError):
        records.void(session, filed["registration"].record_id or "", "again")
    assert [(a["action"], a["user"]) for a in _actions(session)] == [
        ("reveal", "档案员甲"), ("move", "档案员甲"), ("void", "档案员甲")]
    assert "13812345678" not in session.home.audit_log.read_text(encoding="utf-8")
    assert records.household(session, "金第花园/3-2-1201").records == []   # moved out, voided hidden
    assert records.household(session, "金第花园/3-2-1201", include_voided=True).records[0]["voided"]
    assert capsys.readouterr() == ("", "")   # the layer never prints


def test_search_takes_dates_and_refuses_a_reversed_range(session: Session, tmp_path: Path) -> None:
    json_form(tmp_path / "in" / "c.json", "投诉处理单", complaint("TS-2", 日期="2026-11-03"))
    ingest(session, [tmp_path / "in"], workers=1)
    found = search.search(session, "渗漏水", estate="金第", date_from=dt.date(2026, 11, 1))
    assert found.total == 1 and found.hits[0]["household"] == "金第花园/3-2-1201"
    assert search.search(session, "渗漏水", date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 10, 31)).total == 0
    with pytest.raises(UsageError) as reversed_range:
        search.search(session, "渗漏水", date_from=dt.date(2026, 11, 2), date_to=dt.date(2026, 11, 1))
    assert reversed_range.value.code == "bad_date_range"
    with pytest.raises(UsageError):
        search.search(session, "渗漏水", form_name="不存在的表")


def test_every_date_range_is_checked_by_one_rule(session: Session, tmp_path: Path) -> None:
    """Search, 台账 and 调档 refuse a --from after --to with the same code and the same words."""
    json_form(tmp_path / "in" / "c.json", "投诉处理单", complaint("TS-3"))
    ingest(session, [tmp_path / "in"], workers=1)
    later, earlier = dt.date(2026, 11, 2), dt.date(2026, 11, 1)
    refusals = []
    for attempt in (lambda: search.search(session, "渗漏水", date_from=later, date_to=earlier),
                    lambda: reports.register(session, "投诉", None, later, earlier),
                    lambda: export(session, "金第花园/3-2-1201", start=later, end=earlier)):
        with pytest.raises(UsageError) as refused:
            attempt()
        refusals.append((refused.value.code, str(refused.value)))
    assert refusals == [("bad_date_range", "--from（2026-11-02）晚于 --to（2026-11-01）：起始日期应不晚于截止日期")] * 3


def test_the_headline_of_a_record_is_the_definitions_data(session: Session, tmp_path: Path) -> None:
    """Which field says what a record is about is written in the form's TOML, for the household page and the
    卷内目录 alike; a data home may change it."""
    json_form(tmp_path / "in" / "c.json", "投诉处理单", complaint("TS-4", 投诉内容="电梯异响，夜间尤甚"))
    ingest(session, [tmp_path / "in"], workers=1)
    [shown] = records.household(session, "金第花园/3-2-1201").records
    assert shown["summary"] == "电梯异响，夜间尤甚"
    built_in = Path(definitions.__file__).parent / "definitions" / "complaint.toml"
    (session.home.forms_dir / "complaint.toml").write_text(
        built_in.read_text(encoding="utf-8").replace('headline = "投诉内容"', 'headline = "接报人"'), encoding="utf-8")
    again = Session.open(session.home.root, user="档案员甲")
    try:
        [shown] = records.household(again, "金第花园/3-2-1201").records
        assert shown["summary"] == "李客服"
        assert again.forms.by_id("complaint").headline_of({"接报人": "王五"}) == "王五"
    finally:
        again.close()


def test_quarantine_retry_resolves_only_what_was_taken(session: Session, tmp_path: Path) -> None:
    bad = json_form(tmp_path / "in" / "bad.json", "住户登记表", registration(联系电话="123"))
    [out] = ingest(session, [bad], workers=1).outcomes
    assert out.status == "quarantined"
    [entry] = quarantine.entries(session).entries
    again = quarantine.retry(session, [])
    assert [r.outcome["status"] for r in again.results] == ["quarantined"]
    assert quarantine.entries(session).entries[0]["id"] == entry["id"]   # still pending
    json_form(Path(entry["path"]) / entry["file"], "住户登记表", registration())
    fixed = quarantine.retry(session, [entry["id"]])
    assert fixed.as_json()["results"][0]["status"] == "filed"
    assert fixed.results[0].outcome["source"] == entry["source"]
    assert quarantine.entries(session).entries == []
    assert [e["id"] for e in quarantine.entries(session, resolved=True).entries] == [entry["id"]]
    with pytest.raises(UsageError):
        quarantine.retry(session, ["Q00000000-9999"])


def test_verify_reports_a_finding_as_a_result(session: Session, tmp_path: Path) -> None:
    json_form(tmp_path / "in" / "reg.json", "住户登记表", registration())
    ingest(session, [tmp_path / "in"], workers=1)
    clean = maintenance.verify(session)
    assert clean.ok and clean.checked > 0 and clean.as_json()["problems"] == []
    rebuilt = maintenance.rebuild(session)
    assert (rebuilt.records, rebuilt.estates) == (1, 1) and rebuilt.indexed >= 1
    fields = next(session.home.archive.rglob("fields.json"))
    fields.write_text(json.dumps({"改过": "1"}), encoding="utf-8")
    tampered = maintenance.verify(session)
    assert not tampered.ok and tampered.as_json()["ok"] is False and tampered.problems


def test_catalogue_and_missing_things(session: Session) -> None:
    assert {f.id for f in catalogue.forms(session).forms} >= {"registration", "complaint", "repair"}
    [estate] = catalogue.estates(session).estates
    assert estate.as_json() == {"name": "金第花园", "code": estate.code, "has_roster": False, "rooms": 0,
                                "aliases": ["金第"]}
    assert catalogue.add_estate(session, "金第花园", ["金第花園"]).created is False
    with pytest.raises(NotFound):
        records.record(session, "R9999999")
    status = maintenance.status(session)
    assert status.running is False and status.as_json()["quarantine"] == 0
