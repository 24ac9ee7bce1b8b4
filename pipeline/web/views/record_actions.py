"""记录 page actions for 档案员 and 主管 ("correct"): move to another household (picker + reason), void (reason),
attach a file. Each is a POST from the record page; a refusal shows the record page's action form again with the
message. Both the record's estate and (for a move) the target household's are checked against the user's limits."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from hudang.archive.paths import safe_component
from hudang.errors import HudangError, NotFound
from hudang.pipeline.app import records
from hudang.pipeline.web.access import check_estate, open_session, principal, requires
from hudang.pipeline.web.forms import AttachForm, MoveForm, ReasonForm

TITLES = {"move": "移至其他住户", "void": "作废", "attach": "添加附件"}


def _checked(request: HttpRequest, session: Any, record_id: str) -> records.RecordView:
    view = records.record(session, record_id)
    check_estate(request, view.household.partition("/")[0])
    return view


def _again(request: HttpRequest, view: records.RecordView, kind: str, form: Any) -> HttpResponse:
    return render(request, "web/record_action.html", {"view": view, "kind": kind, "title": TITLES[kind],
                                                      "form": form}, status=400)


@require_POST
@requires("correct")
def move(request: HttpRequest, record_id: str) -> HttpResponse:
    who = principal(request)
    form = MoveForm(request.POST)
    with open_session(who.name) as session:
        view = _checked(request, session, record_id)
        if not form.is_valid():
            return _again(request, view, "move", form)
        try:
            place = session.archive.estates.household(form.cleaned_data["address"], strict=True)
            if not who.sees(place.estate):
                raise NotFound("该住户不在您负责的项目内")
            records.move(session, view.record_id, place.address, form.cleaned_data["reason"])
        except HudangError as exc:
            form.add_error("address", exc.message)
            return _again(request, view, "move", form)
    return redirect("record", record_id=view.record_id)


@require_POST
@requires("correct")
def void(request: HttpRequest, record_id: str) -> HttpResponse:
    form = ReasonForm(request.POST)
    with open_session(principal(request).name) as session:
        view = _checked(request, session, record_id)
        if not form.is_valid():
            return _again(request, view, "void", form)
        try:
            records.void(session, view.record_id, form.cleaned_data["reason"])
        except HudangError as exc:
            form.add_error("reason", exc.message)
            return _again(request, view, "void", form)
    return redirect("record", record_id=view.record_id)


@require_POST
@requires("correct")
def attach(request: HttpRequest, record_id: str) -> HttpResponse:
    form = AttachForm(request.POST, request.FILES)
    with open_session(principal(request).name) as session:
        view = _checked(request, session, record_id)
        if not form.is_valid():
            return _again(request, view, "attach", form)
        upload = form.cleaned_data["file"]
        tmp_root = session.home.run_dir / "uploads"
        tmp_root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="attach-", dir=tmp_root) as tmp:
            path = Path(tmp) / safe_component(Path(upload.name).name, fallback="附件")
            with path.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            try:
                records.attach(session, view.record_id, path, form.cleaned_data["note"] or "")
            except HudangError as exc:
                form.add_error("file", exc.message)
                return _again(request, view, "attach", form)
    return redirect("record", record_id=view.record_id)
