"""A long-lived OCRmyPDF process (``python -m hudang.forms.ocr_worker``), started by forms/ocr.py `OcrWorker`.

Starting OCRmyPDF for each document cost about 2.5 CPU s before any page was read: Python and OCRmyPDF's
imports, and loading the recognizer's ONNX models. This process pays that once and then makes one searchable PDF
per request, through OCRmyPDF's API with our recognizer as its OCR engine (forms/ocr_engine.py): the same options
as the command line ran with.

Requests are JSON lines on stdin — ``{"src", "dest", "sidecar", "output_type", "dpi", "env"}``, ``env`` being the
per-document settings the engine reads (HUDANG_OCR_*) — answered by one JSON line ``{"code", "message"}`` on the
original stdout (anything a library prints goes to stderr). It reads one document at a time and ends when stdin
closes (its parent ended or let it go).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from typing import Any

PLUGIN = "hudang.forms.ocr_engine"


class _Kept(logging.Handler):
    """OCRmyPDF's warnings and errors of the current document, for the answer (nothing is printed)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def options(request: dict[str, Any]) -> dict[str, Any]:
    """`ocrmypdf.ocr` keywords of one request: what ``ocrmypdf --plugin … -l chi_sim+chi_tra --jobs 1
    --pdf-renderer sandwich --optimize 1`` runs with (forms/ocr.py `ocrmypdf_command`)."""
    from hudang.forms.ocr import LANGS

    kw: dict[str, Any] = {"plugins": [PLUGIN], "language": LANGS.split("+"), "jobs": 1, "pdf_renderer": "sandwich",
                          "output_type": request["output_type"], "sidecar": request["sidecar"], "optimize": 1,
                          "progress_bar": False}
    if request.get("dpi"):
        kw["image_dpi"] = int(request["dpi"])
    return kw


def serve(requests: Any, answers: Any) -> None:
    os.environ["OMP_THREAD_LIMIT"] = "1"
    import ocrmypdf
    from ocrmypdf.exceptions import ExitCodeException

    kept = _Kept()
    log = logging.getLogger("ocrmypdf")
    log.addHandler(kept)
    log.setLevel(logging.WARNING)
    log.propagate = False
    for line in requests:
        if not line.strip():
            continue
        request = json.loads(line)
        for key, value in request.get("env", {}).items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        kept.messages.clear()
        try:
            code, message = int(ocrmypdf.ocr(request["src"], request["dest"], **options(request))), ""
        except ExitCodeException as exc:
            code, message = int(exc.exit_code), str(exc)
        except Exception as exc:  # anything else OCRmyPDF or the engine raised: this document failed, not the process
            code, message = 15, f"{type(exc).__name__}: {exc}"
        answers.write(json.dumps({"code": code, "message": message or " ".join(kept.messages[-2:])},
                                 ensure_ascii=False) + "\n")
        answers.flush()


def _exit_with_parent(parent: int) -> None:
    """Its parent gone (a reader worker killed at its budget, a stopped service), the document in hand is of no
    use to anyone: end now rather than when it is done."""
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(0)


def main() -> int:
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)                 # a library's print goes to stderr, never into the answers
    sys.stdout = sys.stderr
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    serve(sys.stdin, answers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
