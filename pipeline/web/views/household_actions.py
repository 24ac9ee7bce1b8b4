"""户档 page buttons: 户档摘要 (DOCX/PDF download), a blank form with the household's QR code, 调档 export
(masked; full needs a reason; binder and bag downloaded by export ID, audited), 欠费证明, 迁出, 借阅 out/return.
Every one is a POST (CSRF) that first checks the household's estate against the user's limits."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from django import forms
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from hudang.clock import now
from hudang.errors import HudangError, NotFound, UsageError
from hudang.pipeline.app import catalogue, records, reports
from hudang.pipeline.app import export as exports
from hudang.pipeline.app import household as household_app
from hudang.pipeline.app.session import Session
from hudang.pipeline.web.access import check_estate, open_session, principal, requires
from hudang.pipeline.web.files import send_file
from hudang.pipeline.web.forms import CertificateForm, ExportForm, LendForm, LendReturnForm, MoveoutForm
from hudang.pipeline.web.views.households import render_page

T = TypeVar("T")

MEDIA = {".pdf": "application/pdf", ".zip": "application/zip",
         ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


def _download(path: Path) -> FileResponse:
    return send_file(path, name=path.name, media=MEDIA.get(path.suffix.lower(), "application/octet-stream"))


def _address(request: HttpRequest, estate: str, key: str) -> str:
    check_estate(request, estate)
    return f"{estate}/{key}"


def _submit(request: HttpRequest, estate: str, key: str, name: str, form: forms.Form, call: Callable[[Session, Any], T],
            *, field: str | None = None, refused: type[HudangError] = HudangError) -> T | HttpResponse:
    """The app's ``call`` with the form's cleaned data; an invalid form, or the app's refusal shown on ``field``,
    gives the 户档 page again with the form open (400)."""
    if form.is_valid():
        with open_session(principal(request).name) as session:
            try:
                return call(session, form.cleaned_data)
            except refused as exc:
                form.add_error(field, exc.message)
    return render_page(request, estate, key, forms={name: form}, status=400)


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
    done = _submit(request, estate, key, "export", ExportForm(request.POST), lambda s, d: exports.export(
        s, address, purpose=d["purpose"], full=d["full"], reason=d["reason"] or None, start=d["date_from"],
        end=d["date_to"]), refused=UsageError)
    return done if isinstance(done, HttpResponse) else redirect(f"/households/{estate}/{key}/#exports")


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
    made = _submit(request, estate, key, "certificate", CertificateForm(request.POST),
                   lambda s, d: household_app.certificate(s, address, d["as_of"]), field="as_of", refused=UsageError)
    if isinstance(made, HttpResponse):
        return made
    data: dict[str, Any] = made.data
    return _download(Path(data["pdf"] or data["docx"]))


@require_POST
@requires("moveout")
def moveout(request: HttpRequest, estate: str, key: str) -> HttpResponse:
    address = _address(request, estate, key)
    done = _submit(request, estate, key, "moveout", MoveoutForm(request.POST),
                   lambda s, d: household_app.moveout(s, address, d["person"], d["date"]), field="person")
    return done if isinstance(done, HttpResponse) else redirect("household", estate=estate, key=key)


@require_POST
@requires("lend")
def lend(request: HttpRequest, estate: str, key: str) -> HttpResponse:
    address = _address(request, estate, key)
    done = _submit(request, estate, key, "lend", LendForm(request.POST),
                   lambda s, d: household_app.lend_out(s, address, d["to"], d["purpose"], d["due"]))
    return done if isinstance(done, HttpResponse) else redirect("household", estate=estate, key=key)


@require_POST
@requires("lend")
def lend_return(request: HttpRequest, estate: str, key: str, loan_id: str) -> HttpResponse:
    """A loan of this household (a loan ID of another household is not found here), returned on the day given
    (today when none is)."""
    address = _address(request, estate, key)
    with open_session(principal(request).name) as session:
        view = records.household(session, address)
        if loan_id not in {loan["loan_id"] for loan in view.loans}:
            raise NotFound(f"{view.household} 没有未归还的借阅 {loan_id}", code="no_loan")
    done = _submit(request, estate, key, "lend_return", LendReturnForm(request.POST),
                   lambda s, d: household_app.lend_return(s, loan_id, d["date"]), field="date",
                   refused=UsageError)
    return done if isinstance(done, HttpResponse) else redirect("household", estate=estate, key=key)
