"""状态 (管理员): the intake service as `hudang status` shows it, the last verify and a button to run one,
the last backup's age, and the web's users."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from hudang.pipeline.app import maintenance, users
from hudang.pipeline.intake.outcomes import STATUS_TEXT
from hudang.pipeline.web.access import open_session, principal, requires


def _page(request: HttpRequest, verified: maintenance.Verified | None = None) -> HttpResponse:
    with open_session(principal(request).name) as session:
        state = maintenance.status(session)
        people = users.list_users(session)
    counts = (state.today or {}).get("counts") or {}
    context: dict[str, Any] = {
        "s": state, "users": people.users, "verified": verified,
        "today": [(STATUS_TEXT.get(k, k), v) for k, v in counts.items()],
        "backlog": [(k, v) for k, v in state.backlog.items() if v],
        "last": [{**o, "status_text": STATUS_TEXT.get(o["status"], o["status"])} for o in state.last[:10]],
    }
    return render(request, "web/status.html", context)


@requires("status")
def page(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@requires("status")
def verify(request: HttpRequest) -> HttpResponse:
    """`hudang verify` from the page: every archived file against its manifest; the result shown here."""
    with open_session(principal(request).name) as session:
        result = maintenance.verify(session)
    return _page(request, result)
