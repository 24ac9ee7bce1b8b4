"""Paper scans on the writer's side: route each document to its household, or keep it in the unsorted queue.

SPEC §6: a QR code naming a household wins; a QR code with only a form type files by the room read from
the page when the roster knows it; anything else waits in ``<home>/unsorted/`` (written durably, like the
quarantine) until `hudang assign`. A routed scan is filed even when fields could not be read: those are
marked 待核对. A scan whose OCR cannot run yet waits there too, in state ``ocr_pending``, until
`process_queue` (run by `hudang ingest`, the service and `hudang unsorted ocr`) reads it.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hudang.archive.catalog import current_versions
from hudang.archive.durable import fsync_dir
from hudang.archive.estates import Place
from hudang.archive.store import Archive, Filing
from hudang.clock import stamp
from hudang.errors import FormInvalid, NotFound, ToolMissing, UsageError, ValueProblem
from hudang.forms.definitions import FormDef, FormRegistry
from hudang.forms.scans import ScanDocument, ScanReading, extract_fields, read_scan
from hudang.forms.validate import check
from hudang.forms.values import mask_text
from hudang.pipeline.intake.outcomes import FILED, UNSORTED, Outcome, RowOutcome, Taken
from hudang.settings import Home

if TYPE_CHECKING:
    from hudang.pipeline.intake.stages import Item

log = logging.getLogger("hudang.scans")

OCR_PENDING = "ocr_pending"
WAITING = "waiting"
REVIEW_TEXT = "待核对"
QUEUED = "排队识别"   # the message of a scan parked unread on purpose (a web upload), read by the OCR queue


def unsorted_dir(home: Home) -> Path:
    return home.root / "unsorted"


# ---------------------------------------------------------------- routing and filing

def route(archive: Archive, forms: FormRegistry, doc: ScanDocument, *, place: Place | None = None,
          form_id: str | None = None) -> tuple[FormDef, Any, Place, list[str]] | None:
    """(form, checked values, household, fields 待核对) — or None when the scan cannot be routed."""
    form_id = form_id or doc.form
    if not form_id:
        return None
    try:
        form = forms.by_id(form_id)
    except KeyError:
        return None
    fields = {k: v for k, v in doc.fields.items()}
    if place is None and doc.code and doc.code.household:
        try:
            place = archive.estates.household(doc.code.household)
        except ValueProblem:
            place = None   # a code for a household we do not know: fall back to the page
    if place is not None:
        fields[form.estate_field] = place.estate
        if form.room_field:
            fields[form.room_field] = place.key
    checked = check(form, fields, archive.estates)
    if place is None:
        estate = checked.values.get(form.estate_field)
        if checked.place is None or not estate or not archive.estates.has_roster(estate):
            return None      # only a room the roster knows routes a scan without a household code
        place = checked.place
    review = [p.field for p in checked.problems if p.field]
    review += [name for name in doc.unclear if name not in review]
    # A default (严重程度 轻微…) stands in for a box nobody read: a person confirms it.
    review += [f.name for f in form.fields if f.default is not None and f.name not in fields and f.name not in review]
    return form, checked, place, list(dict.fromkeys(review))


def filing_for(item_provenance: dict[str, Any], doc: ScanDocument, reading: ScanReading | None, original: Path,
               form: FormDef, checked: Any, place: Place, review: list[str]) -> Filing:
    """The record of one routed scan document: original as received, OCR PDF and text beside it."""
    prov = dict(item_provenance)
    prov["scan"] = {"document": doc.index, "pages": doc.pages,
                    "qr": {k: v for k, v in asdict(doc.code).items() if k != "corners"} if doc.code else None,
                    "ocr": {"pdfa": "PDF/A" not in doc.note, "note": doc.note or None}, "layout": doc.layout}
    if reading is not None and reading.blank:
        prov["scan"]["blank_pages"] = reading.blank     # in the original as scanned, in no document
    if reading is not None and len(reading.documents) > 1:
        prov["batch"] = {"row": doc.index, "sha256": prov.get("sha256")}
    extra: list[tuple[str, Path]] = []
    if doc.ocr_pdf is not None and doc.ocr_pdf.is_file():
        extra.append(("ocr.pdf", doc.ocr_pdf))
        raw = doc.ocr_pdf.parent / "ocr-raw.txt"
        raw.write_text(doc.raw, encoding="utf-8")
        extra.append(("ocr-raw.txt", raw))
    crops: dict[str, str] = {}
    for name in review:    # the box of each field to check, as scanned: the archivist reads it off the picture
        crop = doc.crops.get(name)
        if crop is not None and crop.is_file():
            crops[name] = f"review-{len(crops) + 1:02d}.png"
            extra.append((crops[name], crop))
    if crops:
        prov["scan"]["crops"] = crops
    warnings = [{"field": p.field, "code": p.code, "message": f"{REVIEW_TEXT}：{mask_text(p.message)}"}
                for p in checked.problems]
    for name in review:
        if any(w["field"] == name for w in warnings):
            continue
        default = form.field(name).default
        if default is not None and name not in doc.unclear and name not in doc.fields:
            # nothing marked in the boxes: the default stands in, a person confirms it (not a reading failure)
            warnings.append({"field": name, "code": "default", "message":
                             f"{REVIEW_TEXT}：“{name}”扫描件上未勾选或未填写，暂按默认值“{default}”，请确认"})
        else:
            warnings.append({"field": name, "code": "unreadable", "message": f"{REVIEW_TEXT}：“{name}”未能识别"})
    return Filing(form_id=form.id, form_code=form.code, place=place, values=checked.values, raw=checked.raw,
                  text=doc.text, provenance=prov, original=original, number=checked.number,
                  form_date=checked.form_date, warnings=warnings, review=review, extra_files=extra,
                  form_version=form.version)


# ---------------------------------------------------------------- the unsorted queue

def scan_id_for(sha256: str, received_at: str, index: int | None) -> str:
    day = received_at[:10].replace("-", "")
    return f"S{day}-{sha256[:8]}" + (f"-{index}" if index else "")


def park(home: Home, *, provenance: dict[str, Any], original: Path, doc: ScanDocument | None,
         reading: ScanReading | None, state: str, message: str | None = None) -> tuple[str, bool]:
    """Keep a scan in the unsorted queue, durably; (scan id, False when the same scan already waits there)."""
    multi = reading is not None and len(reading.documents) > 1
    scan_id = scan_id_for(provenance["sha256"], provenance["received_at"], doc.index if doc and multi else None)
    folder = unsorted_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    same = [p for p in folder.glob(f"S*-{provenance['sha256'][:8]}{'-' + str(doc.index) if doc and multi else ''}")
            if (p / "scan.json").is_file()]
    if same:
        waited = json.loads((same[0] / "scan.json").read_text(encoding="utf-8")).get("state")
        if waited != OCR_PENDING or state == OCR_PENDING:
            return same[0].name, False
        scan_id = same[0].name   # read at last and still unsorted: its entry takes what was read, under its id
    tmp = folder / f".tmp-{scan_id}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    suffix = Path(provenance.get("source_name", "")).suffix.lower()[:10] if not multi else ".pdf"
    shutil.copyfile(original, tmp / f"original{suffix}")
    if doc is not None and doc.ocr_pdf is not None and doc.ocr_pdf.is_file():
        shutil.copyfile(doc.ocr_pdf, tmp / "ocr.pdf")
    if doc is not None and doc.thumbnail is not None and doc.thumbnail.is_file():
        shutil.copyfile(doc.thumbnail, tmp / "thumb.png")
    meta = {"scan_id": scan_id, "state": state, "message": message, "original": f"original{suffix}",
            "provenance": provenance, "document": doc.index if doc else None, "pages": doc.pages if doc else None,
            "qr": asdict(doc.code) if doc and doc.code else None, "form": doc.form if doc else None,
            "fields": doc.fields if doc else {}, "unclear": doc.unclear if doc else [],
            "text": doc.text if doc else "", "raw": doc.raw if doc else "", "note": doc.note if doc else "",
            "parked_at": stamp()}
    (tmp / "scan.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    for path in tmp.iterdir():
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    fsync_dir(tmp)
    target = folder / scan_id
    if target.exists():   # the entry that waited for the OCR tool, replaced by its reading
        old = folder / f".old-{scan_id}"
        shutil.rmtree(old, ignore_errors=True)
        os.rename(target, old)
        os.rename(tmp, target)
        fsync_dir(folder)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(tmp, target)
        fsync_dir(folder)
    return scan_id, True


def entries(home: Home) -> list[dict[str, Any]]:
    folder = unsorted_dir(home)
    out = []
    if folder.is_dir():
        for entry in sorted(folder.iterdir()):
            meta = entry / "scan.json"
            if entry.is_dir() and not entry.name.startswith(".") and meta.is_file():
                data = json.loads(meta.read_text(encoding="utf-8"))
                data["folder"] = str(entry)
                out.append(data)
    return out


def entry(home: Home, scan_id: str) -> dict[str, Any]:
    for data in entries(home):
        if data["scan_id"] == scan_id:
            return data
    raise NotFound(f"待分拣扫描件中没有 {scan_id}（用 hudang unsorted list 查看）", code="no_scan")


def listing(home: Home) -> list[dict[str, Any]]:
    """What `unsorted list` shows: personal data masked, the first lines of the OCR text."""
    out = []
    for data in entries(home):
        prov = data["provenance"]
        lines = [mask_text(line) for line in (data.get("text") or "").splitlines()[:5]]
        thumb = Path(data["folder"]) / "thumb.png"
        out.append({"scan_id": data["scan_id"], "source": prov.get("source_name"), "received_at":
                    prov.get("received_at"), "state": data["state"], "message": data.get("message"),
                    "pages": data.get("pages"), "form": data.get("form"),
                    "qr": data.get("qr"), "thumbnail": str(thumb) if thumb.is_file() else None,
                    "text": lines, "folder": data["folder"]})
    return out


def remove(home: Home, scan_id: str) -> None:
    folder = unsorted_dir(home) / scan_id
    gone = unsorted_dir(home) / f".done-{scan_id}"
    try:
        os.rename(folder, gone)
    except FileNotFoundError:
        return   # taken meanwhile by another run (the service beside a hand-run `unsorted ocr`)
    fsync_dir(unsorted_dir(home))
    shutil.rmtree(gone, ignore_errors=True)


def document_of(data: dict[str, Any]) -> ScanDocument:
    """A parked scan as the document it was read as (its OCR PDF, fields and text)."""
    from hudang.forms.qr import Code

    folder = Path(data["folder"])
    ocr_pdf = folder / "ocr.pdf"
    doc = ScanDocument(index=data.get("document") or 1, pages=data.get("pages") or [], pdf=folder / data["original"],
                       code=Code(**data["qr"]) if data.get("qr") else None, text=data.get("text") or "",
                       raw=data.get("raw") or "", ocr_pdf=ocr_pdf if ocr_pdf.is_file() else None,
                       note=data.get("note") or "", form=data.get("form"), fields=data.get("fields") or {},
                       unclear=data.get("unclear") or [])
    return doc


def assign(home: Home, archive: Archive, forms: FormRegistry, scan_id: str, address: str,
           form_name: str | None) -> dict[str, Any]:
    """File a waiting scan into a household (the archivist has looked at it)."""
    data = entry(home, scan_id)
    doc = document_of(data)
    form = forms.intake().get(form_name) if form_name else (forms.by_id(doc.form) if doc.form else None)
    if form is None:
        raise UsageError(f"无法判断扫描件 {scan_id} 的表单类型，请用 --form 指定（如 --form 投诉处理单）"
                         if not form_name else f"未知的表单“{form_name}”")
    if form.id != doc.form and doc.text:
        doc.fields, doc.unclear = extract_fields(doc.text, form, forms)
    with archive.writer():
        place = archive.estates.household(address, strict=True)
        routed = route(archive, forms, doc, place=place, form_id=form.id)
        assert routed is not None
        form, checked, place, review = routed
        prov = {**data["provenance"], "assigned": {"scan_id": scan_id, "at": stamp()}}
        if data.get("state") == OCR_PENDING:
            review = [f.name for f in form.fields if f.required and f.name not in checked.values] or review
        filing = filing_for(prov, doc, None, doc.pdf, form, checked, place, review)
        if data.get("document") and data["provenance"].get("sha256"):
            filing.provenance["batch"] = {"row": data["document"], "sha256": data["provenance"]["sha256"]}
        [filed] = archive.file([filing])
        remove(home, scan_id)
    from hudang.pipeline.intake import backlog
    backlog.index_records(home, archive.conn, forms, [filed.record_id])
    return {"scan_id": scan_id, "record_id": filed.record_id or filed.duplicate_of, "archive_no": filed.archive_no,
            "household": place.address, "form": form.id, "review": review, "duplicate": bool(filed.duplicate_of)}


# ---------------------------------------------------------------- the OCR queue

def _read_parked(args: tuple[str, str, str, Any, Any]) -> Any:
    original, detected, workdir, forms, limits = args
    return read_scan(Path(original), detected, forms, Path(workdir), limits=limits)


def process_queue(home: Home, forms: FormRegistry, workers: int | None = None) -> list[dict[str, Any]]:
    """OCR the scans that waited for a tool, in a pool beside (never inside) the writer; then file or re-park."""
    from hudang.forms.ocr import check_tools
    from hudang.pipeline.intake import backlog

    pending = [d for d in entries(home) if d["state"] == OCR_PENDING]
    if not pending:
        return []
    check_tools(home.ocr.engine)
    import tempfile

    home.run_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="ocr-work-", dir=home.run_dir))
    from hudang.forms.readers.model import ReadLimits

    limits = ReadLimits.of(home.limits, home.office, home.ocr, str(home.layouts_dir))
    jobs = []
    for data in pending:
        original = Path(data["folder"]) / data["original"]
        detected = "pdf" if original.suffix == ".pdf" else "image"
        jobs.append((str(original), detected, str(work / data["scan_id"]), forms, limits))
    with ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        readings = list(pool.map(_read_parked, jobs))
    results: list[dict[str, Any]] = []
    archive = Archive(home)
    try:
        with archive.writer():
            filed_ids = []
            kept: set[str] = set()
            for data, reading in zip(pending, readings, strict=True):
                original = Path(data["folder"]) / data["original"]
                prov = data["provenance"]
                for doc in reading.documents:
                    routed = route(archive, forms, doc)
                    if routed is None:
                        scan_id, _ = park(home, provenance=prov, original=doc.pdf if len(reading.documents) > 1
                                          else original, doc=doc, reading=reading, state=WAITING)
                        results.append({"scan_id": data["scan_id"], "document": doc.index, "status": "unsorted",
                                        "now": scan_id})
                        kept |= {scan_id}
                        continue
                    form, checked, place, review = routed
                    source = doc.pdf if len(reading.documents) > 1 else original
                    [filed] = archive.file([filing_for(prov, doc, reading, source, form, checked, place, review)])
                    filed_ids.append(filed.record_id)
                    results.append({"scan_id": data["scan_id"], "document": doc.index, "status": "filed",
                                    "record_id": filed.record_id, "household": place.address, "review": review})
                if data["scan_id"] not in kept:   # an unsorted single scan keeps its own entry, now read
                    remove(home, data["scan_id"])
            backlog.index_records(home, archive.conn, forms, [r for r in filed_ids if r])
    finally:
        archive.close()
        shutil.rmtree(work, ignore_errors=True)
    return results


def process_if_possible(home: Home, forms: FormRegistry, workers: int | None = None) -> list[dict[str, Any]]:
    """Run the OCR queue when it has scans and the tools are there now; otherwise leave it waiting."""
    from hudang.forms.ocr import check_tools

    if not any(d["state"] == OCR_PENDING for d in entries(home)):
        return []
    try:
        check_tools(home.ocr.engine)
    except ToolMissing:
        return []
    return process_queue(home, forms, workers)


def review_list(archive: Archive, forms: FormRegistry) -> list[dict[str, Any]]:
    out = []
    for row in current_versions(
            archive.conn, "r.record_id, r.archive_no, r.form, r.estate, r.household, r.form_date, v.review",
            "r.review = 1 AND r.voided = 0", then="ORDER BY r.filed_at"):
        fields = json.loads(row["review"] or "[]")
        if fields:
            name = next((f.name for f in forms if f.id == row["form"]), row["form"])
            out.append({"record_id": row["record_id"], "archive_no": row["archive_no"], "form": row["form"],
                        "form_name": name, "household": f"{row['estate']}/{row['household']}",
                        "date": row["form_date"], "fields": fields})
    return out


def filed_version(version_dir: Path) -> int:
    """The form definition version a record version was filed under (1 for those filed before versions)."""
    try:
        return int(json.loads((version_dir / "fields.json").read_text(encoding="utf-8")).get("form_version", 1))
    except (OSError, ValueError):
        return 1


def edit(archive: Archive, forms: FormRegistry, record_id: str, changes: dict[str, str], user: str) -> dict[str, Any]:
    """Fill in or correct fields as a new version of the record, checked like any form (audited by the caller)."""
    found = current_versions(archive.conn, "r.*, v.fields, v.review AS fields_to_check, v.version AS v",
                             "r.record_id = ? OR r.archive_no = ?", (record_id, record_id))
    row = found[0] if found else None
    if row is None:
        raise NotFound(f"找不到档案记录 {record_id}", code="no_record")
    text_row = archive.conn.execute("SELECT path FROM versions WHERE record_id = ? AND version = ?",
                                    (row["record_id"], row["v"])).fetchone()
    form = forms.at(row["form"], filed_version(archive.layout.root / text_row["path"]))  # keeps its version
    names = {f.name for f in form.fields}
    unknown = [k for k in changes if k not in names]
    if unknown:
        raise UsageError(f"“{form.name}”没有字段：{'、'.join(unknown)}（可用：{'、'.join(f.name for f in form.fields)}）")
    values = {**json.loads(row["fields"]), **changes}
    place = archive.estates.household(f"{row['estate']}/{row['household']}")
    values[form.estate_field] = place.estate
    if form.room_field and row["household"] != "公共":
        values[form.room_field] = values.get(form.room_field) or place.key
    checked = check(form, values, archive.estates)
    bad = [p for p in checked.problems if p.field in changes]
    if bad:
        raise FormInvalid({str(p.field): mask_text(p.message) for p in bad})
    review = [name for name in json.loads(row["fields_to_check"] or "[]") if name not in changes
              and name not in checked.values]
    review += [p.field for p in checked.problems if p.field and p.field not in review]
    text_path = archive.layout.root / text_row["path"] / "text.txt"
    text = text_path.read_text(encoding="utf-8") if text_path.is_file() else ""
    prov = {"source_name": "hudang record edit", "received_at": stamp(), "edited_by": user,
            "changes": sorted(changes), "edit_of": row["v"]}
    filing = Filing(form_id=form.id, form_code=form.code, place=place, values=checked.values, raw=values,
                    text=text + "\n" + "\n".join(f"{k}：{v}" for k, v in changes.items()), provenance=prov,
                    original=None, number=checked.number, form_date=checked.form_date or row["form_date"],
                    review=review, record_id=row["record_id"], form_version=form.version)
    with archive.writer():
        [filed] = archive.file([filing])
    return {"record_id": filed.record_id, "version": filed.version, "archive_no": filed.archive_no,
            "changed": sorted(changes), "review": review}


# ---------------------------------------------------------------- the writer's step for an intake scan

def take(item: Item, archive: Archive, forms: FormRegistry, home: Home) -> Taken:
    """One scanned intake file (the writer's scan stage): its routed documents to file, the rest parked.

    One outcome per file: a single document is ``filed`` or ``unsorted``; a batch split at separator sheets
    reports each document as a row. Filings wait for the writer's group commit; parking is done here."""
    assert item.snapshot is not None and item.sha256 is not None and item.extraction is not None
    reading: ScanReading | None = item.extraction.scan
    prov = item.provenance()
    if reading is None or reading.ocr_error:
        message = (reading.ocr_error if reading else None) or (QUEUED if item.ocr_later else "扫描件尚未识别")
        scan_id, new = park(home, provenance=prov, original=item.snapshot, doc=None, reading=None,
                            state=OCR_PENDING, message=message)
        return Taken(Outcome(item.source, UNSORTED, warnings=[{"field": None, "code": "ocr_pending",
                     "message": f"{message}。扫描件已原样保存，等待文字识别（{scan_id}）"}],
                     detail={"scan_id": scan_id, "state": OCR_PENDING, **({} if new else {"already": True})}))
    multi = len(reading.documents) > 1
    if multi:  # the batch as received is kept whole too; each document is filed from its own pages
        parts = [{"row": d.index, "document": d.index, "pages": d.pages} for d in reading.documents]
        prov["scan_batch"] = archive.file_import("scan_batch", item.snapshot, dict(prov), parts)
    rows: list[RowOutcome] = []
    batch = Outcome(item.source, FILED, rows=rows, detail={"pages": reading.pages, "separators": reading.separators,
                                                              **({"blank_pages": reading.blank} if reading.blank else {})})
    filings: list[tuple[Filing, Outcome | RowOutcome]] = []
    for doc in reading.documents:
        original = doc.pdf if multi else item.snapshot
        routed = route(archive, forms, doc)
        if routed is None:
            scan_id, new = park(home, provenance=prov, original=original, doc=doc, reading=reading, state=WAITING,
                                message="无法确定住户：没有住户二维码，页面上也没有读到房屋清单中的房号")
            if not multi:
                return Taken(Outcome(item.source, UNSORTED, form=doc.form, detail={
                    "scan_id": scan_id, "state": WAITING, **({} if new else {"already": True})}))
            rows.append(RowOutcome(doc.index, UNSORTED, warnings=[{"field": None, "code": "unsorted",
                                                                    "message": f"待分拣（{scan_id}）"}]))
            continue
        form, checked, place, review = routed
        filing = filing_for(prov, doc, reading, original, form, checked, place, review)
        if not multi:
            out = Outcome(item.source, FILED, form=form.id, household=place.address, warnings=list(filing.warnings),
                          detail={"review": review, "scan": True, "pages": doc.pages,
                                  **({"blank_pages": reading.blank} if reading.blank else {})})
            return Taken(out, [(filing, out)])
        row = RowOutcome(doc.index, FILED, household=place.address, warnings=list(filing.warnings))
        rows.append(row)
        filings.append((filing, row))
    if not any(r.status == FILED for r in rows):
        batch.status = UNSORTED
    batch.form = next((d.form for d in reading.documents if d.form), None)
    return Taken(batch, filings, rows=True)


def review_crops(archive: Archive, forms: FormRegistry, record_id: str, outputs: Path) -> dict[str, Any]:
    """Copy the scan's crop of each field still 待核对 to ``outputs/<record id>/<field>.png`` and list them."""
    from hudang.pipeline.reports.households import record as record_view

    view = record_view(archive, record_id, forms)
    pending: list[str] = next((r["fields"] for r in review_list(archive, forms) if r["record_id"] == view["record_id"]), [])
    root = archive.layout.root
    crops: dict[str, Path] = {}
    for unit in sorted({Path(f["path"]).parent.parent for f in view["files"] if "/files/" in f["path"]}):
        prov_file = root / unit / "provenance.json"
        if prov_file.is_file():
            names = (json.loads(prov_file.read_text(encoding="utf-8")).get("scan") or {}).get("crops") or {}
            for name, png in names.items():
                if (root / unit / "files" / png).is_file():
                    crops[name] = root / unit / "files" / png
    dest = outputs / view["record_id"]
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    for name in pending:
        png = None
        if name in crops:
            png = dest / f"{name}.png"
            shutil.copyfile(crops[name], png)
        value = view["fields"].get(name)
        out.append({"field": name, "value": value, "png": str(png) if png else None})
    return {"record_id": view["record_id"], "archive_no": view["archive_no"], "folder": str(dest), "crops": out}
