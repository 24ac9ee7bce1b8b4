"""今日待办: the `hudang due` list (app reports.due) for the user's estates, each line linked to its record or
household. 客服 and 主管 see complaints, repairs and overdue loans; a 收费员 sees the fee lines (dunning steps,
过户前欠费) — what each role sees is decided by its capabilities ("enter", "fees")."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from hudang.clock import now
from hudang.pipeline.app import reports
from hudang.pipeline.app.roles import estates_seen, list_scope
from hudang.pipeline.web.access import open_session, principal, requires
from hudang.pipeline.web.forms import DueForm


def _link(household: str) -> dict[str, str]:
    estate, _, key = household.partition("/")
    return {"estate": estate, "key": key}


@requires("due")
def page(request: HttpRequest) -> HttpResponse:
    who = principal(request)
    day: dt.date = now().date()
    with open_session(who.name) as session:
        names = estates_seen(session, who)
        form = DueForm(request.GET or None, estates=names, limited=bool(who.estates), initial={"as_of": day})
        chosen = ""
        if form.is_valid():
            day = form.cleaned_data["as_of"] or day
            chosen = form.cleaned_data["estate"] or ""
        found = reports.due_across(session, day, list_scope(session, who, chosen or None))
    service, fees = who.can("enter"), who.can("fees")
    context: dict[str, Any] = {
        "form": form, "as_of": day, "service": service, "fees": fees, "may_lend": who.can("lend"),
        "complaints": list(found.complaints) if service else [],
        "repairs": list(found.repairs) if service else [],
        "dunning": [{"d": d, **_link(d.household)} for d in found.dunning] if fees else [],
        "prior": [{"p": p, **_link(p.household)} for p in found.prior_owner_arrears] if fees else [],
        "loans": [{**loan, **_link(loan["household"])} for loan in found.loans] if service or who.can("lend") else [],
    }
    return render(request, "web/due.html", context)
