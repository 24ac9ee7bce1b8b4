"""户档: a household picker (any room spelling the parser reads) and one household's file."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from hudang.clock import now
from hudang.errors import HudangError
from hudang.pipeline.app.overview import household_overview
from hudang.pipeline.app.roles import household_for
from hudang.pipeline.web.access import check_estate, open_session, principal, requires
from hudang.pipeline.web.forms import CertificateForm, ExportForm, HouseholdPickForm, LendForm, MoveoutForm


@requires("read")
def pick(request: HttpRequest) -> HttpResponse:
    """POST, so a typed address never lands in a log; the answer is the household's own page."""
    form = HouseholdPickForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        who = principal(request)
        with open_session(who.name) as session:
            try:
                place = household_for(session, who, form.cleaned_data["address"])
            except HudangError as exc:
                form.add_error("address", exc.message)
            else:
                return redirect("household", estate=place.estate, key=place.key)
    return render(request, "web/household_pick.html", {"form": form}, status=400 if form.errors else 200)


@requires("read")
def show(request: HttpRequest, estate: str, key: str) -> HttpResponse:
    return render_page(request, estate, key)


def render_page(request: HttpRequest, estate: str, key: str, *, forms: dict[str, Any] | None = None,
                status: int = 200) -> HttpResponse:
    """The household as app overview.household_overview gives it, with the buttons this person may use
    (``forms``: a button's form sent back with its errors)."""
    check_estate(request, estate)
    who = principal(request)
    chosen = request.GET.get("form", "")
    day = now().date()
    with open_session(who.name) as session:
        overview = household_overview(session, f"{estate}/{key}", as_of=day, form=chosen or None)
        names = {f.id: f.name for f in session.forms}
        blanks = [(f.id, f.name) for f in session.forms.intake()]
    view = overview.household
    given = forms or {}
    context = {
        "view": view, "overview": overview, "timeline": list(reversed(overview.timeline)), "chosen": chosen,
        "form_filter": sorted({(r["form"], names.get(r["form"], r["form"])) for r in view.records}, key=lambda f: f[1]),
        "today": day, "blanks": blanks,
        "may": {c: who.can(c) for c in ("export", "fees", "moveout", "lend", "enter", "correct")},
        "export_form": given.get("export") or ExportForm(),
        "certificate_form": given.get("certificate") or CertificateForm(initial={"as_of": day}),
        "moveout_form": given.get("moveout") or MoveoutForm(initial={"date": day}),
        "lend_form": given.get("lend") or LendForm(),
        "lend_return_form": given.get("lend_return"),
        "failed": next(iter(given), ""),
    }
    return render(request, "web/household.html", context, status=status)
