"""What every command shares: options, output, the data home, logging, the audit log."""

from __future__ import annotations

import getpass
import json
import logging
from collections.abc import Callable
from functools import wraps
from logging.handlers import RotatingFileHandler
from typing import Any

import click

from hudang.archive.store import Archive
from hudang.clock import stamp
from hudang.forms.values import mask_text
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


def setup_logging(home: Home) -> None:
    logger = logging.getLogger("hudang")
    if logger.handlers:
        return
    home.logs_dir.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(home.logs_dir / "hudang.log", maxBytes=5 * 1024 * 1024, backupCount=5,
                                  encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    handler.addFilter(_MaskFilter())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


class _MaskFilter(logging.Filter):
    """Personal data never reaches the log file in clear."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_text(record.getMessage())
        record.args = ()
        if record.exc_info:
            record.exc_text = mask_text(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def audit(home: Home, action: str, **detail: Any) -> None:
    """Append one line to the audit log: who did what to which record, when."""
    masked = {k: mask_text(v) if isinstance(v, str) and k not in ("sha256",) else v for k, v in detail.items()}
    line = json.dumps({"at": stamp(), "user": getpass.getuser(), "action": action, **masked}, ensure_ascii=False)
    with open(home.audit_log, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")


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


