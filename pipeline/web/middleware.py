"""The web's half of the error policy (hudang/errors.py) and the cookie flag Django cannot set per request."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from hudang.errors import HudangError, NotFound, UsageError, ValueProblem
from hudang.forms.values import mask_text
from hudang.settings import MB


def status_of(error: HudangError) -> int:
    """The HTTP status of a refusal: not found 404, bad input 400, anything else the server's fault 500."""
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, (UsageError, ValueProblem)):
        return 400
    return 500


class HudangErrors:
    """A HudangError a view did not handle becomes a Chinese page with its message and a proper status."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not isinstance(exc, HudangError):
            return None   # Django's handler500 answers (and logs the traceback; never shown)
        status = status_of(exc)
        return render(request, "web/error.html", {"status": status, "message": mask_text(exc.message)},
                      status=status)


class RequestSizeLimit:
    """A request larger than ``[web] upload_max_mb`` is refused with 413 and a Chinese page before its body is
    read (Django's own limit leaves uploaded files out). Placed before the CSRF check, which would read it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings

        limit = settings.HUDANG_UPLOAD_MAX_BYTES
        try:
            size = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            size = 0
        if size > limit:
            message = (f"上传的内容共 {size / MB:.1f} MB，超过上限 {limit / MB:g} MB，未接收。"
                       "请分批上传，或请管理员调整 [web] upload_max_mb。")
            response = render(request, "web/error.html", {"status": 413, "message": message}, status=413)
            response["Connection"] = "close"
            return response
        return self.get_response(request)


class TlsCookies:
    """Session and CSRF cookies are marked Secure when the request came over TLS (directly, or through the
    trusted proxy header), so the same server works on plain HTTP inside the office LAN."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.is_secure():
            for cookie in response.cookies.values():
                cookie["secure"] = True
        return response
