"""Files to and from the browser.

Every file the web sends holds personal data, so none is kept by a cache (``NO_STORE``); every uploaded file a view
hands to the application layer is first written under its sanitised name to a private folder inside the data home
(``<home>/run/uploads/``, never the system's temp folder) and removed when the view is done.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse

from hudang.archive.paths import safe_component

if TYPE_CHECKING:
    from hudang.pipeline.app.session import Session

NO_STORE = "private, no-store"


def send_file(path: Path, *, name: str | None = None, media: str | None = None, inline: bool = False) -> FileResponse:
    """``path`` as a download (``inline``: shown in the page) named ``name``; ``media`` None lets Django guess."""
    response = FileResponse(path.open("rb"), as_attachment=not inline, filename=name or "", content_type=media)
    response["Cache-Control"] = NO_STORE
    return response


@contextmanager
def saved_upload(session: Session, upload: UploadedFile, *, prefix: str, fallback: str) -> Iterator[Path]:
    """The uploaded file written to a private folder in the data home, under its own (sanitised) name or
    ``fallback``; the folder is removed on leaving."""
    root = session.home.run_dir / "uploads"
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=prefix, dir=root) as tmp:
        path = Path(tmp) / safe_component(Path(upload.name or "").name, fallback=fallback)
        with path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        yield path
