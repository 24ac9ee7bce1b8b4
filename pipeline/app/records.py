"""Households and records: the views the archivist reads, and the corrections (move, void, attach, edit).

Nothing is ever deleted or rewritten (SPEC §7): a correction adds an event or a version, is audited here,
and the record is re-indexed at once (a failed re-index waits in the backlog).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hudang.archive import audit
from hudang.archive.catalog import record_row
from hudang.errors import FormInvalid, UsageError
from hudang.forms.values import mask_text
from hudang.pipeline.app.session import Session
from hudang.pipeline.export.history import exports_of
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
    exports: list[dict[str, Any]] = field(default_factory=list)
    """Every 调档 of the household (who, when, purpose, what), from the audit log."""

    def as_json(self) -> dict[str, Any]:
        return {"household": self.household, "estate": self.estate, "key": self.key, "display": self.display,
                "owner": self.owner, "area": self.area, "registration": self.registration,
                "records": self.records, "moves": self.moves, "owners": self.owners, "occupants": self.occupants,
                "former_occupants": self.former_occupants, "events": self.events, "loans": self.loans,
                "exports": self.exports}


def household(session: Session, address: str, *, include_voided: bool = False) -> HouseholdView:
    from hudang.pipeline.household import lending

    place = session.archive.estates.household(address)
    data = households.household(session.archive, place, session.forms, include_voided=include_voided)
    loans = [loan.as_json() for loan in lending.loans(session.archive.conn, place.estate, place.key, open_only=True)]
    return HouseholdView(**data, loans=loans, exports=exports_of(session.home.audit_log, data["household"]))


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
    extra_fields: list[str] = field(default_factory=list)
    """Fields the document had that its form's definition lacks, kept as read (shown among ``fields``)."""

    def as_json(self) -> dict[str, Any]:
        return {"record_id": self.record_id, "archive_no": self.archive_no, "form": self.form,
                "form_name": self.form_name, "household": self.household, "number": self.number,
                "date": self.date, "version": self.version, "voided": self.voided,
                "void_reason": self.void_reason, "path": self.path, "fields": self.fields,
                "versions": self.versions, "files": self.files, "events": self.events,
                "attachments": self.attachments, "revealed": self.revealed, "extra_fields": self.extra_fields}


def record(session: Session, record_id: str, *, reveal: bool = False, reason: str | None = None) -> RecordView:
    """A reveal of the full ID and phone numbers is written to the audit log (SPEC §7) with the reason given
    (the web asks for one; the CLI's ``--reason`` is optional), the user and the time."""
    view = RecordView(**households.record(session.archive, record_id, session.forms, reveal=reveal))
    if reveal:
        detail = {"reason": reason.strip()} if reason and reason.strip() else {}
        session.audit("reveal", record_id=view.record_id, archive_no=view.archive_no, household=view.household,
                      **detail)
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


# ---------------------------------------------------------------- entry on the web (新建) and short steps

@dataclass(frozen=True)
class Entered:
    """A form entered by hand, filed as a JSON original (provenance: who, when, 网页录入)."""

    record_id: str
    version: int
    archive_no: str
    form: str
    household: str
    number: str | None
    """The 编号, given by hudang for forms whose definition has ``entry_number`` (TS-YYYYMM-NNNN …)."""
    entered_by: str
    entered_at: str
    warnings: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {"record_id": self.record_id, "version": self.version, "archive_no": self.archive_no,
                "form": self.form, "household": self.household, "number": self.number,
                "entered_by": self.entered_by, "entered_at": self.entered_at, "warnings": self.warnings}


def enter(session: Session, form_id: str, address: str, values: dict[str, str], user: str | None = None) -> Entered:
    """A new record for a household from a web form: the intake's checks and messages; `FormInvalid`
    (``fields``: field → message) when any field is wrong, and then nothing is filed."""
    from hudang.pipeline.intake import entry

    form = session.form(form_id, intake=True)
    who = user or session.user
    place = session.archive.estates.household(address, strict=True)
    tmp = session.home.run_dir / "entries"
    tmp.mkdir(parents=True, exist_ok=True)
    data = entry.enter(session.archive, form, place, values, who, tmp)
    _reindex(session, data["record_id"])
    audit.append(session.home.audit_log, who, "enter", record_id=data["record_id"], archive_no=data["archive_no"],
                 form=form.id, number=data["number"], via=entry.VIA)
    return Entered(**data)


@dataclass(frozen=True)
class Acted:
    """A short step (结案, 回访 …) taken on a record: a new version holding every field, ``changed`` marked."""

    record_id: str
    action: str
    action_name: str
    version: int
    archive_no: str
    fields: dict[str, str]
    """Every field of the new version, masked."""
    changed: list[str]

    def as_json(self) -> dict[str, Any]:
        return {"record_id": self.record_id, "action": self.action, "action_name": self.action_name,
                "version": self.version, "archive_no": self.archive_no, "fields": self.fields,
                "changed": self.changed}


def act(session: Session, record_id: str, action_id: str, values: dict[str, str]) -> Acted:
    """One of the record's form's ``[[actions]]``: refused when taken already, when what it needs is missing,
    or (`FormInvalid`, per field) when its values fail the intake's checks."""
    row = record_row(session.archive.conn, record_id)
    if row is None:
        raise UsageError(f"找不到档案记录 {record_id}", code="no_record")
    form = session.forms.by_id(row["form"])
    action = form.action(action_id)
    if action is None:
        known = "、".join(f"{a.id}（{a.name}）" for a in form.actions) or "无"
        raise UsageError(f"“{form.name}”没有“{action_id}”这一步（可用：{known}）", code="unknown_action")
    if row["voided"]:
        raise UsageError(f"记录 {row['archive_no']} 已作废，不能{action.name}", code="voided")
    current = record(session, row["record_id"]).fields
    if action.done_when and current.get(action.done_when):
        raise UsageError(f"记录 {row['archive_no']} 已{action.name}（{action.done_when}：{current[action.done_when]}）",
                         code="already_done")
    missing_before = [n for n in action.needs if not current.get(n)]
    if missing_before:
        raise UsageError(f"记录 {row['archive_no']} 尚未填写“{'、'.join(missing_before)}”，不能{action.name}",
                         code="not_ready")
    given = {k: (v or "").strip() for k, v in values.items()}
    problems = {k: f"“{action.name}”不填写“{k}”" for k in given if k not in action.fields}
    problems.update({n: f"缺少必填项“{n}”" for n in action.required if not given.get(n)})
    if problems:
        raise FormInvalid(problems)
    changes = {k: v for k, v in given.items() if v}
    data = queue.edit(session.archive, session.forms, row["record_id"], changes, session.user)
    _reindex(session, data["record_id"])
    session.audit(action.id, record_id=data["record_id"], version=data["version"], fields=data["changed"])
    view = record(session, data["record_id"])
    return Acted(data["record_id"], action.id, action.name, data["version"], data["archive_no"], view.fields,
                 data["changed"])


def close_complaint(session: Session, record_id: str, result: str, finished_at: str) -> Acted:
    """结案: 处理结果 and 完成时间 (the fields the complaint definition's ``close`` action names)."""
    form = session.forms.by_id("complaint")
    action = form.action("close")
    assert action is not None and len(action.fields) >= 2
    return act(session, record_id, "close", dict(zip(action.fields, (result, finished_at), strict=False)))


def record_visit(session: Session, record_id: str, visited_at: str, outcome: str, **more: str) -> Acted:
    """回访 of a complaint or a repair: 回访时间, 回访结果 and any other field the ``visit`` action names."""
    row = record_row(session.archive.conn, record_id)
    form = session.forms.by_id(row["form"]) if row is not None else None
    action = form.action("visit") if form is not None else None
    names = action.fields if action is not None else ("回访时间", "回访结果")
    return act(session, record_id, "visit", {**dict(zip(names, (visited_at, outcome), strict=False)), **more})


# ---------------------------------------------------------------- a version's files (the web's record page)

MEDIA_TYPES = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
               ".tif": "image/tiff", ".tiff": "image/tiff", ".gif": "image/gif", ".webp": "image/webp",
               ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
               ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               ".json": "application/json", ".csv": "text/csv", ".txt": "text/plain"}
BROWSER_SHOWS = {".pdf", ".png", ".jpg", ".jpeg", ".gif", ".webp"}
"""Shown in the page as they are; DOCX/XLSX/DOC/XLS are converted to PDF; others are only downloaded."""
OFFICE = {".docx", ".xlsx", ".doc", ".xls", ".odt", ".ods", ".rtf"}


@dataclass(frozen=True)
class VersionDetail:
    """What one version holds besides its fields: provenance (masked), the text read from it (masked unless
    revealed), and its original's kind — or the batch row it came from (a row has no file of its own)."""

    record_id: str
    version: int
    provenance: dict[str, Any]
    text: str
    original: str | None
    """The original's suffix ('.docx'), None for a batch row."""
    batch_row: int | None
    viewable: bool
    """The browser can show it (as it is, or converted to PDF)."""
    changed: tuple[str, ...]
    """Fields whose value differs from the version before (every field of version 1)."""

    def as_json(self) -> dict[str, Any]:
        return {"record_id": self.record_id, "version": self.version, "provenance": self.provenance,
                "text": self.text, "original": self.original, "batch_row": self.batch_row, "viewable": self.viewable,
                "changed": list(self.changed)}


def _unit(session: Session, record_id: str, version: int) -> tuple[str, Path]:
    """The archived folder of one version, from the catalog (never from text a user typed)."""
    from hudang.errors import NotFound

    view = households.record(session.archive, record_id, session.forms)
    for v in view["versions"]:
        if v["version"] == version:
            return view["record_id"], session.archive.layout.root / v["path"]
    raise NotFound(f"档案记录 {view['record_id']} 没有第{version}版", code="no_version")


def version_detail(session: Session, record_id: str, version: int, *, reveal: bool = False) -> VersionDetail:
    import json

    rid, unit = _unit(session, record_id, version)
    prov = json.loads((unit / "provenance.json").read_text(encoding="utf-8"))
    fields = _fields(unit)
    before = _fields(_unit(session, rid, version - 1)[1]) if version > 1 else {}
    changed = tuple(k for k in [*fields, *(k for k in before if k not in fields)]   # a cleared field too
                    if fields.get(k) != before.get(k))
    text_file = unit / "text.txt"
    text = text_file.read_text(encoding="utf-8", errors="replace") if text_file.is_file() else ""
    name = prov.get("original")
    suffix = Path(name).suffix.lower() if name else None
    shown = {k: mask_text(v) if isinstance(v, str) else v for k, v in prov.items()
             if k in ("source_name", "received_at", "detected_type", "converted_from", "sha256", "size",
                      "user", "claim", "batch", "entered")}
    return VersionDetail(rid, version, shown, text if reveal else mask_text(text), suffix,
                         (prov.get("batch") or {}).get("row"),
                         suffix is not None and (suffix in BROWSER_SHOWS or suffix in OFFICE), changed)


def _fields(unit: Path) -> dict[str, Any]:
    import json

    path = unit / "fields.json"
    data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    values = data.get("values") if isinstance(data, dict) else None
    return values if isinstance(values, dict) else {}


@dataclass(frozen=True)
class OriginalFile:
    """An original as archived (unmasked personal data: the caller has checked the role), and what to send."""

    record_id: str
    version: int
    name: str
    """The name it was received under, for a download."""
    path: Path
    media_type: str


def original(session: Session, record_id: str, version: int, *, for_viewing: bool = False) -> OriginalFile:
    """The original bytes of one version; ``for_viewing`` gives a PDF of a DOCX/XLSX, converted by LibreOffice
    once and cached under the home. Every call is audited: an original shows personal data unmasked."""
    import json

    from hudang.errors import NotFound

    rid, unit = _unit(session, record_id, version)
    prov = json.loads((unit / "provenance.json").read_text(encoding="utf-8"))
    if not prov.get("original"):
        raise NotFound(f"{rid} 第{version}版来自批量导入文件的一行，没有单独的原件", code="no_original")
    path = unit / prov["original"]
    suffix = path.suffix.lower()
    name = str(prov.get("source_name") or path.name)
    if for_viewing and suffix in OFFICE:
        path = _as_pdf(session, path, f"{rid}-v{version}")
        suffix, name = ".pdf", Path(name).stem + ".pdf"
    session.audit("view_original" if for_viewing else "download_original", record_id=rid, version=version)
    return OriginalFile(rid, version, name, path, MEDIA_TYPES.get(suffix, "application/octet-stream"))


PREVIEW_WIDTH = 1000
"""Pixels across the first-page preview of a PDF original (a browser with no PDF viewer shows it instead)."""


def original_preview(session: Session, record_id: str, version: int) -> OriginalFile:
    """The first page of a PDF (or office) original as a PNG, for a browser that cannot show a PDF in the page
    (a phone, a PC without a PDF viewer). Rendered once and cached beside the office→PDF conversions; audited
    like any view of the original."""
    import json

    import pypdfium2 as pdfium

    from hudang.errors import NotFound

    rid, unit = _unit(session, record_id, version)
    prov = json.loads((unit / "provenance.json").read_text(encoding="utf-8"))
    path = unit / prov["original"] if prov.get("original") else None
    suffix = path.suffix.lower() if path else ""
    if path is None or suffix not in OFFICE | {".pdf"}:
        raise NotFound(f"{rid} 第{version}版的原件不是 PDF 或办公文档，没有预览图", code="no_preview")
    pdf = _as_pdf(session, path, f"{rid}-v{version}") if suffix in OFFICE else path
    target = session.home.web_cache / f"{rid}-v{version}-p1.png"
    if not target.is_file() or target.stat().st_mtime < pdf.stat().st_mtime:
        target.parent.mkdir(parents=True, exist_ok=True)
        doc = pdfium.PdfDocument(str(pdf))
        try:
            page = doc[0]
            image = page.render(scale=PREVIEW_WIDTH / max(page.get_width(), 1)).to_pil()
            tmp = target.with_name(f".{target.name}.tmp")
            image.convert("RGB").save(tmp, format="PNG", optimize=True)
            tmp.replace(target)
        finally:
            doc.close()
    session.audit("view_original", record_id=rid, version=version, preview=True)
    return OriginalFile(rid, version, f"{Path(str(prov.get('source_name') or path.name)).stem}-第1页.png", target,
                        "image/png")


def _as_pdf(session: Session, source: Path, stem: str) -> Path:
    """A cached PDF of an office document (rebuildable: the cache may be deleted at any time)."""
    import shutil
    import tempfile

    from hudang.errors import ToolMissing
    from hudang.forms.office import to_pdf

    cache = session.home.web_cache
    target = cache / f"{stem}.pdf"
    if target.is_file() and target.stat().st_mtime >= source.stat().st_mtime:
        return target
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache, prefix=".convert-") as work:
        doc = Path(work) / f"{stem}{source.suffix.lower()}"
        shutil.copyfile(source, doc)
        made = to_pdf([doc], Path(work), instances=1, timeout=session.home.office.timeout).pdfs.get(doc)
        if made is None:
            raise ToolMissing(f"无法把 {stem} 的原件转换为 PDF 显示（LibreOffice 转换失败），请下载原件查看")
        Path(made).replace(target)
    return target


def attachment_file(session: Session, record_id: str, n: int) -> OriginalFile:
    """The n-th attachment (1-based, in the record page's order), audited like an original."""
    from hudang.errors import NotFound

    view = households.record(session.archive, record_id, session.forms)
    if not 1 <= n <= len(view["attachments"]):
        raise NotFound(f"档案记录 {view['record_id']} 没有第{n}个附件", code="no_attachment")
    att = view["attachments"][n - 1]
    path = session.archive.layout.root / att["path"]
    session.audit("download_attachment", record_id=view["record_id"], attachment=n)
    return OriginalFile(view["record_id"], 0, att["name"], path,
                        MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream"))


def field_crops(session: Session, record_id: str) -> dict[str, Path]:
    """Field name → the PNG of its box on the scan, for every version that saved crops (the scan reader
    names them in its provenance: ``scan.crops``, files in the unit's ``files/``); later versions win."""
    import json

    view = households.record(session.archive, record_id, session.forms)
    crops: dict[str, Path] = {}
    for v in view["versions"]:
        unit = session.archive.layout.root / v["path"]
        prov = unit / "provenance.json"
        if prov.is_file():
            names = (json.loads(prov.read_text(encoding="utf-8")).get("scan") or {}).get("crops") or {}
            for name, png in names.items():
                if (unit / "files" / str(png)).is_file():
                    crops[str(name)] = unit / "files" / str(png)
    return crops


def field_crop(session: Session, record_id: str, field: str) -> Path:
    """The PNG of one field's box on the scan (the 待核对 page shows it beside the value). It is a piece of the
    original, unmasked, so each look is audited like an original."""
    from hudang.errors import NotFound

    png = field_crops(session, record_id).get(field)
    if png is None:
        raise NotFound(f"档案记录 {record_id} 的“{field}”没有原件截图", code="no_crop")
    session.audit("view_crop", record_id=record_id, field=field)
    return png
