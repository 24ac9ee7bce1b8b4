"""Households and records: the views the archivist reads, and the corrections (move, void, attach, edit).

Nothing is ever deleted or rewritten (SPEC §7): a correction adds an event or a version, is audited here,
and the record is re-indexed at once (a failed re-index waits in the backlog).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hudang.forms.values import mask_text
from hudang.pipeline.app.session import Session
from hudang.pipeline.intake import backlog
from hudang.pipeline.reports import households
from hudang.pipeline.scans import queue


def _reindex(session: Session, record_id: str) -> None:
    """A corrected record is found (or not) accordingly at once."""
    backlog.index_records(session.home, session.archive.conn, session.forms, [record_id])


# ---------------------------------------------------------------- views

@dataclass(frozen=True)
class HouseholdView:
    """A household's file: roster facts, the current registration (masked), every record, moves in and out."""

    household: str
    estate: str
    key: str
    display: str
    owner: str | None
    area: str | None
    registration: dict[str, Any] | None
    records: list[dict[str, Any]]
    moves: list[dict[str, Any]]
    owners: list[dict[str, Any]]
    """Owners over time, oldest first; the last is current (过户 starts a new one)."""
    occupants: list[dict[str, Any]]
    former_occupants: list[dict[str, Any]]
    events: list[dict[str, Any]]
    """The household's own events: 迁出, loans and returns."""
    loans: list[dict[str, Any]]
    """Paper originals lent out and not yet returned (overdue ones marked)."""

    def as_json(self) -> dict[str, Any]:
        return {"household": self.household, "estate": self.estate, "key": self.key, "display": self.display,
                "owner": self.owner, "area": self.area, "registration": self.registration,
                "records": self.records, "moves": self.moves, "owners": self.owners, "occupants": self.occupants,
                "former_occupants": self.former_occupants, "events": self.events, "loans": self.loans}


def household(session: Session, address: str, *, include_voided: bool = False) -> HouseholdView:
    from hudang.pipeline.household import lending

    place = session.archive.estates.household(address)
    data = households.household(session.archive, place, session.forms, include_voided=include_voided)
    loans = [loan.as_json() for loan in lending.loans(session.archive.conn, place.estate, place.key, open_only=True)]
    return HouseholdView(**data, loans=loans)


@dataclass(frozen=True)
class RecordView:
    """One record: its current fields (masked unless revealed), versions, files, events and attachments."""

    record_id: str
    archive_no: str
    form: str
    form_name: str
    household: str
    number: str | None
    date: str | None
    version: int
    voided: bool
    void_reason: str | None
    path: str
    fields: dict[str, str]
    versions: list[dict[str, Any]]
    files: list[dict[str, str]]
    events: list[dict[str, Any]]
    attachments: list[dict[str, Any]]
    revealed: bool

    def as_json(self) -> dict[str, Any]:
        return {"record_id": self.record_id, "archive_no": self.archive_no, "form": self.form,
                "form_name": self.form_name, "household": self.household, "number": self.number,
                "date": self.date, "version": self.version, "voided": self.voided,
                "void_reason": self.void_reason, "path": self.path, "fields": self.fields,
                "versions": self.versions, "files": self.files, "events": self.events,
                "attachments": self.attachments, "revealed": self.revealed}


def record(session: Session, record_id: str, *, reveal: bool = False) -> RecordView:
    """A reveal of the full ID and phone numbers is written to the audit log (SPEC §7)."""
    view = RecordView(**households.record(session.archive, record_id, session.forms, reveal=reveal))
    if reveal:
        session.audit("reveal", record_id=view.record_id, archive_no=view.archive_no)
    return view


# ---------------------------------------------------------------- corrections

@dataclass(frozen=True)
class Moved:
    record_id: str
    source: str
    target: str
    reason: str
    """Masked: a reason is free text and may hold a phone or ID number."""

    def as_json(self) -> dict[str, Any]:
        return {"record_id": self.record_id, "from": self.source, "to": self.target, "reason": self.reason}


def move(session: Session, record_id: str, address: str, reason: str) -> Moved:
    """A record filed to the wrong household moves; both files show the move."""
    archive = session.archive
    with archive.writer():
        place = archive.estates.household(address, strict=True)
        data = archive.move(record_id, place, reason, session.user)
        _reindex(session, data["record_id"])
    session.audit("move", **data, reason=reason)
    return Moved(data["record_id"], data["from"], data["to"], mask_text(reason))


@dataclass(frozen=True)
class Voided:
    record_id: str
    event: str
    kind: str
    at: str
    reason: str
    by: str

    def as_json(self) -> dict[str, Any]:
        return {"record_id": self.record_id, "event": self.event, "kind": self.kind, "at": self.at,
                "reason": self.reason, "by": self.by}


def void(session: Session, record_id: str, reason: str) -> Voided:
    """A record entered in error stays in the archive and drops out of search and reports."""
    archive = session.archive
    with archive.writer():
        data = archive.void(record_id, reason, session.user)
        _reindex(session, data["record_id"])
    session.audit("void", record_id=data["record_id"], reason=reason)
    return Voided(data["record_id"], data["event"], data["kind"], data["at"], mask_text(reason), data["by"])


@dataclass(frozen=True)
class Attached:
    record_id: str
    attachment: str
    name: str
    stored_as: str
    sha256: str
    note: str
    at: str
    by: str
    size: int

    def as_json(self) -> dict[str, Any]:
        return {"record_id": self.record_id, "attachment": self.attachment, "name": self.name,
                "stored_as": self.stored_as, "sha256": self.sha256, "note": self.note, "at": self.at,
                "by": self.by, "size": self.size}


def attach(session: Session, record_id: str, file: Path, note: str) -> Attached:
    """A supporting file (ID copy, 委托书, photo, receipt) kept and fixity-checked with its record."""
    archive = session.archive
    with archive.writer():
        data = archive.attach(record_id, file, note, session.user)
        _reindex(session, data["record_id"])
    session.audit("attach", record_id=data["record_id"], name=data["name"], sha256=data["sha256"])
    return Attached(**data)


@dataclass(frozen=True)
class Edited:
    record_id: str
    version: int
    archive_no: str
    changed: list[str]
    review: list[str]
    """Fields still 待核对 after the edit."""

    def as_json(self) -> dict[str, Any]:
        return {"record_id": self.record_id, "version": self.version, "archive_no": self.archive_no,
                "changed": self.changed, "review": self.review}


def edit(session: Session, record_id: str, changes: dict[str, str]) -> Edited:
    """Fields filled in or corrected become a new version of the record, checked like any form."""
    data = queue.edit(session.archive, session.forms, record_id, changes, session.user)
    _reindex(session, data["record_id"])
    session.audit("edit", record_id=data["record_id"], version=data["version"], fields=data["changed"])
    return Edited(**data)
