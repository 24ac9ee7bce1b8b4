"""借阅登记: every loan of paper files in the user's estates (`hudang lend list`, app household.lend_list) — the
open ones first, overdue ones marked, each linked to its household (where it is returned)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from hudang.clock import now
from hudang.pipeline.app import household as household_app
from hudang.pipeline.app.roles import estates_seen, list_scope
from hudang.pipeline.web.access import open_session, principal, requires
from hudang.pipeline.web.forms import LoansForm


@requires("lend")
def page(request: HttpRequest) -> HttpResponse:
    who = principal(request)
    day: dt.date = now().date()
    with open_session(who.name) as session:
        form = LoansForm(request.GET or None, estates=estates_seen(session, who), limited=bool(who.estates),
                         initial={"as_of": day})
        chosen, open_only = "", False
        if form.is_valid():
            day = form.cleaned_data["as_of"] or day
            chosen, open_only = form.cleaned_data["estate"] or "", form.cleaned_data["open_only"]
        found = household_app.lend_list_across(session, list_scope(session, who, chosen or None),
                                               open_only=open_only, day=day).loans
    loans = [{**loan, "estate": loan["household"].partition("/")[0], "key": loan["household"].partition("/")[2]}
             for loan in found]
    return render(request, "web/loans.html", {
        "form": form, "as_of": day, "loans": loans,
        "open": sum(1 for loan in loans if not loan["returned"]),
        "overdue": sum(1 for loan in loans if loan["overdue"])})
