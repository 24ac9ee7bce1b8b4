"""文件: any document of a household that is not one of our forms, described by who files it.

Three ways in, one description: `hudang ingest FILE --household E/K --document 题名` (an item with its
``document`` set), a file under ``文件/<项目>/<房号>/`` in intake (stages.classify reads the folder), and a
waiting scan assigned without a form (its 题名 from the first OCR line, 待核对). The text searched is the
file's own (Word, PDF, tables) or the OCR text of a scan or photo; 页数 is counted for PDFs and images at
intake, and for office files by the first export that converts them (`pipeline.app.export._fill_pages`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hudang.archive.estates import Estates
from hudang.archive.store import Filing
from hudang.errors import Problem, Rejection, ValueProblem
from hudang.forms.definitions import FormDef, FormRegistry
from hudang.forms.validate import Checked, check
from hudang.forms.values import mask_text

FORM_ID = "document"
REVIEW_TEXT = "待核对"
TITLE_LENGTH = 60          # a 题名 taken from an OCR line is cut here


def form_of(forms: FormRegistry) -> FormDef:
    return forms.by_id(FORM_ID)


def categories(forms: FormRegistry) -> tuple[str, ...]:
    """The 类别 list, in the definition's order (a data home's copy of document.toml extends it)."""
    return form_of(forms).choices("类别")


def describe(forms: FormRegistry, estates: Estates, address: str, title: str, *, category: str | None = None,
             author: str | None = None, date: str | None = None, pages: int | None = None,
             note: str | None = None) -> Checked:
    """The 文件's fields, checked like any form's (a 类别 outside the list, a bad date, an unknown room)."""
    form = form_of(forms)
    try:
        place = estates.household(address, strict=True)
    except ValueProblem as exc:
        return Checked(form=form, values={}, raw={}, problems=[Problem("房号", exc.code, exc.message)])
    labelled = {"项目": place.estate, "房号": place.key if place.key != "公共" else place.display,
                "题名": title.strip(), "类别": (category or "").strip(), "责任者": author or "", "日期": date or "",
                "页数": "" if pages is None else str(pages), "备注": note or ""}
    return check(form, {k: v for k, v in labelled.items() if v}, estates)


def first_line(text: str) -> str:
    """A title read off a page: its first line with letters in it, cut to a sensible length."""
    for line in text.splitlines():
        line = line.strip()
        if sum(ch.isalnum() for ch in line) >= 2:
            return line[:TITLE_LENGTH]
    return ""


def scan_text(reading: Any) -> tuple[str, list[tuple[str, Path]], str]:
    """A scan or photo's OCR text, its searchable PDF (one document) and the raw OCR text kept beside it."""
    if reading is None:
        return "", [], ""
    docs = list(reading.documents)
    text = "\n".join(d.text for d in docs if d.text)
    raw = "\n".join(d.raw for d in docs if d.raw)
    extra: list[tuple[str, Path]] = []
    if len(docs) == 1 and docs[0].ocr_pdf is not None and Path(docs[0].ocr_pdf).is_file():
        extra.append(("ocr.pdf", Path(docs[0].ocr_pdf)))
    return text, extra, raw


def filing(form: FormDef, checked: Checked, *, text: str, provenance: dict[str, Any], original: Path,
           extra_files: list[tuple[str, Path]] | None = None, review: list[str] | None = None,
           warnings: list[dict[str, Any]] | None = None) -> Filing:
    assert checked.place is not None
    review = list(review or [])
    notes = list(warnings or [])
    notes += [{"field": name, "code": "review", "message": f"{REVIEW_TEXT}：“{name}”取自识别文字，请核对"}
              for name in review]
    return Filing(form_id=form.id, form_code=form.code, place=checked.place, values=checked.values,
                  raw=checked.raw, text=text, provenance=provenance, original=original,
                  form_date=checked.form_date, warnings=notes, review=review, extra_files=list(extra_files or []),
                  form_version=form.version)


def intake_filing(forms: FormRegistry, estates: Estates, item: Any) -> tuple[Filing, list[dict[str, Any]]]:
    """The filing of one intake item marked as a 文件 (its ``document``: household, 题名, 类别).

    Raises a quarantine `Rejection` naming the field when the description does not hold."""
    ext, wanted = item.extraction, item.document
    assert ext is not None and wanted is not None and item.snapshot is not None
    warnings: list[dict[str, Any]] = [{"field": p.field, "code": p.code, "message": mask_text(p.message)}
                                      for p in item.warnings]
    extra: list[tuple[str, Path]] = []
    review: list[str] = []
    if ext.kind == "scan":
        reading = ext.scan
        text, extra, raw = scan_text(reading)
        pages = reading.pages if reading is not None else None
        if reading is None or reading.ocr_error:
            warnings.append({"field": None, "code": "ocr_pending",
                             "message": f"未能进行文字识别（{(reading and reading.ocr_error) or '工具缺失'}），"
                                        "文件已归档，检索只能按题名等栏目"})
        if raw and extra:
            raw_file = Path(extra[0][1]).with_name("ocr-raw.txt")
            raw_file.write_text(raw, encoding="utf-8")
            extra.append(("ocr-raw.txt", raw_file))
    else:
        text, pages = ext.text or "", ext.pages if ext.detected_type == "pdf" else None
    title = (wanted.get("title") or "").strip()
    if not title:
        title = first_line(text)
        review = ["题名"] if title else []
    checked = describe(forms, estates, wanted["household"], title, category=wanted.get("category"),
                       author=wanted.get("author"), pages=pages)
    if not checked.ok or checked.place is None:
        raise Rejection("quarantined", checked.problems)
    prov = {**item.provenance(), "document": {"from": wanted.get("from", "command")}}
    return filing(form_of(forms), checked, text=text, provenance=prov, original=item.snapshot,
                  extra_files=extra, review=review, warnings=warnings), warnings


def needs_form(forms: FormRegistry, form_name: str | None, scan_form: str | None) -> bool:
    """`assign` without `--form` for a scan of no known form (or `--form 文件`) files it as a 文件."""
    if form_name:
        return forms.get(form_name) is not None and forms.get(form_name) == form_of(forms)
    return scan_form is None


def assign_scan(home: Any, archive: Any, forms: FormRegistry, scan_id: str, address: str) -> dict[str, Any]:
    """A waiting scan the archivist files as a 文件: 题名 from its first OCR line, marked 待核对."""
    from hudang.clock import stamp
    from hudang.errors import UsageError
    from hudang.pipeline.intake import backlog
    from hudang.pipeline.scans import queue

    data = queue.entry(home, scan_id)
    doc = queue.document_of(data)
    title = first_line(doc.text) or f"扫描件 {scan_id}"
    extra: list[tuple[str, Path]] = []
    if doc.ocr_pdf is not None and Path(doc.ocr_pdf).is_file():
        extra.append(("ocr.pdf", Path(doc.ocr_pdf)))
    with archive.writer():
        checked = describe(forms, archive.estates, address, title, pages=len(doc.pages) or None)
        if not checked.ok or checked.place is None:
            p = checked.problems[0]
            raise UsageError(f"“{p.field}”：{p.message}", code=p.code)
        prov = {**data["provenance"], "assigned": {"scan_id": scan_id, "at": stamp()}, "document": {"from": "assign"}}
        if data.get("document") and data["provenance"].get("sha256"):
            prov["batch"] = {"row": data["document"], "sha256": data["provenance"]["sha256"]}
        item = filing(form_of(forms), checked, text=doc.text, provenance=prov, original=Path(doc.pdf),
                      extra_files=extra, review=["题名"])
        [filed] = archive.file([item])
        queue.remove(home, scan_id)
    backlog.index_records(home, archive.conn, forms, [filed.record_id])
    return {"scan_id": scan_id, "record_id": filed.record_id or filed.duplicate_of, "archive_no": filed.archive_no,
            "household": checked.place.address, "form": FORM_ID, "review": item.review,
            "duplicate": bool(filed.duplicate_of)}
