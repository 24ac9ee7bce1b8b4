"""The data home's log file: rotated, personal data masked before a line is written."""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path

from hudang import escapes
from hudang.forms.values import mask_text

LOG_NAME = "hudang.log"
MAX_BYTES = 5 * 1024 * 1024
BACKUPS = 5


def escape_controls(text: str) -> str:
    """One message, one line: a newline (or any control character) in a file name cannot forge a log line."""
    return escapes.escape_controls(text)


class _MaskFilter(logging.Filter):
    """Personal data never reaches the log file in clear, and a message never spans lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = escape_controls(mask_text(record.getMessage()))
        record.args = ()
        if record.exc_info:
            record.exc_text = mask_text(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def setup(logs_dir: Path) -> None:
    """Send the ``hudang`` logger to ``logs_dir/hudang.log``; a process that opens another data home
    (tests, the web server) moves the handler there instead of writing to the first one."""
    logger = logging.getLogger("hudang")
    target = str((logs_dir / LOG_NAME).resolve())
    for handler in list(logger.handlers):
        if getattr(handler, "hudang_home_log", False):
            if getattr(handler, "baseFilename", None) == target:
                return
            logger.removeHandler(handler)
            handler.close()
    logs_dir.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(target, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    handler.addFilter(_MaskFilter())
    handler.hudang_home_log = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
