"""记录: one record — fields (masked), 档号, versions and what changed, provenance, history, attachments, the
text read from it, and its original in the page (档案员 and 主管 only, audited). Routes take record IDs."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from hudang.errors import UsageError
from hudang.pipeline.app import catalogue, records
from hudang.pipeline.app.session import Session
from hudang.pipeline.web.access import check_estate, open_session, principal, requires
from hudang.pipeline.web.files import send_file
from hudang.pipeline.web.forms import AttachForm, MoveForm, ReasonForm, RevealForm

EVENTS = {"move": "移户", "void": "作废", "attach": "附件", "edit": "修改", "letter": "函件", "reveal": "查看完整信息"}


def _record(request: HttpRequest, session: Session, record_id: str, *,
            reason: str | None = None) -> records.RecordView:
    """The record, once its estate is known to be within the user's limits; with a reason it is revealed (the
    app writes the audit entry: who, which record, when, why)."""
    masked = records.record(session, record_id)
    check_estate(request, masked.household.partition("/")[0])
    return records.record(session, record_id, reveal=True, reason=reason) if reason else masked


def _steps(session: Session, form_id: str) -> list[dict[str, Any]]:
    """The short steps (结案, 回访 …) of a form entered on the web; none for generated forms (letters)."""
    try:
        return catalogue.form_fields(session, form_id).actions
    except UsageError:
        return []


def _page(request: HttpRequest, record_id: str, *, reason: str | None = None,
          form: RevealForm | None = None, status: int = 200) -> HttpResponse:
    who = principal(request)
    reveal = bool(reason)
    with open_session(who.name) as session:
        view = _record(request, session, record_id, reason=reason)
        details = [records.version_detail(session, view.record_id, v["version"], reveal=reveal)
                   for v in view.versions]
        steps = _steps(session, view.form) if who.can("enter") and not view.voided else []
    current = details[-1] if details else None
    # the original shown: the newest version that has one (a 更正 or 结案 version has none of its own)
    source = next((d for d in reversed(details) if d.original or d.batch_row), current)
    estate, _, key = view.household.partition("/")
    context: dict[str, Any] = {
        "view": view, "details": list(zip(view.versions, details, strict=True))[::-1], "current": current,
        "events": [{**e, "kind_text": EVENTS.get(str(e.get("kind")), e.get("kind"))} for e in view.events],
        "may_view_original": who.can("view_original"), "may_reveal": who.can("reveal"),
        "reveal_form": form or RevealForm(), "household_url": reverse("household", args=[estate, key]),
        "source": source,
        "is_image": bool(source and source.original in (".png", ".jpg", ".jpeg", ".gif", ".webp")),
        # actions by role (webrecords): 结案/回访 … not yet taken, and 更正/移户/作废/附件
        "actions": [a for a in steps if not (a["done_when"] and view.fields.get(a["done_when"]))
                    and all(view.fields.get(n) for n in a["needs"])],
        "may_correct": who.can("correct"), "move_form": MoveForm(), "void_form": ReasonForm(),
        "attach_form": AttachForm(), "entered": request.GET.get("entered") == "1",
    }
    return render(request, "web/record.html", context, status=status)


@requires("read")
def show(request: HttpRequest, record_id: str) -> HttpResponse:
    return _page(request, record_id)


@require_POST
@requires("reveal")
def reveal(request: HttpRequest, record_id: str) -> HttpResponse:
    """显示完整信息: a reason is required; the reveal is audited (records.record writes the entry)."""
    form = RevealForm(request.POST)
    if not form.is_valid():
        return _page(request, record_id, form=form, status=400)
    return _page(request, record_id, reason=form.cleaned_data["reason"])


def _send(request: HttpRequest, record_id: str, fetch: Any, *, inline: bool) -> FileResponse:
    with open_session(principal(request).name) as session:
        _record(request, session, record_id)
        found = fetch(session)
    return send_file(found.path, name=found.name, media=found.media_type, inline=inline)


@xframe_options_sameorigin
@requires("view_original")
def original(request: HttpRequest, record_id: str, version: int) -> FileResponse:
    """``?view=1`` shows it in the page (DOCX/XLSX as a cached PDF); without, it is downloaded as received."""
    viewing = request.GET.get("view") == "1"
    return _send(request, record_id,
                 lambda s: records.original(s, record_id, version, for_viewing=viewing), inline=viewing)


@requires("view_original")
def original_preview(request: HttpRequest, record_id: str, version: int) -> FileResponse:
    """The first page as a PNG: what a browser without a PDF viewer shows in the <object>'s place."""
    return _send(request, record_id, lambda s: records.original_preview(s, record_id, version), inline=True)


@requires("view_original")
def attachment(request: HttpRequest, record_id: str, n: int) -> FileResponse:
    return _send(request, record_id, lambda s: records.attachment_file(s, record_id, n), inline=False)
