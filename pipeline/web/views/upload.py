"""上传: many files or a whole folder, each file's outcome as `hudang ingest` reports it, linked; a 文件 upload
for one household. Files go through `app.ingest.upload` (the writer lock `hudang ingest` takes, one intake run a
request). With the page's script files are sent in batches (`ingest.BATCH_FILES` files, `BATCH_BYTES` bytes a
request) with a progress bar per file and a folder's files with their paths in it, each batch answered with its
outcome rows, every batch but the last marked ``more=1`` (the last makes the index commit for them all); without it the form posts every file at once (a folder's files as loose files) and the whole page
answers."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from hudang.errors import HudangError, UsageError
from hudang.pipeline.app import catalogue
from hudang.pipeline.app import ingest as ingest_app
from hudang.pipeline.app import scans as scans_app
from hudang.pipeline.intake.outcomes import STATUS_TEXT
from hudang.pipeline.web.access import home, open_session, principal, requires
from hudang.pipeline.web.forms import DocumentUploadForm
from hudang.settings import MB


def _row(out: dict[str, Any]) -> dict[str, Any]:
    """One outcome as the CLI prints it, with the link to where the file went (or what to do next)."""
    status = out["status"]
    link = text = None
    same = str(out.get("duplicate_of") or "").partition("/")[0]   # "R0000027/v1": the record already filed
    if out.get("record_id") and status in ("filed", "duplicate", "partial"):
        link, text = reverse("record", args=[out["record_id"]]), out.get("archive_no") or out["record_id"]
    elif status == "duplicate" and same.startswith("R"):
        link, text = reverse("record", args=[same]), f"已有记录 {same}"
    elif out.get("quarantine_id"):
        link, text = f"{reverse('pending')}#{out['quarantine_id']}", f"隔离编号 {out['quarantine_id']}"
    elif status == "unsorted":
        scan = out.get("scan_id")
        link, text = f"{reverse('pending')}#{scan or 'unsorted'}", "去分拣"
    queued = status == "unsorted" and out.get("state") == scans_app.OCR_PENDING and out.get("scan_id")
    if queued:
        text = "排队识别中…"
    return {"out": out, "status_text": scans_app.QUEUED if queued else STATUS_TEXT.get(status, status), "link": link,
            "link_text": text, "bad": status in ("quarantined", "ignored"), "moved_from": out.get("moved_from"),
            "scan": out.get("scan_id") if queued else None}


def _read_rows(request: HttpRequest, found: dict[str, Any]) -> list[dict[str, Any]]:
    """A queued scan's rows once it has been read: each document filed (linked to its record) or waiting in
    待分拣 for a household."""
    who, scan_id = principal(request), found["scan_id"]
    rows = []
    for doc in found.get("documents") or [{"status": "unsorted", "now": scan_id}]:
        estate = (doc.get("household") or "").partition("/")[0] or None
        if doc.get("status") == "quarantined":
            out = {"status": "quarantined", "quarantine_id": doc["quarantine_id"], "source": found.get("source")
                   or scan_id, "errors": [{"field": None, "message": doc.get("message") or ""}]}
        elif doc.get("status") == "filed" and who.sees(estate):
            out = {"status": "filed", "record_id": doc["record_id"], "household": doc["household"],
                   "source": found.get("source") or scan_id,
                   "warnings": [{"field": None, "message": "待核对：" + "、".join(doc["review"])}]
                   if doc.get("review") else []}
        else:
            out = {"status": "unsorted", "scan_id": doc.get("now") or scan_id, "source": found.get("source") or scan_id}
        rows.append(_row(out) | {"was": scan_id})
    return rows


@requires("upload")
def scan_outcomes(request: HttpRequest) -> HttpResponse:
    """The 上传 page's script asks what became of its queued scans (``?scan=ID`` …): the rows of those that
    have been read (or are no longer queued); the ones still waiting are left out."""
    where = home()
    rows = []
    for scan_id in request.GET.getlist("scan")[:200]:
        found = scans_app.scan_outcome(where, scan_id)
        if found["state"] == "queued":
            continue
        if found["state"] == "read":
            rows += _read_rows(request, found)
        else:   # waiting in 待分拣, or read elsewhere (the intake service): 待处理 shows where it is
            out = {"status": "unsorted", "scan_id": scan_id, "source": found.get("source") or scan_id}
            rows.append(_row(out) | {"was": scan_id})
    return render(request, "web/_upload_rows.html", {"rows": rows})


def files_of(request: HttpRequest) -> list[ingest_app.Upload]:
    """The files sent, each with its path inside a chosen folder when the page's script gave one: a ``paths``
    field per file, in the same order (empty for a loose file; the browser's multipart file name keeps no
    folders)."""
    sent = request.FILES.getlist("files")
    paths = request.POST.getlist("paths")
    if paths and len(paths) != len(sent):
        raise UsageError(f"上传请求有误：{len(sent)} 个文件却有 {len(paths)} 个路径（paths），请刷新页面后重新上传",
                         code="paths_mismatch")
    return [ingest_app.Upload(f.name or "file", f.read(), (paths[n] if paths else "") or None)
            for n, f in enumerate(sent)]


def more_follow(request: HttpRequest) -> bool:
    """The sender says more requests of this upload follow (``more=1``): the index commit waits for the last."""
    return request.POST.get("more") == "1"


def _document_form(request: HttpRequest, data: Any = None) -> DocumentUploadForm:
    with open_session(principal(request).name) as session:
        choices = catalogue.document_categories(session)
    return DocumentUploadForm(data, categories=list(choices))


@requires("upload")
def upload(request: HttpRequest) -> HttpResponse:
    rows: list[dict[str, Any]] = []
    error = None
    doc_form = _document_form(request, request.POST if request.POST.get("kind") == "document" else None)
    if request.method == "POST":
        document = None
        if request.POST.get("kind") == "document":
            if not doc_form.is_valid():
                return _page(request, doc_form, [], None, status=400)
            d = doc_form.cleaned_data
            document = ingest_app.DocumentRequest(d["household"], d["title"], d["category"] or None,
                                                  d["author"].strip() or None)
        try:
            files = files_of(request)
            if not files:
                raise UsageError("没有选择任何文件", code="no_files")
            with open_session(principal(request).name) as session:
                result = ingest_app.upload(session, files, document=document,
                                           tables=principal(request).can("estates"), more=more_follow(request))
        except HudangError as exc:
            error = exc.message
            if request.POST.get("js") == "1":
                return render(request, "web/_upload_rows.html", {"error": error}, status=400)
            return _page(request, doc_form, [], error, status=400)
        rows = [_row(o.as_json()) for o in result.outcomes]
        if request.POST.get("js") == "1":   # the script's request (a batch of files): just their rows
            return render(request, "web/_upload_rows.html", {"rows": rows})
    return _page(request, doc_form, rows, error)


def _page(request: HttpRequest, doc_form: DocumentUploadForm, rows: list[dict[str, Any]], error: str | None,
          status: int = 200) -> HttpResponse:
    limit = settings.HUDANG_UPLOAD_MAX_BYTES
    return render(request, "web/upload.html", {"doc_form": doc_form, "rows": rows, "error": error,
                                               "limit_mb": limit // MB, "limit_bytes": limit,
                                               "batch_files": ingest_app.BATCH_FILES,
                                               "batch_bytes": min(limit // 2, ingest_app.BATCH_BYTES)}, status=status)
