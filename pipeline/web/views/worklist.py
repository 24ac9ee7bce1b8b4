"""待处理: the quarantine (reasons, download — audited, retry with a corrected file, 搁置 with a reason listed
apart, restore), unsorted scans (thumbnail, OCR lines, assign to a household with a form or as 文件) and
records 待核对 (the page beside the fields to fill in). Items name an estate or none (app/pending.py): a user
limited to estates sees only the items naming one of theirs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms as djforms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from hudang.errors import HudangError
from hudang.pipeline.app import catalogue, quarantine, records, scans
from hudang.pipeline.app import pending as pending_app
from hudang.pipeline.app.roles import household_for
from hudang.pipeline.app.session import Session
from hudang.pipeline.intake.outcomes import STATUS_TEXT
from hudang.pipeline.web.access import check_estate, open_session, principal, requires
from hudang.pipeline.web.files import send_file
from hudang.pipeline.web.forms import reason_field


class DismissForm(djforms.Form):
    reason = reason_field("搁置原因")


class AssignForm(djforms.Form):
    address = djforms.CharField(label="住户", max_length=100)
    form = djforms.ChoiceField(label="表单", required=False)


def _visible_quarantine(request: HttpRequest, session: Session, entry: dict[str, Any]) -> bool:
    return principal(request).sees(pending_app.quarantine_estate(session, entry))


def _quarantine_entry(request: HttpRequest, session: Session, qid: str) -> dict[str, Any]:
    entry = quarantine.entry(session, qid)
    if not _visible_quarantine(request, session, entry):
        raise Http404("没有这条隔离记录，或不在您负责的项目内")
    return entry


def _scan(request: HttpRequest, session: Session, scan_id: str) -> dict[str, Any]:
    found = next((s for s in scans.unsorted(session).scans if s["scan_id"] == scan_id), None)
    if found is None or not principal(request).sees(pending_app.scan_estate(session, found)):
        raise Http404("没有这份待分拣扫描件，或不在您负责的项目内")
    return found


@requires("quarantine")
def pending(request: HttpRequest) -> HttpResponse:
    who = principal(request)
    with open_session(who.name) as session:
        waiting = [e for e in quarantine.entries(session).entries if _visible_quarantine(request, session, e)]
        aside = [e for e in quarantine.entries(session, dismissed=True).entries
                 if _visible_quarantine(request, session, e)]
        unsorted = [s for s in scans.unsorted(session).scans
                    if who.sees(pending_app.scan_estate(session, s))] if who.can("assign") else []
        review = [r for r in scans.review(session).records
                  if who.sees(r["household"].partition("/")[0])] if who.can("review") else []
        form_choices = [("", "（按扫描识别／作为文件）"), *((f.name, f.name) for f in session.forms.intake())]
    for e in waiting + aside:   # an upload's staging folder is ours, not the user's: show the file's name
        e["name"] = Path(str(e.get("source") or "").replace("\\", "/")).name or e.get("source")
    for s in unsorted:
        s["assign_form"] = AssignForm(prefix=s["scan_id"], initial={"form": s.get("form") or ""})
        s["assign_form"].fields["form"].choices = form_choices
    return render(request, "web/worklist.html", {"waiting": waiting, "aside": aside, "unsorted": unsorted,
                                                 "review": review, "status_text": STATUS_TEXT,
                                                 "dismiss_form": DismissForm()})


@requires("quarantine")
def quarantine_file(request: HttpRequest, qid: str) -> FileResponse:
    with open_session(principal(request).name) as session:
        _quarantine_entry(request, session, qid)
        found = quarantine.file_of(session, qid)
    return send_file(found.path, name=found.name)


@require_POST
@requires("quarantine")
def quarantine_retry(request: HttpRequest, qid: str) -> HttpResponse:
    """Retry as it is, or with a corrected file sent with the request."""
    corrected = request.FILES.get("file")
    with open_session(principal(request).name) as session:
        _quarantine_entry(request, session, qid)
        try:
            if corrected is not None:
                result = quarantine.retry_corrected(session, qid, corrected.name or "", corrected.read())
            else:
                result = quarantine.retry(session, [qid]).results[0]
        except HudangError as exc:
            messages.error(request, f"{qid}：{exc.message}")
            return redirect("pending")
    out = result.outcome
    text = STATUS_TEXT.get(out["status"], out["status"])
    if out["status"] in ("quarantined", "partial"):
        reasons = "；".join(str(e.get("message")) for e in out.get("errors") or [])
        messages.error(request, f"{qid} 重试结果：{text}。{reasons}")
    else:
        messages.success(request, f"{qid} 重试结果：{text} {out.get('archive_no') or ''}".rstrip())
    return redirect("pending")


@require_POST
@requires("quarantine")
def quarantine_dismiss(request: HttpRequest, qid: str) -> HttpResponse:
    form = DismissForm(request.POST)
    with open_session(principal(request).name) as session:
        _quarantine_entry(request, session, qid)
        if not form.is_valid():
            messages.error(request, f"{qid}：请写明搁置原因（至少 2 个字）")
            return redirect("pending")
        try:
            quarantine.dismiss(session, qid, form.cleaned_data["reason"])
        except HudangError as exc:
            messages.error(request, f"{qid}：{exc.message}")
            return redirect("pending")
    messages.success(request, f"{qid} 已搁置")
    return redirect("pending")


@require_POST
@requires("quarantine")
def quarantine_restore(request: HttpRequest, qid: str) -> HttpResponse:
    with open_session(principal(request).name) as session:
        _quarantine_entry(request, session, qid)
        quarantine.restore(session, qid)
    messages.success(request, f"{qid} 已恢复为待处理")
    return redirect("pending")


@requires("assign")
def scan_thumb(request: HttpRequest, scan_id: str) -> FileResponse:
    with open_session(principal(request).name) as session:
        found = _scan(request, session, scan_id)
    if not found.get("thumbnail"):
        raise Http404("没有缩略图")
    return send_file(Path(found["thumbnail"]), media="image/png", inline=True)


@require_POST
@requires("assign")
def scan_assign(request: HttpRequest, scan_id: str) -> HttpResponse:
    form = AssignForm(request.POST, prefix=scan_id)
    form.fields["form"].choices = [("", "")]
    chosen = request.POST.get(f"{scan_id}-form") or None
    who = principal(request)
    with open_session(who.name) as session:
        _scan(request, session, scan_id)
        address = (request.POST.get(f"{scan_id}-address") or "").strip()
        try:
            if not address:
                raise HudangError("请填写住户")
            household_for(session, who, address)
            done = scans.assign(session, scan_id, address, chosen)
        except HudangError as exc:
            messages.error(request, f"{scan_id}：{exc.message}")
            return redirect("pending")
    more = f"，待核对：{'、'.join(done.review)}" if done.review else ""
    messages.success(request, f"{scan_id} 已归入 {done.household}：{done.archive_no}{more}")
    return redirect("record", record_id=done.record_id)


def _review_record(request: HttpRequest, session: Session, record_id: str) -> dict[str, Any]:
    item = next((r for r in scans.review(session).records if r["record_id"] == record_id), None)
    if item is None:
        view = records.record(session, record_id)   # not found → 404; not waiting → shown as done
        check_estate(request, view.household.partition("/")[0])
        raise Http404("这条记录没有待核对的栏目")
    check_estate(request, item["household"].partition("/")[0])
    return item


IMAGES = (".png", ".jpg", ".jpeg", ".gif", ".webp")


@requires("review")
def review(request: HttpRequest, record_id: str) -> HttpResponse:
    """The page image beside the fields 待核对; saving makes a new version (records.edit)."""
    status = 200
    with open_session(principal(request).name) as session:
        item = _review_record(request, session, record_id)
        view = records.record(session, record_id)
        crops = records.field_crops(session, record_id)
        # the newest version with an original of its own (a version made by 核对 has none)
        shown = next((d for d in (records.version_detail(session, record_id, v["version"])
                                  for v in reversed(view.versions)) if d.original), None)
        try:
            choices = {f.name: f.choices for f in catalogue.form_fields(session, item["form"]).fields}
        except HudangError:   # a 文件 (题名 待核对) is no web form: plain text boxes
            choices = {}
        if request.method == "POST":
            changes = {f: request.POST.get(f"field-{f}", "").strip() for f in item["fields"]}
            changes = {k: v for k, v in changes.items() if v}
            if not changes:
                messages.error(request, "请至少填写一个栏目")
                status = 400
            else:
                try:
                    done = records.edit(session, record_id, changes)
                except HudangError as exc:
                    messages.error(request, exc.message)
                    status = 400
                else:
                    messages.success(request, f"{done.archive_no} 已保存为第 {done.version} 版"
                                     + (f"，仍待核对：{'、'.join(done.review)}" if done.review else ""))
                    return redirect("pending")
    fields = [{"name": f, "value": view.fields.get(f) or "", "crop": f in crops, "choices": choices.get(f) or [],
               "posted": request.POST.get(f"field-{f}", "")} for f in item["fields"]]
    return render(request, "web/review.html", {"item": item, "view": view, "fields": fields,
                                               "version": shown.version if shown else None,
                                               "is_pdf": bool(shown and shown.original not in IMAGES),
                                               "may_view_original": principal(request).can("view_original")},
                  status=status)


@requires("review")
def review_crop(request: HttpRequest, record_id: str, field: str) -> FileResponse:
    with open_session(principal(request).name) as session:
        _review_record(request, session, record_id)
        png = records.field_crop(session, record_id, field)
    return send_file(png, media="image/png", inline=True)
