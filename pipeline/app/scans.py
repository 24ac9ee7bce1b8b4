"""Paper scans after intake: the unsorted queue, its OCR run, assigning a scan, the records to check."""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hudang.archive.locks import ocr_queue_lock
from hudang.clock import stamp
from hudang.forms.definitions import load_forms
from hudang.pipeline.app.session import Session
from hudang.pipeline.scans import queue
from hudang.settings import Home

OCR_PENDING = queue.OCR_PENDING
QUEUED = queue.QUEUED
log = logging.getLogger("hudang.scans")


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

    @property
    def quarantined(self) -> list[dict[str, Any]]:
        """The scans that could not be read: each quarantined with its reason (the rest of the queue is read)."""
        return [r for r in self.results if r["status"] == "quarantined"]

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


# ---------------------------------------------------------------- the web's OCR queue reader

def _outcomes_dir(home: Home) -> Path:
    return home.run_dir / "scan-outcomes"


def read_queued(home: Home, workers: int | None = None) -> list[dict[str, Any]]:
    """One pass of the OCR queue (the scans a web upload parked unread, 排队识别, and any other waiting for the
    tool), the web's processes taking turns: what became of each scan is kept under ``run/scan-outcomes/`` for
    the 上传 page (`scan_outcome`). Nothing when the OCR tool is missing (they keep waiting)."""
    with ocr_queue_lock(home).hold(wait=True):
        sources = {d["scan_id"]: d["provenance"].get("source_name") for d in queue.entries(home)
                   if d["state"] == OCR_PENDING}
        if not sources:
            return []
        results = queue.process_if_possible(home, load_forms([home.forms_dir]), workers)
        by_scan: dict[str, list[dict[str, Any]]] = {}
        for r in results:
            by_scan.setdefault(r["scan_id"], []).append(r)
        folder = _outcomes_dir(home)
        folder.mkdir(parents=True, exist_ok=True)
        for scan_id, documents in by_scan.items():
            (folder / f"{scan_id}.json").write_text(json.dumps(
                {"scan_id": scan_id, "source": sources.get(scan_id), "at": stamp(), "documents": documents},
                ensure_ascii=False), encoding="utf-8")
        return results


def scan_outcome(home: Home, scan_id: str) -> dict[str, Any]:
    """Where a scan an upload left in the OCR queue is now: ``queued`` (still waiting to be read),
    ``unsorted`` (read, waiting in 待分拣 for a household), ``read`` (with each document's outcome: filed with
    its record, or unsorted with its scan id), or ``unknown`` (not waiting, and read by no web process: the
    intake service or `hudang unsorted ocr` may have taken it)."""
    try:
        data = queue.entry(home, scan_id)
    except Exception:  # noqa: BLE001 - NotFound: no longer waiting
        data = None
    if data is not None:
        return {"scan_id": scan_id, "state": "queued" if data["state"] == OCR_PENDING else "unsorted",
                "source": data["provenance"].get("source_name")}
    kept = _outcomes_dir(home) / f"{scan_id}.json"
    if scan_id.replace("-", "").isalnum() and kept.is_file():
        return {**json.loads(kept.read_text(encoding="utf-8")), "state": "read"}
    return {"scan_id": scan_id, "state": "unknown"}


class QueueReader:
    """A thread of the web process that reads the OCR queue after an upload parked scans in it (`wake`), so the
    upload's request answers at once whatever the pages (gunicorn kills a request past its time-out) and the
    scans are read beside the server; it goes on while scans wait and stops when none does. A scan whose
    reading is cut short (the server stopped) stays in the queue: the next upload, `hudang ingest`, the intake
    service or `hudang unsorted ocr` reads it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._again = False

    def wake(self, home: Home, workers: int | None = None) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                self._again = True      # parked while a pass runs: one more pass after it
                return
            self._again = False
            self._thread = threading.Thread(target=self._run, args=(home, workers), name="hudang-ocr-queue",
                                            daemon=True)
            self._thread.start()

    def _run(self, home: Home, workers: int | None) -> None:
        while True:
            try:
                read = read_queued(home, workers)
            except Exception:  # noqa: BLE001 - a thread of the server: the scans keep waiting in the queue
                log.exception("reading the OCR queue failed")
                read = []
            with self._lock:
                if not (self._again or read):
                    self._thread = None
                    return
                self._again = False

    def join(self, timeout: float | None = None) -> None:
        """Wait until the passes asked for so far are done (tests, and a server shutting down)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)


QUEUE_READER = QueueReader()
