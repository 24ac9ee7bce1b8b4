"""Paper scans after intake: the unsorted queue, its OCR run, assigning a scan, the records to check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hudang.pipeline.app.session import Session
from hudang.pipeline.scans import queue

OCR_PENDING = queue.OCR_PENDING


@dataclass(frozen=True)
class Unsorted:
    scans: list[dict[str, Any]]
    """Each waiting scan: id, source, state, thumbnail and its first lines of text, masked."""

    def as_json(self) -> dict[str, Any]:
        return {"scans": self.scans}


def unsorted(session: Session) -> Unsorted:
    return Unsorted(queue.listing(session.home))


@dataclass(frozen=True)
class OcrRun:
    results: list[dict[str, Any]]

    @property
    def filed(self) -> int:
        return sum(r["status"] == "filed" for r in self.results)

    @property
    def unsorted(self) -> int:
        return sum(r["status"] == "unsorted" for r in self.results)

    def as_json(self) -> dict[str, Any]:
        return {"results": self.results}


def ocr(session: Session, workers: int | None = None) -> OcrRun:
    """Read the scans that waited for the OCR tool; those that can be routed are filed."""
    return OcrRun(queue.process_queue(session.home, session.forms, workers))


@dataclass(frozen=True)
class Assigned:
    scan_id: str
    record_id: str
    archive_no: str
    household: str
    form: str
    review: list[str]
    duplicate: bool

    def as_json(self) -> dict[str, Any]:
        return {"scan_id": self.scan_id, "record_id": self.record_id, "archive_no": self.archive_no,
                "household": self.household, "form": self.form, "review": self.review,
                "duplicate": self.duplicate}


def assign(session: Session, scan_id: str, address: str, form_name: str | None = None) -> Assigned:
    """The archivist has looked at the scan and names its household (and its form when not known).

    A scan of no form we know, assigned without ``--form``, is filed as a 文件 (题名 待核对)."""
    from hudang.pipeline.household import documents

    known = queue.document_of(queue.entry(session.home, scan_id)).form
    if documents.needs_form(session.forms, form_name, known):
        data = documents.assign_scan(session.home, session.archive, session.forms, scan_id, address)
    else:
        data = queue.assign(session.home, session.archive, session.forms, scan_id, address, form_name)
    session.audit("assign", scan_id=scan_id, record_id=data["record_id"], household=data["household"])
    return Assigned(**data)


@dataclass(frozen=True)
class ToReview:
    records: list[dict[str, Any]]
    """Records with fields marked 待核对, oldest filing first."""

    def as_json(self) -> dict[str, Any]:
        return {"records": self.records}


def review(session: Session) -> ToReview:
    return ToReview(queue.review_list(session.archive, session.forms))


@dataclass(frozen=True)
class ReviewCrops:
    record_id: str
    archive_no: str
    folder: str
    crops: list[dict[str, Any]]
    """Each field still 待核对: its name, the value filed (masked; None when not read) and the PNG of its box
    on the scan (None when the scan was not read box by box: not one of our forms, or no layout)."""

    def as_json(self) -> dict[str, Any]:
        return {"record_id": self.record_id, "archive_no": self.archive_no, "folder": self.folder,
                "crops": self.crops}


def review_show(session: Session, record_id: str) -> ReviewCrops:
    """The pictures of a record's fields to check, copied out of the archive to outputs/待核对/RECORD_ID/."""
    return ReviewCrops(**queue.review_crops(session.archive, session.forms, record_id,
                                            session.home.outputs_dir / "待核对"))
