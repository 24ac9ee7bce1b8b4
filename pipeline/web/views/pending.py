"""Places in the nav for pages other helpers build next: a polite 建设中 page, for the roles the page is for."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from hudang.pipeline.web.access import NAV, requires

NOT_BUILT: tuple[str, ...] = ()
"""URL names of nav entries whose pages are still to come; remove one here when its view is in urls.py."""


def page_for(name: str) -> Callable[..., HttpResponse]:
    label, capability = next((label, cap) for label, url, cap in NAV if url == name)

    @requires(capability)
    def under_construction(request: HttpRequest) -> HttpResponse:
        return render(request, "web/pending.html", {"title": label})
    return under_construction
