"""The data home's log file: rotated, personal data masked before a line is written.

The file is made when a home is opened; the rotating handler (logging.handlers, which imports socket and
pickle) is made when the first line is written — a search writes none."""

from __future__ import annotations

import logging
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


class _HomeLog(logging.Handler):
    """Writes to the home's log file through a `RotatingFileHandler` made on the first line written."""

    hudang_home_log = True

    def __init__(self, target: str) -> None:
        super().__init__()
        self.baseFilename = target
        self._file: logging.Handler | None = None
        with open(target, "a", encoding="utf-8"):   # the file exists from the start, as a FileHandler's does
            pass

    def emit(self, record: logging.LogRecord) -> None:
        if self._file is None:
            from logging.handlers import RotatingFileHandler

            self._file = RotatingFileHandler(self.baseFilename, maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                             encoding="utf-8")
            self._file.setFormatter(self.formatter)
        self._file.emit(record)

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        try:
            if self._file is not None:
                self._file.close()
        finally:
            super().close()


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
    handler = _HomeLog(target)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    handler.addFilter(_MaskFilter())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
