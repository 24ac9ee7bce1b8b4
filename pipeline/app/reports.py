"""Management's documents as the doors ask for them: the monthly report (and its issued editions), a register
(台账), the daily follow-up list, and one household's 户档摘要.

The figures, documents and files are `reports/`'s; the modules that need docx, openpyxl, matplotlib
or LibreOffice are imported inside the use case that writes files, so opening the CLI stays quick.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hudang.errors import NotFound, UsageError
from hudang.pipeline.app.session import Session
from hudang.pipeline.household import lending
from hudang.pipeline.reports import due as follow_ups
from hudang.pipeline.reports import households
from hudang.pipeline.reports.figures import Month


def _estate(session: Session, spelled: str | None) -> str | None:
    """Reports have always answered an unknown estate as not found (exit status 1), unlike the fee commands."""
    try:
        return session.estate(spelled)
    except UsageError as exc:
        raise NotFound(exc.message, code=exc.code) from None


@dataclass(frozen=True)
class MonthlyReport:
    """《客服接待月报表》 of a month: the §9 figures (with the month before), the files written, notes for the user."""

    month: str
    estate: str | None
    figures: Mapping[str, Any]          # the SPEC §9 document: month, complaints … fees, previous
    outputs: tuple[str, ...]
    messages: tuple[str, ...]           # said to the user beside the result (an issued edition kept, no PDF …)
    edition: int | None                 # the edition number when this run issued one

    def as_json(self) -> dict[str, Any]:
        return {**self.figures, "outputs": list(self.outputs)}


@dataclass(frozen=True)
class Register:
    """A 台账 written: one form's records over a period, as an XLSX ledger."""

    form: str
    form_name: str
    register: str
    estate: str | None
    date_from: dt.date
    date_to: dt.date
    rows: int
    path: Path

    def as_json(self) -> dict[str, Any]:
        return {"form": self.form, "form_name": self.form_name, "register": self.register, "estate": self.estate,
                "from": self.date_from.isoformat(), "to": self.date_to.isoformat(), "rows": self.rows,
                "path": str(self.path)}


@dataclass(frozen=True)
class FollowUps:
    """`due`: what has to be chased at the end of a day."""

    as_of: dt.date
    estate: str | None
    complaints: tuple[follow_ups.ComplaintDue, ...]
    repairs: tuple[follow_ups.RepairDue, ...]
    dunning: tuple[follow_ups.DunningDue, ...]
    prior_owner_arrears: tuple[follow_ups.PriorDue, ...] = ()   # 过户前欠费 (the previous owners')
    loans: tuple[dict[str, Any], ...] = ()                      # paper originals lent out and overdue

    def as_json(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "estate": self.estate,
                "complaints": [c.as_json() for c in self.complaints], "repairs": [r.as_json() for r in self.repairs],
                "dunning": [d.as_json() for d in self.dunning],
                "prior_owner_arrears": [p.as_json() for p in self.prior_owner_arrears], "loans": list(self.loans)}


@dataclass(frozen=True)
class SummaryFiles:
    docx: Path
    pdf: Path | None
    warnings: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {"docx": str(self.docx), "pdf": str(self.pdf) if self.pdf else None, "warnings": list(self.warnings)}


@dataclass(frozen=True)
class HouseholdSummary:
    """A household's one-page 户档摘要: what the page shows (masked) and the files written."""

    household: str
    page: Mapping[str, Any]             # the page's content, also the template's data
    files: SummaryFiles

    def as_json(self) -> dict[str, Any]:
        return {**self.page, "outputs": self.files.as_json()}


def monthly(session: Session, month: str, estate: str | None = None, *, issue: bool = False, pdf: bool = True,
            write: bool = True) -> MonthlyReport:
    """The month's figures; unless ``write`` is off, the draft (or with ``issue`` the next sealed edition)."""
    from hudang.pipeline.reports import editions

    if issue and not write:
        raise UsageError("--issue 需要写出文件，不能与 --figures-only 同用")
    label = Month.parse(month).label
    name = _estate(session, estate)
    result = editions.monthly(session.home, session.archive.conn, label, name, issue=issue, pdf=pdf, write=write)
    if result.edition:
        session.audit("report_issue", month=result.data["month"], estate=estate or editions.ALL_ESTATES,
                      edition=result.edition, files=result.data["outputs"])
    figures = {k: v for k, v in result.data.items() if k != "outputs"}
    return MonthlyReport(label, name, figures, tuple(result.data["outputs"]), tuple(result.messages), result.edition)


def register(session: Session, form: str, estate: str | None, date_from: dt.date, date_to: dt.date) -> Register:
    """Write the 台账 of one form (any name, id or alias) for the period, personal data masked."""
    from hudang.archive.paths import safe_component
    from hudang.pipeline.reports.editions import ALL_ESTATES, reports_root
    from hudang.pipeline.reports.registers import LOAN_NAMES, write_loan_register, write_register

    forms = session.forms
    if form.strip() in LOAN_NAMES:     # the 借阅登记簿 of paper originals lent out
        name = _estate(session, estate)
        folder = reports_root(session.home) / safe_component(name or ALL_ESTATES) / "台账"
        written = write_loan_register(session.archive.conn, name, date_from, date_to, folder)
        return Register(written["form"], written["form_name"], written["register"], written["estate"], date_from,
                        date_to, written["rows"], Path(written["path"]))
    found = session.form(form)
    name = _estate(session, estate)
    folder = reports_root(session.home) / safe_component(name or ALL_ESTATES) / "台账"
    written = write_register(session.archive.conn, forms, found, name, date_from, date_to, folder)
    return Register(written["form"], written["form_name"], written["register"], written["estate"], date_from,
                    date_to, written["rows"], Path(written["path"]))


def due(session: Session, as_of: dt.date, estate: str | None = None) -> FollowUps:
    """Complaints near or past their deadline, repairs past their return visit, households due a dunning step."""
    name = _estate(session, estate)
    conn = session.archive.conn
    forms = session.forms
    return FollowUps(as_of, name, tuple(follow_ups.complaints_due(conn, forms, as_of, name)),
                     tuple(follow_ups.repairs_due(conn, forms, as_of, name)), tuple(follow_ups.dunning_due(conn, as_of, name)),
                     tuple(follow_ups.prior_owner_due(conn, as_of, name)),
                     tuple(loan.as_json(as_of) for loan in lending.overdue(conn, as_of, name)))


def due_across(session: Session, as_of: dt.date, estates: Sequence[str | None]) -> FollowUps:
    """`due` of several estates as one list (a user limited to some: the web page and the API), each part in
    the order of ``estates``; one estate (or None, every estate) is that estate's own list."""
    lists = [due(session, as_of, e) for e in estates]
    if len(lists) == 1:
        return lists[0]
    merged: dict[str, Any] = {f.name: tuple(x for one in lists for x in getattr(one, f.name))
                              for f in dataclasses.fields(FollowUps) if f.name not in ("as_of", "estate")}
    return dataclasses.replace(lists[0], estate=None, **merged)


def household_summary(session: Session, address: str, as_of: dt.date) -> HouseholdSummary:
    """Write a household's 户档摘要 (DOCX, and PDF when LibreOffice is there); arrears counted at ``as_of``."""
    from hudang.pipeline.reports.summary import summary_data, write_summary

    place = session.archive.estates.household(address)
    page = summary_data(session.archive, place, households.household(session.archive, place, session.forms), as_of)
    written = write_summary(session.home, page, as_of)
    files = SummaryFiles(Path(written["docx"]), Path(written["pdf"]) if written["pdf"] else None,
                         tuple(written["warnings"]))
    return HouseholdSummary(page["household"], page, files)


CHARTS = {"bars": "本月与上月分类对比", "trend": "近期走势"}
"""The monthly report's charts, by ID (the same PNGs its DOCX holds)."""

REPORT_FILES = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "pdf": "application/pdf"}


def chart(session: Session, month: str, estate: str | None, name: str) -> Path:
    """One chart of the month's report as a PNG, drawn now from the catalog (kept beside the month's files)."""
    from hudang.pipeline.reports import editions

    if name not in CHARTS:
        raise NotFound(f"没有这个图表：{name}", code="unknown_chart")
    label = Month.parse(month).label
    return editions.chart(session.home, session.archive.conn, label, _estate(session, estate), name)


@dataclass(frozen=True)
class ReportFile:
    kind: str
    edition: int | None
    """None: the current draft."""
    path: Path
    media_type: str


@dataclass(frozen=True)
class ReportFiles:
    """What has been written for a month: the draft's files and each issued edition's, by kind."""

    month: str
    estate: str | None
    draft: tuple[ReportFile, ...]
    editions: tuple[tuple[int, str, tuple[ReportFile, ...]], ...]
    """(edition, issued_at, files), oldest first."""


def monthly_files(session: Session, month: str, estate: str | None) -> ReportFiles:
    """The month's written report files (draft and issued editions), for a door to list and hand out by kind."""
    from hudang.pipeline.reports import editions

    parsed = Month.parse(month)
    name = _estate(session, estate)
    label = name or editions.ALL_ESTATES
    folder = editions.month_dir(session.home, label, parsed)
    stem = editions.file_stem(label, parsed)
    draft = tuple(ReportFile(k, None, folder / f"{stem}_草稿.{k}", media) for k, media in REPORT_FILES.items()
                  if (folder / f"{stem}_草稿.{k}").is_file())
    issued = []
    for e in editions.editions(session.home, label, parsed):
        where = Path(e["dir"])
        files = tuple(ReportFile(Path(f).suffix[1:], e["edition"], where / f, REPORT_FILES[Path(f).suffix[1:]])
                      for f in e["files"] if Path(f).suffix[1:] in REPORT_FILES and (where / f).is_file())
        issued.append((int(e["edition"]), str(e["issued_at"]), files))
    return ReportFiles(parsed.label, name, draft, tuple(issued))


def monthly_file(session: Session, month: str, estate: str | None, kind: str, edition: int | None) -> ReportFile:
    """One file of the month's report (the draft's, or an issued edition's) by kind."""
    files = monthly_files(session, month, estate)
    pool = files.draft if edition is None else next((f for n, _, f in files.editions if n == edition), ())
    found = next((f for f in pool if f.kind == kind), None)
    if found is None:
        raise NotFound("这份月报还没有这种文件，请先生成", code="no_report_file")
    return found
