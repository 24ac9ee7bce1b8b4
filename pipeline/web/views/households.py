"""户档: a household picker (any room spelling the parser reads) and one household's file."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from hudang.clock import now
from hudang.errors import HudangError
from hudang.pipeline.app import fees, records, reports
from hudang.pipeline.web.access import check_estate, open_session, principal, requires
from hudang.pipeline.web.forms import HouseholdPickForm


@requires("read")
def pick(request: HttpRequest) -> HttpResponse:
    """POST, so a typed address never lands in a log; the answer is the household's own page."""
    form = HouseholdPickForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        who = principal(request)
        with open_session(who.name) as session:
            try:
                place = session.archive.estates.household(form.cleaned_data["address"])
            except HudangError as exc:
                form.add_error("address", exc.message)
            else:
                if who.sees(place.estate):
                    return redirect("household", estate=place.estate, key=place.key)
                form.add_error("address", "该住户不在您负责的项目内")
    return render(request, "web/household_pick.html", {"form": form})


@requires("read")
def show(request: HttpRequest, estate: str, key: str) -> HttpResponse:
    check_estate(request, estate)
    chosen = request.GET.get("form", "")
    day = now().date()
    with open_session(principal(request).name) as session:
        view = records.household(session, f"{estate}/{key}")
        statement = fees.statement(session, view.household, day)
        due = reports.due(session, day, view.estate)
        names = {f.id: f.name for f in session.forms}
    timeline = [r for r in reversed(view.records) if not chosen or r["form"] == chosen]
    letters = [r for r in view.records if r["form"] == "letter"]
    context = {
        "view": view, "timeline": timeline, "chosen": chosen,
        "form_filter": sorted({(r["form"], names.get(r["form"], r["form"])) for r in view.records}, key=lambda f: f[1]),
        "complaints": [c for c in due.complaints if c.household == view.household],
        "repairs": [r for r in due.repairs if r.household == view.household],
        "statement": statement, "letters": letters, "today": day,
    }
    return render(request, "web/household.html", context)
