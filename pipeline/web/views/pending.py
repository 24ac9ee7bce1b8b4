"""Places in the nav for pages other helpers build next: a polite 建设中 page (login still required)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def under_construction(request: HttpRequest, title: str) -> HttpResponse:
    return render(request, "web/pending.html", {"title": title})
