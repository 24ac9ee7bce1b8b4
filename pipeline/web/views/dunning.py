"""催缴 (收费员, 主管): arrears by estate, the dry-run lists with each household's reason, generating letters
(with a confirmation), a run's print PDF and 特快专递 list (audited), reminders, and letters' post.

Every figure is the CLI's: `fees arrears`, `letters dunning --dry-run`, `letters dunning`, `reminders add`,
`letters sent|delivered|returned` call the same app functions.
"""

from __future__ import annotations

import datetime as dt
from contextlib import ExitStack
from typing import Any

from django import forms
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from hudang.clock import now
from hudang.errors import HudangError
from hudang.pipeline.app import fees, letters
from hudang.pipeline.app.roles import Principal, estates_seen, household_for
from hudang.pipeline.web.access import check_estate, open_session, principal, requires
from hudang.pipeline.web.files import saved_upload, send_file
from hudang.pipeline.web.forms import DateInput, household_field

STATES = {"sent": "已寄出", "delivered": "已送达", "returned": "被退回"}


def _estate_choices(who: Principal, estates: list[str]) -> list[tuple[str, str]]:
    """A user limited to estates picks one of theirs; the others may also take every estate at once."""
    mine = [(e, e) for e in estates if who.sees(e)]
    return mine if who.estates else [("", "全部项目"), *mine]


class ListForm(forms.Form):
    as_of = forms.DateField(label="计算日期", widget=DateInput)
    estate = forms.ChoiceField(label="项目", required=False)

    def __init__(self, *args: Any, estates: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["estate"].choices = estates  # type: ignore[attr-defined]
        # a user limited to estates always names one of theirs (no "every estate" for them)
        self.fields["estate"].required = bool(estates) and estates[0][0] != ""


class GenerateForm(ListForm):
    confirm = forms.BooleanField(label="我已核对试算名单，确认生成催缴函（将占用函号并归入各户档案）",
                                 error_messages={"required": "请勾选确认后再生成"})


class ReminderForm(forms.Form):
    address = household_field()
    method = forms.ChoiceField(label="催缴方式", choices=[(m, m) for m in fees.REMINDER_METHODS])
    date = forms.DateField(label="催缴日期", widget=DateInput)
    note = forms.CharField(label="备注", required=False, max_length=200)


class TrackForm(forms.Form):
    number = forms.CharField(label="函号", max_length=40,
                             widget=forms.TextInput(attrs={"placeholder": "如：〔2026〕催字第015号 或 2026-015"}))
    state = forms.ChoiceField(label="登记为", choices=list(STATES.items()), widget=forms.RadioSelect)
    estate = forms.ChoiceField(label="项目", required=False)
    date = forms.DateField(label="日期", widget=DateInput)
    tracking = forms.CharField(label="特快专递邮件号", required=False, max_length=40)
    receipt = forms.FileField(label="送达回执扫描件（已送达时）", required=False)
    note = forms.CharField(label="备注", required=False, max_length=200)

    def __init__(self, *args: Any, estates: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["estate"].choices = estates  # type: ignore[attr-defined]
        # a user limited to estates always names one of theirs (no "every estate" for them)
        self.fields["estate"].required = bool(estates) and estates[0][0] != ""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("receipt") and data.get("state") != "delivered":
            self.add_error("receipt", "只有登记“已送达”时才上传送达回执")
        return data


def _estates(request: HttpRequest) -> list[tuple[str, str]]:
    who = principal(request)
    with open_session(who.name) as session:
        return _estate_choices(who, estates_seen(session, who))


def _page(request: HttpRequest, *, list_form: ListForm | None = None, generate: GenerateForm | None = None,
          reminder: ReminderForm | None = None, track: TrackForm | None = None,
          result: letters.DunningResult | None = None, done: str = "", status: int = 200) -> HttpResponse:
    who = principal(request)
    choices = _estates(request)
    today = now().date()
    initial = {"as_of": today, "estate": choices[0][0] if choices else ""}
    if list_form is None:
        list_form = ListForm(request.GET or None, estates=choices, initial=initial)
    context: dict[str, Any] = {"list_form": list_form, "result": result, "done": done}
    as_of: dt.date | None = today
    estate = str(initial["estate"])
    if list_form.is_bound and list_form.is_valid():
        as_of, estate = list_form.cleaned_data["as_of"], list_form.cleaned_data["estate"] or ""
    elif list_form.is_bound:
        as_of = None   # the errors are shown beside the fields; no lists for a bad date
    if as_of is not None:
        with open_session(who.name) as session:
            try:
                context["arrears"] = fees.arrears(session, as_of, estate or None)
                context["dry"] = letters.dunning(session, as_of, estate=estate or None, dry_run=True)
            except HudangError as exc:
                list_form.add_error(None, exc.message)
    with open_session(who.name) as session:
        context["runs"] = [r for r in letters.runs(session) if who.sees(r.estate)][:10]
    context.update(
        as_of=as_of, estate=estate, may_run=who.can("dunning"),
        generate=generate or GenerateForm(estates=choices, initial={"as_of": as_of or today, "estate": estate}),
        reminder=reminder or ReminderForm(initial={"date": today}),
        track=track or TrackForm(estates=choices, initial={"date": today, "estate": initial["estate"]}))
    return render(request, "web/dunning.html", context, status=status)


@requires("fees")
def page(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@requires("dunning")
def generate(request: HttpRequest) -> HttpResponse:
    """Generate the letters (`letters dunning`): only with the box ticked; the run's result is the answer."""
    form = GenerateForm(request.POST, estates=_estates(request))
    if not form.is_valid():
        return _page(request, generate=form, status=400)
    d = form.cleaned_data
    with open_session(principal(request).name) as session:
        try:
            result = letters.dunning(session, d["as_of"], estate=d["estate"] or None)
        except HudangError as exc:
            form.add_error(None, exc.message)
            return _page(request, generate=form, status=400)
    listing = ListForm({"as_of": d["as_of"].isoformat(), "estate": d["estate"]}, estates=_estates(request))
    return _page(request, list_form=listing, result=result)


@requires("dunning")
def run_file(request: HttpRequest, run_id: str, kind: str) -> FileResponse:
    """A run's 合并打印 PDF or 特快专递 list: full names and addresses, so the download is audited."""
    who = principal(request)
    with open_session(who.name) as session:
        check_estate(request, letters.run(session, run_id).estate)
        found = letters.run_file(session, run_id, kind)
    return send_file(found.path, name=found.name, media=found.media_type)


@require_POST
@requires("fees")
def add_reminder(request: HttpRequest) -> HttpResponse:
    form = ReminderForm(request.POST)
    if not form.is_valid():
        return _page(request, reminder=form, status=400)
    d, who = form.cleaned_data, principal(request)
    with open_session(who.name) as session:
        try:
            place = household_for(session, who, d["address"], strict=True)
            added = fees.add_reminder(session, place.address, d["method"], d["date"], d["note"] or None)
        except HudangError as exc:
            form.add_error("address", exc.message)
            return _page(request, reminder=form, status=400)
    return _page(request, done=f"已登记催缴：{added.household} {added.date} {added.method}（{added.import_id}）")


@require_POST
@requires("dunning")
def track(request: HttpRequest) -> HttpResponse:
    """A letter sent, delivered (with its signed 送达回执) or returned. A user limited to estates names one of
    theirs, and the letter is looked up there only."""
    who = principal(request)
    form = TrackForm(request.POST, request.FILES, estates=_estates(request))
    if not form.is_valid():
        return _page(request, track=form, status=400)
    d = form.cleaned_data
    with open_session(who.name) as session, ExitStack() as stack:
        receipt = None
        if d["receipt"]:
            receipt = stack.enter_context(saved_upload(session, d["receipt"], prefix="receipt-", fallback="送达回执"))
        try:
            done = letters.track(session, d["number"], d["state"], estate=d["estate"] or None, day=d["date"],
                                 tracking=d["tracking"] or None, receipt=receipt, note=d["note"] or None)
        except HudangError as exc:
            form.add_error("number", exc.message)
            return _page(request, track=form, status=400)
    return _page(request, done=f"催缴函 {done.number}（{done.household}）：{done.state.state_text or STATES[d['state']]}"
                 + ("，送达回执已归档" if done.state.delivery_proven else ""))


