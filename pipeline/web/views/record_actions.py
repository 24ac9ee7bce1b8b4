"""记录 page actions for 档案员 and 主管 ("correct"): move to another household (picker + reason), void (reason),
attach a file. Each is a POST from the record page; a refusal shows the record page's action form again with the
message. Both the record's estate and (for a move) the target household's are checked against the user's limits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from hudang.errors import HudangError
from hudang.pipeline.app import records
from hudang.pipeline.app.roles import household_for
from hudang.pipeline.app.session import Session
from hudang.pipeline.web.access import check_estate, open_session, principal, requires
from hudang.pipeline.web.files import saved_upload
from hudang.pipeline.web.forms import AttachForm, MoveForm, ReasonForm

TITLES = {"move": "移至其他住户", "void": "作废", "attach": "添加附件"}


def _checked(request: HttpRequest, session: Any, record_id: str) -> records.RecordView:
    view = records.record(session, record_id)
    check_estate(request, view.household.partition("/")[0])
    return view


def _again(request: HttpRequest, view: records.RecordView, kind: str, form: Any) -> HttpResponse:
    return render(request, "web/record_action.html", {"view": view, "kind": kind, "title": TITLES[kind],
                                                      "form": form}, status=400)


def _act(request: HttpRequest, record_id: str, kind: str, form: Any, field: str,
         call: Callable[[Session, records.RecordView, dict[str, Any]], object]) -> HttpResponse:
    """The action on the record (its estate checked) with the form's cleaned data; an invalid form, or the app's
    refusal shown on ``field``, gives the action's form again (400); done, the record page."""
    with open_session(principal(request).name) as session:
        view = _checked(request, session, record_id)
        if form.is_valid():
            try:
                call(session, view, form.cleaned_data)
            except HudangError as exc:
                form.add_error(field, exc.message)
        if form.errors:
            return _again(request, view, kind, form)
    return redirect("record", record_id=view.record_id)


@require_POST
@requires("correct")
def move(request: HttpRequest, record_id: str) -> HttpResponse:
    def call(session: Session, view: records.RecordView, d: dict[str, Any]) -> None:
        place = household_for(session, principal(request), d["address"], strict=True)
        records.move(session, view.record_id, place.address, d["reason"])
    return _act(request, record_id, "move", MoveForm(request.POST), "address", call)


@require_POST
@requires("correct")
def void(request: HttpRequest, record_id: str) -> HttpResponse:
    return _act(request, record_id, "void", ReasonForm(request.POST), "reason",
                lambda s, view, d: records.void(s, view.record_id, d["reason"]))


@require_POST
@requires("correct")
def attach(request: HttpRequest, record_id: str) -> HttpResponse:
    def call(session: Session, view: records.RecordView, d: dict[str, Any]) -> None:
        with saved_upload(session, d["file"], prefix="attach-", fallback="附件") as path:
            records.attach(session, view.record_id, path, d["note"] or "")
    return _act(request, record_id, "attach", AttachForm(request.POST, request.FILES), "file", call)
