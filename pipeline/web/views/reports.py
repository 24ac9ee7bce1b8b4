"""月报 (主管): a month and estate picked, the §9 figures table and the charts on the page, the DOCX/XLSX/PDF
written and downloaded, an edition issued (confirmation), and registers (台账, XLSX) written and downloaded.

The figures are `hudang report monthly --json`'s (the same app function); files and charts go by kind and ID.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from hudang.clock import now
from hudang.errors import HudangError
from hudang.pipeline.app import reports
from hudang.pipeline.app.roles import estates_seen
from hudang.pipeline.reports.figures import Month
from hudang.pipeline.web.access import check_estate, open_session, principal, requires
from hudang.pipeline.web.files import send_file
from hudang.pipeline.web.forms import DateInput, check_period

ALL = "全部项目"   # the URL's name for "every estate" (an estate is never called that)


class MonthForm(forms.Form):
    month = forms.RegexField(label="月份", regex=r"^\d{4}-\d{2}$", max_length=7,
                             error_messages={"invalid": "月份格式应为 YYYY-MM，如 2026-10"},
                             widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-10"}))
    estate = forms.ChoiceField(label="项目")

    def __init__(self, *args: Any, estates: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["estate"].choices = estates  # type: ignore[attr-defined]

    def clean_month(self) -> str:
        try:
            return Month.parse(self.cleaned_data["month"]).label
        except HudangError as exc:
            raise forms.ValidationError(exc.message) from None


class IssueForm(forms.Form):
    confirm = forms.BooleanField(label="我已核对本月数字，确认签发（签发版本永不覆盖；更正须签发新版本）",
                                 error_messages={"required": "请勾选确认后再签发"})


class RegisterForm(forms.Form):
    form = forms.ChoiceField(label="台账")
    date_from = forms.DateField(label="起始日期", widget=DateInput)
    date_to = forms.DateField(label="截止日期", widget=DateInput)

    def __init__(self, *args: Any, form_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["form"].choices = form_choices  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        check_period(self, data)
        return data


ROWS: tuple[tuple[str, tuple[tuple[str, str, str], ...]], ...] = (
    ("投诉", (("complaints", "total", "投诉总数（件）"), ("complaints", "closed", "办结（件）"),
              ("complaints", "handling_rate", "处理率"), ("complaints", "on_time", "时限内办结（件）"),
              ("complaints", "timely_rate", "及时率"))),
    ("报修", (("repairs", "total", "报修总数（件）"), ("repairs", "completed", "完成（件）"),
              ("repairs", "completion_rate", "完成率"), ("repairs", "revisited", "回访（件）"),
              ("repairs", "revisit_rate", "回访率"), ("repairs", "revisit_on_time", "按时回访（件）"),
              ("repairs", "revisit_timely_rate", "回访及时率"), ("repairs", "rework", "返修（件）"),
              ("repairs", "rework_rate", "返修率"))),
    ("满意度", (("satisfaction", "with_result", "有处理结果（件）"), ("satisfaction", "satisfied", "满意（件）"),
                ("satisfaction", "satisfaction_rate", "满意率"))),
    ("入住登记", (("registrations", "total", "新入住登记（户）"),)),
    ("物业费", (("fees", "billed", "应收"), ("fees", "collected", "实收"), ("fees", "collection_rate", "收缴率"))),
)
BREAKDOWNS = (("complaints", "by_severity", "投诉按严重程度"), ("complaints", "by_category", "投诉按类别"),
              ("complaints", "by_department", "投诉按被投诉部门"), ("repairs", "by_category", "报修按类别"))


def _shown(key: str, value: Any) -> str:
    """A figure as the CLI prints it: rates as percentages (2 places), money in yuan, counts as they are."""
    from hudang.pipeline.reports.analysis import pct, yuan

    if value is None:
        return "—"
    if key.endswith("rate"):
        return pct(value)
    if key in ("billed", "collected"):
        return yuan(value)
    return str(value)


def figure_rows(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """The figures table: per section, each figure this month and the month before (as counted now)."""
    previous = figures.get("previous") or {}
    out = []
    for title, keys in ROWS:
        rows = []
        for section, key, label in keys:
            now_part, before = figures.get(section), previous.get(section)
            rows.append({"label": label, "value": _shown(key, now_part.get(key) if now_part else None),
                         "previous": _shown(key, before.get(key) if before else None)})
        out.append({"title": title, "rows": rows})
    return out


def breakdown_rows(figures: dict[str, Any]) -> list[dict[str, Any]]:
    previous = figures.get("previous") or {}
    out = []
    for section, key, title in BREAKDOWNS:
        now_part = (figures.get(section) or {}).get(key) or {}
        before = ((previous.get(section) or {}).get(key)) or {}
        names = list(dict.fromkeys([*now_part, *before]))
        out.append({"title": title, "rows": [{"label": n, "value": now_part.get(n, 0), "previous": before.get(n, 0)}
                                             for n in names]})
    return out


def _estate_choices(request: HttpRequest) -> list[tuple[str, str]]:
    who = principal(request)
    with open_session(who.name) as session:
        names = estates_seen(session, who)
    return [(e, e) for e in names] if who.estates else [(ALL, ALL), *((e, e) for e in names)]


def _estate(request: HttpRequest, estate: str) -> str | None:
    """The URL's estate as the app takes it (None: every estate, for users without a limit), checked."""
    if estate == ALL:
        if principal(request).estates:
            raise PermissionDenied("您只能查看所负责项目的月报")
        return None
    check_estate(request, estate)
    return estate


def _default_month() -> str:
    return Month.parse(now().strftime("%Y-%m")).previous().label


def _register_choices(request: HttpRequest) -> list[tuple[str, str]]:
    with open_session(principal(request).name) as session:
        return [(f.id, f.name) for f in session.forms if not f.generated] + [("借阅", "借阅登记簿（纸质档案）")]


def _page(request: HttpRequest, *, issue: IssueForm | None = None, register: RegisterForm | None = None,
          done: str = "", status: int = 200, source: Any = None) -> HttpResponse:
    choices = _estate_choices(request)
    form = MonthForm(source if source is not None else (request.GET or None), estates=choices,
                     initial={"month": _default_month(), "estate": choices[0][0] if choices else ""})
    context: dict[str, Any] = {"form": form, "done": done, "may_issue": principal(request).can("issue_reports"),
                               "charts": reports.CHARTS}
    if form.is_bound and form.is_valid():
        month, estate = form.cleaned_data["month"], form.cleaned_data["estate"]
        name = _estate(request, estate)
        with open_session(principal(request).name) as session:
            try:
                report = reports.monthly(session, month, name, write=False)
                files = reports.monthly_files(session, month, name)
            except HudangError as exc:
                form.add_error(None, exc.message)
            else:
                context.update(report=report, files=files, month=month, estate=estate,
                               rows=figure_rows(dict(report.figures)), breakdowns=breakdown_rows(dict(report.figures)),
                               previous_month=Month.parse(month).previous().label)
        context.update(issue=issue or IssueForm(), register=register or RegisterForm(
            form_choices=_register_choices(request),
            initial={"date_from": Month.parse(month).start.date(), "date_to": Month.parse(month).last_day}))
    return render(request, "web/reports.html", context, status=status)


@requires("reports")
def page(request: HttpRequest) -> HttpResponse:
    return _page(request)


def _month(month: str) -> str:
    try:
        return Month.parse(month).label
    except HudangError:
        raise PermissionDenied("月份格式有误") from None


@require_POST
@requires("reports")
def write(request: HttpRequest, month: str, estate: str) -> HttpResponse:
    """Write the month's draft (DOCX, XLSX, PDF), as `hudang report monthly` does."""
    name, label = _estate(request, estate), _month(month)
    with open_session(principal(request).name) as session:
        result = reports.monthly(session, label, name)
    text = "；".join(result.messages) or f"已生成 {label}（{estate}）月报草稿：DOCX、XLSX" + (
        "、PDF" if any(o.endswith(".pdf") for o in result.outputs) else "")
    return _page(request, done=text, source={"month": label, "estate": estate})


@require_POST
@requires("issue_reports")
def issue(request: HttpRequest, month: str, estate: str) -> HttpResponse:
    """签发: only with the box ticked; the edition is sealed and never overwritten (`--issue`)."""
    name, label = _estate(request, estate), _month(month)
    form = IssueForm(request.POST)
    if not form.is_valid():
        return _page(request, issue=form, status=400, source={"month": label, "estate": estate})
    with open_session(principal(request).name) as session:
        result = reports.monthly(session, label, name, issue=True)
    return _page(request, done="；".join(result.messages) or f"已签发第{result.edition}版",
                 source={"month": label, "estate": estate})


@requires("reports")
def download(request: HttpRequest, month: str, estate: str, kind: str, edition: int = 0) -> FileResponse:
    """A written file of the month (the draft's, or issued edition N's) by kind: docx, xlsx, pdf."""
    name, label = _estate(request, estate), _month(month)
    with open_session(principal(request).name) as session:
        found = reports.monthly_file(session, label, name, kind, edition or None)
    return send_file(found.path, name=found.path.name, media=found.media_type)


@requires("reports")
def chart(request: HttpRequest, month: str, estate: str, chart_id: str) -> FileResponse:
    """One of the report's charts, drawn from the catalog now, shown in the page."""
    name, label = _estate(request, estate), _month(month)
    with open_session(principal(request).name) as session:
        path = reports.chart(session, label, name, chart_id)
    return send_file(path, name=path.name, media="image/png", inline=True)


@require_POST
@requires("reports")
def register(request: HttpRequest, month: str, estate: str) -> HttpResponse:
    """A 台账 (masked XLSX) for a form over a period, written and handed out (`hudang register`)."""
    name, label = _estate(request, estate), _month(month)
    form = RegisterForm(request.POST, form_choices=_register_choices(request))
    if not form.is_valid():
        return _page(request, register=form, status=400, source={"month": label, "estate": estate})
    d = form.cleaned_data
    with open_session(principal(request).name) as session:
        try:
            written = reports.register(session, d["form"], name, d["date_from"], d["date_to"])
        except HudangError as exc:
            form.add_error(None, exc.message)
            return _page(request, register=form, status=400, source={"month": label, "estate": estate})
    return send_file(written.path, name=written.path.name, media=reports.REPORT_FILES["xlsx"])
