"""搜索: the CLI's query syntax and filters, by POST (an ID or phone number never lands in a URL or a log)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from hudang.errors import HudangError
from hudang.pipeline.app.roles import estates_seen
from hudang.pipeline.app.search import search as find
from hudang.pipeline.web.access import open_session, principal, requires
from hudang.pipeline.web.forms import SearchForm

PAGE = 20


def marked(snippet: str) -> SafeString:
    """The index marks matches 【…】; the page shows them as <mark>, everything else escaped."""
    return mark_safe(escape(snippet).replace("【", "<mark>").replace("】", "</mark>"))  # noqa: S308


@requires("read")
def search(request: HttpRequest) -> HttpResponse:
    who = principal(request)
    with open_session(who.name) as session:
        forms = [(f.id, f.name) for f in session.forms]
        names = dict(forms)
        estates = estates_seen(session, who)
        form = SearchForm(request.POST if request.method == "POST" else None, form_choices=forms,
                          estate_choices=estates)
        context: dict[str, object] = {"form": form}
        if request.method == "POST" and form.is_valid():
            d = form.cleaned_data
            page = d.get("page") or 1
            try:
                found = find(session, d["q"] or "", form_name=d["form"] or None, household=d["household"] or None,
                             estate=d["estate"] or None, date_from=d["date_from"], date_to=d["date_to"],
                             limit=page * PAGE, estates=who.estates, newest_first=d["sort"] == "date")
            except HudangError as exc:   # a malformed query, an unknown household: said beside the box
                form.add_error(None, exc.message)
            else:
                hits = [{**h, "form_name": names.get(h["form"], h["form"]), "snippet": marked(h["snippet"])}
                        for h in found.hits[(page - 1) * PAGE:]]
                pages = max(1, -(-found.total // PAGE))
                context.update(total=found.total, hits=hits, page=page, pages=pages,
                               first=(page - 1) * PAGE + 1, last=(page - 1) * PAGE + len(hits), previous=page - 1 if page > 1 else None,
                               next=page + 1 if page < pages else None)
    return render(request, "web/search.html", context, status=400 if form.errors else 200)   # a malformed query
