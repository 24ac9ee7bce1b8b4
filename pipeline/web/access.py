"""What the logged-in person may do, checked on the server for every view, and the request's Session.

Capabilities and roles live in pipeline/app/roles.py; this module only asks them. An item of an estate
outside the user's limits is answered 404 (its existence is not confirmed), a capability missing 403.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from hudang.pipeline.app.roles import Principal
from hudang.pipeline.app.session import Session
from hudang.settings import Home, load_home

# The top navigation: (label, URL name, capability). Pages not built yet answer with 建设中.
NAV: tuple[tuple[str, str, str], ...] = (
    ("搜索", "search", "read"),
    ("户档", "household_pick", "read"),
    ("上传", "upload", "upload"),
    ("待处理", "pending", "quarantine"),
    ("今日待办", "due", "due"),
    ("借阅", "loans", "lend"),
    ("催缴", "dunning", "fees"),
    ("月报", "reports", "reports"),
    ("状态", "status", "status"),
)


def home() -> Home:
    return load_home(settings.HUDANG_HOME)


def open_session(user: str) -> Session:
    """The data home opened for one request, as the web user (the audit log's user)."""
    return Session(home(), user)


def principal(request: HttpRequest) -> Principal:
    user: Any = request.user
    profile = getattr(user, "profile", None) if user.is_authenticated else None
    if profile is None:
        return Principal(getattr(user, "username", ""), ())
    return profile.principal()  # type: ignore[no-any-return]


def requires(capability: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A view for people whose roles give ``capability``; 403 for the others."""
    def wrap(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not principal(request).can(capability):
                raise PermissionDenied("您的角色没有这项权限")
            return view(request, *args, **kwargs)
        return checked
    return wrap


def check_estate(request: HttpRequest, estate: str | None) -> None:
    """An item outside the user's estates does not exist for them (even when its ID is guessed)."""
    if not principal(request).sees(estate):
        raise Http404("没有这条档案，或不在您负责的项目内")


def nav(request: HttpRequest) -> dict[str, Any]:
    """Template context: the nav entries this user may open, and who is logged in."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {"nav": []}
    who = principal(request)
    here = request.resolver_match.url_name if request.resolver_match else ""
    return {"nav": [{"label": label, "url": name, "current": name == here} for label, name, cap in NAV
                    if who.can(cap)],
            "who": who}
