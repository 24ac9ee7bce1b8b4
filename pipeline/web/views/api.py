"""The API `/api/v1/` for other systems and scripts: token auth, JSON exactly as the CLI's ``--json``.

A request carries ``Authorization: Token <token>`` (issued by `hudang users token NAME`; only its hash is
kept). No session and no CSRF: the token is the credential. Roles and estate limits are the pages' own
(pipeline/app/roles.py); an item outside the user's estates is 404, a missing capability 403, no or a bad
token 401, bad input 400 — always as ``{"error": {"code", "message"}}``. Search also takes POST (form fields
or a JSON body), so an ID or phone number need not be in a URL.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from hudang.clock import now, parse_day
from hudang.errors import HudangError, NotFound, UsageError
from hudang.forms.values import mask_text
from hudang.pipeline.app import fees, ingest, records, reports, scans
from hudang.pipeline.app.roles import Principal, household_for, list_scope
from hudang.pipeline.app.search import DEFAULT_LIMIT, LIMITS
from hudang.pipeline.app.search import search as find
from hudang.pipeline.app.session import Session
from hudang.pipeline.web.access import open_session
from hudang.pipeline.web.files import NO_STORE
from hudang.pipeline.web.middleware import status_of
from hudang.pipeline.web.views.upload import files_of, more_follow


def error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status,
                        json_dumps_params={"ensure_ascii": False})


def answer(data: Any) -> JsonResponse:
    response = JsonResponse(data, safe=False, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Cache-Control"] = NO_STORE
    return response


def token_user(request: HttpRequest) -> Principal | JsonResponse:
    """The user whose API token the request carries, or the 401 answer."""
    from hudang.pipeline.app.users import by_token

    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "token" or not token.strip():
        return error(401, "no_token", "缺少 API 令牌：请求头须带 Authorization: Token <令牌>（hudang users token 用户名 生成）")
    who = by_token(token.strip())
    return error(401, "bad_token", "API 令牌无效或用户已停用") if who is None else who


def endpoint(capability: str, methods: tuple[str, ...] = ("GET",)) -> Callable[..., Callable[..., HttpResponse]]:
    """An API view: token checked, capability checked, every refusal as JSON with its status."""
    def wrap(view: Callable[..., Any]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def run(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                response = error(405, "method", f"此接口只接受 {'、'.join(methods)} 请求")
                response["Allow"] = ", ".join(methods)
                return response
            try:
                who = token_user(request)
                if isinstance(who, JsonResponse):
                    return who
                if not who.can(capability):
                    return error(403, "forbidden", "您的角色没有这项权限")
                with open_session(who.name) as session:
                    return answer(view(request, session, who, *args, **kwargs))
            except HudangError as exc:
                return error(status_of(exc), exc.code or type(exc).__name__, mask_text(exc.message))
        return csrf_exempt(login_not_required(run))
    return wrap


@csrf_exempt
@login_not_required
def unknown(request: HttpRequest, rest: str = "") -> HttpResponse:
    return error(404, "no_route", "没有这个接口（可用：search、households、records、ingest、scans、due、fees/arrears）")


# ---------------------------------------------------------------- parameters

def params(request: HttpRequest) -> dict[str, str]:
    """GET's query string, or POST's form fields or JSON body (search by POST keeps words out of URLs)."""
    if request.method != "POST":
        return {k: v for k, v in request.GET.items()}
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            raise UsageError("请求内容不是有效的 JSON", code="bad_json") from None
        if not isinstance(body, dict):
            raise UsageError("请求内容应为 JSON 对象", code="bad_json")
        return {str(k): "" if v is None else str(v) for k, v in body.items()}
    return {k: v for k, v in request.POST.items()}


def day(text: str | None, name: str) -> dt.date | None:
    return parse_day(text, f"参数 {name}")


def limit_of(text: str | None) -> int:
    if not text:
        return DEFAULT_LIMIT
    low, high = LIMITS
    try:
        n = int(text)
    except ValueError:
        n = 0
    if not low <= n <= high:
        raise UsageError(f"参数 limit 应为 {low} 到 {high} 之间的整数（收到“{text}”）", code="bad_limit")
    return n


def check_household(session: Session, who: Principal, address: str) -> None:
    household_for(session, who, address)


# ---------------------------------------------------------------- routes

@endpoint("read", ("GET", "POST"))
def search(request: HttpRequest, session: Session, who: Principal) -> Any:
    p = params(request)
    estate = p.get("estate") or None
    if estate:
        list_scope(session, who, estate)
    if p.get("household"):
        check_household(session, who, p["household"])
    found = find(session, p.get("q", ""), form_name=p.get("form") or None, household=p.get("household") or None,
                 estate=estate, date_from=day(p.get("from"), "from"), date_to=day(p.get("to"), "to"),
                 limit=limit_of(p.get("limit")), estates=who.estates)
    return found.as_json()


@endpoint("read")
def household(request: HttpRequest, session: Session, who: Principal, estate: str, key: str) -> Any:
    check_household(session, who, f"{estate}/{key}")
    return records.household(session, f"{estate}/{key}",
                             include_voided=request.GET.get("all") in ("1", "true")).as_json()


@endpoint("read")
def record(request: HttpRequest, session: Session, who: Principal, record_id: str) -> Any:
    view = records.record(session, record_id)
    if not who.sees(view.household.partition("/")[0]):
        raise NotFound("没有这条档案，或不在您负责的项目内", code="no_record")
    return view.as_json()


@endpoint("upload", ("POST",))
def upload(request: HttpRequest, session: Session, who: Principal) -> Any:
    if not request.FILES.getlist("files"):
        raise UsageError("没有上传任何文件：multipart 请求中文件部分的名称须为 files", code="no_files")
    return ingest.upload(session, files_of(request), tables=who.can("estates"), more=more_follow(request)).as_json()


@endpoint("upload")
def scan(request: HttpRequest, session: Session, who: Principal, scan_id: str) -> Any:
    """What became of a scan an ingest left 排队识别 (`ocr_pending`): queued, unsorted, read (each document's
    outcome) or unknown (`app.scans.scan_outcome`)."""
    found = scans.scan_outcome(session.home, scan_id)
    if any(d.get("household") and not who.sees(str(d["household"]).partition("/")[0])
           for d in found.get("documents") or []):
        raise NotFound("没有这份扫描件，或不在您负责的项目内", code="no_scan")
    return found


@endpoint("due")
def due(request: HttpRequest, session: Session, who: Principal) -> Any:
    when = day(request.GET.get("as_of"), "as_of") or now().date()
    return reports.due_across(session, when, list_scope(session, who, request.GET.get("estate"))).as_json()


@endpoint("fees")
def arrears(request: HttpRequest, session: Session, who: Principal) -> Any:
    when = day(request.GET.get("as_of"), "as_of") or now().date()
    return fees.arrears_across(session, when, list_scope(session, who, request.GET.get("estate"))).as_json()
