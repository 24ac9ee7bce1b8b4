"""The application layer for fees, letters and reports, called in-process as the web will call it."""

from __future__ import annotations

import ast
import datetime as dt
import json
from pathlib import Path

import pytest

from hudang.errors import NotFound, UsageError
from hudang.pipeline.app import fees, letters, reports
from hudang.pipeline.app.session import Session
from hudang.pipeline.intake.runner import ingest
from hudang.settings import init_home

from builders import write_lines as _write

ROOT = Path(__file__).resolve().parents[1]
D = dt.date(2026, 11, 26)


@pytest.fixture
def session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Session:
    monkeypatch.setenv("HUDANG_NOW", "2026-11-26T10:00:00+08:00")
    home, _ = init_home(tmp_path / "home")
    files = [_write(tmp_path / "房屋清单.csv", ["项目,楼栋,单元,房号,建筑面积,业主姓名",
                                             "金第花园,1栋,1单元,301,98.5,甲", "金第花园,2栋,1单元,1202,98.5,乙",
                                             "金第花园,3栋,2单元,1201,98.5,丙"]),
             _write(tmp_path / "收费台账.csv", ["项目,房号,费用项目,所属期间,应收金额,实收金额,收费日期",
                                            "金第花园,3-2-1201,物业服务费,2026-05,300.00,0,",
                                            "金第花园,2-1-1202,物业服务费,2026-09,280.00,0,",
                                            "金第花园,1-1-301,物业服务费,2026-05,300.00,300.00,2026-06-05"]),
             _write(tmp_path / "催缴记录.csv", ["项目,房号,日期,方式,备注", "金第花园,3-2-1201,2026-07-10,电话,"])]
    assert {o.status for o in ingest(home, files, workers=1)} == {"imported"}
    with Session(home, "测试员") as s:
        yield s


def _audit(session: Session) -> list[dict[str, object]]:
    path = session.home.audit_log
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def test_statement_and_arrears_follow_the_ladder(session: Session) -> None:
    paid = fees.statement(session, "金第花园/1-1-301", D)
    assert paid.standing.step == "none" and paid.standing.arrears == 0 and paid.rows[0].overdue is False
    owing = fees.statement(session, "金第花园/3-2-1201", D)
    assert owing.standing.step == "letter" and owing.standing.basis is not None
    assert owing.standing.basis.method == "电话" and owing.as_json()["arrears"] == "300.00"
    listed = fees.arrears(session, D, "金第花園")
    assert [h.household for h in listed.households] == ["金第花园/2-1-1202", "金第花园/3-2-1201"]
    assert listed.as_json()["total"] == "580.00"
    with pytest.raises(UsageError) as unknown:
        fees.arrears(session, D, "没有这个小区")
    assert unknown.value.code == "unknown_estate"


def test_a_logged_reminder_moves_the_ladder_and_is_audited(session: Session) -> None:
    assert fees.statement(session, "金第花园/2-1-1202", D).standing.step == "reminder"
    added = fees.add_reminder(session, "金第花园/2-1-1202", "短信", dt.date(2026, 11, 20), None)
    assert added.as_json()["date"] == "2026-11-20" and added.import_id
    assert fees.statement(session, "金第花园/2-1-1202", D).standing.step == "waiting"
    assert _audit(session)[-1] | {"at": None, "n": None, "prev": None} == {
                                                  "at": None, "n": None, "prev": None,
                                                  "user": "测试员", "action": "reminder_add",
                                                  "household": "金第花园/2-1-1202", "method": "短信",
                                                  "date": "2026-11-20"}
    with pytest.raises(UsageError):
        fees.add_reminder(session, "金第花园/2-1-1202", "函件", D, None)


def test_a_dry_run_lists_letters_and_reserves_nothing(session: Session) -> None:
    run = letters.dunning(session, D, dry_run=True)
    data = run.as_json()
    assert [x["household"] for x in data["letters"]] == ["金第花园/3-2-1201"]
    assert data["letters"][0]["number"] is None and data["letters"][0]["amount_upper"] == "叁佰元整"
    assert [x["household"] for x in data["reminders"]] == ["金第花园/2-1-1202"]
    assert data["dry_run"] is True and data["outputs"]["folder"] is None
    assert _audit(session) == []
    with pytest.raises(NotFound):
        letters.track(session, "2026-001", "sent", day=D)


def test_reports_answer_an_unknown_estate_as_not_found(session: Session) -> None:
    with pytest.raises(NotFound) as missing:
        reports.due(session, D, "没有这个小区")
    assert missing.value.code == "unknown_estate" and missing.value.exit_status == 1
    with pytest.raises(UsageError):
        reports.monthly(session, "2026-10", issue=True, write=False)
    with pytest.raises(UsageError) as form:
        reports.register(session, "没有的表", None, D, D)
    assert form.value.code == "unknown_form"
    follow = reports.due(session, D, "金第花园")
    assert [x.kind for x in follow.dunning] == ["letter", "reminder"]
    assert follow.as_json()["dunning"][0]["deadline"] == "2026-10-10"


def test_domain_code_never_imports_the_doors() -> None:
    """Only the CLI imports the CLI, and the app layer is imported by the doors (the CLI, the web) alone."""
    offenders = []
    for path in (ROOT / "pipeline").rglob("*.py"):
        part = path.relative_to(ROOT / "pipeline").parts[0]
        if part in ("cli", "app") or path.name == "__main__.py":
            continue
        forbidden = ("hudang.pipeline.cli",) if part == "web" else ("hudang.pipeline.cli", "hudang.pipeline.app")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.name}: {n}" for n in names if n.startswith(forbidden)]
    assert offenders == []
