"""What every command shares: options, output, the data home, logging, the audit log."""

from __future__ import annotations

import datetime as dt
import getpass
import json
from collections.abc import Callable
from functools import wraps
from typing import Any

import click

from hudang import logs
from hudang.archive import audit as audit_log
from hudang.archive.store import Archive
from hudang.clock import now
from hudang.errors import UsageError, ValueProblem
from hudang.forms.values import parse_date
from hudang.settings import Home, load_home, resolve_root

CONTEXT = {"help_option_names": ["-h", "--help"]}


def emit(data: Any, as_json: bool, human: Callable[[Any], None]) -> None:
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        human(data)


def json_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（供脚本使用）")(fn)


def open_home(ctx: click.Context) -> Home:
    home = load_home(resolve_root(ctx.obj["home"]))
    setup_logging(home)
    return home


def day(text: str | None, option: str) -> dt.date:
    """A date option as the archivist writes it (2026-11-03, 2026/11/3, 2026年11月3日 …); today when absent."""
    if not text:
        return now().date()
    try:
        return parse_date(text)
    except ValueProblem as exc:
        raise UsageError(f"{option} 日期无效：{exc.message}", code="bad_date") from exc


def setup_logging(home: Home) -> None:
    logs.setup(home.logs_dir)


def audit(home: Home, action: str, **detail: Any) -> None:
    """Append one line to the audit log: who did what to which record, when."""
    audit_log.append(home.audit_log, getpass.getuser(), action, **detail)


def with_archive(fn: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        home = open_home(ctx)
        archive = Archive(home)
        try:
            return fn(home, archive, *args, **kwargs)
        finally:
            archive.close()
    return wrapper


