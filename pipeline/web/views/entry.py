"""新建 / 更正 / 结案 / 回访: every form definition as a web form (catalogue.form_fields), checked by the intake's
own rules (records.enter / edit / act raise FormInvalid with each field's Chinese message, shown beside it).

Who may: a new record of a form numbered on entry (complaints, repairs) and the short steps on it (结案, 回访)
are "enter" (客服); any other form, and 更正 of any record, are "correct" (档案员); 主管 has both
(roles.entry_capability). The household's estate is checked before anything is shown or filed.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from hudang.errors import FormInvalid, UsageError
from hudang.pipeline.app import catalogue, records
from hudang.pipeline.app.roles import entry_capability
from hudang.pipeline.web.access import check_estate, open_session, principal, requires
from hudang.pipeline.web.forms import EntryForm, form_value


def _refused(form: EntryForm, exc: FormInvalid) -> None:
    form.show_errors(exc.fields)
    for line in exc.general:
        form.add_error(None, line)


def _may_enter(request: HttpRequest, numbered: bool) -> None:
    if not principal(request).can(entry_capability(numbered)):
        raise PermissionDenied("您的角色不能录入这种表单")


def _fields_or_none(session: Any, form_id: str) -> catalogue.FormFields | None:
    """The web form of a form that can be entered (letters and other generated forms cannot)."""
    try:
        return catalogue.form_fields(session, form_id)
    except UsageError:
        return None


@requires("read")
def choose(request: HttpRequest, estate: str, key: str) -> HttpResponse:
    """新建: the forms this person may enter for the household (a form added as TOML is listed too)."""
    check_estate(request, estate)
    who = principal(request)
    with open_session(who.name) as session:
        view = records.household(session, f"{estate}/{key}")
        specs = [_fields_or_none(session, f.id) for f in catalogue.forms(session).forms]
    allowed = [s for s in specs if s is not None and who.can(entry_capability(s.numbered))]
    if not allowed:
        raise PermissionDenied("您的角色不能新建记录")
    return render(request, "web/entry_choose.html", {"view": view, "forms": allowed})


@requires("read")
def new(request: HttpRequest, estate: str, key: str, form_id: str) -> HttpResponse:
    """One form for one household; on success the new record's page."""
    check_estate(request, estate)
    who = principal(request)
    with open_session(who.name) as session:
        spec = catalogue.form_fields(session, form_id)
        _may_enter(request, spec.numbered)
        view = records.household(session, f"{estate}/{key}")
        asked = [f for f in spec.fields if not f.system and not f.from_household]
        form = EntryForm(asked, request.POST if request.method == "POST" else None,
                         initial={f.name: f.default for f in asked if f.default})
        status = 200
        if request.method == "POST":
            try:
                entered = records.enter(session, spec.form, view.household, form.values())
            except FormInvalid as exc:
                _refused(form, exc)
                status = 400
            else:
                return redirect(reverse("record", args=[entered.record_id]) + "?entered=1")
    context: dict[str, Any] = {
        "spec": spec, "form": form, "view": view, "title": f"新建{spec.name}",
        "fixed": [(f.label, "由系统编号" if f.system else view.estate if f.type == "estate" else view.display)
                  for f in spec.fields if f.system or f.from_household],
        "cancel": reverse("household", args=[estate, key]),
    }
    return render(request, "web/entry.html", context, status=status)


def _record(request: HttpRequest, session: Any, record_id: str) -> records.RecordView:
    view = records.record(session, record_id)
    check_estate(request, view.household.partition("/")[0])
    return view


@requires("correct")
def edit(request: HttpRequest, record_id: str) -> HttpResponse:
    """更正: the record's fields as a form; what was changed becomes a new version (records.edit)."""
    with open_session(principal(request).name) as session:
        view = _record(request, session, record_id)
        spec = catalogue.form_fields(session, view.form)
        asked = [f for f in spec.fields if not f.system and not f.from_household]
        initial = {f.name: form_value(f.type, view.fields.get(f.name) or "") for f in asked}
        form = EntryForm(asked, request.POST if request.method == "POST" else None, initial=initial, clearable=True)
        status = 200
        if request.method == "POST":
            changes = form.edits({f.name: (view.fields.get(f.name) or "") for f in asked})
            if not changes:
                form.add_error(None, "没有改动任何栏目")
                status = 400
            else:
                try:
                    records.edit(session, view.record_id, changes)
                except FormInvalid as exc:
                    _refused(form, exc)
                    status = 400
                else:
                    return redirect("record", record_id=view.record_id)
    context = {"spec": spec, "form": form, "view": view, "title": f"更正 {view.form_name} {view.archive_no}",
               "fixed": [], "cancel": reverse("record", args=[view.record_id]), "editing": True}
    return render(request, "web/entry.html", context, status=status)


@requires("enter")
def act(request: HttpRequest, record_id: str, action_id: str) -> HttpResponse:
    """结案, 回访 (any ``[[actions]]`` of the record's form): one short form; the new version holds every field."""
    with open_session(principal(request).name) as session:
        view = _record(request, session, record_id)
        spec = catalogue.form_fields(session, view.form)
        action = next((a for a in spec.actions if a["id"] == action_id), None)
        if action is None:
            raise UsageError(f"“{spec.name}”没有“{action_id}”这一步", code="unknown_action")
        by_name = {f.name: f for f in spec.fields}
        asked = [by_name[n] for n in action["fields"] if n in by_name]
        form = EntryForm(asked, request.POST if request.method == "POST" else None)
        for f in asked:
            f_field = form.fields[f.name]
            f_field.mark_required = f.name in action["required"]  # type: ignore[attr-defined]
        status = 200
        if request.method == "POST":
            try:
                records.act(session, view.record_id, action_id, form.values())
            except FormInvalid as exc:
                _refused(form, exc)
                status = 400
            except UsageError as exc:      # taken already, not ready yet, voided
                form.add_error(None, exc.message)
                status = 400
            else:
                return redirect("record", record_id=view.record_id)
    context = {"spec": spec, "form": form, "view": view, "title": f"{action['name']} {view.number or view.archive_no}",
               "fixed": [], "cancel": reverse("record", args=[view.record_id]), "action": action}
    return render(request, "web/entry.html", context, status=status)
