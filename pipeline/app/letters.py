"""Dunning letters as the doors use them: a run (or its dry run), and each letter's post tracked afterwards.

Producing letters needs the document libraries and LibreOffice, so `dunning.letters` is imported
only when a run is asked for; tracking needs neither.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from hudang.errors import NotFound
from hudang.forms.values import money_upper
from hudang.pipeline.app.session import Session
from hudang.pipeline.dunning import tracking as post

LETTER_STATES = post.STATES


@dataclass(frozen=True)
class DunningLetter:
    """One letter of a run: to whom, how much, for which periods; its files once written and filed."""

    household: str
    amount: Decimal
    periods: tuple[str, ...]
    number: str | None
    deadline: dt.date
    docx: Path | None
    pdf: Path | None
    record_id: str | None
    reason: str = ""
    """Why the ladder puts this household on the list (the ladder's own words)."""

    def as_json(self) -> dict[str, Any]:
        return {"household": self.household, "amount": f"{self.amount:.2f}", "amount_upper": money_upper(self.amount),
                "periods": list(self.periods), "number": self.number, "deadline": self.deadline.isoformat(),
                "docx": str(self.docx) if self.docx else None, "pdf": str(self.pdf) if self.pdf else None,
                "record_id": self.record_id}


@dataclass(frozen=True)
class Owing:
    """A household listed for a phone call or SMS."""

    household: str
    amount: Decimal
    reason: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"household": self.household, "amount": f"{self.amount:.2f}"}


@dataclass(frozen=True)
class LetterState:
    """generated → sent → delivered (or returned); ``tracked`` once the post has been recorded at all."""

    state: str | None
    delivery_proven: bool
    state_text: str | None = None
    tracked: bool = False
    tracking: str | None = None
    state_date: str | None = None

    @classmethod
    def of(cls, record_id: str | None, session: Session) -> LetterState:
        found = post.letter_state(session.archive, record_id)
        return cls(found["state"], found["delivery_proven"], found.get("state_text"), "state_date" in found,
                   found.get("tracking"), found.get("state_date"))

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"state": self.state, "delivery_proven": self.delivery_proven}
        if self.tracked:
            out.update(tracking=self.tracking, state_date=self.state_date)
        if self.state_text is not None:
            out["state_text"] = self.state_text
        return out


@dataclass(frozen=True)
class Escalation:
    """A household whose letter is 30+ days old and still unpaid: a visit or legal action next."""

    household: str
    amount: Decimal
    letter_number: str | None
    letter_date: dt.date
    delivery: LetterState
    reason: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"household": self.household, "amount": f"{self.amount:.2f}", "letter_number": self.letter_number,
                "letter_date": self.letter_date.isoformat(), "delivery": self.delivery.state,
                "delivery_proven": self.delivery.delivery_proven}


@dataclass(frozen=True)
class DunningResult:
    """`letters dunning`: the three lists of SPEC §8 at the date, and the files a real run wrote."""

    as_of: dt.date
    letters: tuple[DunningLetter, ...]
    reminders: tuple[Owing, ...]
    escalations: tuple[Escalation, ...]
    outputs: Mapping[str, str | None]
    warnings: tuple[str, ...]
    dry_run: bool
    timings: Mapping[str, float]

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"as_of": self.as_of.isoformat(), "letters": [x.as_json() for x in self.letters],
                               "reminders": [x.as_json() for x in self.reminders],
                               "escalations": [x.as_json() for x in self.escalations],
                               "outputs": dict(self.outputs), "warnings": list(self.warnings)}
        if self.dry_run:
            out["dry_run"] = True
        return out


@dataclass(frozen=True)
class Tracked:
    """`letters sent|delivered|returned`: the letter and where its post stands now."""

    record_id: str
    number: str
    household: str
    state: LetterState

    def as_json(self) -> dict[str, Any]:
        return {"record_id": self.record_id, "number": self.number, "household": self.household,
                **self.state.as_json()}


def dunning(session: Session, as_of: dt.date, *, estate: str | None = None, dry_run: bool = False,
            workers: int | None = None, progress: Callable[[str], None] | None = None) -> DunningResult:
    """Number, write, convert and file the letters due at ``as_of``; a dry run lists them and reserves nothing."""
    from hudang.pipeline.dunning import letters

    def mailing_list_written(path: Path, numbers: list[str | None]) -> None:
        session.audit("mailing_list", path=str(path), letters=len(numbers), numbers=numbers[:50])

    name = session.estate(estate)
    run = letters.dunning_run(session.home, session.archive, session.forms, as_of, estate=name, dry_run=dry_run,
                              workers=workers, progress=progress, on_mailing_list=mailing_list_written)
    escalations = []
    for s in run.ladder.escalations:
        basis = s.basis
        assert basis is not None    # the ladder escalates only on a letter
        escalations.append(Escalation(s.household, s.arrears, basis.letter_number, basis.date,
                                      LetterState.of(basis.record_id, session), s.reason))
    result = DunningResult(
        as_of, tuple(DunningLetter(x.standing.household, x.standing.arrears, tuple(x.standing.periods), x.number,
                                   x.deadline, x.docx, x.pdf, x.record_id, x.standing.reason) for x in run.letters),
        tuple(Owing(s.household, s.arrears, s.reason) for s in run.ladder.reminders), tuple(escalations),
        dict(run.outputs), tuple(run.warnings), dry_run, dict(run.timings))
    if not dry_run and run.outputs.get("folder"):
        _write_run_note(Path(str(run.outputs["folder"])), as_of, name, session.user, len(run.letters))
    if not dry_run and run.letters:
        session.audit("letters_dunning", as_of=as_of.isoformat(), letters=len(run.letters),
                      folder=run.outputs.get("folder"))
    return result


def track(session: Session, number: str, state: str, *, estate: str | None = None, day: dt.date,
          tracking: str | None = None, receipt: Path | None = None, note: str | None = None) -> Tracked:
    """Record that a letter was sent, delivered (with its signed 送达回执) or returned."""
    with session.archive.writer():
        ref = post.record_state(session.archive, number, state, estate=session.estate(estate), day=day,
                                tracking=tracking, receipt=receipt, note=note, user=session.user)
        done = Tracked(ref.record_id, ref.number, ref.household, LetterState.of(ref.record_id, session))
    session.audit(f"letter_{state}", record_id=done.record_id, number=done.number, tracking=tracking)
    return done


RUN_NOTE = "run.json"
"""Beside a run's files: its date, estate (None: every estate), who ran it and how many letters."""

RUN_FILES = {"print": ("催缴函-合并打印.pdf", "application/pdf"),
             "mailing": ("特快专递寄件清单.xlsx",
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}
"""The files of a run a door may hand out, by ID: the merged print PDF and the 特快专递 list (full values)."""

_RUN_ID = re.compile(r"\d{4}-\d{2}-\d{2}_\d{8}-\d{6}")


def _runs_dir(session: Session) -> Path:
    return session.home.outputs_dir / "催缴函"


def _write_run_note(folder: Path, as_of: dt.date, estate: str | None, user: str, count: int) -> None:
    from hudang.archive.durable import atomic_write

    note = {"as_of": as_of.isoformat(), "estate": estate, "user": user, "letters": count}
    atomic_write(folder / RUN_NOTE, (json.dumps(note, ensure_ascii=False) + "\n").encode("utf-8"))


@dataclass(frozen=True)
class LetterRun:
    """A finished run of letters, named by its folder (``2026-10-31_20261103-101500``), never by a path."""

    run_id: str
    as_of: str
    estate: str | None
    """The run's estate; None for a run over every estate, or one made before runs were noted."""
    letters: int | None
    user: str | None
    files: tuple[str, ...]
    """Keys of RUN_FILES present in the run."""

    def as_json(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "as_of": self.as_of, "estate": self.estate, "letters": self.letters,
                "user": self.user, "files": list(self.files)}


def _run(folder: Path) -> LetterRun:
    try:
        note = json.loads((folder / RUN_NOTE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        note = {}
    files = tuple(k for k, (name, _) in RUN_FILES.items() if (folder / name).is_file())
    return LetterRun(folder.name, note.get("as_of") or folder.name[:10], note.get("estate"), note.get("letters"),
                     note.get("user"), files)


def runs(session: Session) -> tuple[LetterRun, ...]:
    """The runs whose letters were written, newest first."""
    root = _runs_dir(session)
    found = [_run(p) for p in root.iterdir() if p.is_dir() and _RUN_ID.fullmatch(p.name)] if root.is_dir() else []
    return tuple(sorted(found, key=lambda r: r.run_id, reverse=True))


def run(session: Session, run_id: str) -> LetterRun:
    """One run by its ID (anything else is not found: an ID never becomes a path of its own)."""
    folder = _runs_dir(session) / run_id
    if not _RUN_ID.fullmatch(run_id) or not folder.is_dir():
        raise NotFound(f"没有这次催缴函生成记录：{run_id}", code="unknown_run")
    return _run(folder)


@dataclass(frozen=True)
class RunFile:
    path: Path
    name: str
    media_type: str


def run_file(session: Session, run_id: str, kind: str) -> RunFile:
    """A run's print PDF or 特快专递 list, to hand out; both hold full names and addresses, so it is audited."""
    found = run(session, run_id)
    if kind not in RUN_FILES or kind not in found.files:
        raise NotFound(f"这次生成没有该文件：{kind}", code="unknown_run_file")
    name, media = RUN_FILES[kind]
    session.audit("letters_download", run=run_id, file=name)
    return RunFile(_runs_dir(session) / run_id / name, name, media)
