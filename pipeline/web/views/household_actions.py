"""户档 page buttons: 户档摘要 (DOCX/PDF download), a blank form with the household's QR code, 调档 export
(masked; full needs a reason; binder and bag downloaded by export ID, audited), 欠费证明, 迁出, 借阅 out/return.
Every one is a POST (CSRF) that first checks the household's estate against the user's limits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from hudang.clock import now
from hudang.errors import HudangError, NotFound, UsageError
from hudang.pipeline.app import catalogue, records, reports
from hudang.pipeline.app import export as exports
from hudang.pipeline.app import household as household_app
from hudang.pipeline.web.access import check_estate, open_session, principal, requires
from hudang.pipeline.web.forms import CertificateForm, ExportForm, LendForm, MoveoutForm
from hudang.pipeline.web.views.households import render_page

MEDIA = {".pdf": "application/pdf", ".zip": "application/zip",
         ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


def _download(path: Path, name: str | None = None) -> FileResponse:
    response = FileResponse(path.open("rb"), as_attachment=True, filename=name or path.name,
                            content_type=MEDIA.get(path.suffix.lower(), "application/octet-stream"))
    response["Cache-Control"] = "private, no-store"
    return response


def _address(request: HttpRequest, estate: str, key: str) -> str:
    check_estate(request, estate)
    return f"{estate}/{key}"


@require_POST
@requires("read")
def summary(request: HttpRequest, estate: str, key: str, fmt: str) -> HttpResponse:
    """户档摘要 as the CLI writes it (`hudang household summary`), masked."""
    address = _address(request, estate, key)
    if fmt not in ("docx", "pdf"):
        raise NotFound("没有这种格式")
    with open_session(principal(request).name) as session:
        made = reports.household_summary(session, address, now().date())
    path = made.files.pdf if fmt == "pdf" else made.files.docx
    if path is None:
        raise UsageError("未能生成 PDF（" + "；".join(made.files.warnings) + "），请下载 DOCX", code="no_pdf")
    return _download(path)


@require_POST
@requires("read")
def blank(request: HttpRequest, estate: str, key: str) -> HttpResponse:
    """A blank form whose QR code names the form and this household (scans of it file themselves)."""
    address = _address(request, estate, key)
    with open_session(principal(request).name) as session:
        made = catalogue.blank(session, request.POST.get("form", ""), address)
    return _download(Path(made.printed.pdf or made.printed.docx))


@require_POST
@requires("export")
def export(request: HttpRequest, estate: str, key: str) -> HttpResponse:
    """调档: the binder and the bag written (audited by the app); the page then lists it with its downloads."""
    address = _address(request, estate, key)
    form = ExportForm(request.POST)
    if not form.is_valid():
        return render_page(request, estate, key, forms={"export": form}, status=400)
    with open_session(principal(request).name) as session:
        try:
            exports.export(session, address, purpose=form.cleaned_data["purpose"], full=form.cleaned_data["full"],
                           reason=form.cleaned_data["reason"] or None)
        except UsageError as exc:
            form.add_error(None, exc.message)
            return render_page(request, estate, key, forms={"export": form}, status=400)
    return redirect(f"/households/{estate}/{key}/#exports")


@requires("export")
def export_file(request: HttpRequest, estate: str, key: str, export_id: str, part: str) -> HttpResponse:
    address = _address(request, estate, key)
    with open_session(principal(request).name) as session:
        found = exports.export_file(session, address, export_id, part)
    return _download(found.path)


@require_POST
@requires("fees")
def certificate(request: HttpRequest, estate: str, key: str) -> HttpResponse:
    """欠费证明 / 无欠费证明, numbered and filed in the household (app writes the audit entry); downloaded."""
    address = _address(request, estate, key)
    form = CertificateForm(request.POST)
    if not form.is_valid():
        return render_page(request, estate, key, forms={"certificate": form}, status=400)
    with open_session(principal(request).name) as session:
        try:
            made = household_app.certificate(session, address, form.cleaned_data["as_of"])
        except UsageError as exc:
            form.add_error("as_of", exc.message)
            return render_page(request, estate, key, forms={"certificate": form}, status=400)
    data: dict[str, Any] = made.data
    return _download(Path(data["pdf"] or data["docx"]))


@require_POST
@requires("moveout")
def moveout(request: HttpRequest, estate: str, key: str) -> HttpResponse:
    address = _address(request, estate, key)
    form = MoveoutForm(request.POST)
    if form.is_valid():
        with open_session(principal(request).name) as session:
            try:
                household_app.moveout(session, address, form.cleaned_data["person"], form.cleaned_data["date"])
            except HudangError as exc:
                form.add_error("person", exc.message)
    if form.errors:
        return render_page(request, estate, key, forms={"moveout": form}, status=400)
    return redirect("household", estate=estate, key=key)


@require_POST
@requires("lend")
def lend(request: HttpRequest, estate: str, key: str) -> HttpResponse:
    address = _address(request, estate, key)
    form = LendForm(request.POST)
    if form.is_valid():
        with open_session(principal(request).name) as session:
            try:
                household_app.lend_out(session, address, form.cleaned_data["to"], form.cleaned_data["purpose"],
                                       form.cleaned_data["due"])
            except HudangError as exc:
                form.add_error(None, exc.message)
    if form.errors:
        return render_page(request, estate, key, forms={"lend": form}, status=400)
    return redirect("household", estate=estate, key=key)


@require_POST
@requires("lend")
def lend_return(request: HttpRequest, estate: str, key: str, loan_id: str) -> HttpResponse:
    """A loan of this household (a loan ID of another household is not found here)."""
    address = _address(request, estate, key)
    with open_session(principal(request).name) as session:
        view = records.household(session, address)
        if loan_id not in {loan["loan_id"] for loan in view.loans}:
            raise NotFound(f"{view.household} 没有未归还的借阅 {loan_id}", code="no_loan")
        household_app.lend_return(session, loan_id)
    return redirect("household", estate=estate, key=key)
