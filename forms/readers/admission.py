"""Which files intake takes at all, decided before any reader opens them: the one temp-file rule and the
one set of size checks, with one message each, for the intake stages, the readers and the watch service.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path, PurePath

from hudang.errors import UnreadableFile
from hudang.forms.readers.model import ReadLimits

TEMP_PATTERNS = ("~$*", ".~lock*", "*.tmp", "*.part", "*.partial", "*.crdownload", "*.swp", "*~",
                 "thumbs.db", "desktop.ini")


def is_hidden(name: str) -> bool:
    """Hidden files and folders (the service's own ``.processing`` and ``.done`` among them)."""
    return name.startswith(".")


def in_hidden_folder(rel: PurePath) -> bool:
    """A path (relative to where the walk began) that passes through or names a hidden entry."""
    return any(is_hidden(part) for part in rel.parts)


def is_temp_file(path: PurePath) -> bool:
    """Office lock/owner files, partial downloads and hidden files: never taken in (outcome `ignored`)."""
    name = path.name.lower()
    return is_hidden(name) or any(fnmatch.fnmatchcase(name, pattern) for pattern in TEMP_PATTERNS)


def check_name(path: Path) -> None:
    if is_temp_file(path):
        raise UnreadableFile("临时文件或隐藏文件，不予接收", code="temp_file", path=str(path))


def check_size(size: int, limits: ReadLimits, path: Path | None = None) -> None:
    where = str(path) if path is not None else None
    if size == 0:
        raise UnreadableFile("文件为空（0 字节）", code="empty_file", path=where)
    if size > limits.max_bytes:
        raise UnreadableFile(f"文件过大（{size / 1048576:.1f} MB，上限 {limits.max_bytes / 1048576:.0f} MB）",
                             code="too_large", path=where)
