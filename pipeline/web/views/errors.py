"""Chinese error pages with their status codes; never a traceback (DEBUG is never on)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

MESSAGES = {400: "请求有误，无法处理。", 403: "您没有权限执行此操作。", 404: "找不到这个页面或这条档案，或不在您负责的项目内。",
            500: "服务器内部错误。问题已记入日志，请稍后重试或联系管理员。"}


def _page(request: HttpRequest, status: int, message: str | None = None) -> HttpResponse:
    return render(request, "web/error.html", {"status": status, "message": message or MESSAGES[status]},
                  status=status)


@login_not_required
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if isinstance(exception, DisallowedHost):   # the first visit by the server's LAN name or IP, most likely
        return _page(request, 400, "这个网址的主机名不在允许之列。请管理员把服务器的名称或 IP 加进 config.toml 的 "
                                   "[web] allowed_hosts，再重启 hudang serve。")
    return _page(request, 400)


@login_not_required
def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    text = str(exception) if exception and str(exception) else None
    return _page(request, 403, text)


@login_not_required
def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 404)


@login_not_required
def server_error(request: HttpRequest) -> HttpResponse:
    return _page(request, 500)


@login_not_required
def csrf_failure(request: HttpRequest, reason: str = "", **_: Any) -> HttpResponse:
    return _page(request, 403, "表单已过期或来源不明（CSRF 校验失败）。请刷新页面后重新提交。")
